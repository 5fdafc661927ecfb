//! Applying a reviewed plan: one applier at a time (advisory lock), the plan re-checked under the
//! lock, then run in the engine's discipline (`engine::Discipline`: PostgreSQL in one
//! transaction, MySQL/MariaDB statement by statement with progress recorded, SQLite in one
//! write transaction), and a row in `schemagate_revisions` for every attempt. The locked
//! connection and its per-engine bookkeeping are `engine::session`; this file names no engine.

pub mod dir_locks;
pub mod traffic;

use crate::engine::session::{Locked, Revision};
use crate::engine::{db_error_text, Discipline, InspectOptions};
use crate::plan::Plan;
use crate::schema::{Dialect, Realm};
use crate::url::redact;
use anyhow::{bail, Context, Result};
use std::time::{Duration, Instant};

pub use crate::engine::session::{MY_LOCK_NAME, PG_LOCK_KEY};

#[derive(Debug, Clone)]
pub struct Options {
    pub lock_timeout: Duration,
    /// PostgreSQL schema / MySQL database holding `schemagate_revisions`.
    pub revisions_schema: String,
    pub executed_by: String,
    pub commit: Option<String>,
    /// Lock and statement timeouts of the DDL itself, and lock-timeout retries.
    pub traffic: traffic::Traffic,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lock_timeout: Duration::from_secs(10),
            revisions_schema: "schemagate".into(),
            executed_by: std::env::var("GITHUB_ACTOR").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "unknown".into()),
            commit: std::env::var("GITHUB_SHA").ok(),
            traffic: traffic::Traffic::default(),
        }
    }
}

/// The tables a plan changes (`Change::tables`), as quoted qualified names: where blockers are
/// looked for. A name that does not exist yet (a new table) matches no lock.
fn plan_tables(plan: &Plan) -> Vec<String> {
    let e = crate::engine::of(plan.dialect);
    let mut out: Vec<String> = plan.changes.iter().flat_map(|c| c.tables()).map(|(s, t)| e.table_ref(s, t)).collect();
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub applied: usize,
    pub total: usize,
    pub millis: u128,
}

/// The error a refused or failed apply returns, so the CLI can map it to exit code 4.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// A connection that holds the apply lock. Everything under the lock goes through it.
pub struct Session(Locked);

