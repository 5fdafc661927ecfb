//! schemagate's own tables in a MySQL/MariaDB target: the revision log `apply` writes and the
//! directory locks, as this engine spells them. They live in a server-wide database, so rows
//! name the database they belong to.

use super::ddl::q;
use crate::engine::{DirLockSql, RevisionProbe};

/// The apply lock: a named user lock of the server, waited for up to N seconds.
pub const LOCK_NAME: &str = "schemagate_apply";
pub const GET_LOCK: &str = "SELECT GET_LOCK(?, ?)";
pub const RELEASE_LOCK: &str = "SELECT RELEASE_LOCK(?)";

/// The revision log in database `rs` (quoted), created if missing.
pub fn create_revisions(rs: &str) -> [String; 2] {
    [
        format!("CREATE DATABASE IF NOT EXISTS {rs}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {rs}.schemagate_revisions (id bigint AUTO_INCREMENT PRIMARY KEY, plan_hash varchar(64) NOT NULL, \
               status varchar(16) NOT NULL, statements longtext NOT NULL, applied int NOT NULL, total int NOT NULL, error text, \
               executed_by varchar(255), commit_sha varchar(64), started_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), finished_at timestamp(6) NULL)"
        ),
    ]
}

/// Which database a row applied to: the table is server-wide, and "has this database been
/// applied to before" must not match `app` against a row of `app2`. Tables made by earlier
/// versions gain the column.
pub fn add_target_db(rs: &str) -> String {
    format!("ALTER TABLE {rs}.schemagate_revisions ADD COLUMN target_db varchar(64) NULL")
}

pub const HAS_COLUMN: &str = "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?";

/// A running attempt: hash, statements (JSON), total, executed by, commit.
pub fn insert_revision(rs: &str) -> String {
    format!("INSERT INTO {rs}.schemagate_revisions (plan_hash, status, statements, applied, total, executed_by, commit_sha, target_db) VALUES (?, 'running', ?, 0, ?, ?, ?, DATABASE())")
}

/// Progress of an attempt: status, applied, error, status again (to stamp the end), id.
pub fn update_revision(rs: &str) -> String {
    format!("UPDATE {rs}.schemagate_revisions SET status = ?, applied = ?, error = ?, finished_at = IF(? IN ('applied','failed'), CURRENT_TIMESTAMP(6), NULL) WHERE id = ?")
}

pub fn dir_locks(schema: &str) -> DirLockSql {
    let table = format!("{}.schemagate_locks", q(schema));
    DirLockSql {
        create: vec![
            format!("CREATE DATABASE IF NOT EXISTS {}", q(schema)),
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (db varchar(64) NOT NULL, dir varchar(255) NOT NULL, pr bigint NOT NULL, applied boolean NOT NULL DEFAULT 0, \
                 merged boolean NOT NULL DEFAULT 0, updated_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (db, dir))"
            ),
        ],
        insert_if_free: format!("INSERT IGNORE INTO {table} (db, dir, pr) VALUES (COALESCE(DATABASE(), ''), ?, ?)"),
        table,
        now: "CURRENT_TIMESTAMP(6)",
        own_rows: " AND db = COALESCE(DATABASE(), '')",
    }
}

pub fn revision_probe() -> RevisionProbe {
    RevisionProbe {
        table_exists: "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'schemagate' AND TABLE_NAME = 'schemagate_revisions'",
        // Rows name their database (target_db); rows of earlier versions are matched by the
        // backquoted, qualified name in their statements (`app`. never matches `app2`).
        applied: "SELECT COUNT(*) FROM schemagate.schemagate_revisions WHERE status = 'applied' AND (target_db = DATABASE() OR (target_db IS NULL AND statements LIKE CONCAT('%`', REPLACE(REPLACE(DATABASE(), '%', '\\%'), '_', '\\_'), '`.%')))",
        applied_legacy: Some("SELECT COUNT(*) FROM schemagate.schemagate_revisions WHERE status = 'applied' AND statements LIKE CONCAT('%`', REPLACE(REPLACE(DATABASE(), '%', '\\%'), '_', '\\_'), '`.%')"),
    }
}
