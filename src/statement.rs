//! A planned SQL statement and what it does to the traffic on its table. A leaf module: the
//! planner (`plan/`) and the engines (`engine/<name>/`) both build and read statements, and
//! neither imports the other for it.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Statement {
    pub sql: String,
    /// The statement that undoes this one, where one exists without data loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse: Option<String>,
    pub comment: String,
    /// False for statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_tx: bool,
    /// Runs before the apply transaction, on its own (the scan of an online SET NOT NULL): if it
    /// fails, the ones before it are undone by their `reverse` and nothing else has run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub before_tx: bool,
    /// The index of the change (in `Plan::changes`) this statement implements. Set by the
    /// planner; lint and the reports read it instead of planning a change again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<usize>,
    /// What the statement does to the traffic on the table it touches (set by the engine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
}

impl Statement {
    pub fn new(sql: impl Into<String>, comment: impl Into<String>) -> Statement {
        Statement { sql: sql.into(), reverse: None, comment: comment.into(), no_tx: false, before_tx: false, change: None, traffic: None }
    }
    pub fn rev(mut self, r: impl Into<String>) -> Statement {
        self.reverse = Some(r.into());
        self
    }
    /// The same statement, run outside the apply transaction.
    pub fn outside_tx(mut self) -> Statement {
        self.no_tx = true;
        self
    }
}

/// Where a change's statements go in a plan. The planner orders statements by phase, and
/// within a phase by the order of the changes; the engines say which phase each statement of a
/// change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Schemas,
    ModifySchemas,
    /// Roles that grants will name.
    Roles,
    /// Triggers and views that go away or are recreated, before the tables they use change.
    ObjectsPre,
    /// Routines that domain checks and defaults call.
    ObjectsBeforeTypes,
    Extensions,
    Types,
    /// Declared renames, before anything refers to the new names.
    Renames,
    /// Routines that the expressions of new and changed tables call.
    ObjectsEarly,
    DropForeignKeys,
    CreateTables,
    ModifyTables,
    /// New partitions attached, sequences owned by columns: once the columns exist.
    AfterTables,
    AddForeignKeys,
    /// The other routines and views in dependency order, then triggers.
    ObjectsLate,
    Privileges,
    DropTables,
    /// Routines no longer wanted, once nothing uses them.
    ObjectsPost,
    DropTypes,
    DropSchemas,
}

/// The lock a statement takes and how long it holds it. Read by the text plan (a column), the
/// PR comment, the JSON output and lint (`input.plan.statements[i].traffic`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Traffic {
    /// The table it locks, `schema.table` (`table` on SQLite); none for statements that lock
    /// no table (CREATE SCHEMA, GRANT, a new type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The lock, in the engine's words: PostgreSQL's lock mode (`ACCESS EXCLUSIVE`, `SHARE`,
    /// `SHARE UPDATE EXCLUSIVE`…); MySQL's metadata lock with the algorithm
    /// (`INSTANT`, `INPLACE, LOCK=NONE`, `COPY`); SQLite's database write lock.
    pub lock: String,
    /// What other sessions wait for while the statement holds its lock.
    pub blocks: Blocks,
    /// How long it holds it: catalog only, a read of every row, or a rewrite of the table.
    pub work: Work,
    /// From the target's statistics, where they could be read: the table's size and how long
    /// the scan or rewrite may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Blocks {
    Nothing,
    Writes,
    ReadsAndWrites,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// A catalog change: the lock is held for milliseconds.
    Catalog,
    /// Every row is read (a validation, an index build).
    Scan,
    /// The table is written anew (a type change, a copy-table rebuild).
    Rewrite,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Estimate {
    /// Rows, from the planner's statistics (PostgreSQL `reltuples`, MySQL `TABLE_ROWS`).
    pub rows: i64,
    /// Bytes of the table and its indexes.
    pub bytes: i64,
    /// A rough duration of the scan or rewrite (see `Work::seconds_for`); 0 for catalog work.
    pub seconds: f64,
}

