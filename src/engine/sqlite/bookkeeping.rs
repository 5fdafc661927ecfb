//! schemagate's own tables in a SQLite target: the revision log `apply` writes and the
//! directory locks, in the main database.

use crate::engine::{DirLockSql, RevisionProbe};

/// The apply lock is the database's write lock, taken by BEGIN IMMEDIATE after a busy timeout
/// of `ms`. foreign_keys can only change outside a transaction; it is off so the copy-table
/// procedure's DROP TABLE fires no ON DELETE action (foreign_key_check runs before commit).
pub fn before_lock(ms: u128) -> String {
    format!("PRAGMA busy_timeout = {ms}; PRAGMA foreign_keys = OFF")
}
pub const LOCK: &str = "BEGIN IMMEDIATE";
pub const FOREIGN_KEYS_ON: &str = "PRAGMA foreign_keys = ON";
/// Ends the transaction if apply did not (fails harmlessly when it did), then foreign keys on.
pub const UNLOCK: [&str; 2] = ["ROLLBACK", FOREIGN_KEYS_ON];

pub const CREATE_REVISIONS: &str = "CREATE TABLE IF NOT EXISTS schemagate_revisions (id INTEGER PRIMARY KEY AUTOINCREMENT, plan_hash TEXT NOT NULL, status TEXT NOT NULL, \
     statements TEXT NOT NULL, applied INTEGER NOT NULL, total INTEGER NOT NULL, error TEXT, executed_by TEXT, commit_sha TEXT, \
     started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at TEXT)";

/// An applied plan: hash, statements (JSON), applied, total, executed by, commit.
pub const INSERT_REVISION: &str = "INSERT INTO schemagate_revisions (plan_hash, status, statements, applied, total, executed_by, commit_sha, finished_at) \
     VALUES (?, 'applied', ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)";

/// SQLite has one schema per file: the lock table sits in the main database, whatever `schema`.
pub fn dir_locks(_schema: &str) -> DirLockSql {
    let table = "schemagate_locks".to_string();
    DirLockSql {
        create: vec![format!(
            "CREATE TABLE IF NOT EXISTS {table} (dir TEXT PRIMARY KEY, pr INTEGER NOT NULL, applied INTEGER NOT NULL DEFAULT 0, \
             merged INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )],
        insert_if_free: format!("INSERT OR IGNORE INTO {table} (dir, pr) VALUES (?, ?)"),
        table,
        now: "CURRENT_TIMESTAMP",
        own_rows: "",
    }
}

pub fn revision_probe() -> RevisionProbe {
    RevisionProbe {
        table_exists: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schemagate_revisions'",
        applied: "SELECT COUNT(*) FROM schemagate_revisions WHERE status = 'applied'",
        applied_legacy: None,
    }
}
