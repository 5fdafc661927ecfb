//! Disposable databases for normalization and rehearsal. A dev URL names a *server*: schemagate
//! creates a fresh `sg_dev_<created>_<random>` database there and drops it afterwards (also on
//! error, Ctrl-C, SIGTERM and SIGHUP, through the registry below). It never touches the database
//! the URL names. SQLite uses memory.
//!
//! Desired-state SQL is a pull request author's input, so it runs *sealed*: as a throw-away
//! principal that owns the disposable database and nothing else (see each engine's
//! `sandbox.rs`), one statement at a time, each under a time limit. The admin connection of the
//! dev URL only creates and drops, and runs what schemagate builds itself (allow-listed
//! extensions).

pub mod ephemeral;

use crate::engine::Conn;
use crate::schema::Dialect;
use crate::url::DbUrl;
use anyhow::{bail, Context, Result};
use rand::Rng;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Databases created and not yet dropped, for the signal handlers.
static LIVE: Mutex<Vec<(DbUrl, String)>> = Mutex::new(Vec::new());

/// The name prefix of every disposable database, role and account.
pub const PREFIX: &str = "sg_dev_";

/// A desired-state statement stopped for running past its time limit in the disposable
/// database. Callers tell it apart (a dump's retry loop must not run it again).
#[derive(Debug, thiserror::Error)]
#[error("a statement ran longer than {secs} s in the disposable database and was stopped (SCHEMAGATE_DEV_STATEMENT_TIMEOUT)\n  statement: {statement}")]
pub struct StatementTimeout {
    pub secs: u64,
    pub statement: String,
}

/// How long one statement of desired-state SQL may run in a disposable database.
pub fn statement_timeout() -> Duration {
    std::env::var("SCHEMAGATE_DEV_STATEMENT_TIMEOUT").ok().and_then(|v| crate::duration::parse(&v).ok()).unwrap_or(Duration::from_secs(60))
}

/// Extensions schemagate creates itself in a disposable PostgreSQL database when the sealed role
/// cannot (they are not marked trusted). Their install scripts are the server's own code; what
/// gives a session reach beyond its database (dblink, postgres_fdw, file_fdw, adminpack, the
/// untrusted languages) is not on it. `SCHEMAGATE_DEV_EXTENSIONS` (comma-separated) adds names.
const ALLOWED_EXTENSIONS: &[&str] = &[
    "btree_gin", "btree_gist", "citext", "cube", "earthdistance", "fuzzystrmatch", "hstore", "intarray", "isn", "lo", "ltree", "pg_trgm",
    "pgcrypto", "seg", "tablefunc", "tcn", "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "pg_stat_statements", "postgis",
    "postgis_raster", "postgis_topology", "postgis_tiger_geocoder", "address_standardizer", "vector", "bloom", "intagg", "dict_int", "plpgsql",
    "pg_partman", "timescaledb", "hypopg", "pg_hint_plan", "pgrouting", "h3", "rum",
];

fn extension_allowed(name: &str) -> bool {
    ALLOWED_EXTENSIONS.contains(&name) || std::env::var("SCHEMAGATE_DEV_EXTENSIONS").is_ok_and(|v| v.split(',').any(|x| x.trim() == name))
}

/// A `CREATE EXTENSION` statement, parsed: only these parts reach the admin connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRequest {
    pub name: String,
    pub schema: Option<String>,
    pub version: Option<String>,
    pub cascade: bool,
}

/// Parse `CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE] [;]`,
/// names plain or double-quoted, versions quoted or plain; anything else is None.
pub fn parse_create_extension(sql: &str) -> Option<ExtensionRequest> {
    let mut toks = tokens(sql.trim().trim_end_matches(';'))?.into_iter();
    let mut next = || toks.next();
    let kw = |t: &Option<(String, bool)>, w: &str| t.as_ref().is_some_and(|(s, quoted)| !quoted && s.eq_ignore_ascii_case(w));
    if !kw(&next(), "CREATE") || !kw(&next(), "EXTENSION") {
        return None;
    }
    let mut t = next();
    if kw(&t, "IF") {
        if !kw(&next(), "NOT") || !kw(&next(), "EXISTS") {
            return None;
        }
        t = next();
    }
    let (name, _) = t?;
    let mut req = ExtensionRequest { name, schema: None, version: None, cascade: false };
    while let Some(t) = next() {
        match t.0.to_ascii_uppercase().as_str() {
            "WITH" if !t.1 => {}
            "SCHEMA" if !t.1 => req.schema = Some(next()?.0),
            "VERSION" if !t.1 => req.version = Some(next()?.0),
            "CASCADE" if !t.1 => req.cascade = true,
            _ => return None,
        }
    }
    Some(req)
}

