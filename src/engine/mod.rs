//! Live databases: one sqlx pool type per engine (never `Any`, which cannot decode catalog
//! types), inspection into the model, and statement execution. Engine differences live only in
//! the per-engine folders.

pub mod interface;
pub mod mysql;
pub mod postgres;
pub mod sandbox;
pub mod session;
pub mod sql_text;
pub mod sqlite;
pub mod wording;

pub use interface::{of, DirLockSql, Discipline, Engine, Online, RevisionProbe};

use crate::schema::{Dialect, Realm};
use crate::url::{redact, DbUrl};
use anyhow::{Context, Result};
use std::time::Duration;

/// An open connection pool to one database.
#[derive(Clone, Debug)]
pub enum Conn {
    Postgres(sqlx::PgPool),
    Mysql(sqlx::MySqlPool),
    Sqlite(sqlx::SqlitePool),
}

/// What to inspect: the schemas to read (empty = all user schemas, or the URL's database).
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    pub schemas: Vec<String>,
}

/// One direct connection before the pool: a pool retries refused connections until its acquire
/// timeout and then reports only "pool timed out"; a single attempt fails at once with the
/// cause (connection refused, unknown host, TLS required) and a hint.
async fn probe<O: sqlx::ConnectOptions>(opts: &O) -> Result<()>
where
    O::Connection: Sized,
{
    use sqlx::Connection;
    let c = tokio::time::timeout(Duration::from_secs(20), opts.connect())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within 20 s.\n  hint: is the host reachable from here (network, firewall, security group)?"))?
        .map_err(|e| {
            let text = redact(&e.to_string());
            let hint = if text.contains("Connection refused") {
                "\n  hint: nothing listens there: is the server running, and are the host and port right?"
            } else if text.contains("failed to lookup address") || text.contains("Name or service not known") {
                "\n  hint: the host name does not resolve"
            } else {
                ""
            };
            anyhow::anyhow!("{text}{hint}")
        })?;
    let _ = c.close().await;
    Ok(())
}

impl Conn {
    pub async fn connect(url: &DbUrl) -> Result<Conn> {
        Self::connect_sized(url, 4).await
    }

