//! What each statement of a MySQL/MariaDB plan does to the traffic on its table: the online DDL
//! algorithm the server picks for it (INSTANT, INPLACE with concurrent reads and writes, or a
//! COPY that blocks writes), from the InnoDB online DDL tables of MariaDB 10.6+ and MySQL 8.0.
//! Every DDL also takes an exclusive metadata lock for a moment at its start and end, which
//! waits behind open transactions on the table (`lock_wait_timeout` bounds that wait).

use crate::diff::{Change, TableChange};
use crate::engine::sql_text::{alter_table, key, split_top_level};
use crate::statement::{Blocks, Statement, Traffic, Work};

const MDL: &str = "exclusive metadata lock";

/// The online DDL algorithms, weakest (best) first: a statement runs with the strongest one any
/// of its actions needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    Instant,
    /// In place, concurrent reads and writes (LOCK=NONE); the work says whether it rebuilds.
    Inplace,
    /// A copy of the table; writes wait until it is done (LOCK=SHARED).
    Copy,
}

impl Algorithm {
    /// The clause that asks the server for this algorithm (and refuses otherwise).
    pub fn clause(self) -> &'static str {
        match self {
            Algorithm::Instant => "ALGORITHM=INSTANT",
            Algorithm::Inplace => "ALGORITHM=INPLACE, LOCK=NONE",
            Algorithm::Copy => "ALGORITHM=COPY, LOCK=SHARED",
        }
    }
    /// The algorithm a statement asks for explicitly, if it does.
    pub fn of_clause(sql: &str) -> Option<Algorithm> {
        [Algorithm::Instant, Algorithm::Inplace, Algorithm::Copy].into_iter().find(|a| sql.ends_with(&format!(", {}", a.clause())))
    }
    fn lock(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE, LOCK=NONE",
            Algorithm::Copy => "COPY, LOCK=SHARED",
        }
    }
    fn blocks(self) -> Blocks {
        match self {
            Algorithm::Instant | Algorithm::Inplace => Blocks::Nothing,
            Algorithm::Copy => Blocks::Writes,
        }
    }
}

/// The metadata-lock and row-lock waits, in whole seconds (at least one: MySQL has no finer
/// lock wait): what both MySQL and MariaDB accept.
pub fn lock_limits(lock_timeout: std::time::Duration) -> Vec<String> {
    let secs = lock_timeout.as_secs().max(1);
    vec![format!("SET SESSION lock_wait_timeout = {secs}"), format!("SET SESSION innodb_lock_wait_timeout = {secs}")]
}

