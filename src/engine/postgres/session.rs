//! The connection apply runs a plan through, on PostgreSQL: the advisory lock, the revision
//! rows, and the sessions that may block the plan.

use super::{bookkeeping, ddl};
use crate::engine::session::Revision;
use sqlx::PgConnection;
use std::time::{Duration, Instant};

/// Wait for the apply lock until `timeout`; false: another applier holds it.
pub async fn lock(c: &mut PgConnection, timeout: Duration) -> Result<bool, sqlx::Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let got: bool = sqlx::query_scalar(bookkeeping::TRY_LOCK).bind(bookkeeping::LOCK_KEY).fetch_one(&mut *c).await?;
        if got {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn unlock(c: &mut PgConnection) {
    let _ = sqlx::query(bookkeeping::UNLOCK).bind(bookkeeping::LOCK_KEY).execute(c).await;
}

/// The backend's process id (what a test kills).
pub async fn server_id(c: &mut PgConnection) -> String {
    sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()").fetch_one(c).await.map(|v| v.to_string()).unwrap_or_default()
}

pub async fn prepare_revisions(c: &mut PgConnection, schema: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&bookkeeping::create_revisions(&ddl::q(schema))).execute(c).await.map(|_| ())
}

/// One finished (or failed) attempt.
pub async fn record_revision(c: &mut PgConnection, r: &Revision<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(&bookkeeping::insert_revision(&ddl::q(r.schema)))
        .bind(r.hash)
        .bind(r.status)
        .bind(r.statements)
        .bind(r.applied as i32)
        .bind(r.total as i32)
        .bind(r.error)
        .bind(r.executed_by)
        .bind(r.commit)
        .execute(c)
        .await
        .map(|_| ())
}

/// The sessions that hold a lock on one of `tables` (qualified, quoted names), sit idle in a
/// transaction, or have had a transaction open longer than `older`: one line each (process id,
/// user, application, state, age — never the query text, which may hold data).
pub async fn blockers(c: &mut PgConnection, tables: &[String], older: Duration) -> Vec<String> {
    let q = "SELECT a.pid, coalesce(a.usename::text, ''), coalesce(a.application_name, ''), coalesce(a.state, ''), \
                    coalesce(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::bigint, 0) \
             FROM pg_stat_activity a \
             WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() AND a.backend_type = 'client backend' \
               AND (EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.relation = ANY(SELECT to_regclass(x) FROM unnest($1::text[]) x)) \
                    OR a.state LIKE 'idle in transaction%' OR a.xact_start < now() - make_interval(secs => $2)) \
             ORDER BY a.xact_start NULLS LAST LIMIT 10";
    let rows: Vec<(i32, String, String, String, i64)> = sqlx::query_as(q).bind(tables).bind(older.as_secs_f64()).fetch_all(c).await.unwrap_or_default();
    rows.into_iter().map(|(pid, user, app, state, age)| format!("pid {pid} (user {user}{}, {state}, transaction open {age} s)", if app.is_empty() { String::new() } else { format!(", {app}") })).collect()
}