impl Session {
    /// Take the apply lock, waiting up to `timeout`.
    pub async fn lock(conn: &crate::engine::Conn, timeout: Duration) -> Result<Session> {
        match Locked::lock(conn, timeout).await? {
            Some(l) => Ok(Session(l)),
            None => Err(Refused(format!(
                "another schemagate apply holds the lock on this database; gave up after --lock-timeout {}s.\n  hint: wait for it to finish, or raise --lock-timeout",
                timeout.as_secs()
            ))
            .into()),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    /// Inspect under the lock (SQLite: inside the write transaction, so nobody changes it).
    pub async fn inspect(&mut self, conn: &crate::engine::Conn, opts: &InspectOptions) -> Result<Realm> {
        self.0.inspect(conn, opts).await
    }

    /// Fault-injection point for the kill tests (debug builds only; compiled out of releases):
    /// with `SCHEMAGATE_TEST_PAUSE_AFTER=n` and `SCHEMAGATE_TEST_PAUSE_FILE=path`, stop after
    /// statement n, write this session's server-side id (PostgreSQL backend pid, MySQL
    /// connection id, or for SQLite the process id) into the file, and wait until the test
    /// deletes it — having killed the connection, the process, or restarted the server.
    async fn pause_point(&mut self, _done: usize) {
        #[cfg(debug_assertions)]
        {
            let (Ok(at), Ok(file)) = (std::env::var("SCHEMAGATE_TEST_PAUSE_AFTER"), std::env::var("SCHEMAGATE_TEST_PAUSE_FILE")) else { return };
            if at.parse::<usize>().ok() != Some(_done) {
                return;
            }
            let id = self.0.server_id().await;
            let tmp = format!("{file}.tmp");
            if std::fs::write(&tmp, id).and_then(|_| std::fs::rename(&tmp, &file)).is_err() {
                return;
            }
            for _ in 0..1200 {
                if !std::path::Path::new(&file).exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    async fn exec(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        self.0.exec(sql).await
    }

    /// Release the lock (and, for SQLite, end the transaction if apply did not).
    pub async fn unlock(mut self) {
        self.0.unlock().await
    }

    /// Execute the plan. Errors name the statement and keep the database's own message.
    pub async fn apply(&mut self, plan: &Plan, opts: &Options) -> Result<Report> {
        let started = Instant::now();
        let total = plan.statements.len();
        let stmts_json = serde_json::to_string(&plan.statements.iter().map(|s| &s.sql).collect::<Vec<_>>())?;
        let fail = |k: usize, sql: &str, e: &sqlx::Error| {
            anyhow::anyhow!(
                "statement {} of {total} failed: {}\n  statement: {}",
                k + 1,
                redact(&db_error_text(e)),
                sql
            )
        };
        match crate::engine::of(self.dialect()).discipline() {
            Discipline::Transaction => {
                self.0.prepare_revisions(&opts.revisions_schema).await.context("creating the revision table")?;
                let before: Vec<_> = plan.statements.iter().enumerate().filter(|(_, s)| s.before_tx).collect();
                let (tx, after): (Vec<_>, Vec<_>) = plan.statements.iter().enumerate().filter(|(_, s)| !s.before_tx).partition(|(_, s)| !s.no_tx);
                let t = opts.traffic;
                for s in t.session_sql(self.dialect()) {
                    self.exec(&s).await?;
                }
                let tables = plan_tables(plan);
                self.report_blockers(&tables, t.lock_timeout, "before applying").await;
                // Steps before the transaction (the scan of an online SET NOT NULL), each on its
                // own; a failure undoes the ones done (their reverse) and stops here.
                for (i, (k, s)) in before.iter().enumerate() {
                    if let Err(e) = self.exec_retrying(&s.sql, *k, total, &t, &tables).await {
                        for (_, done) in before[..i].iter().rev() {
                            if let Some(rev) = &done.reverse {
                                let _ = self.exec(rev).await;
                            }
                        }
                        let err = fail(*k, &s.sql, &e);
                        self.record_end(opts, plan, &stmts_json, "failed", 0, Some(&err.to_string())).await;
                        return Err(err.context("nothing was changed: this step runs before the transaction, and the ones before it were undone"));
                    }
                }
                // The transaction, retried whole when a lock is not granted in time (nothing of
                // it stays: the rollback undoes it, and the next attempt starts from scratch).
                let mut attempt = 0;
                loop {
                    self.exec("BEGIN").await?;
                    let mut failed = None;
                    for (k, s) in &tx {
                        let _p = crate::progress::step(format!("applying statement {} of {total}", k + 1));
                        if let Err(e) = self.exec(&s.sql).await {
                            failed = Some((*k, s.sql.clone(), e));
                            break;
                        }
                        self.pause_point(k + 1).await;
                    }
                    let Some((k, sql, e)) = failed else { break };
                    let _ = self.exec("ROLLBACK").await;
                    if traffic::is_lock_timeout(&e) && attempt < t.retries {
                        attempt += 1;
                        let wait = t.backoff(attempt);
                        eprintln!("warning: statement {} of {total} waited {} ms for a lock and gave up (lock_timeout); the transaction was rolled back, retry {attempt} of {} in {} ms", k + 1, t.lock_timeout.as_millis(), t.retries, wait.as_millis());
                        self.report_blockers(&tables, t.lock_timeout, "holding locks").await;
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let err = fail(k, &sql, &e);
                    // The steps before the transaction are undone too: nothing was changed.
                    for (_, done) in before.iter().rev() {
                        if let Some(rev) = &done.reverse {
                            let _ = self.exec(rev).await;
                        }
                    }
                    self.record_end(opts, plan, &stmts_json, "failed", 0, Some(&err.to_string())).await;
                    if traffic::is_lock_timeout(&e) {
                        let who = self.blocker_lines(&tables, t.lock_timeout).await;
                        return Err(Refused(format!(
                            "{err}\n  nothing was changed: a lock was not granted within {} ms, {} time(s); the transaction was rolled back each time so readers never queued behind it.{}\n  hint: apply when those sessions are done, or raise --ddl-lock-timeout / --lock-retries",
                            t.lock_timeout.as_millis(),
                            attempt + 1,
                            if who.is_empty() { String::new() } else { format!("\n  sessions holding locks on these tables or long transactions: {}", who.join("; ")) }
                        ))
                        .into());
                    }
                    return Err(err.context("nothing was changed: the transaction was rolled back"));
                }
                self.record_end(opts, plan, &stmts_json, if after.is_empty() { "applied" } else { "partial" }, before.len() + tx.len(), None).await;
                self.exec("COMMIT").await?;
                let mut done = before.len() + tx.len();
                for (k, s) in after {
                    // Outside the transaction (CREATE INDEX CONCURRENTLY): one statement retried.
                    if let Err(e) = self.exec_retrying(&s.sql, k, total, &t, &tables).await {
                        let err = fail(k, &s.sql, &e);
                        self.record_end(opts, plan, &stmts_json, "failed", done, Some(&err.to_string())).await;
                        return Err(err);
                    }
                    done += 1;
                }
                if done > 0 && before.len() + tx.len() < total {
                    self.record_end(opts, plan, &stmts_json, "applied", done, None).await;
                }
                Ok(Report { applied: done, total, millis: started.elapsed().as_millis() })
            }
            Discipline::StatementByStatement => {
                self.0.prepare_revisions(&opts.revisions_schema).await.context("creating the revision table")?;
                let id = self.0.record_revision(&revision(opts, plan, &stmts_json, "running", 0, None)).await?;
                let t = opts.traffic;
                for s in t.session_sql(self.dialect()) {
                    // max_statement_time is MariaDB's; MySQL has none for DDL.
                    let _ = self.exec(&s).await;
                }
                let tables = plan_tables(plan);
                self.report_blockers(&tables, t.lock_timeout, "before applying").await;
                // DDL commits implicitly in MySQL: record each statement as it completes so a
                // re-run knows where the last attempt stopped. A lock timeout retries the one
                // statement.
                for (k, s) in plan.statements.iter().enumerate() {
                    if let Err(e) = self.exec_retrying(&s.sql, k, total, &t, &tables).await {
                        let err = fail(k, &s.sql, &e);
                        self.0.update_revision(&opts.revisions_schema, id, "failed", k, Some(&err.to_string())).await;
                        return Err(err.context(format!(
                            "MySQL commits each DDL statement: {k} of {total} statement(s) were applied before the failure; re-running apply plans the rest"
                        )));
                    }
                    self.0.update_revision(&opts.revisions_schema, id, if k + 1 == total { "applied" } else { "running" }, k + 1, None).await;
                    self.pause_point(k + 1).await;
                }
                Ok(Report { applied: total, total, millis: started.elapsed().as_millis() })
            }
            Discipline::WriteTransaction => {
                self.0.prepare_revisions(&opts.revisions_schema).await?;
                for (k, s) in plan.statements.iter().enumerate() {
                    let _p = crate::progress::step(format!("applying statement {} of {total}", k + 1));
                    if let Err(e) = self.exec(&s.sql).await {
                        let err = fail(k, &s.sql, &e);
                        let _ = self.exec("ROLLBACK").await;
                        return Err(err.context("nothing was changed: the transaction was rolled back"));
                    }
                    self.pause_point(k + 1).await;
                }
                // Foreign keys were off for the copy-table procedure: prove nothing dangles.
                if let Some(table) = self.0.foreign_key_violation().await? {
                    let _ = self.exec("ROLLBACK").await;
                    bail!("the plan would leave rows of \"{table}\" pointing at missing rows (foreign_key_check); nothing was changed");
                }
                self.0.record_revision(&revision(opts, plan, &stmts_json, "applied", total, None)).await?;
                self.exec("COMMIT").await?;
                Ok(Report { applied: total, total, millis: started.elapsed().as_millis() })
            }
        }
    }

    /// The attempt's row, written when it ends (the Transaction discipline's bookkeeping);
    /// a row that cannot be written does not undo what was applied.
    async fn record_end(&mut self, opts: &Options, plan: &Plan, stmts: &str, status: &str, applied: usize, error: Option<&str>) {
        let _ = self.0.record_revision(&revision(opts, plan, stmts, status, applied, error)).await;
    }

    /// One statement on its own (outside a transaction), a lock timeout retried with backoff,
    /// each wait said with the sessions in the way.
    async fn exec_retrying(&mut self, sql: &str, k: usize, total: usize, t: &traffic::Traffic, tables: &[String]) -> Result<(), sqlx::Error> {
        let _p = crate::progress::step(format!("applying statement {} of {total}", k + 1));
        let mut attempt = 0;
        // What an attempt that gave up leaves behind (a concurrent build's INVALID index, which
        // the retry's IF NOT EXISTS would take for done) is cleaned up before the retry.
        let cleanup = crate::engine::of(self.dialect()).leftover_cleanup(sql);
        let mut dirty = false;
        loop {
            let r = match (&cleanup, dirty) {
                (Some(c), true) => match self.exec(c).await {
                    Ok(()) => self.exec(sql).await,
                    Err(e) => Err(e),
                },
                _ => self.exec(sql).await,
            };
            match r {
                Err(e) if traffic::is_lock_timeout(&e) && attempt < t.retries => {
                    attempt += 1;
                    dirty = cleanup.is_some();
                    let wait = t.backoff(attempt);
                    eprintln!("warning: statement {} of {total} waited {} ms for a lock and gave up; retry {attempt} of {} in {} ms", k + 1, t.lock_timeout.as_millis(), t.retries, wait.as_millis());
                    self.report_blockers(tables, t.lock_timeout, "holding locks").await;
                    tokio::time::sleep(wait).await;
                }
                r => return r,
            }
        }
    }

    /// Say which sessions may block the plan (before it starts, and after a lock timeout).
    async fn report_blockers(&mut self, tables: &[String], older: Duration, when: &str) {
        let who = self.blocker_lines(tables, older).await;
        if !who.is_empty() {
            eprintln!("warning: sessions {when} on the tables this plan changes, or with long transactions (each statement waits at most {} ms for a lock):", older.as_millis());
            for w in who {
                eprintln!("  - {w}");
            }
        }
    }

    async fn blocker_lines(&mut self, tables: &[String], older: Duration) -> Vec<String> {
        self.0.blockers(tables, older).await
    }
}

/// The row of `schemagate_revisions` for this attempt of `plan`.
fn revision<'a>(opts: &'a Options, plan: &'a Plan, stmts: &'a str, status: &'a str, applied: usize, error: Option<&'a str>) -> Revision<'a> {
    Revision {
        schema: &opts.revisions_schema,
        hash: &plan.hash,
        statements: stmts,
        status,
        applied,
        total: plan.statements.len(),
        error,
        executed_by: &opts.executed_by,
        commit: opts.commit.as_deref(),
    }
}