impl Blocks {
    pub fn label(self) -> &'static str {
        match self {
            Blocks::Nothing => "nothing",
            Blocks::Writes => "writes",
            Blocks::ReadsAndWrites => "reads+writes",
        }
    }
}

impl Work {
    pub fn label(self) -> &'static str {
        match self {
            Work::Catalog => "catalog",
            Work::Scan => "scan",
            Work::Rewrite => "rewrite",
        }
    }
    /// A deliberately rough duration for `bytes` of table: sequential reads at ~200 MB/s,
    /// rewrites (write the heap, build every index again, WAL) at ~40 MB/s. Good enough to tell
    /// milliseconds from minutes, which is what a reviewer needs; measured speeds vary by disk.
    pub fn seconds_for(self, bytes: i64) -> f64 {
        let mb = bytes.max(0) as f64 / 1_000_000.0;
        match self {
            Work::Catalog => 0.0,
            Work::Scan => mb / 200.0,
            Work::Rewrite => mb / 40.0,
        }
    }
}

impl Traffic {
    pub fn new(table: Option<String>, lock: impl Into<String>, blocks: Blocks, work: Work) -> Traffic {
        Traffic { table, lock: lock.into(), blocks, work, estimate: None }
    }
    /// One line for a plan table cell: `ACCESS EXCLUSIVE (blocks reads+writes) · rewrite · 2.0 GB · ~50 s`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} (blocks {}) · {}", self.lock, self.blocks.label(), self.work.label());
        if let Some(e) = &self.estimate {
            if self.work != Work::Catalog {
                s.push_str(&format!(" · {} · {}", human_bytes(e.bytes), human_seconds(e.seconds)));
            }
        }
        s
    }
}

pub fn human_bytes(b: i64) -> String {
    let b = b.max(0) as f64;
    match b {
        x if x >= 1e9 => format!("{:.1} GB", x / 1e9),
        x if x >= 1e6 => format!("{:.1} MB", x / 1e6),
        x if x >= 1e3 => format!("{:.0} kB", x / 1e3),
        x => format!("{x:.0} B"),
    }
}

pub fn human_seconds(s: f64) -> String {
    match s {
        x if x < 1.0 => "<1 s".to_string(),
        x if x < 120.0 => format!("~{x:.0} s"),
        x if x < 7200.0 => format!("~{:.0} min", x / 60.0),
        x => format!("~{:.1} h", x / 3600.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_as_a_reviewer_needs() {
        let mut t = Traffic::new(Some("public.t".into()), "ACCESS EXCLUSIVE", Blocks::ReadsAndWrites, Work::Rewrite);
        assert_eq!(t.summary(), "ACCESS EXCLUSIVE (blocks reads+writes) · rewrite");
        t.estimate = Some(Estimate { rows: 10, bytes: 2_000_000_000, seconds: Work::Rewrite.seconds_for(2_000_000_000) });
        assert_eq!(t.summary(), "ACCESS EXCLUSIVE (blocks reads+writes) · rewrite · 2.0 GB · ~50 s");
        let c = Traffic { estimate: Some(Estimate { rows: 1, bytes: 10, seconds: 0.0 }), ..Traffic::new(None, "ACCESS EXCLUSIVE", Blocks::ReadsAndWrites, Work::Catalog) };
        assert_eq!(c.summary(), "ACCESS EXCLUSIVE (blocks reads+writes) · catalog");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(human_seconds(0.2), "<1 s");
        assert_eq!(human_seconds(600.0), "~10 min");
        assert_eq!(human_seconds(36000.0), "~10.0 h");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert!(Work::Scan.seconds_for(200_000_000) > 0.99 && Work::Scan.seconds_for(200_000_000) < 1.01);
        assert_eq!(Work::Catalog.seconds_for(1 << 40), 0.0);
    }
}