/// Parse `DROP EXTENSION [IF EXISTS] name [CASCADE|RESTRICT] [;]` (one extension): its name and
/// whether IF EXISTS was said. CASCADE is not carried over: what depends on the extension is the
/// desired state's to drop.
pub fn parse_drop_extension(sql: &str) -> Option<(String, bool)> {
    let toks = tokens(sql.trim().trim_end_matches(';'))?;
    let kw = |i: usize, w: &str| toks.get(i).is_some_and(|(s, q)| !q && s.eq_ignore_ascii_case(w));
    if !kw(0, "DROP") || !kw(1, "EXTENSION") {
        return None;
    }
    let (if_exists, at) = if kw(2, "IF") && kw(3, "EXISTS") { (true, 4) } else { (false, 2) };
    let name = toks.get(at)?.0.clone();
    match toks.len() - at {
        1 => Some((name, if_exists)),
        2 if kw(at + 1, "RESTRICT") => Some((name, if_exists)),
        _ => None,
    }
}

/// A CREATE FUNCTION without its LEAKPROOF keyword (outside quotes and dollar-quoted bodies),
/// or None when there is none to take out.
fn without_leakproof(sql: &str) -> Option<String> {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'$' => {
                // A dollar-quoted body: skip to its closing tag.
                let end = sql[i + 1..].find('$').map(|p| i + 1 + p)?;
                let tag = &sql[i..=end];
                if tag[1..tag.len() - 1].chars().all(|c| c.is_alphanumeric() || c == '_') {
                    let close = sql[end + 1..].find(tag).map(|p| end + 1 + p + tag.len())?;
                    i = close;
                    continue;
                }
            }
            _ => {}
        }
        if sql[i..].len() >= 9 && sql[i..i + 9].eq_ignore_ascii_case("LEAKPROOF") && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) && b.get(i + 9).is_none_or(|c| !c.is_ascii_alphanumeric()) {
            let before = if i >= 4 && sql[i - 4..i].eq_ignore_ascii_case("NOT ") { i - 4 } else { i };
            if before != i {
                return None; // NOT LEAKPROOF needs no superuser
            }
            return Some(format!("{}{}", &sql[..i], &sql[i + 9..]));
        }
        i += 1;
    }
    None
}

/// Words, "quoted identifiers" and 'literals' (value, quoted); None on anything else.
fn tokens(s: &str) -> Option<Vec<(String, bool)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '\'' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next()? {
                    q if q == c && chars.peek() == Some(&c) => {
                        chars.next();
                        v.push(c);
                    }
                    q if q == c => break,
                    o => v.push(o),
                }
            }
            out.push((v, true));
        } else if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
            let mut v = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_' || **d == '-' || **d == '.') {
                v.push(d);
                chars.next();
            }
            out.push((v.to_ascii_lowercase(), false));
        } else {
            return None;
        }
    }
    Some(out)
}

pub struct DevDb {
    /// The sealed principal's connection to the disposable database.
    pub conn: Conn,
    pub url: DbUrl,
    admin: Option<(DbUrl, String)>,
}

/// A new disposable name: when it was made (for `devdb clean`) and a random part.
fn new_name() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{PREFIX}{now:08x}_{:08x}", rand::thread_rng().gen::<u32>())
}

/// When a disposable name was made, if it says (names of earlier versions do not).
fn created(name: &str) -> Option<SystemTime> {
    let rest = name.strip_prefix(PREFIX)?;
    let (ts, rand) = rest.split_once('_')?;
    if ts.len() != 8 || rand.len() != 8 {
        return None;
    }
    Some(UNIX_EPOCH + Duration::from_secs(u64::from_str_radix(ts, 16).ok()?))
}

fn random_password() -> String {
    format!("{:032x}", rand::thread_rng().gen::<u128>())
}

