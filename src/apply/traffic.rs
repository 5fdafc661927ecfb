//! Apply must not stall production. Every DDL session waits for a table lock at most
//! `ddl_lock_timeout` (PostgreSQL `lock_timeout`; MySQL `lock_wait_timeout` for metadata locks
//! and `innodb_lock_wait_timeout`), runs each statement at most `statement_timeout`, and a lock
//! timeout is retried with jittered backoff a bounded number of times — the whole transaction
//! in PostgreSQL's transactional mode, the one statement in MySQL's resumable mode. Queued
//! behind a long transaction, an ALTER makes every reader of the table queue behind *it*; giving
//! up within a few seconds and trying again later keeps the worst stall any client sees at the
//! lock timeout. Before starting, and after each lock timeout, the sessions that hold locks on
//! the plan's tables (or sit idle in a transaction) are reported, so the wait is never silent.

use crate::schema::Dialect;
use std::time::Duration;

/// The knobs, with their defaults (documented in README and `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// How long one DDL statement may wait for a table lock (default 3 s).
    pub lock_timeout: Duration,
    /// How long one statement may run (default 30 min; 0 = no limit).
    pub statement_timeout: Duration,
    /// How many times a lock timeout is retried (default 5).
    pub retries: u32,
}

impl Default for Traffic {
    fn default() -> Self {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| crate::duration::parse(&v).ok());
        Traffic {
            lock_timeout: env("SCHEMAGATE_DDL_LOCK_TIMEOUT").unwrap_or(Duration::from_secs(3)),
            statement_timeout: env("SCHEMAGATE_STATEMENT_TIMEOUT").unwrap_or(Duration::from_secs(30 * 60)),
            retries: std::env::var("SCHEMAGATE_LOCK_RETRIES").ok().and_then(|v| v.parse().ok()).filter(|n| *n <= 100).unwrap_or(5),
        }
    }
}

impl Traffic {
    /// The defaults (and the environment's SCHEMAGATE_* variables, which win) with an
    /// atlas.hcl env's settings where no variable is set.
    pub fn with_project(p: &crate::config::project::TrafficSettings) -> Traffic {
        let mut t = Traffic::default();
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        if let (false, Some(d)) = (set("SCHEMAGATE_DDL_LOCK_TIMEOUT"), p.ddl_lock_timeout) {
            t.lock_timeout = d;
        }
        if let (false, Some(d)) = (set("SCHEMAGATE_STATEMENT_TIMEOUT"), p.statement_timeout) {
            t.statement_timeout = d;
        }
        if let (false, Some(n)) = (set("SCHEMAGATE_LOCK_RETRIES"), p.lock_retries) {
            t.retries = n;
        }
        t
    }

    /// The session settings, per engine.
    pub fn session_sql(&self, d: Dialect) -> Vec<String> {
        crate::engine::of(d).session_limits(self.lock_timeout, self.statement_timeout)
    }

    /// The pause before retry `attempt` (1-based): 0.5 s doubling to at most 15 s, ±50 % jitter so
    /// that concurrent appliers and the blocking workload do not fall into step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = (500u64 << attempt.min(5).saturating_sub(1)).min(15_000);
        let jitter = rand::random::<f64>() + 0.5;
        Duration::from_millis((base as f64 * jitter) as u64)
    }
}

/// Whether a database error is a lock timeout (PostgreSQL 55P03 lock_not_available; MySQL 1205
/// ER_LOCK_WAIT_TIMEOUT, which covers metadata locks too).
#[allow(clippy::wildcard_enum_match_arm, reason = "sqlx::Error is non_exhaustive")]
pub fn is_lock_timeout(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.code().as_deref() == Some("55P03") || d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|m| m.number() == 1205),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let t = Traffic { lock_timeout: Duration::from_secs(3), statement_timeout: Duration::ZERO, retries: 5 };
        for attempt in 1..=10 {
            let d = t.backoff(attempt).as_millis();
            let base = (500u128 << (attempt.min(5) - 1)).min(15_000);
            assert!(d >= base / 2 && d <= base * 3 / 2, "attempt {attempt}: {d} ms");
        }
        assert_eq!(t.session_sql(Dialect::Postgres), vec!["SET lock_timeout = 3000", "SET statement_timeout = 0"]);
    }

    #[test]
    fn a_script_sets_only_what_every_server_of_its_engine_accepts() {
        let t = Traffic { lock_timeout: Duration::from_millis(1500), statement_timeout: Duration::ZERO, retries: 0 };
        let my = crate::engine::of(Dialect::Mysql);
        // Whole seconds, rounded down but at least one; MariaDB's statement limit in apply only.
        assert_eq!(t.session_sql(Dialect::Mysql), vec!["SET SESSION lock_wait_timeout = 1", "SET SESSION innodb_lock_wait_timeout = 1", "SET SESSION max_statement_time = 0"]);
        assert_eq!(my.script_limits(t.lock_timeout, t.statement_timeout), vec!["SET SESSION lock_wait_timeout = 1", "SET SESSION innodb_lock_wait_timeout = 1"]);
        assert!(t.session_sql(Dialect::Sqlite).is_empty());
    }
}
