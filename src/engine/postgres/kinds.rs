//! PostgreSQL's statements for the object kinds handled generically (`schema::kinds`), and
//! their inspection. A new kind is an arm in each function here.

use super::ddl::{lit, q, qn};
use super::inspect::{not_ext, TYPE_SQL};
use crate::schema::{creation_order, Composite, CompositeField, Extension, Object, Realm};
use crate::statement::{Phase, Statement};
use anyhow::{Context, Result};
use sqlx::{PgPool, Row};

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
    let mut out: Vec<(String, Object)> = extensions.into_iter().map(|(schema, name, version)| (schema, Object::Extension(Extension { name, version: Some(version) }))).collect();
    // Composite types (not the row types of tables and views: relkind 'c' only), fields in order
    // (none: `AS ()` is a type too). TYPE_SQL spells a field's type as a column's; `a` and `t`
    // are the names it expects.
    let composites = format!(
        "SELECT n.nspname::text, ct.typname::text, obj_description(ct.oid, 'pg_type'), a.attname::text, {TYPE_SQL}, \
           CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN co.collname::text END \
         FROM pg_type ct JOIN pg_namespace n ON n.oid=ct.typnamespace JOIN pg_class c ON c.oid=ct.typrelid AND c.relkind='c' \
         LEFT JOIN pg_attribute a ON a.attrelid=c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_type t ON t.oid=a.atttypid LEFT JOIN pg_namespace tn ON tn.oid=t.typnamespace \
         LEFT JOIN pg_type et ON et.oid=t.typelem AND t.typcategory='A' LEFT JOIN pg_namespace etn ON etn.oid=et.typnamespace \
         LEFT JOIN pg_collation co ON co.oid=a.attcollation \
         WHERE ct.typtype='c' AND n.nspname = ANY($1) AND {} \
         ORDER BY n.nspname, ct.typname, a.attnum",
        not_ext("pg_type", "ct.oid")
    );
    let rows = sqlx::query(&composites).bind(schemas).fetch_all(pool).await.context("inspecting composite types")?;
    let mut current: Option<(String, Composite)> = None;
    for r in rows {
        let (schema, name): (String, String) = (r.get(0), r.get(1));
        if current.as_ref().is_none_or(|(s, c)| *s != schema || c.name != name) {
            out.extend(current.take().map(|(s, c)| (s, Object::Composite(c))));
            current = Some((schema.clone(), Composite { name, comment: r.get(2), fields: vec![] }));
        }
        let (field, ty): (Option<String>, Option<String>) = (r.get(3), r.get(4));
        if let (Some((_, c)), Some(field), Some(ty)) = (current.as_mut(), field, ty) {
            c.fields.push(CompositeField { name: field, ty: super::types::canonical_inspected(&ty), collate: r.get(5) });
        }
    }
    out.extend(current.map(|(s, c)| (s, Object::Composite(c))));
    Ok(out)
}

pub fn add(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    match o {
        Object::Extension(x) => vec![(Phase::Extensions, Statement::new(create_extension(schema, x), format!("create extension \"{}\"", x.name)).rev(format!("DROP EXTENSION {}", q(&x.name))))],
        Object::Composite(c) => {
            let t = qn(schema, &c.name);
            let fields: Vec<String> = c.fields.iter().map(field_def).collect();
            let mut out = vec![(Phase::Types, Statement::new(format!("CREATE TYPE {t} AS ({})", fields.join(", ")), format!("create composite type \"{}\"", c.name)).rev(format!("DROP TYPE {t}")))];
            out.extend(c.comment.as_ref().map(|cm| (Phase::Types, Statement::new(format!("COMMENT ON TYPE {t} IS {}", lit(cm)), format!("comment on composite type \"{}\"", c.name)))));
            out
        }
    }
}

pub fn drop(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    match o {
        // An extension's objects go with it; its schema is where it was installed.
        Object::Extension(x) => vec![(Phase::DropTypes, Statement::new(format!("DROP EXTENSION {}", q(&x.name)), format!("drop extension \"{}\"", x.name)))],
        // No CASCADE: PostgreSQL refuses while a column is of the type, and the rehearsal says so.
        Object::Composite(c) => vec![(Phase::DropTypes, Statement::new(format!("DROP TYPE {}", qn(schema, &c.name)), format!("drop composite type \"{}\"", c.name)))],
    }
}

pub fn modify(schema: &str, from: &Object, to: &Object) -> Vec<(Phase, Statement)> {
    match to {
        // Not reached today (extensions compare by name); an upgrade is the extension's own script.
        Object::Extension(x) => vec![(
            Phase::Extensions,
            Statement::new(format!("ALTER EXTENSION {} UPDATE{}", q(&x.name), x.version.as_deref().map(|v| format!(" TO {}", lit(v))).unwrap_or_default()), format!("update extension \"{}\"", x.name)),
        )],
        Object::Composite(new) => {
            let Object::Composite(old) = from else { return vec![] };
            modify_composite(schema, old, new).into_iter().map(|s| (Phase::Types, s)).collect()
        }
    }
}

/// `name type [COLLATE c]`, as in CREATE TYPE and ADD ATTRIBUTE.
fn field_def(f: &CompositeField) -> String {
    format!("{} {}{}", q(&f.name), f.ty, f.collate.as_ref().map(|c| format!(" COLLATE {}", q(c))).unwrap_or_default())
}