/// Atlas's `docker://IMAGE/TAG[/DB]` dev URLs (in every Atlas project's atlas.hcl), mapped to the
/// ephemeral server of the same engine and version built from the local binaries: schemagate
/// starts no containers. A version this machine cannot provide is an error with the fix.
pub fn docker_dev_url(u: &str) -> Result<&'static str> {
    let rest = u.strip_prefix("docker://").unwrap_or(u);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let mut parts = rest.split('/');
    let (image, tag) = (parts.next().unwrap_or_default(), parts.next().unwrap_or("latest"));
    let tag = if tag.is_empty() { "latest" } else { tag };
    let shown = crate::url::redact(u);
    let matches = |have: &str| tag == "latest" || have == tag || have.starts_with(&format!("{tag}."));
    match image {
        "postgres" => match ephemeral::pg_major() {
            Some(v) if matches(&v) => Ok("ephemeral://postgres"),
            Some(v) => bail!("`{shown}` asks for PostgreSQL {tag}; this machine has PostgreSQL {v} and schemagate starts no containers.\n  fix: --dev-url ephemeral://postgres (PostgreSQL {v}) or the URL of a PostgreSQL {tag} server where schemagate may create scratch databases"),
            None => bail!("`{shown}`: no local PostgreSQL binaries to stand in for the container.\n  fix: install PostgreSQL {tag} (apt-get install postgresql-{tag}), or pass --dev-url postgres://user@host:5432/postgres"),
        },
        "mariadb" => match ephemeral::mariadb_version() {
            Some(v) if matches(&v) => Ok("ephemeral://mariadb"),
            Some(v) => bail!("`{shown}` asks for MariaDB {tag}; this machine has MariaDB {v} and schemagate starts no containers.\n  fix: --dev-url ephemeral://mariadb (MariaDB {v}) or the URL of a MariaDB {tag} server"),
            None => bail!("`{shown}`: no local MariaDB server to stand in for the container.\n  fix: install mariadb-server, or pass --dev-url mysql://user@host:3306/"),
        },
        "mysql" => bail!("`{shown}`: schemagate starts no containers and has no local MySQL {tag} to stand in for it.\n  fix: pass --dev-url mysql://user@host:3306/ (a scratch MySQL {tag} server), or docker://mariadb/latest/dev to use the local MariaDB"),
        other => bail!("`{shown}`: no local stand-in for the image `{other}` (docker://postgres/TAG, docker://mariadb/TAG are mapped to ephemeral servers).\n  fix: pass --dev-url with the URL of a scratch server"),
    }
}

/// The engine of a dev URL, whichever way it is spelled (docker://, ephemeral://, a URL).
pub fn dev_dialect(dev_url: &str) -> Result<Dialect> {
    let scheme = dev_url.split("://").next().unwrap_or_default();
    let image = dev_url.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default();
    match scheme {
        "docker" | "ephemeral" => match image {
            "postgres" | "postgresql" | "postgis" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            other => bail!("`{}`: no engine named `{other}` (postgres, mysql, mariadb)", crate::url::redact(dev_url)),
        },
        _ => Ok(DbUrl::parse(dev_url)?.dialect),
    }
}

/// Resolve a dev URL (ephemeral:// names start a private server) to a server URL.
async fn server_url(dialect: Dialect, dev_url: Option<&str>) -> Result<DbUrl> {
    let blocking = |f: fn() -> Result<String>| async move { tokio::task::spawn_blocking(f).await.map_err(|e| anyhow::anyhow!("{e}"))? };
    let docker = dev_url.filter(|u| u.starts_with("docker://")).map(docker_dev_url).transpose()?;
    let dev_url = docker.or(dev_url);
    Ok(match dev_url {
        Some("ephemeral://postgres") | Some("ephemeral://postgresql") => DbUrl::parse(&blocking(ephemeral::url).await?)?,
        Some("ephemeral://mariadb") | Some("ephemeral://mysql") => DbUrl::parse(&blocking(ephemeral::mariadb_url).await?)?,
        Some(u) if u.starts_with("ephemeral://") => bail!("`{}`: ephemeral servers are ephemeral://postgres and ephemeral://mariadb", crate::url::redact(u)),
        Some(u) => DbUrl::parse(u)?,
        None if dialect == Dialect::Sqlite => DbUrl::parse("sqlite::memory:")?,
        // No dev URL for PostgreSQL: a private server from the local binaries.
        None if dialect == Dialect::Postgres && ephemeral::available() => DbUrl::parse(&blocking(ephemeral::url).await?)?,
        None if dialect == Dialect::Mysql && ephemeral::mariadb_available() => DbUrl::parse(&blocking(ephemeral::mariadb_url).await?)?,
        None => bail!(
            "planning against {} needs a disposable database to normalize and rehearse the plan.\n  \
             hint: pass --dev-url {} (a server where schemagate may create and drop a scratch database; never your target)",
            dialect.name(),
            match dialect {
                Dialect::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
                Dialect::Mysql | Dialect::Sqlite => "mysql://root@127.0.0.1:3306/",
            }
        ),
    })
}