/// The lock waits, and MariaDB's limit on any statement (MySQL 8's max_execution_time covers
/// only SELECT; apply skips the setting where the server lacks it).
pub fn session_limits(lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String> {
    let mut v = lock_limits(lock_timeout);
    v.push(format!("SET SESSION max_statement_time = {}", statement_timeout.as_secs_f64()));
    v
}

pub fn of(changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
    statements.iter().map(|s| one(s.change.and_then(|i| changes.get(i)), s)).collect()
}

fn one(change: Option<&Change>, s: &Statement) -> Traffic {
    let sql = s.sql.as_str();
    let new = matches!(change, Some(Change::AddTable { .. }));
    let named = alter_table(sql).map(|(n, _)| key(&n, ""));
    let table = named.or_else(|| match change {
        Some(Change::AddTable { schema, table } | Change::DropTable { schema, table }) => Some(format!("{schema}.{}", table.name)),
        Some(Change::RenameTable { schema, from, .. }) => Some(format!("{schema}.{from}")),
        Some(Change::AddTrigger { schema, trigger } | Change::DropTrigger { schema, trigger }) => Some(format!("{schema}.{}", trigger.table)),
        _ => None,
    });
    if new {
        return Traffic::new(table, MDL, Blocks::Nothing, Work::Catalog);
    }
    if ["DROP TABLE ", "RENAME TABLE ", "CREATE TRIGGER ", "DROP TRIGGER ", "CREATE VIEW ", "CREATE OR REPLACE ", "DROP VIEW "].iter().any(|p| sql.starts_with(p)) {
        return Traffic::new(table, MDL, Blocks::ReadsAndWrites, Work::Catalog);
    }
    let Some((_, rest)) = alter_table(sql) else {
        // Databases, routines, grants: no table's traffic waits for them.
        return Traffic::new(None, "none on tables", Blocks::Nothing, Work::Catalog);
    };
    let (mut algo, mut work) = predict(change, rest);
    // An explicit clause is what the server will do (or refuse): it wins over the prediction.
    if let Some(a) = Algorithm::of_clause(sql) {
        if a == Algorithm::Copy {
            work = Work::Rewrite;
        }
        algo = a;
    }
    Traffic::new(table, algo.lock(), algo.blocks(), work)
}

/// The algorithm the server picks for an ALTER TABLE's actions (`rest`, after the table name),
/// and the work it does: the weakest one every action allows.
pub fn predict(change: Option<&Change>, rest: &str) -> (Algorithm, Work) {
    let modified: Vec<&TableChange> = match change {
        Some(Change::ModifyTable { changes, .. }) => changes.iter().collect(),
        _ => vec![],
    };
    let (mut algo, mut work) = (Algorithm::Instant, Work::Catalog);
    for action in split_top_level(rest).into_iter().filter(|a| !a.starts_with("ALGORITHM=") && !a.starts_with("LOCK=")) {
        let (a, w) = action_traffic(action, &modified);
        algo = algo.max(a);
        work = work.max(w);
    }
    (algo, work)
}

fn action_traffic(action: &str, modified: &[&TableChange]) -> (Algorithm, Work) {
    let up = action.to_ascii_uppercase();
    if up.starts_with("ADD COLUMN ") {
        // Instant, unless the new column must be computed or numbered for every row.
        return if up.contains(" AUTO_INCREMENT") || up.contains(" STORED") || up.contains(" PERSISTENT") { (Algorithm::Copy, Work::Rewrite) } else { (Algorithm::Instant, Work::Catalog) };
    }
    if up.starts_with("DROP COLUMN ") || up.starts_with("RENAME COLUMN ") || up.starts_with("RENAME INDEX ") || up.starts_with("RENAME KEY ") || up.starts_with("COMMENT") || up.starts_with("ALTER COLUMN ") {
        return (Algorithm::Instant, Work::Catalog);
    }
    if up.starts_with("MODIFY COLUMN ") || up.starts_with("CHANGE COLUMN ") {
        let column = crate::engine::sql_text::read_name(&action[up.find("COLUMN ").map(|i| i + 7).unwrap_or(0)..]).and_then(|(n, _)| n.into_iter().next()).unwrap_or_default();
        let what: Vec<&str> = modified.iter().filter_map(|tc| if let TableChange::ModifyColumn { to, what, from } = tc { (to.name == column || from.name == column).then_some((from, to, what)) } else { None }).flat_map(|(from, to, what)| {
            // A longer VARCHAR within the same length-byte class is in place, without a rebuild.
            let widen = what.contains(&"type") && varchar_widened(&from.ty, &to.ty);
            what.iter().map(move |w| if *w == "type" && widen { "widen" } else { *w })
        }).collect();
        if what.is_empty() {
            return (Algorithm::Copy, Work::Rewrite);
        }
        let mut out = (Algorithm::Instant, Work::Catalog);
        for w in what {
            let this = match w {
                "default" | "comment" | "widen" => (Algorithm::Instant, Work::Catalog),
                // NULL ↔ NOT NULL rebuilds the table in place, with reads and writes going on.
                "null" => (Algorithm::Inplace, Work::Rewrite),
                _ => (Algorithm::Copy, Work::Rewrite),
            };
            out = (out.0.max(this.0), out.1.max(this.1));
        }
        return out;
    }
    if up.starts_with("ADD FULLTEXT") || up.starts_with("ADD SPATIAL") {
        return (Algorithm::Copy, Work::Scan);
    }
    if up.starts_with("ADD PRIMARY KEY") {
        return (Algorithm::Inplace, Work::Rewrite);
    }
    if up.contains(" FOREIGN KEY ") && up.starts_with("ADD ") {
        // In place only with foreign_key_checks=0, which apply never sets: the rows are checked
        // under a table copy.
        return (Algorithm::Copy, Work::Rewrite);
    }
    if up.starts_with("ADD CONSTRAINT") && up.contains(" CHECK ") || up.starts_with("ADD CHECK") {
        return (Algorithm::Copy, Work::Rewrite);
    }
    if up.starts_with("ADD ") && (up.contains("INDEX ") || up.contains("KEY ") || up.contains("UNIQUE ")) {
        return (Algorithm::Inplace, Work::Scan);
    }
    if up.starts_with("DROP PRIMARY KEY") || up.starts_with("CONVERT TO CHARACTER SET") || up.starts_with("ENGINE") {
        return (Algorithm::Copy, Work::Rewrite);
    }
    if up.starts_with("DROP INDEX") || up.starts_with("DROP KEY") || up.starts_with("DROP FOREIGN KEY") || up.starts_with("DROP CONSTRAINT") || up.starts_with("DROP CHECK") || up.starts_with("AUTO_INCREMENT") {
        return (Algorithm::Inplace, Work::Catalog);
    }
    if up.starts_with("DEFAULT CHARACTER SET") || up.starts_with("DEFAULT CHARSET") || up.starts_with("DEFAULT COLLATE") {
        return (Algorithm::Instant, Work::Catalog);
    }
    if up.starts_with("ROW_FORMAT") || up.starts_with("KEY_BLOCK_SIZE") || up.starts_with("FORCE") {
        return (Algorithm::Inplace, Work::Rewrite);
    }
    // Anything else is assumed to copy: the cautious reading.
    (Algorithm::Copy, Work::Rewrite)
}

/// `varchar(n)` → `varchar(m)`, m ≥ n, both under or both over 64 characters (one or two
/// length bytes in utf8mb4): InnoDB changes only the catalog.
fn varchar_widened(from: &str, to: &str) -> bool {
    let len = |t: &str| t.strip_prefix("varchar(").and_then(|r| r.split(')').next()).and_then(|n| n.parse::<i64>().ok());
    match (len(from), len(to)) {
        (Some(a), Some(b)) => b >= a && ((a < 64) == (b < 64)),
        _ => false,
    }
}

/// Rows (`TABLE_ROWS`, InnoDB's estimate) and bytes (data and indexes) of the named tables.
pub async fn sizes(pool: &sqlx::MySqlPool, tables: &[String]) -> std::collections::BTreeMap<String, (i64, i64)> {
    let marks = vec!["?"; tables.len()].join(", ");
    let sql = format!(
        "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED), CAST(COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS SIGNED) \
         FROM information_schema.TABLES WHERE CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) IN ({marks})"
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql);
    for t in tables {
        q = q.bind(t);
    }
    q.fetch_all(pool).await.map(|rows| rows.into_iter().map(|(k, r, b)| (k, (r, b))).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Table};

    fn traffic(sql: &str, tcs: Vec<TableChange>) -> Traffic {
        let t = Box::new(Table { name: "t".into(), ..Default::default() });
        let c = Change::ModifyTable { schema: "app".into(), table: "t".into(), from: t.clone(), to: t, changes: tcs };
        of(&[c], &[Statement { change: Some(0), ..Statement::new(sql, "") }]).remove(0)
    }

    fn col(ty: &str, null: bool) -> Column {
        Column { name: "a".into(), ty: ty.into(), null, ..Default::default() }
    }

    #[test]
    fn the_weakest_algorithm_every_action_allows() {
        let t = traffic("ALTER TABLE `app`.`t` ADD COLUMN `b` int NULL", vec![]);
        assert_eq!((t.lock.as_str(), t.blocks, t.work, t.table.as_deref()), ("INSTANT", Blocks::Nothing, Work::Catalog, Some("app.t")));
        let t = traffic("ALTER TABLE `app`.`t` ADD COLUMN `b` int NULL, ADD INDEX `i` (`b`)", vec![]);
        assert_eq!((t.lock.as_str(), t.work), ("INPLACE, LOCK=NONE", Work::Scan));
        let t = traffic("ALTER TABLE `app`.`t` ADD CONSTRAINT `f` FOREIGN KEY (`b`) REFERENCES `app`.`u` (`id`)", vec![]);
        assert_eq!((t.lock.as_str(), t.blocks, t.work), ("COPY, LOCK=SHARED", Blocks::Writes, Work::Rewrite));
    }

    #[test]
    fn column_changes() {
        let retype = vec![TableChange::ModifyColumn { from: col("int(11)", true), to: col("bigint(20)", true), what: vec!["type"] }];
        assert_eq!(traffic("ALTER TABLE `app`.`t` MODIFY COLUMN `a` bigint(20) NULL", retype).lock, "COPY, LOCK=SHARED");
        let widen = vec![TableChange::ModifyColumn { from: col("varchar(10)", true), to: col("varchar(20)", true), what: vec!["type"] }];
        assert_eq!(traffic("ALTER TABLE `app`.`t` MODIFY COLUMN `a` varchar(20) NULL", widen).lock, "INSTANT");
        let not_null = vec![TableChange::ModifyColumn { from: col("int(11)", true), to: col("int(11)", false), what: vec!["null"] }];
        let t = traffic("ALTER TABLE `app`.`t` MODIFY COLUMN `a` int(11) NOT NULL", not_null);
        assert_eq!((t.lock.as_str(), t.work), ("INPLACE, LOCK=NONE", Work::Rewrite));
        assert!(!varchar_widened("varchar(60)", "varchar(100)"));
    }
}
