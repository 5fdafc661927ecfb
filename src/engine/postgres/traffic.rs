//! What each statement of a PostgreSQL plan does to the traffic on its table: the lock mode it
//! takes (https://www.postgresql.org/docs/current/explicit-locking.html), what that lock makes
//! other sessions wait for, and whether the table is only changed in the catalog, read whole
//! (validation, index build) or rewritten.

use super::online::not_null_check_name;
use super::{ddl, types};
use crate::diff::{Change, TableChange};
use crate::engine::sql_text::{alter_table, key, split_top_level};
use crate::statement::{Blocks, Statement, Traffic, Work};
use std::collections::HashSet;

const ACCESS_EXCLUSIVE: &str = "ACCESS EXCLUSIVE";
const SHARE_ROW_EXCLUSIVE: &str = "SHARE ROW EXCLUSIVE";
const SHARE: &str = "SHARE";
const SHARE_UPDATE_EXCLUSIVE: &str = "SHARE UPDATE EXCLUSIVE";

/// Lock modes from weakest to strongest.
const STRENGTH: [&str; 8] = ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, "EXCLUSIVE", ACCESS_EXCLUSIVE];

fn strength(lock: &str) -> usize {
    STRENGTH.iter().position(|l| *l == lock).unwrap_or(STRENGTH.len())
}

/// What waits behind a lock mode: ACCESS EXCLUSIVE stops reads too; SHARE and stronger stop
/// writes; SHARE UPDATE EXCLUSIVE and weaker stop only other DDL and VACUUM.
fn blocks(lock: &str) -> Blocks {
    match strength(lock) {
        7 => Blocks::ReadsAndWrites,
        4..=6 => Blocks::Writes,
        _ => Blocks::Nothing,
    }
}

/// `SET lock_timeout` and `statement_timeout`, in milliseconds (0: no statement limit).
pub fn session_limits(lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String> {
    vec![format!("SET lock_timeout = {}", lock_timeout.as_millis().max(1)), format!("SET statement_timeout = {}", statement_timeout.as_millis())]
}

pub fn of(changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
    // Helper checks validated before the transaction: the SET NOT NULL they prove scans nothing.
    let validated: HashSet<&str> = statements.iter().filter(|s| s.before_tx).filter_map(|s| s.sql.split_once(" VALIDATE CONSTRAINT ").map(|(_, n)| n)).collect();
    statements.iter().map(|s| one(s.change.and_then(|i| changes.get(i)), s, &validated)).collect()
}

/// The table a change is about, `schema.table`, and whether the plan creates it.
fn change_table(c: &Change) -> Option<(String, bool)> {
    match c {
        Change::AddTable { schema, table } => Some((format!("{schema}.{}", table.name), true)),
        Change::ModifyTable { schema, table, .. } | Change::RenameColumn { schema, table, .. } | Change::RenameIndex { schema, table, .. } => Some((format!("{schema}.{table}"), false)),
        Change::DropTable { schema, table } => Some((format!("{schema}.{}", table.name), false)),
        Change::RenameTable { schema, from, .. } => Some((format!("{schema}.{from}"), false)),
        Change::AddTrigger { schema, trigger } | Change::DropTrigger { schema, trigger } => Some((format!("{schema}.{}", trigger.table), false)),
        Change::ModifyTrigger { schema, to, .. } => Some((format!("{schema}.{}", to.table), false)),
        Change::AddView { schema, view } | Change::DropView { schema, view } => Some((format!("{schema}.{}", view.name), false)),
        Change::ModifyView { schema, to, .. } => Some((format!("{schema}.{}", to.name), false)),
        Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. } => None,
        Change::AddObject { .. } | Change::DropObject { .. } | Change::ModifyObject { .. } => None,
        Change::AddEnum { .. } | Change::DropEnum { .. } | Change::ModifyEnum { .. } | Change::AddDomain { .. } | Change::DropDomain { .. } | Change::ModifyDomain { .. } => None,
        Change::AddSequence { .. } | Change::DropSequence { .. } | Change::ModifySequence { .. } => None,
        Change::AddFunction { .. } | Change::DropFunction { .. } | Change::ModifyFunction { .. } => None,
        Change::Grant { .. } | Change::Revoke { .. } | Change::DefaultPrivileges { .. } | Change::AddRole { .. } => None,
    }
}