/// A dev URL that names the target itself (same engine, host, port and database, or the same
/// SQLite file) is refused: the target is never a scratch database.
pub fn refuse_target_as_dev(target: &str, dev_url: Option<&str>) -> Result<()> {
    let (Some(dev), Ok(t)) = (dev_url, DbUrl::parse(target)) else { return Ok(()) };
    if dev.starts_with("ephemeral://") {
        return Ok(());
    }
    let Ok(d) = DbUrl::parse(dev) else { return Ok(()) };
    if d.dialect != t.dialect {
        return Ok(());
    }
    let same = match d.dialect {
        Dialect::Sqlite => d.conn != "sqlite::memory:" && same_file(d.database.as_deref(), t.database.as_deref()),
        Dialect::Postgres | Dialect::Mysql => crate::url::endpoint(&d.conn) == crate::url::endpoint(&t.conn) && d.database.is_some() && d.database == t.database,
    };
    if same {
        bail!(
            "the dev URL is the target database itself ({}); plans load pull-request SQL into the dev database.\n  \
             hint: point --dev-url at a scratch server or database (for example {}), or leave it out to use a private ephemeral server",
            t.redacted(),
            match d.dialect {
                Dialect::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
                Dialect::Mysql => "mysql://root@127.0.0.1:3306/",
                Dialect::Sqlite => "sqlite::memory:",
            }
        );
    }
    Ok(())
}

fn same_file(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b || std::fs::canonicalize(a).ok().is_some_and(|x| std::fs::canonicalize(b).ok() == Some(x)),
        _ => false,
    }
}

impl DevDb {
    /// Open a disposable database for `dialect`, sealed. `dev_url` may be None for SQLite.
    pub async fn open(dialect: Dialect, dev_url: Option<&str>) -> Result<DevDb> {
        let url = server_url(dialect, dev_url).await?;
        if url.dialect != dialect {
            bail!("the dev database is {} but the target is {}; they must be the same engine", url.dialect.name(), dialect.name());
        }
        let name = new_name();
        let password = random_password();
        let timeout_ms = statement_timeout().as_millis() as u64;
        let admin = match dialect {
            Dialect::Sqlite => {
                let conn = Conn::connect(&DbUrl::parse("sqlite::memory:")?).await?;
                return Ok(DevDb { conn, url, admin: None });
            }
            Dialect::Postgres | Dialect::Mysql => Conn::connect(&url).await.context("connecting to the dev database server")?,
        };
        report_leftovers(&admin).await;
        // Registered before it exists: a signal in between still drops what was made.
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push((url.clone(), name.clone()));
        let principal = admin.create_sandbox(&name, &password, timeout_ms).await;
        admin.close().await;
        let principal = match principal {
            Ok(p) => p,
            Err(e) => {
                drop_database(&url, &name).await;
                return Err(e);
            }
        };
        let mut dev_url = url.with_database(&name);
        if let Some((user, pw)) = &principal {
            dev_url = dev_url.with_credentials(user, pw);
        }
        let conn = match Conn::connect(&dev_url).await {
            Ok(c) => c,
            Err(e) => {
                drop_database(&url, &name).await;
                return Err(e.context("connecting to the disposable database as its sealed role"));
            }
        };
        Ok(DevDb { conn, url: dev_url, admin: Some((url, name)) })
    }

