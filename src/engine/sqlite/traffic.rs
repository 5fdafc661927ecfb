//! What each statement of a SQLite plan does to the traffic: SQLite locks the whole database
//! for writing during the apply transaction (readers go on in WAL mode), so the question is only
//! how much work the statement does while it holds that lock: a catalog change, an index build
//! (a scan), or the copy-table rebuild (a rewrite).

use crate::diff::Change;
use crate::statement::{Blocks, Statement, Traffic, Work};

const LOCK: &str = "database write lock";

pub fn of(changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
    statements.iter().map(|s| one(s.change.and_then(|i| changes.get(i)), s)).collect()
}

fn one(change: Option<&Change>, s: &Statement) -> Traffic {
    let (table, new) = match change {
        Some(Change::AddTable { schema, table }) => (Some(format!("{schema}.{}", table.name)), true),
        Some(Change::ModifyTable { schema, table, .. }) | Some(Change::RenameIndex { schema, table, .. }) | Some(Change::RenameColumn { schema, table, .. }) => (Some(format!("{schema}.{table}")), false),
        Some(Change::DropTable { schema, table }) => (Some(format!("{schema}.{}", table.name)), false),
        Some(Change::RenameTable { schema, from, .. }) => (Some(format!("{schema}.{from}")), false),
        _ => (None, false),
    };
    let sql = s.sql.as_str();
    let work = if new {
        Work::Catalog
    } else if sql.starts_with("INSERT INTO ") {
        // The copy-table procedure copies every row into the new table.
        Work::Rewrite
    } else if sql.starts_with("CREATE INDEX ") || sql.starts_with("CREATE UNIQUE INDEX ") || sql.starts_with("UPDATE ") {
        Work::Scan
    } else {
        Work::Catalog
    };
    Traffic::new(table, LOCK, if new { Blocks::Nothing } else { Blocks::Writes }, work)
}

/// Rows (counted, up to a million) and bytes (the `dbstat` pages of the table and its indexes,
/// where SQLite was built with it) of the named tables (`main.table`).
pub async fn sizes(pool: &sqlx::SqlitePool, tables: &[String]) -> std::collections::BTreeMap<String, (i64, i64)> {
    let mut out = std::collections::BTreeMap::new();
    for key in tables {
        let name = key.split_once('.').map(|(_, t)| t).unwrap_or(key);
        let q = super::ddl::q(name);
        let Ok(rows) = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {q} LIMIT 1000000)")).fetch_one(pool).await else { continue };
        let bytes = sqlx::query_scalar::<_, i64>("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?1 OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1)")
            .bind(name)
            .fetch_one(pool)
            .await
            .unwrap_or(0);
        out.insert(key.clone(), (rows, bytes));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Table;

    #[test]
    fn rebuilds_rewrite_and_new_tables_block_nothing() {
        let t = Box::new(Table { name: "t".into(), ..Default::default() });
        let modify = Change::ModifyTable { schema: "main".into(), table: "t".into(), from: t.clone(), to: t.clone(), changes: vec![] };
        let add = Change::AddTable { schema: "main".into(), table: (*t).clone() };
        let st = |sql: &str, c: usize| Statement { change: Some(c), ..Statement::new(sql, "") };
        let out = of(&[modify, add], &[st(r#"INSERT INTO "new_t" SELECT * FROM "t""#, 0), st(r#"CREATE TABLE "t" (a)"#, 1)]);
        assert_eq!((out[0].work, out[0].blocks, out[0].table.as_deref()), (Work::Rewrite, Blocks::Writes, Some("main.t")));
        assert_eq!((out[1].work, out[1].blocks), (Work::Catalog, Blocks::Nothing));
    }
}