fn one(change: Option<&Change>, s: &Statement, validated: &HashSet<&str>) -> Traffic {
    let sql = s.sql.as_str();
    let (mut table, new) = change.and_then(change_table).map(|(t, n)| (Some(t), n)).unwrap_or((None, false));
    let t = |lock: &str, work: Work, table: Option<String>| {
        // Nobody reads or writes a table this plan creates: its locks stop no one, and there is
        // nothing in it to scan.
        let (b, w) = if new { (Blocks::Nothing, Work::Catalog) } else { (blocks(lock), work) };
        Traffic::new(table, lock, b, w)
    };
    if sql.starts_with("CREATE TABLE ") {
        return t(ACCESS_EXCLUSIVE, Work::Catalog, table);
    }
    if sql.starts_with("CREATE INDEX ") || sql.starts_with("CREATE UNIQUE INDEX ") {
        return if sql.contains(" CONCURRENTLY ") { t(SHARE_UPDATE_EXCLUSIVE, Work::Scan, table) } else { t(SHARE, Work::Scan, table) };
    }
    if sql.starts_with("DROP INDEX CONCURRENTLY ") {
        return t(SHARE_UPDATE_EXCLUSIVE, Work::Catalog, table);
    }
    if ["DROP INDEX ", "DROP TABLE ", "DROP TRIGGER ", "CREATE POLICY ", "ALTER POLICY ", "DROP POLICY "].iter().any(|p| sql.starts_with(p)) {
        return t(ACCESS_EXCLUSIVE, Work::Catalog, table);
    }
    if sql.starts_with("ALTER INDEX ") || sql.starts_with("COMMENT ON ") {
        return t(SHARE_UPDATE_EXCLUSIVE, Work::Catalog, table);
    }
    if sql.starts_with("CREATE TRIGGER ") || sql.starts_with("CREATE OR REPLACE TRIGGER ") || sql.starts_with("CREATE CONSTRAINT TRIGGER ") {
        return t(SHARE_ROW_EXCLUSIVE, Work::Catalog, table);
    }
    if sql.starts_with("CREATE MATERIALIZED VIEW ") {
        return t(ACCESS_EXCLUSIVE, Work::Scan, table);
    }
    if ["CREATE VIEW ", "CREATE OR REPLACE VIEW ", "DROP VIEW ", "DROP MATERIALIZED VIEW ", "ALTER VIEW ", "ALTER MATERIALIZED VIEW "].iter().any(|p| sql.starts_with(p)) {
        return t(ACCESS_EXCLUSIVE, Work::Catalog, table);
    }
    let Some((name, rest)) = alter_table(sql) else {
        // Schemas, types, extensions, sequences, routines, roles, grants: no table lock that
        // holds up reads or writes.
        return Traffic::new(None, "none on tables", Blocks::Nothing, Work::Catalog);
    };
    // The table the statement names (an enum's conversion names each table that uses it).
    let named = key(&name, "public");
    if table.as_deref() != Some(named.as_str()) && !rest.starts_with("ATTACH PARTITION") {
        table = Some(named);
    }
    if rest.starts_with("RENAME ") || rest.starts_with("DETACH PARTITION ") {
        return t(ACCESS_EXCLUSIVE, Work::Catalog, table);
    }
    if rest.starts_with("ATTACH PARTITION ") {
        // The parent takes SHARE UPDATE EXCLUSIVE; the partition's rows are checked against
        // its bound.
        return t(SHARE_UPDATE_EXCLUSIVE, Work::Scan, table);
    }
    if rest.starts_with("VALIDATE CONSTRAINT ") {
        // SHARE UPDATE EXCLUSIVE on the table (a foreign key's also ROW SHARE on the other).
        return t(SHARE_UPDATE_EXCLUSIVE, Work::Scan, table);
    }
    let modified: Vec<&TableChange> = match change {
        Some(Change::ModifyTable { changes, .. }) => changes.iter().collect(),
        _ => vec![],
    };
    let table_name = match change {
        Some(Change::ModifyTable { table, .. }) => table.as_str(),
        _ => "",
    };
    let (mut lock, mut work) = ("ACCESS SHARE", Work::Catalog);
    for action in split_top_level(rest) {
        let (l, w) = action_traffic(action, &modified, table_name, validated);
        if strength(l) > strength(lock) {
            lock = l;
        }
        work = work.max(w);
    }
    t(lock, work, table)
}