    /// Run one statement of desired-state SQL: sealed, alone, within the statement time limit.
    /// What the sealed role may not do but schemagate may do for it — an allow-listed extension
    /// created or dropped, a function marked LEAKPROOF (superuser-only) — is done over the admin
    /// connection, from parsed names or PostgreSQL's own rendering, never from the statement.
    pub async fn execute(&self, sql: &str) -> Result<()> {
        let first = self.execute_sealed(sql).await;
        let (Err(e), Some((admin, name)), Dialect::Postgres) = (&first, &self.admin, self.conn.dialect()) else { return first };
        let text = e.to_string();
        if let Some(ext) = parse_create_extension(sql).filter(|x| extension_allowed(&x.name)) {
            if let Some(sql) = crate::engine::sandbox::create_extension_sql(self.conn.dialect(), &ext).filter(|_| crate::error::is_permission_error(&text)) {
                return self.as_admin(admin, name, &sql).await;
            }
        }
        if let Some((ext, if_exists)) = parse_drop_extension(sql).filter(|x| extension_allowed(&x.0)) {
            if let Some(sql) = crate::engine::sandbox::drop_extension_sql(self.conn.dialect(), &ext, if_exists).filter(|_| crate::error::is_permission_error(&text)) {
                return self.as_admin(admin, name, &sql).await;
            }
        }
        if text.contains("only superuser can define a leakproof function") {
            if let Some(without) = without_leakproof(sql) {
                self.execute_sealed(&without).await?;
                // The function just made: PostgreSQL names its signature (regprocedure).
                if let Some(f) = self.conn.last_function_without_leakproof().await? {
                    return self.as_admin(admin, name, &format!("ALTER FUNCTION {f} LEAKPROOF")).await;
                }
            }
        }
        first
    }

    async fn as_admin(&self, admin: &DbUrl, name: &str, sql: &str) -> Result<()> {
        let c = Conn::connect(&admin.with_database(name)).await?;
        let r = c.execute(sql).await;
        c.close().await;
        r
    }

    /// Run one desired-state statement in the disposable database, as its sealed principal,
    /// under the time limit ([`StatementTimeout`] past it).
    async fn execute_sealed(&self, sql: &str) -> Result<()> {
        let limit = statement_timeout();
        match tokio::time::timeout(limit, self.conn.execute_one(sql)).await {
            Ok(Err(e)) if crate::error::is_permission_error(&e.to_string()) => Err(anyhow::anyhow!(
                "{e}\n  note: desired-state SQL runs in a disposable database as a role that owns that database and nothing else; it may not reach other databases, roles, files or programs.\n  hint: an extension must be on the allow list (SCHEMAGATE_DEV_EXTENSIONS adds names)",
            )),
            // The server's own limit (the sealed principal's default) may fire first.
            Ok(Err(e)) if e.downcast_ref::<crate::engine::ServerStatementTimeout>().is_some() => Err(StatementTimeout { secs: limit.as_secs(), statement: sql.trim().to_string() }.into()),
            Ok(r) => r,
            Err(_) => Err(StatementTimeout { secs: limit.as_secs(), statement: sql.trim().to_string() }.into()),
        }
    }

    /// Run what follows in one session, as psql or the mysql client would run a file: a SQL
    /// source's `SET search_path TO app` must hold for the `CREATE TABLE` after it (over a pool,
    /// the table landed in `app` or `public` depending on which connection ran it).
    /// [`DevDb::fresh_connections`] goes back to a pool afterwards.
    pub async fn one_session(&mut self) -> Result<()> {
        if self.admin.is_some() {
            self.conn.close().await;
            self.conn = Conn::connect_sized(&self.url, 1).await?;
        }
        Ok(())
    }

    /// Replace the pool's connections with fresh ones. SQL sources may change session state
    /// (pg_dump files set `search_path` to ''), which would leak into inspection: a catalog read
    /// on such a connection spells names differently. An in-memory SQLite database lives in its
    /// one connection and is kept.
    pub async fn fresh_connections(&mut self) -> Result<()> {
        if self.admin.is_some() {
            self.conn.close().await;
            self.conn = Conn::connect(&self.url).await?;
        }
        Ok(())
    }

    /// The name the dev database gives a MySQL schema (MySQL's schemas are databases).
    pub fn database(&self) -> Option<&str> {
        self.admin.as_ref().map(|a| a.1.as_str())
    }

    /// Drop the database. Call it on every path; Ctrl-C goes through [`drop_all`].
    pub async fn close(self) {
        // A statement stopped at its time limit leaves its connection waiting on the server, and
        // the pool's graceful close would wait for it without end: the wait is bounded, and
        // dropping the database (WITH (FORCE), KILL CONNECTION) ends that session.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.conn.close()).await;
        if let Some((admin, name)) = self.admin {
            drop_database(&admin, &name).await;
        }
    }
}