    /// [`Conn::connect`] with a pool of `size` connections. One connection is one session:
    /// what a statement sets (`SET search_path`, `SET FOREIGN_KEY_CHECKS`) holds for the next.
    pub async fn connect_sized(url: &DbUrl, size: u32) -> Result<Conn> {
        let what = || format!("cannot connect to {}", url.redacted());
        Ok(match url.dialect {
            Dialect::Postgres => {
                let opts: sqlx::postgres::PgConnectOptions = url.conn.parse().map_err(|e| anyhow::anyhow!(redact(&format!("{e}")))).with_context(what)?;
                // Reading a table another session holds an exclusive lock on (lint's facts) waits
                // at most this long instead of queuing without a word; apply sets its own.
                let opts = opts.application_name("schemagate").options([("lock_timeout", "10s")]);
                probe(&opts).await.with_context(what)?;
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(size)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(opts)
                    .await
                    .map_err(|e| anyhow::anyhow!(redact(&e.to_string())))
                    .with_context(what)?;
                Conn::Postgres(pool)
            }
            Dialect::Mysql => {
                let mut opts: sqlx::mysql::MySqlConnectOptions = url.conn.parse().map_err(|e| anyhow::anyhow!(redact(&format!("{e}")))).with_context(what)?;
                // The Go driver's switch, as Atlas users write it (RDS IAM tokens travel this way;
                // crate::url::require_tls pairs it with TLS).
                if matches!(crate::url::query_param(&url.conn, "allowCleartextPasswords").as_deref(), Some("1" | "true")) {
                    opts = opts.enable_cleartext_plugin(true);
                }
                // The server's own meaning of `||` (sqlx turns on PIPES_AS_CONCAT by default: a
                // default, check or view would mean something else here than on the user's server).
                opts = opts.pipes_as_concat(false);
                probe(&opts).await.with_context(what)?;
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    // Strict semantics in every session: a conversion that would lose or zero a
                    // value (varchar → int, a longer string into a shorter column) is an error,
                    // and the transaction-less DDL stops there, whatever the server's sql_mode.
                    .after_connect(|c, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(c, "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES'), SESSION lock_wait_timeout = 10").await.map(|_| ())
                        })
                    })
                    .max_connections(size)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(opts)
                    .await
                    .map_err(|e| anyhow::anyhow!(redact(&e.to_string())))
                    .with_context(what)?;
                Conn::Mysql(pool)
            }
            Dialect::Sqlite => {
                let memory = url.conn == "sqlite::memory:";
                let mut opts: sqlx::sqlite::SqliteConnectOptions = url.conn.parse().map_err(|e| anyhow::anyhow!(redact(&format!("{e}")))).with_context(what)?;
                opts = opts.foreign_keys(true);
                if !memory {
                    // Inspecting or migrating a file that does not exist would silently create an
                    // empty database; create it only deliberately (SQLite has no server to ask).
                    opts = opts.create_if_missing(true);
                }
                // An in-memory database lives as long as its one connection.
                let max = if memory { 1 } else { 4 };
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .after_connect(|c, _| Box::pin(async move { sqlite::sandbox::seal(c).await.map_err(|e| sqlx::Error::Configuration(e.into())) }))
                    .max_connections(max)
                    .min_connections(if memory { 1 } else { 0 })
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await
                    .map_err(|e| anyhow::anyhow!(redact(&e.to_string())))
                    .with_context(what)?;
                Conn::Sqlite(pool)
            }
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Postgres(_) => Dialect::Postgres,
            Conn::Mysql(_) => Dialect::Mysql,
            Conn::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Inspect the database into the model.
    pub async fn inspect(&self, opts: &InspectOptions) -> Result<Realm> {
        let mut realm = match self {
            Conn::Postgres(p) => postgres::inspect::inspect(p, opts).await?,
            Conn::Mysql(p) => mysql::inspect::inspect(p, opts).await?,
            Conn::Sqlite(p) => sqlite::inspect::inspect(&mut *p.acquire().await?, opts).await?,
        };
        realm.sort();
        Ok(realm)
    }

    /// The schemas `inspect` reads without a list, where one quick query can tell
    /// (PostgreSQL); None elsewhere.
    /// Rows (the statistics' estimate) and bytes (table and indexes) of `tables`
    /// (`schema.table`), for the tables the target has; read from the catalog, no table is
    /// scanned. Missing statistics leave a table out.
    pub async fn table_sizes(&self, tables: &[String]) -> std::collections::BTreeMap<String, (i64, i64)> {
        if tables.is_empty() {
            return Default::default();
        }
        match self {
            Conn::Postgres(p) => postgres::traffic::sizes(p, tables).await,
            Conn::Mysql(p) => mysql::traffic::sizes(p, tables).await,
            Conn::Sqlite(p) => sqlite::traffic::sizes(p, tables).await,
        }
    }

    pub async fn schema_names(&self) -> Result<Option<Vec<String>>> {
        match self {
            Conn::Postgres(p) => Ok(Some(postgres::inspect::schema_names(p).await?)),
            Conn::Mysql(_) | Conn::Sqlite(_) => Ok(None),
        }
    }

    /// Run one statement outside any transaction (the caller decides about transactions).
    pub async fn execute(&self, sql: &str) -> Result<()> {
        let r = match self {
            Conn::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Conn::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Conn::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        };
        r.map_err(|e| anyhow::anyhow!("{}\n  statement: {}", redact(&db_error_text(&e)), sql.trim()))
    }