/// Volatile defaults fill every existing row with its own value: the table is rewritten.
fn volatile(default: &str) -> bool {
    let d = default.to_ascii_lowercase();
    ["random(", "gen_random_uuid(", "uuid_generate_v1", "uuid_generate_v4", "clock_timestamp(", "nextval(", "timeofday(", "statement_timestamp("].iter().any(|f| d.contains(f))
}

fn action_traffic(action: &str, modified: &[&TableChange], table: &str, validated: &HashSet<&str>) -> (&'static str, Work) {
    let up = action.to_ascii_uppercase();
    if up.starts_with("ADD COLUMN ") {
        let rewrite = up.contains(" GENERATED ALWAYS AS (") || up.contains(" AS IDENTITY") || up.contains("SERIAL") || up.split_once(" DEFAULT ").is_some_and(|(_, d)| volatile(d));
        return (ACCESS_EXCLUSIVE, if rewrite { Work::Rewrite } else { Work::Catalog });
    }
    if up.starts_with("ALTER COLUMN ") {
        let column = crate::engine::sql_text::read_name(&action["ALTER COLUMN ".len()..]).and_then(|(n, _)| n.into_iter().next()).unwrap_or_default();
        if up.contains(" TYPE ") {
            let coercible = modified.iter().any(|tc| matches!(tc, TableChange::ModifyColumn { from, to, .. } if to.name == column && (types::storage_type(&from.ty) == types::storage_type(&to.ty) || rewrite_free(&from.ty, &to.ty))));
            // A collation change alone keeps the heap but rebuilds the column's indexes.
            let same_type = modified.iter().any(|tc| matches!(tc, TableChange::ModifyColumn { from, to, .. } if to.name == column && from.ty == to.ty));
            return (ACCESS_EXCLUSIVE, if same_type { Work::Scan } else if coercible { Work::Catalog } else { Work::Rewrite });
        }
        if up.ends_with(" SET NOT NULL") {
            let helper = ddl::q(&not_null_check_name(table, &column));
            return (ACCESS_EXCLUSIVE, if validated.contains(helper.as_str()) { Work::Catalog } else { Work::Scan });
        }
        return (ACCESS_EXCLUSIVE, Work::Catalog);
    }
    if up.starts_with("ADD ") {
        let not_valid = up.ends_with(" NOT VALID");
        let scan = if not_valid { Work::Catalog } else { Work::Scan };
        if up.contains(" FOREIGN KEY ") {
            return (SHARE_ROW_EXCLUSIVE, scan);
        }
        if up.contains(" CHECK ") || up.contains(" CHECK(") {
            return (ACCESS_EXCLUSIVE, scan);
        }
        // Primary keys, unique and exclusion constraints build their index under the lock
        // (unless attached USING INDEX).
        return (ACCESS_EXCLUSIVE, if up.contains(" USING INDEX ") { Work::Catalog } else { Work::Scan });
    }
    if ["SET LOGGED", "SET UNLOGGED", "SET TABLESPACE ", "SET ACCESS METHOD "].iter().any(|p| up.starts_with(p)) {
        return (ACCESS_EXCLUSIVE, Work::Rewrite);
    }
    if up.starts_with("SET (") || up.starts_with("RESET (") {
        return (SHARE_UPDATE_EXCLUSIVE, Work::Catalog);
    }
    if up.starts_with("ENABLE TRIGGER") || up.starts_with("DISABLE TRIGGER") {
        return (SHARE_ROW_EXCLUSIVE, Work::Catalog);
    }
    // DROP COLUMN / CONSTRAINT, row security, replica identity, owner, inheritance: catalog
    // changes under the strongest lock.
    (ACCESS_EXCLUSIVE, Work::Catalog)
}

