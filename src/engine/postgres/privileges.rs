//! PostgreSQL privileges: GRANT/REVOKE on schemas, tables, views, sequences, columns and
//! routines, and ALTER DEFAULT PRIVILEGES, read from the ACLs with aclexplode().
//!
//! The model keeps what was granted to roles other than the object's owner (the owner's rights
//! come with ownership and differ between a disposable database and the target). A routine's
//! EXECUTE for PUBLIC is PostgreSQL's default and is not listed.

use super::ddl::{q, qn};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{PgPool, Row};
use std::collections::BTreeMap;

/// Where a grant applies, as inspection keys it (the schema included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    Schema(String),
    /// Tables, views and materialized views (GRANT … ON TABLE).
    Table(String, String),
    Sequence(String, String),
    Column(String, String, String),
    /// Schema, name, kind and input argument types.
    Routine(String, String, RoutineKind, String),
}

/// (object, grantee, privilege) → grantable: one row of an exploded ACL.
pub type Acl = BTreeMap<(On, String), BTreeMap<String, bool>>;

fn grantee_sql() -> &'static str {
    "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END"
}

/// Every grant in `schemas`, owners' own rights left out.
pub async fn acls(pool: &PgPool, schemas: &[String]) -> Result<Acl> {
    let g = grantee_sql();
    let q = format!(
        "SELECT 'r', n.nspname::text, c.relname::text, c.relkind::text, '', {g}, a.privilege_type, a.is_grantable \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a \
           WHERE c.relacl IS NOT NULL AND c.relkind IN ('r','p','v','m','S') AND n.nspname = ANY($1) AND a.grantee <> c.relowner \
         UNION ALL SELECT 'c', n.nspname::text, c.relname::text, c.relkind::text, att.attname::text, {g}, a.privilege_type, a.is_grantable \
           FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           CROSS JOIN LATERAL aclexplode(att.attacl) a \
           WHERE att.attacl IS NOT NULL AND att.attnum > 0 AND NOT att.attisdropped AND c.relkind IN ('r','p','v','m') AND n.nspname = ANY($1) AND a.grantee <> c.relowner \
         UNION ALL SELECT 'n', n.nspname::text, '', '', '', {g}, a.privilege_type, a.is_grantable \
           FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a WHERE n.nspname = ANY($1) AND a.grantee <> n.nspowner \
           AND NOT (a.grantee = 0 AND n.nspname = 'public') \
         UNION ALL SELECT 'f', n.nspname::text, p.proname::text, p.prokind::text, COALESCE((SELECT string_agg(format_type(u.t, NULL), ', ' ORDER BY u.k) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, k)), ''), {g}, a.privilege_type, a.is_grantable \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace CROSS JOIN LATERAL aclexplode(p.proacl) a \
           WHERE p.proacl IS NOT NULL AND n.nspname = ANY($1) AND a.grantee <> p.proowner AND NOT (a.grantee = 0 AND a.privilege_type = 'EXECUTE')"
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting privileges")?;
    let mut out: Acl = BTreeMap::new();
    for r in rows {
        let class: String = r.get(0);
        let (schema, name, kind, sub): (String, String, String, String) = (r.get(1), r.get(2), r.get(3), r.get(4));
        let on = match class.as_str() {
            "r" if kind == "S" => On::Sequence(schema, name),
            "r" => On::Table(schema, name),
            "c" => On::Column(schema, name, sub),
            "n" => On::Schema(schema),
            _ => {
                let k = match kind.as_str() {
                    "p" => RoutineKind::Procedure,
                    "a" => RoutineKind::Aggregate,
                    _ => RoutineKind::Function,
                };
                On::Routine(schema, name, k, sub)
            }
        };
        out.entry((on, r.get(5))).or_default().insert(r.get(6), r.get(7));
    }
    Ok(out)
}

/// Grants as the model keeps them: one per grantee and grant option, privileges sorted.
pub fn grants_of(acl: &Acl, on: &On) -> Vec<Grant> {
    let mut out = Vec::new();
    for ((o, grantee), privs) in acl.range((on.clone(), String::new())..) {
        if o != on {
            break;
        }
        out.extend(Grant::split(grantee, privs));
    }
    out
}

/// Put each grant of `acl` on its object in `realm`.
pub fn attach(realm: &mut Realm, acl: &Acl) {
    for s in &mut realm.schemas {
        let sn = s.name.clone();
        s.grants = grants_of(acl, &On::Schema(sn.clone()));
        for t in &mut s.tables {
            t.grants = grants_of(acl, &On::Table(sn.clone(), t.name.clone()));
            for c in &mut t.columns {
                c.grants = grants_of(acl, &On::Column(sn.clone(), t.name.clone(), c.name.clone()));
            }
        }
        for v in &mut s.views {
            v.grants = grants_of(acl, &On::Table(sn.clone(), v.name.clone()));
        }
        for q in &mut s.sequences {
            q.grants = grants_of(acl, &On::Sequence(sn.clone(), q.name.clone()));
        }
        for f in &mut s.functions {
            let GrantOn::Routine(n, k, args) = GrantOn::routine(f) else { continue };
            f.grants = grants_of(acl, &On::Routine(sn.clone(), n, k, args));
        }
    }
}


/// ALTER DEFAULT PRIVILEGES … IN SCHEMA, by schema.
pub async fn default_privileges(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, DefaultPrivilege)>> {
    let g = grantee_sql();
    let q = format!(
        "SELECT n.nspname::text, pg_get_userbyid(d.defaclrole)::text, d.defaclobjtype::text, {g}, a.privilege_type, a.is_grantable \
         FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN LATERAL aclexplode(d.defaclacl) a \
         WHERE n.nspname = ANY($1)"
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting default privileges")?;
    let mut by: BTreeMap<(String, String, String, String), BTreeMap<String, bool>> = BTreeMap::new();
    for r in rows {
        let on = match r.get::<String, _>(2).as_str() {
            "r" => "TABLES",
            "S" => "SEQUENCES",
            "f" => "FUNCTIONS",
            "T" => "TYPES",
            _ => "SCHEMAS",
        };
        by.entry((r.get(0), r.get(1), on.to_string(), r.get(3))).or_default().insert(r.get(4), r.get(5));
    }
    let mut out = Vec::new();
    for ((schema, owner, on, grantee), privs) in by {
        for g in Grant::split(&grantee, &privs) {
            out.push((schema.clone(), DefaultPrivilege { owner: owner.clone(), on: on.clone(), grantee: g.grantee, privileges: g.privileges, grantable: g.grantable }));
        }
    }
    Ok(out)
}

// ---- DDL -------------------------------------------------------------------------------------


pub fn grantee(g: &str) -> String {
    if g == "PUBLIC" {
        g.to_string()
    } else {
        q(g)
    }
}

/// `TABLE "s"."t"`, `SEQUENCE …`, `SCHEMA "s"`, `FUNCTION "s"."f"(integer)`; the column list
/// for a column grant goes with the privileges.
fn target(schema: &str, on: &GrantOn) -> String {
    match on {
        GrantOn::Schema => format!("SCHEMA {}", q(schema)),
        GrantOn::Table(t) | GrantOn::Column(t, _) => format!("TABLE {}", qn(schema, t)),
        GrantOn::Sequence(n) => format!("SEQUENCE {}", qn(schema, n)),
        GrantOn::Routine(n, k, args) => format!("{} {}({args})", if *k == RoutineKind::Procedure { "PROCEDURE" } else { "FUNCTION" }, qn(schema, n)),
    }
}

fn privileges(on: &GrantOn, privs: &[String]) -> String {
    match on {
        GrantOn::Column(_, c) => privs.iter().map(|p| format!("{p} ({})", q(c))).collect::<Vec<_>>().join(", "),
        GrantOn::Schema | GrantOn::Table(_) | GrantOn::Sequence(_) | GrantOn::Routine(..) => privs.join(", "),
    }
}

pub fn grant(schema: &str, on: &GrantOn, g: &Grant) -> String {
    format!("GRANT {} ON {} TO {}{}", privileges(on, &g.privileges), target(schema, on), grantee(&g.grantee), if g.grantable { " WITH GRANT OPTION" } else { "" })
}

/// REVOKE the privileges (`option_only`: only the right to grant them on).
pub fn revoke(schema: &str, on: &GrantOn, g: &Grant, option_only: bool) -> String {
    format!("REVOKE {}{} ON {} FROM {}", if option_only { "GRANT OPTION FOR " } else { "" }, privileges(on, &g.privileges), target(schema, on), grantee(&g.grantee))
}


pub fn alter_default(schema: &str, d: &DefaultPrivilege, revoke: bool, option_only: bool) -> String {
    let head = format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {}", q(&d.owner), q(schema));
    if revoke {
        format!("{head} REVOKE {}{} ON {} FROM {}", if option_only { "GRANT OPTION FOR " } else { "" }, d.privileges.join(", "), d.on, grantee(&d.grantee))
    } else {
        format!("{head} GRANT {} ON {} TO {}{}", d.privileges.join(", "), d.on, grantee(&d.grantee), if d.grantable { " WITH GRANT OPTION" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_and_revoke_statements() {
        let g = Grant { grantee: "app".into(), privileges: vec!["INSERT".into(), "SELECT".into()], grantable: true };
        assert_eq!(grant("public", &GrantOn::Table("t".into()), &g), "GRANT INSERT, SELECT ON TABLE \"public\".\"t\" TO \"app\" WITH GRANT OPTION");
        assert_eq!(revoke("public", &GrantOn::Column("t".into(), "c".into()), &g, true), "REVOKE GRANT OPTION FOR INSERT (\"c\"), SELECT (\"c\") ON TABLE \"public\".\"t\" FROM \"app\"");
        let p = Grant { grantee: "PUBLIC".into(), privileges: vec!["EXECUTE".into()], grantable: false };
        assert_eq!(grant("s", &GrantOn::Routine("f".into(), RoutineKind::Function, "integer".into()), &p), "GRANT EXECUTE ON FUNCTION \"s\".\"f\"(integer) TO PUBLIC");
        let d = DefaultPrivilege { owner: "owner".into(), on: "TABLES".into(), grantee: "reader".into(), privileges: vec!["SELECT".into()], grantable: false };
        assert_eq!(alter_default("public", &d, false, false), "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" IN SCHEMA \"public\" GRANT SELECT ON TABLES TO \"reader\"");
    }

    #[test]
    fn grant_options_split_a_grantees_privileges() {
        let privs: BTreeMap<String, bool> = [("SELECT".to_string(), true), ("INSERT".to_string(), false), ("UPDATE".to_string(), false)].into_iter().collect();
        let gs = Grant::split("app", &privs);
        assert_eq!(gs.len(), 2);
        assert_eq!((gs[0].privileges.clone(), gs[0].grantable), (vec!["INSERT".to_string(), "UPDATE".to_string()], false));
        assert_eq!((gs[1].privileges.clone(), gs[1].grantable), (vec!["SELECT".to_string()], true));
    }
}
