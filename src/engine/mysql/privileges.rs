//! MySQL/MariaDB privileges on the managed database's objects: database (`db`.*), table and
//! view, and column grants, read from information_schema (which shows what the connected user
//! may see). Grantees are accounts, kept as `user@host`. Accounts are never created.

use super::ddl::{q, qn};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{MySqlPool, Row};
use std::collections::BTreeMap;

/// `'app'@'%'` → `app@%`.
pub fn account(grantee: &str) -> String {
    match grantee.rsplit_once("@") {
        Some((u, h)) => format!("{}@{}", u.trim_matches('\''), h.trim_matches('\'')),
        None => grantee.trim_matches('\'').to_string(),
    }
}

/// `app@%` → `'app'@'%'`.
pub fn grantee_sql(a: &str) -> String {
    let lit = |s: &str| crate::engine::quote_literal(Dialect::Mysql, s);
    match a.rsplit_once('@') {
        Some((u, h)) => format!("{}@{}", lit(u), lit(h)),
        None => lit(a),
    }
}

type Acl = BTreeMap<(String, String, String, String), BTreeMap<String, bool>>;

/// Grants by (schema, table or "", column or "", account).
pub async fn acls(pool: &MySqlPool, list: &str) -> Result<Acl> {
    let q = format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), '', '', CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR) \
           FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA {list} \
         UNION ALL SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), '', CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR) \
           FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA {list} \
         UNION ALL SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(GRANTEE AS CHAR), CAST(PRIVILEGE_TYPE AS CHAR), CAST(IS_GRANTABLE AS CHAR) \
           FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA {list}"
    );
    let rows = sqlx::query(&q).fetch_all(pool).await.context("inspecting privileges")?;
    let mut out: Acl = BTreeMap::new();
    for r in rows {
        let grantee: String = r.get(3);
        out.entry((r.get(0), r.get(1), r.get(2), account(&grantee))).or_default().insert(r.get(4), r.get::<String, _>(5) == "YES");
    }
    Ok(out)
}

/// Put each grant on its schema, table, view or column.
pub fn attach(realm: &mut Realm, acl: &Acl) {
    for ((schema, table, column, who), privs) in acl {
        let Some(s) = realm.schemas.iter_mut().find(|s| &s.name == schema) else { continue };
        let grants = Grant::split(who, privs);
        let slot = if table.is_empty() {
            Some(&mut s.grants)
        } else if let Some(t) = s.tables.iter_mut().find(|t| &t.name == table) {
            if column.is_empty() {
                Some(&mut t.grants)
            } else {
                t.columns.iter_mut().find(|c| &c.name == column).map(|c| &mut c.grants)
            }
        } else {
            s.views.iter_mut().find(|v| &v.name == table).map(|v| &mut v.grants)
        };
        if let Some(slot) = slot {
            slot.extend(grants);
        }
    }
}

fn target(schema: &str, on: &GrantOn) -> String {
    match on {
        // `*` alone is the current database (the unnamed schema of a database-bound script).
        GrantOn::Schema if schema.is_empty() => "*".to_string(),
        GrantOn::Schema => format!("{}.*", q(schema)),
        GrantOn::Table(t) | GrantOn::Column(t, _) | GrantOn::Sequence(t) => qn(schema, t),
        GrantOn::Routine(n, k, _) => format!("{} {}", if *k == RoutineKind::Procedure { "PROCEDURE" } else { "FUNCTION" }, qn(schema, n)),
    }
}

fn privileges(on: &GrantOn, privs: &[String]) -> String {
    match on {
        GrantOn::Column(_, c) => privs.iter().map(|p| format!("{p} ({})", q(c))).collect::<Vec<_>>().join(", "),
        GrantOn::Schema | GrantOn::Table(_) | GrantOn::Sequence(_) | GrantOn::Routine(..) => privs.join(", "),
    }
}

pub fn grant(schema: &str, on: &GrantOn, g: &Grant) -> String {
    format!("GRANT {} ON {} TO {}{}", privileges(on, &g.privileges), target(schema, on), grantee_sql(&g.grantee), if g.grantable { " WITH GRANT OPTION" } else { "" })
}

/// REVOKE the privileges, or (`option_only`) the account's GRANT OPTION on the object: MySQL
/// keeps the option per object, not per privilege.
pub fn revoke(schema: &str, on: &GrantOn, g: &Grant, option_only: bool) -> String {
    if option_only {
        format!("REVOKE GRANT OPTION ON {} FROM {}", target(schema, on), grantee_sql(&g.grantee))
    } else {
        format!("REVOKE {} ON {} FROM {}", privileges(on, &g.privileges), target(schema, on), grantee_sql(&g.grantee))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_statements() {
        assert_eq!(account("'sg_app'@'%'"), "sg_app@%");
        assert_eq!(grantee_sql("sg_app@%"), "'sg_app'@'%'");
        let g = Grant { grantee: "app@%".into(), privileges: vec!["INSERT".into(), "SELECT".into()], grantable: true };
        assert_eq!(grant("db", &GrantOn::Table("t".into()), &g), "GRANT INSERT, SELECT ON `db`.`t` TO 'app'@'%' WITH GRANT OPTION");
        assert_eq!(revoke("db", &GrantOn::Column("t".into(), "b".into()), &g, false), "REVOKE INSERT (`b`), SELECT (`b`) ON `db`.`t` FROM 'app'@'%'");
        assert_eq!(revoke("db", &GrantOn::Schema, &g, true), "REVOKE GRANT OPTION ON `db`.* FROM 'app'@'%'");
    }
}