/// A type change PostgreSQL makes without rewriting the table (binary-coercible, or a length,
/// precision or scale limit that only grows).
fn rewrite_free(from: &str, to: &str) -> bool {
    fn split(t: &str) -> (String, Vec<i64>) {
        match (t.find('('), t.find(')')) {
            (Some(o), Some(c)) if c > o => {
                let args = t[o + 1..c].split(',').filter_map(|a| a.trim().parse().ok()).collect();
                (format!("{}{}", &t[..o], &t[c + 1..]).trim().to_string(), args)
            }
            _ => (t.trim().to_string(), vec![]),
        }
    }
    let (fb, fa) = split(from);
    let (tb, ta) = split(to);
    let varchar = |b: &str| b == "character varying" || b == "varchar";
    match (fb.as_str(), tb.as_str()) {
        (f, "text") if varchar(f) => true,
        ("text", t) if varchar(t) => ta.is_empty(),
        ("cidr", "inet") => true,
        (f, t) if f == t => match (fa.as_slice(), ta.as_slice()) {
            (_, []) => true,
            ([], [_, ..]) => false,
            ([fp, fs], [tp, ts]) => fs == ts && tp >= fp,
            ([fl], [tl]) => tl >= fl && (varchar(f) || f == "bit varying" || f.starts_with("time") || f.starts_with("interval")),
            _ => false,
        },
        _ => false,
    }
}