/// Fields dropped, retyped and added in place (ALTER TYPE … ATTRIBUTE). PostgreSQL appends an
/// added field and cannot move one: when the fields that stay are in another order, or a new
/// one is not last, the type is dropped and created again, which PostgreSQL refuses while a
/// column uses it (the rehearsal says so) rather than leaving the order wrong.
fn modify_composite(schema: &str, old: &Composite, new: &Composite) -> Vec<Statement> {
    let t = qn(schema, &new.name);
    let kept: Vec<&str> = old.fields.iter().filter(|f| new.fields.iter().any(|n| n.name == f.name)).map(|f| f.name.as_str()).collect();
    let added: Vec<&CompositeField> = new.fields.iter().filter(|n| old.fields.iter().all(|f| f.name != n.name)).collect();
    let in_place: Vec<&str> = kept.iter().copied().chain(added.iter().map(|f| f.name.as_str())).collect();
    let order: Vec<&str> = new.fields.iter().map(|f| f.name.as_str()).collect();
    let mut out = Vec::new();
    if in_place != order {
        out.push(Statement::new(format!("DROP TYPE {t}"), format!("drop composite type \"{}\" (its field order changes; created again below)", new.name)));
        out.extend(add(schema, &Object::Composite(new.clone())).into_iter().map(|(_, s)| s));
        return out;
    }
    let mut actions: Vec<String> = Vec::new();
    for f in old.fields.iter().filter(|f| new.fields.iter().all(|n| n.name != f.name)) {
        actions.push(format!("DROP ATTRIBUTE {}", q(&f.name)));
    }
    for n in &new.fields {
        if old.fields.iter().any(|f| f.name == n.name && (f.ty != n.ty || f.collate != n.collate)) {
            actions.push(format!("ALTER ATTRIBUTE {} SET DATA TYPE {}{}", q(&n.name), n.ty, n.collate.as_ref().map(|c| format!(" COLLATE {}", q(c))).unwrap_or_default()));
        }
    }
    actions.extend(added.iter().map(|f| format!("ADD ATTRIBUTE {}", field_def(f))));
    if !actions.is_empty() {
        out.push(Statement::new(format!("ALTER TYPE {t} {}", actions.join(", ")), format!("modify composite type \"{}\"", new.name)));
    }
    if old.comment != new.comment {
        let c = new.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into());
        out.push(Statement::new(format!("COMMENT ON TYPE {t} IS {c}"), format!("comment on composite type \"{}\"", new.name)));
    }
    out
}

/// The statements that create the realm's objects in `phase` (`ddl::create_realm`, which asks
/// for `Extensions` and `Types`: a kind with statements in another phase is asked for there).
pub fn created_in(realm: &Realm, phase: Phase) -> Vec<String> {
    realm.schemas.iter().flat_map(|s| creation_order(&s.name, &s.objects).into_iter().flat_map(|o| add(&s.name, o))).filter(|(p, _)| *p == phase).map(|(_, s)| s.sql).collect()
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

    fn field(n: &str, ty: &str) -> CompositeField {
        CompositeField { name: n.into(), ty: ty.into(), collate: None }
    }

    fn composite(fields: Vec<CompositeField>) -> Composite {
        Composite { name: "address".into(), fields, comment: None }
    }

    fn sql(v: Vec<(Phase, Statement)>) -> Vec<String> {
        v.into_iter().map(|(_, s)| s.sql).collect()
    }

    #[test]
    fn composites_are_types() {
        let c = Composite { comment: Some("postal".into()), ..composite(vec![field("street", "text"), CompositeField { collate: Some("C".into()), ..field("zip", "character varying(10)") }]) };
        let add = add("app", &Object::Composite(c.clone()));
        assert!(add.iter().all(|(p, _)| *p == Phase::Types));
        assert_eq!(sql(add), [r#"CREATE TYPE "app"."address" AS ("street" text, "zip" character varying(10) COLLATE "C")"#, r#"COMMENT ON TYPE "app"."address" IS 'postal'"#]);
        assert_eq!(sql(drop("app", &Object::Composite(c))), [r#"DROP TYPE "app"."address""#]);
    }

    #[test]
    fn composite_fields_change_in_place_when_the_order_allows() {
        let old = Object::Composite(composite(vec![field("street", "text"), field("zip", "integer")]));
        let new = Object::Composite(composite(vec![field("street", "character varying(80)"), field("city", "text")]));
        assert_eq!(
            sql(modify("public", &old, &new)),
            [r#"ALTER TYPE "public"."address" DROP ATTRIBUTE "zip", ALTER ATTRIBUTE "street" SET DATA TYPE character varying(80), ADD ATTRIBUTE "city" text"#]
        );
        // A new field before an old one cannot be placed there: drop and create.
        let moved = Object::Composite(composite(vec![field("city", "text"), field("street", "text"), field("zip", "integer")]));
        let stmts = sql(modify("public", &old, &moved));
        assert_eq!(stmts[0], r#"DROP TYPE "public"."address""#);
        assert!(stmts[1].starts_with(r#"CREATE TYPE "public"."address" AS ("city" text"#), "{stmts:?}");
    }
}