    /// Run exactly one statement of desired-state SQL (a disposable database's load, a rehearsal).
    /// The server's single-statement protocol is the second wall behind the checks of the
    /// statement's text: PostgreSQL's extended protocol and MySQL's prepared statements refuse a
    /// second statement instead of running it. MySQL cannot prepare some statements (routines,
    /// triggers): those run as text only when the splitter finds exactly one statement in them.
    /// SQLite runs every statement of a string; its disposable database is private memory that
    /// can attach no file.
    pub async fn execute_one(&self, sql: &str) -> Result<()> {
        let err = |e: sqlx::Error| {
            let msg = format!("{}\n  statement: {}", redact(&db_error_text(&e)), sql.trim());
            if is_statement_timeout(&e) {
                anyhow::Error::new(ServerStatementTimeout(msg))
            } else {
                anyhow::anyhow!(msg)
            }
        };
        match self {
            Conn::Postgres(p) => sqlx::query(sql).persistent(false).execute(p).await.map(|_| ()).map_err(err),
            Conn::Mysql(p) => match sqlx::query(sql).persistent(false).execute(p).await {
                Ok(_) => Ok(()),
                // ER_UNSUPPORTED_PS: "This command is not supported in the prepared statement protocol yet".
                Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("HY000") && d.message().contains("prepared statement protocol") => {
                    let opts = crate::source::sql::SplitOptions { backslash_escapes: true };
                    if crate::source::sql::split(sql, opts).len() != 1 || crate::source::sql::has_executable_comment(sql) {
                        anyhow::bail!("refused: this text holds more than one statement\n  statement: {}", sql.trim());
                    }
                    sqlx::raw_sql(sql).execute(p).await.map(|_| ()).map_err(err)
                }
                Err(e) => Err(err(e)),
            },
            Conn::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()).map_err(err),
        }
    }

    pub async fn close(&self) {
        match self {
            Conn::Postgres(p) => p.close().await,
            Conn::Mysql(p) => p.close().await,
            Conn::Sqlite(p) => p.close().await,
        }
    }
}

/// A statement the server stopped at its own statement time limit: callers tell it from a
/// statement that failed (see `devdb::StatementTimeout`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServerStatementTimeout(pub String);

/// Whether the server stopped a statement at its time limit: PostgreSQL 57014 (query_canceled,
/// which statement_timeout raises), MariaDB 1969 (max_statement_time), MySQL 3024
/// (max_execution_time).
#[allow(clippy::wildcard_enum_match_arm, reason = "sqlx::Error is non_exhaustive")]
pub fn is_statement_timeout(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d.code().as_deref() == Some("57014") || d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|m| matches!(m.number(), 1969 | 3024)),
        _ => false,
    }
}

/// The database's own words for an error, without sqlx's wrapping.
#[allow(clippy::wildcard_enum_match_arm, reason = "sqlx::Error is non_exhaustive")]
pub fn db_error_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    }
}

/// Quote an identifier for the dialect. Every identifier in generated SQL goes through here.
pub fn quote_ident(d: Dialect, name: &str) -> String {
    match d {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres | Dialect::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// Quote a string literal for the dialect.
pub fn quote_literal(d: Dialect, s: &str) -> String {
    match d {
        // MySQL treats backslash as an escape inside literals unless NO_BACKSLASH_ESCAPES is set.
        // Every byte a client could stumble on is escaped too: a raw NUL ends the mariadb
        // client's statement, and CR/LF/Ctrl-Z are kept visible as their escapes.
        Dialect::Mysql => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('\'');
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("''"),
                    '\0' => out.push_str("\\0"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\x1a' => out.push_str("\\Z"),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        Dialect::Postgres | Dialect::Sqlite => format!("'{}'", s.replace('\'', "''")),
    }
}

/// Parse a single-quoted SQL literal (`'it''s'`), returning its value when `s` is exactly one.
pub fn unquote_literal(s: &str, backslash_escapes: bool) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\'' || b[b.len() - 1] != b'\'' {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    return None; // two literals, or something after the literal
                }
            }
            '\\' if backslash_escapes => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('Z') => out.push('\x1a'),
                Some('b') => out.push('\x08'),
                Some(o) => out.push(o),
                None => return None,
            },
            o => out.push(o),
        }
    }
    Some(out)
}

/// Whether `s` is a plain numeric literal.
pub fn is_number(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
        && t.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.parse::<f64>().is_ok()
}
