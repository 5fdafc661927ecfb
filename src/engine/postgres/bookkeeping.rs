//! schemagate's own tables and lock in a PostgreSQL target: the apply lock, the revision log
//! `apply` writes and the directory locks, as this engine spells them.

use super::ddl::q;
use crate::engine::{DirLockSql, RevisionProbe};

/// The apply lock: a session-level advisory lock on this key ("schemagate" folded into 64 bits),
/// shared by every applier of the server.
pub const LOCK_KEY: i64 = 0x5343_4845_4d41_4741; // "SCHEMAGA"
pub const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";
pub const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";

/// The revision log in schema `rs` (quoted), created if missing.
pub fn create_revisions(rs: &str) -> String {
    format!(
        "CREATE SCHEMA IF NOT EXISTS {rs}; CREATE TABLE IF NOT EXISTS {rs}.schemagate_revisions (\
           id bigserial PRIMARY KEY, plan_hash text NOT NULL, status text NOT NULL, statements jsonb NOT NULL, \
           applied integer NOT NULL, total integer NOT NULL, error text, executed_by text, commit_sha text, \
           started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)"
    )
}

/// One finished (or failed) attempt: $1 hash, $2 status, $3 statements (JSON), $4 applied,
/// $5 total, $6 error, $7 executed by, $8 commit.
pub fn insert_revision(rs: &str) -> String {
    format!(
        "INSERT INTO {rs}.schemagate_revisions (plan_hash, status, statements, applied, total, error, executed_by, commit_sha, finished_at) \
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, now())"
    )
}

pub fn dir_locks(schema: &str) -> DirLockSql {
    let table = format!("{}.schemagate_locks", q(schema));
    DirLockSql {
        create: vec![
            format!("CREATE SCHEMA IF NOT EXISTS {}", q(schema)),
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (dir text PRIMARY KEY, pr bigint NOT NULL, applied boolean NOT NULL DEFAULT false, \
                 merged boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())"
            ),
        ],
        insert_if_free: format!("INSERT INTO {table} (dir, pr) VALUES (?, ?) ON CONFLICT (dir) DO NOTHING"),
        table,
        now: "now()",
        own_rows: "",
    }
}

pub fn revision_probe() -> RevisionProbe {
    RevisionProbe {
        table_exists: "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'schemagate' AND c.relname = 'schemagate_revisions'",
        applied: "SELECT COUNT(*) FROM schemagate.schemagate_revisions WHERE status IN ('applied', 'partial')",
        applied_legacy: None,
    }
}
