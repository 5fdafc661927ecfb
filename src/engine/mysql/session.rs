//! The connection apply runs a plan through, on MySQL/MariaDB: the named lock, the revision
//! rows (one per attempt, updated after each statement: DDL commits one statement at a time),
//! and the transactions that may block the plan.

use super::{bookkeeping, ddl};
use crate::engine::session::Revision;
use sqlx::MySqlConnection;
use std::time::Duration;

/// Wait for the apply lock up to `timeout` (GET_LOCK waits on the server); false: another
/// applier holds it.
pub async fn lock(c: &mut MySqlConnection, timeout: Duration) -> Result<bool, sqlx::Error> {
    let got: Option<i64> = sqlx::query_scalar(bookkeeping::GET_LOCK).bind(bookkeeping::LOCK_NAME).bind(timeout.as_secs_f64().max(0.0)).fetch_one(c).await?;
    Ok(got == Some(1))
}

pub async fn unlock(c: &mut MySqlConnection) {
    let _ = sqlx::query(bookkeeping::RELEASE_LOCK).bind(bookkeeping::LOCK_NAME).execute(c).await;
}

/// The connection id (what a test kills).
pub async fn server_id(c: &mut MySqlConnection) -> String {
    sqlx::query_scalar::<_, u64>("SELECT CONNECTION_ID()").fetch_one(c).await.map(|v| v.to_string()).unwrap_or_default()
}

/// The revision table, and the `target_db` column that tables made by earlier versions lack
/// (rows name their database: lint's first-apply rule reads it).
pub async fn prepare_revisions(c: &mut MySqlConnection, schema: &str) -> Result<(), sqlx::Error> {
    let rs = ddl::q(schema);
    for stmt in bookkeeping::create_revisions(&rs) {
        sqlx::raw_sql(&stmt).execute(&mut *c).await?;
    }
    let has: bool = sqlx::query_scalar::<_, i64>(bookkeeping::HAS_COLUMN)
        .bind(schema)
        .bind("schemagate_revisions")
        .bind("target_db")
        .fetch_one(&mut *c)
        .await
        .is_ok_and(|n| n > 0);
    if !has {
        sqlx::raw_sql(&bookkeeping::add_target_db(&rs)).execute(&mut *c).await?;
    }
    Ok(())
}

/// The attempt's row, before its first statement: its id, which `update_revision` moves on.
pub async fn record_revision(c: &mut MySqlConnection, r: &Revision<'_>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&bookkeeping::insert_revision(&ddl::q(r.schema)))
        .bind(r.hash)
        .bind(r.statements)
        .bind(r.total as i32)
        .bind(r.executed_by)
        .bind(r.commit)
        .execute(c)
        .await?;
    Ok(done.last_insert_id())
}

pub async fn update_revision(c: &mut MySqlConnection, schema: &str, id: u64, status: &str, applied: usize, error: Option<&str>) {
    let _ = sqlx::query(&bookkeeping::update_revision(&ddl::q(schema)))
        .bind(status)
        .bind(applied as i32)
        .bind(error)
        .bind(status)
        .bind(id)
        .execute(c)
        .await;
}

/// The transactions open longer than `older` (an open transaction holds the metadata lock of
/// every table it read, which an ALTER waits for).
pub async fn blockers(c: &mut MySqlConnection, older: Duration) -> Vec<String> {
    let q = "SELECT CAST(p.ID AS SIGNED), CAST(p.USER AS CHAR), CAST(p.COMMAND AS CHAR), CAST(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS SIGNED) \
             FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
             WHERE p.ID <> CONNECTION_ID() AND t.trx_started < NOW() - INTERVAL ? SECOND ORDER BY t.trx_started LIMIT 10";
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(q).bind(older.as_secs()).fetch_all(c).await.unwrap_or_default();
    rows.into_iter().map(|(id, user, command, age)| format!("connection {id} (user {user}, {command}, transaction open {age} s)")).collect()
}
