//! The connection apply runs a plan through, on SQLite: the database's write lock (the whole
//! apply is one write transaction), the revision row written inside it, and the foreign-key
//! check the table copies need before commit.

use super::bookkeeping;
use crate::engine::db_error_text;
use crate::engine::session::Revision;
use sqlx::{Row, SqliteConnection};
use std::time::Duration;

/// Take the write lock, waiting up to `timeout` on a busy database; false: another writer
/// holds it.
pub async fn lock(c: &mut SqliteConnection, timeout: Duration) -> Result<bool, sqlx::Error> {
    sqlx::raw_sql(&bookkeeping::before_lock(timeout.as_millis())).execute(&mut *c).await?;
    match sqlx::raw_sql(bookkeeping::LOCK).execute(&mut *c).await {
        Ok(_) => Ok(true),
        Err(e) if db_error_text(&e).contains("locked") || db_error_text(&e).contains("busy") => {
            let _ = sqlx::raw_sql(bookkeeping::FOREIGN_KEYS_ON).execute(&mut *c).await;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// End the transaction if apply did not, then foreign keys on again.
pub async fn unlock(c: &mut SqliteConnection) {
    for sql in bookkeeping::UNLOCK {
        let _ = sqlx::raw_sql(sql).execute(&mut *c).await;
    }
}

pub async fn prepare_revisions(c: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(bookkeeping::CREATE_REVISIONS).execute(c).await.map(|_| ())
}

/// The applied plan's row, inside the write transaction (it commits with the plan).
pub async fn record_revision(c: &mut SqliteConnection, r: &Revision<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(bookkeeping::INSERT_REVISION)
        .bind(r.hash)
        .bind(r.statements)
        .bind(r.applied as i64)
        .bind(r.total as i64)
        .bind(r.executed_by)
        .bind(r.commit.unwrap_or_default())
        .execute(c)
        .await
        .map(|_| ())
}

/// A table with rows pointing at missing rows, if any: foreign keys were off for the table
/// copies, so nothing checked them while the plan ran.
pub async fn foreign_key_violation(c: &mut SqliteConnection) -> Result<Option<String>, sqlx::Error> {
    let rows = sqlx::query("PRAGMA foreign_key_check").fetch_all(c).await?;
    Ok(rows.first().map(|v| v.get::<String, _>(0)))
}
