//! Terrateam's directory locks, kept in the target database (`schemagate_locks`, next to
//! `schemagate_revisions`) so no extra service is needed: the pull request that applied a
//! directory's change, or merged it, owns the directory until the change is both applied and
//! merged. Another pull request touching that directory cannot apply until then (or until
//! somebody comments `schemagate unlock` on the owner).
//!
//! `lock_policy` (per workflow, as in Terrateam):
//! - `strict` (default): taken on apply (even a failed one) or on merge; released once the
//!   change is applied *and* merged.
//! - `apply`: taken on apply, released on merge.
//! - `merge`: taken on merge, released on apply.
//! - `none`: never taken, never checked.
//!
//! These locks are about ownership of a pending change across pull requests; the advisory lock
//! in `Session` is about two appliers at the same moment. Both are needed.

use crate::engine::Conn;
use anyhow::{Context, Result};

/// A lock row: which pull request owns `dir`, and what has happened to its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirLock {
    pub dir: String,
    pub pr: i64,
    pub applied: bool,
    pub merged: bool,
}

impl DirLock {
    /// What the owner still has to do, for messages.
    pub fn pending(&self) -> &'static str {
        match (self.applied, self.merged) {
            (true, false) => "applied but not merged",
            (false, true) => "merged but not applied",
            _ => "apply in progress or failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Strict,
    Apply,
    Merge,
    None,
}

impl Policy {
    pub fn parse(s: &str) -> Policy {
        match s {
            "apply" => Policy::Apply,
            "merge" => Policy::Merge,
            "none" => Policy::None,
            _ => Policy::Strict,
        }
    }

    fn taken_on_apply(self) -> bool {
        matches!(self, Policy::Strict | Policy::Apply)
    }

    fn taken_on_merge(self) -> bool {
        matches!(self, Policy::Strict | Policy::Merge)
    }

    /// Whether a lock in this state is still held.
    fn holds(self, applied: bool, merged: bool) -> bool {
        match self {
            Policy::Strict => !(applied && merged),
            Policy::Apply => !merged,
            Policy::Merge => !applied,
            Policy::None => false,
        }
    }
}

/// The lock table's SQL in the target's dialect: `<schema>.schemagate_locks` (PostgreSQL
/// schema, MySQL database), or `schemagate_locks` in SQLite's main database. A MySQL server's
/// `schemagate` database is shared by every database on it, so there rows also carry the
/// target's database name.
fn sql(conn: &Conn, schema: &str) -> crate::engine::DirLockSql {
    crate::engine::of(conn.dialect()).dir_lock_sql(schema)
}

/// Run one statement with text/integer/bool parameters, in the engine's placeholder style
/// (`?` written here; `$n` for PostgreSQL).
async fn exec(conn: &Conn, sql: &str, params: &[Param<'_>]) -> Result<u64> {
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q;
            for p in params {
                q = match p {
                    Param::Text(s) => q.bind(s.to_string()),
                    Param::Int(i) => q.bind(*i),
                    Param::Bool(b) => q.bind(*b),
                };
            }
            q
        }};
    }
    let pg_sql = dollar(sql);
    Ok(match conn {
        Conn::Postgres(p) => bind_all!(sqlx::query(&pg_sql)).execute(p).await?.rows_affected(),
        Conn::Mysql(p) => bind_all!(sqlx::query(sql)).execute(p).await?.rows_affected(),
        Conn::Sqlite(p) => bind_all!(sqlx::query(sql)).execute(p).await?.rows_affected(),
    })
}

enum Param<'a> {
    Text(&'a str),
    Int(i64),
    Bool(bool),
}