/// Rows (`reltuples`) and bytes (`pg_total_relation_size`) of the named tables.
pub async fn sizes(pool: &sqlx::PgPool, tables: &[String]) -> std::collections::BTreeMap<String, (i64, i64)> {
    let sql = "SELECT n.nspname || '.' || c.relname, GREATEST(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid) \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname || '.' || c.relname = ANY($1)";
    sqlx::query_as::<_, (String, i64, i64)>(sql).bind(tables).fetch_all(pool).await.map(|rows| rows.into_iter().map(|(k, r, b)| (k, (r, b))).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Table};

    fn modify(tcs: Vec<TableChange>) -> Change {
        let t = Box::new(Table { name: "t".into(), ..Default::default() });
        Change::ModifyTable { schema: "public".into(), table: "t".into(), from: t.clone(), to: t, changes: tcs }
    }

    fn traffic(sql: &str, c: &Change) -> Traffic {
        let s = Statement { change: Some(0), ..Statement::new(sql, "") };
        of(std::slice::from_ref(c), &[s]).remove(0)
    }

    fn col(name: &str, ty: &str) -> Column {
        Column { name: name.into(), ty: ty.into(), null: true, ..Default::default() }
    }

    #[test]
    fn index_builds() {
        let c = modify(vec![]);
        let plain = traffic(r#"CREATE INDEX "i" ON "public"."t" ("a")"#, &c);
        assert_eq!((plain.lock.as_str(), plain.blocks, plain.work, plain.table.as_deref()), (SHARE, Blocks::Writes, Work::Scan, Some("public.t")));
        let online = traffic(r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "public"."t" ("a")"#, &c);
        assert_eq!((online.lock.as_str(), online.blocks), (SHARE_UPDATE_EXCLUSIVE, Blocks::Nothing));
        let new = Change::AddTable { schema: "public".into(), table: Table { name: "n".into(), ..Default::default() } };
        assert_eq!(traffic(r#"CREATE INDEX "i" ON "public"."n" ("a")"#, &new).blocks, Blocks::Nothing);
    }

    #[test]
    fn type_changes_rewrite_unless_coercible() {
        let widen = modify(vec![TableChange::ModifyColumn { from: col("a", "character varying(10)"), to: col("a", "character varying(20)"), what: vec!["type"] }]);
        assert_eq!(traffic(r#"ALTER TABLE "public"."t" ALTER COLUMN "a" TYPE character varying(20) USING "a"::character varying(20)"#, &widen).work, Work::Catalog);
        let int = modify(vec![TableChange::ModifyColumn { from: col("a", "integer"), to: col("a", "bigint"), what: vec!["type"] }]);
        let t = traffic(r#"ALTER TABLE "public"."t" ALTER COLUMN "a" TYPE bigint USING "a"::bigint"#, &int);
        assert_eq!((t.lock.as_str(), t.blocks, t.work), (ACCESS_EXCLUSIVE, Blocks::ReadsAndWrites, Work::Rewrite));
        assert!(rewrite_free("numeric(10,2)", "numeric(12,2)"));
        assert!(!rewrite_free("numeric(10,2)", "numeric(12,3)"));
        assert!(rewrite_free("timestamp(3) without time zone", "timestamp(6) without time zone"));
        assert!(!rewrite_free("text", "character varying(10)"));
        assert!(!rewrite_free("character varying(20)", "character varying(10)"));
    }

    #[test]
    fn constraints_scan_unless_not_valid() {
        let c = modify(vec![]);
        let fk = traffic(r#"ALTER TABLE "public"."t" ADD CONSTRAINT "f" FOREIGN KEY ("a") REFERENCES "public"."u" ("id")"#, &c);
        assert_eq!((fk.lock.as_str(), fk.blocks, fk.work), (SHARE_ROW_EXCLUSIVE, Blocks::Writes, Work::Scan));
        let nv = traffic(r#"ALTER TABLE "public"."t" ADD CONSTRAINT "f" FOREIGN KEY ("a") REFERENCES "public"."u" ("id") NOT VALID"#, &c);
        assert_eq!(nv.work, Work::Catalog);
        let v = traffic(r#"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "f""#, &c);
        assert_eq!((v.lock.as_str(), v.blocks, v.work), (SHARE_UPDATE_EXCLUSIVE, Blocks::Nothing, Work::Scan));
        // The strongest action decides: a check added with a column.
        let both = traffic(r#"ALTER TABLE "public"."t" ADD COLUMN "b" integer, ADD CONSTRAINT "k" CHECK ((b > 0))"#, &c);
        assert_eq!((both.lock.as_str(), both.work), (ACCESS_EXCLUSIVE, Work::Scan));
    }

    #[test]
    fn set_not_null_scans_unless_a_validated_check_proves_it() {
        let c = modify(vec![]);
        let set = Statement { change: Some(0), ..Statement::new(r#"ALTER TABLE "public"."t" ALTER COLUMN "a" SET NOT NULL"#, "") };
        assert_eq!(of(std::slice::from_ref(&c), std::slice::from_ref(&set))[0].work, Work::Scan);
        let validate = Statement { before_tx: true, change: Some(0), ..Statement::new(r#"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "t_a_not_null""#, "") };
        assert_eq!(of(std::slice::from_ref(&c), &[validate, set])[1].work, Work::Catalog);
    }

    #[test]
    fn volatile_defaults_rewrite() {
        let c = modify(vec![]);
        assert_eq!(traffic(r#"ALTER TABLE "public"."t" ADD COLUMN "id" uuid DEFAULT gen_random_uuid()"#, &c).work, Work::Rewrite);
        assert_eq!(traffic(r#"ALTER TABLE "public"."t" ADD COLUMN "n" integer DEFAULT 0"#, &c).work, Work::Catalog);
        let g = Change::Grant { schema: "public".into(), on: crate::schema::GrantOn::Table("t".into()), grant: Default::default() };
        assert_eq!(traffic("GRANT SELECT ON TABLE t TO r", &g).table, None);
    }
}