/// Drop a disposable database and its sealed principal.
async fn drop_database(admin: &DbUrl, name: &str) {
    if let Ok(c) = Conn::connect(admin).await {
        c.drop_sandbox(name).await;
        c.close().await;
    }
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|(_, n)| n != name);
}

/// Drop every disposable database still alive and stop the ephemeral servers (exit, signals).
pub async fn drop_all() {
    let live: Vec<(DbUrl, String)> = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for (admin, name) in live {
        drop_database(&admin, &name).await;
    }
    let _ = tokio::task::spawn_blocking(ephemeral::stop).await;
}

/// Disposable databases, roles and accounts on a dev server that no run of this process made.
pub async fn leftovers(admin: &Conn) -> Result<Vec<String>> {
    let names = admin.list_sandboxes(PREFIX).await?;
    let live: Vec<String> = LIVE.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(_, n)| n.clone()).collect();
    Ok(names.into_iter().filter(|n| !live.contains(n)).collect())
}

/// Those of [`leftovers`] older than `age` (names without a time are always old: earlier
/// versions made them).
fn older_than(names: Vec<String>, age: Duration) -> Vec<String> {
    let now = SystemTime::now();
    names.into_iter().filter(|n| created(n).is_none_or(|t| now.duration_since(t).unwrap_or_default() >= age)).collect()
}

/// A run older than this is over: its disposable databases are leftovers.
pub const RUN_AGE: Duration = Duration::from_secs(3600);

/// Say once per process that a dev server holds leftovers (killed runs leave them).
async fn report_leftovers(admin: &Conn) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SAID.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if let Ok(old) = leftovers(admin).await.map(|n| older_than(n, RUN_AGE)) {
        if !old.is_empty() && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "warning: the dev server holds {} disposable database(s) or role(s) left by earlier runs ({}{}); `schemagate devdb clean --dev-url …` removes them",
                old.len(),
                old.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                if old.len() > 3 { ", …" } else { "" }
            );
        }
    }
}

/// `schemagate devdb clean`: drop the disposable databases, roles and accounts older than `age`
/// on a dev server, and remove ephemeral server directories whose process is gone. Returns what
/// it removed.
pub async fn clean(dev_url: Option<&str>, age: Duration) -> Result<Vec<String>> {
    let mut removed = ephemeral::clean_dead();
    if let Some(u) = dev_url.filter(|u| !u.starts_with("ephemeral://")) {
        let url = DbUrl::parse(u)?;
        if url.dialect != Dialect::Sqlite {
            let admin = Conn::connect(&url).await?;
            let old = older_than(leftovers(&admin).await?, age);
            for n in &old {
                admin.drop_sandbox(n).await;
            }
            admin.close().await;
            removed.extend(old);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_statements_are_parsed_strictly() {
        assert_eq!(parse_create_extension("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA public VERSION '1.1' CASCADE;").map(|e| (e.name, e.schema, e.cascade)), Some(("uuid-ossp".into(), Some("public".into()), true)));
        assert_eq!(parse_create_extension("CREATE EXTENSION pgcrypto; DROP TABLE t"), None);
        assert_eq!(parse_drop_extension("DROP EXTENSION IF EXISTS \"pgcrypto\";"), Some(("pgcrypto".into(), true)));
        assert_eq!(parse_drop_extension("DROP EXTENSION btree_gist"), Some(("btree_gist".into(), false)));
        assert_eq!(parse_drop_extension("DROP EXTENSION a, b CASCADE"), None);
    }

    #[test]
    fn leakproof_is_taken_out_of_the_header_only() {
        let f = "CREATE FUNCTION f(a text) RETURNS bool LANGUAGE plpgsql IMMUTABLE LEAKPROOF AS $function$ BEGIN RETURN a = 'LEAKPROOF'; END; $function$";
        let w = without_leakproof(f).unwrap();
        assert!(!w.contains("IMMUTABLE LEAKPROOF") && w.contains("'LEAKPROOF'"), "{w}");
        assert_eq!(without_leakproof("CREATE FUNCTION f() RETURNS int NOT LEAKPROOF AS $$ SELECT 1 $$ LANGUAGE sql"), None);
        assert_eq!(without_leakproof("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql"), None);
    }
}