fn dollar(sql: &str) -> String {
    let mut n = 0;
    sql.chars()
        .map(|c| {
            if c == '?' {
                n += 1;
                format!("${n}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Create the lock table if it is missing.
pub async fn ensure(conn: &Conn, schema: &str) -> Result<()> {
    for stmt in sql(conn, schema).create {
        exec(conn, &stmt, &[]).await.context("creating the schemagate_locks table")?;
    }
    Ok(())
}

/// The lock on `dir`, if any.
pub async fn get(conn: &Conn, schema: &str, dir: &str) -> Result<Option<DirLock>> {
    let l = sql(conn, schema);
    let sql = format!("SELECT pr, applied, merged FROM {} WHERE dir = ?{}", l.table, l.own_rows);
    let pg_sql = dollar(&sql);
    let row: Option<(i64, bool, bool)> = match conn {
        Conn::Postgres(p) => sqlx::query_as(&pg_sql).bind(dir).fetch_optional(p).await?,
        Conn::Mysql(p) => sqlx::query_as(&sql).bind(dir).fetch_optional(p).await?,
        Conn::Sqlite(p) => sqlx::query_as(&sql).bind(dir).fetch_optional(p).await?,
    };
    Ok(row.map(|(pr, applied, merged)| DirLock { dir: dir.to_string(), pr, applied, merged }))
}

/// Before an apply by `pr`: the lock of another pull request if one holds `dir` (the apply
/// must not happen), else None — having taken the lock for `pr` when the policy says so. The
/// insert cannot overwrite another owner's row, so two pull requests cannot both win.
pub async fn claim_for_apply(conn: &Conn, schema: &str, dir: &str, pr: i64, policy: Policy) -> Result<Option<DirLock>> {
    if policy == Policy::None {
        return Ok(None);
    }
    ensure(conn, schema).await?;
    if policy.taken_on_apply() {
        insert_if_free(conn, schema, dir, pr).await?;
    }
    Ok(get(conn, schema, dir).await?.filter(|l| l.pr != pr))
}

async fn insert_if_free(conn: &Conn, schema: &str, dir: &str, pr: i64) -> Result<()> {
    exec(conn, &sql(conn, schema).insert_if_free, &[Param::Text(dir), Param::Int(pr)]).await?;
    Ok(())
}

/// Record what happened to `pr`'s change of `dir` (`applied`: an apply succeeded; `merged`: the
/// pull request is merged) and release the lock when the policy says it is no longer held.
/// Returns whether `pr` holds the lock afterwards.
pub async fn record(conn: &Conn, schema: &str, dir: &str, pr: i64, policy: Policy, applied: bool, merged: bool) -> Result<bool> {
    if policy == Policy::None {
        return Ok(false);
    }
    ensure(conn, schema).await?;
    if merged && policy.taken_on_merge() {
        insert_if_free(conn, schema, dir, pr).await?;
    }
    let l = sql(conn, schema);
    // Flags only ever turn on: a later failed apply does not undo an earlier success.
    let update = format!("UPDATE {} SET applied = (applied OR ?), merged = (merged OR ?), updated_at = {} WHERE dir = ? AND pr = ?{}", l.table, l.now, l.own_rows);
    exec(conn, &update, &[Param::Bool(applied), Param::Bool(merged), Param::Text(dir), Param::Int(pr)]).await?;
    match get(conn, schema, dir).await? {
        Some(l) if l.pr == pr && !policy.holds(l.applied, l.merged) => {
            release(conn, schema, Some(dir), pr).await?;
            Ok(false)
        }
        Some(l) => Ok(l.pr == pr),
        None => Ok(false),
    }
}

/// Drop `pr`'s locks (on `dir`, or all of them): `schemagate unlock`.
pub async fn release(conn: &Conn, schema: &str, dir: Option<&str>, pr: i64) -> Result<u64> {
    ensure(conn, schema).await?;
    let l = sql(conn, schema);
    match dir {
        Some(d) => exec(conn, &format!("DELETE FROM {} WHERE dir = ? AND pr = ?{}", l.table, l.own_rows), &[Param::Text(d), Param::Int(pr)]).await,
        None => exec(conn, &format!("DELETE FROM {} WHERE pr = ?{}", l.table, l.own_rows), &[Param::Int(pr)]).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_hold_until_their_release_event() {
        use Policy::*;
        // (policy, applied, merged) → held
        for (p, a, m, held) in [
            (Strict, true, false, true),
            (Strict, false, true, true),
            (Strict, true, true, false),
            (Apply, true, false, true),
            (Apply, true, true, false),
            (Merge, false, true, true),
            (Merge, true, true, false),
            (None, true, false, false),
        ] {
            assert_eq!(p.holds(a, m), held, "{p:?} applied={a} merged={m}");
        }
        assert_eq!(dollar("a = ? AND b = ?"), "a = $1 AND b = $2");
    }
}
