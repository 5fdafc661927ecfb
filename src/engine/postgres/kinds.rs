//! PostgreSQL's statements for the object kinds handled generically (`schema::kinds`), and
//! their inspection. A new kind is an arm in each function here.

use super::ddl::q;
use crate::schema::{Extension, Object, Realm};
use crate::statement::{Phase, Statement};
use anyhow::{Context, Result};
use sqlx::PgPool;

/// The objects of `schemas`, as (schema, object).
pub async fn inspect(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Object)>> {
    let extensions: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, x.extname::text, x.extversion::text FROM pg_extension x JOIN pg_namespace n ON n.oid=x.extnamespace \
         WHERE x.extname <> 'plpgsql' AND n.nspname = ANY($1)",
    )
    .bind(schemas)
    .fetch_all(pool)
    .await
    .context("inspecting extensions")?;
    Ok(extensions.into_iter().map(|(schema, name, version)| (schema, Object::Extension(Extension { name, version: Some(version) }))).collect())
}

pub fn add(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    match o {
        Object::Extension(x) => vec![(Phase::Extensions, Statement::new(create_extension(schema, x), format!("create extension \"{}\"", x.name)).rev(format!("DROP EXTENSION {}", q(&x.name))))],
    }
}

pub fn drop(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    let _ = schema;
    match o {
        // An extension's objects go with it; its schema is where it was installed.
        Object::Extension(x) => vec![(Phase::DropTypes, Statement::new(format!("DROP EXTENSION {}", q(&x.name)), format!("drop extension \"{}\"", x.name)))],
    }
}

pub fn modify(schema: &str, from: &Object, to: &Object) -> Vec<(Phase, Statement)> {
    let _ = (schema, from);
    match to {
        // Not reached today (extensions compare by name); an upgrade is the extension's own script.
        Object::Extension(x) => vec![(
            Phase::Extensions,
            Statement::new(format!("ALTER EXTENSION {} UPDATE{}", q(&x.name), x.version.as_deref().map(|v| format!(" TO {}", super::ddl::lit(v))).unwrap_or_default()), format!("update extension \"{}\"", x.name)),
        )],
    }
}

/// The statements that create the realm's objects in `phase` (`ddl::create_realm`).
pub fn created_in(realm: &Realm, phase: Phase) -> Vec<String> {
    realm.schemas.iter().flat_map(|s| s.objects.iter().flat_map(|o| add(&s.name, o))).filter(|(p, _)| *p == phase).map(|(_, s)| s.sql).collect()
}

pub fn create_extension(schema: &str, x: &Extension) -> String {
    format!("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}", q(&x.name), q(schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_created_before_types_and_dropped_after_tables() {
        let x = Object::Extension(Extension { name: "pg_trgm".into(), version: None });
        let add = add("public", &x);
        assert_eq!(add[0].0, Phase::Extensions);
        assert_eq!(add[0].1.sql, r#"CREATE EXTENSION IF NOT EXISTS "pg_trgm" WITH SCHEMA "public""#);
        let drop = drop("public", &x);
        assert_eq!((drop[0].0, drop[0].1.sql.as_str()), (Phase::DropTypes, r#"DROP EXTENSION "pg_trgm""#));
    }
}
