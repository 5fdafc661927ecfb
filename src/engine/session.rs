//! A connection that holds the apply lock, and what apply asks of it. sqlx's connections are
//! typed per engine, so this is the one place that dispatches on them; what each engine does
//! is in its own `session.rs`. `apply` decides the order of things and names no engine.

use super::{mysql, postgres, sqlite, Conn, InspectOptions};
use crate::schema::{Dialect, Realm};
use anyhow::Result;
use sqlx::pool::PoolConnection;
use std::time::Duration;

/// The apply lock's PostgreSQL advisory key and MySQL lock name (tests hold them to simulate
/// another applier).
pub const PG_LOCK_KEY: i64 = postgres::bookkeeping::LOCK_KEY;
pub const MY_LOCK_NAME: &str = mysql::bookkeeping::LOCK_NAME;

pub enum Locked {
    Postgres(PoolConnection<sqlx::Postgres>),
    Mysql(PoolConnection<sqlx::MySql>),
    Sqlite(PoolConnection<sqlx::Sqlite>),
}

/// One row of `schemagate_revisions`: an apply attempt.
pub struct Revision<'a> {
    /// The PostgreSQL schema / MySQL database that holds the table (SQLite: the main database).
    pub schema: &'a str,
    pub hash: &'a str,
    /// The plan's statements, as a JSON array.
    pub statements: &'a str,
    pub status: &'a str,
    pub applied: usize,
    pub total: usize,
    pub error: Option<&'a str>,
    pub executed_by: &'a str,
    pub commit: Option<&'a str>,
}

impl Locked {
    /// Take the apply lock, waiting up to `timeout`. None: another applier holds it.
    pub async fn lock(conn: &Conn, timeout: Duration) -> Result<Option<Locked>> {
        Ok(match conn {
            Conn::Postgres(p) => {
                let mut c = p.acquire().await?;
                postgres::session::lock(&mut c, timeout).await?.then_some(Locked::Postgres(c))
            }
            Conn::Mysql(p) => {
                let mut c = p.acquire().await?;
                mysql::session::lock(&mut c, timeout).await?.then_some(Locked::Mysql(c))
            }
            Conn::Sqlite(p) => {
                let mut c = p.acquire().await?;
                sqlite::session::lock(&mut c, timeout).await?.then_some(Locked::Sqlite(c))
            }
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Locked::Postgres(_) => Dialect::Postgres,
            Locked::Mysql(_) => Dialect::Mysql,
            Locked::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Inspect under the lock (SQLite: inside the write transaction, so nobody changes it).
    pub async fn inspect(&mut self, conn: &Conn, opts: &InspectOptions) -> Result<Realm> {
        match self {
            Locked::Sqlite(c) => {
                let mut r = sqlite::inspect::inspect(&mut **c, opts).await?;
                r.sort();
                Ok(r)
            }
            Locked::Postgres(_) | Locked::Mysql(_) => conn.inspect(opts).await,
        }
    }

    pub async fn exec(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Locked::Postgres(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()),
            Locked::Mysql(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()),
            Locked::Sqlite(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()),
        }
    }

    /// Release the lock (SQLite: end the transaction if apply did not).
    pub async fn unlock(&mut self) {
        match self {
            Locked::Postgres(c) => postgres::session::unlock(c).await,
            Locked::Mysql(c) => mysql::session::unlock(c).await,
            Locked::Sqlite(c) => sqlite::session::unlock(c).await,
        }
    }

    /// The server's id of this session (PostgreSQL backend pid, MySQL connection id; SQLite,
    /// which has no server: the process id), for the kill tests.
    pub async fn server_id(&mut self) -> String {
        match self {
            Locked::Postgres(c) => postgres::session::server_id(c).await,
            Locked::Mysql(c) => mysql::session::server_id(c).await,
            Locked::Sqlite(_) => std::process::id().to_string(),
        }
    }

    /// The revision table in `schema`, created if missing.
    pub async fn prepare_revisions(&mut self, schema: &str) -> Result<(), sqlx::Error> {
        match self {
            Locked::Postgres(c) => postgres::session::prepare_revisions(c, schema).await,
            Locked::Mysql(c) => mysql::session::prepare_revisions(c, schema).await,
            Locked::Sqlite(c) => sqlite::session::prepare_revisions(c).await,
        }
    }

    /// Write an attempt's row. Some(id) where the engine records progress in it as the plan
    /// runs (MySQL, whose DDL commits one statement at a time: `update_revision`).
    pub async fn record_revision(&mut self, r: &Revision<'_>) -> Result<Option<u64>, sqlx::Error> {
        match self {
            Locked::Postgres(c) => postgres::session::record_revision(c, r).await.map(|_| None),
            Locked::Mysql(c) => mysql::session::record_revision(c, r).await.map(Some),
            Locked::Sqlite(c) => sqlite::session::record_revision(c, r).await.map(|_| None),
        }
    }

    /// Move on the row whose id `record_revision` returned (MySQL; nothing where it returned
    /// none).
    pub async fn update_revision(&mut self, schema: &str, id: Option<u64>, status: &str, applied: usize, error: Option<&str>) {
        let Some(id) = id else { return };
        match self {
            Locked::Mysql(c) => mysql::session::update_revision(c, schema, id, status, applied, error).await,
            Locked::Postgres(_) | Locked::Sqlite(_) => {}
        }
    }

    /// The sessions that may block the plan: holding locks on `tables` (qualified, quoted
    /// names), idle in a transaction, or in one longer than `older`.
    pub async fn blockers(&mut self, tables: &[String], older: Duration) -> Vec<String> {
        match self {
            Locked::Postgres(c) => postgres::session::blockers(c, tables, older).await,
            Locked::Mysql(c) => mysql::session::blockers(c, older).await,
            Locked::Sqlite(_) => Vec::new(),
        }
    }

    /// A table whose rows point at missing rows after the plan (SQLite, where the table copies
    /// ran with foreign keys off); None elsewhere, where the server checked every statement.
    pub async fn foreign_key_violation(&mut self) -> Result<Option<String>, sqlx::Error> {
        match self {
            Locked::Sqlite(c) => sqlite::session::foreign_key_violation(c).await,
            Locked::Postgres(_) | Locked::Mysql(_) => Ok(None),
        }
    }
}
