//! Disposable databases for normalization and rehearsal. A dev URL names a *server*: schemagate
//! creates a fresh `sg_dev_<random>` database there and drops it afterwards (also on error and
//! Ctrl-C, through the registry below). It never touches the database the URL names. SQLite
//! uses memory.

pub mod ephemeral;

use crate::engine::{quote_ident, Conn};
use crate::schema::Dialect;
use crate::url::DbUrl;
use anyhow::{bail, Context, Result};
use rand::Rng;
use std::sync::Mutex;

/// Databases created and not yet dropped, for the Ctrl-C handler.
static LIVE: Mutex<Vec<(DbUrl, String)>> = Mutex::new(Vec::new());

pub struct DevDb {
    pub conn: Conn,
    pub url: DbUrl,
    admin: Option<(DbUrl, String)>,
}

impl DevDb {
    /// Open a disposable database for `dialect`. `dev_url` may be None for SQLite.
    pub async fn open(dialect: Dialect, dev_url: Option<&str>) -> Result<DevDb> {
        let url = match dev_url {
            Some("ephemeral://postgres") | Some("ephemeral://postgresql") => {
                let u = tokio::task::spawn_blocking(ephemeral::url).await.map_err(|e| anyhow::anyhow!("{e}"))??;
                DbUrl::parse(&u)?
            }
            Some("ephemeral://mariadb") | Some("ephemeral://mysql") => {
                let u = tokio::task::spawn_blocking(ephemeral::mariadb_url).await.map_err(|e| anyhow::anyhow!("{e}"))??;
                DbUrl::parse(&u)?
            }
            Some(u) if u.starts_with("ephemeral://") => bail!("`{u}`: ephemeral servers are ephemeral://postgres and ephemeral://mariadb"),
            Some(u) => DbUrl::parse(u)?,
            None if dialect == Dialect::Sqlite => DbUrl::parse("sqlite::memory:")?,
            // No dev URL for PostgreSQL: a private server from the local binaries.
            None if dialect == Dialect::Postgres && ephemeral::available() => {
                let u = tokio::task::spawn_blocking(ephemeral::url).await.map_err(|e| anyhow::anyhow!("{e}"))??;
                DbUrl::parse(&u)?
            }
            None if dialect == Dialect::Mysql && ephemeral::mariadb_available() => {
                let u = tokio::task::spawn_blocking(ephemeral::mariadb_url).await.map_err(|e| anyhow::anyhow!("{e}"))??;
                DbUrl::parse(&u)?
            }
            None => bail!(
                "planning against {} needs a disposable database to normalize and rehearse the plan.\n  \
                 hint: pass --dev-url {} (a server where schemagate may create and drop a scratch database; never your target)",
                dialect.name(),
                match dialect {
                    Dialect::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
                    _ => "mysql://root@127.0.0.1:3306/",
                }
            ),
        };
        if url.dialect != dialect {
            bail!("the dev database is {} but the target is {}; they must be the same engine", url.dialect.name(), dialect.name());
        }
        if dialect == Dialect::Sqlite {
            let conn = Conn::connect(&DbUrl::parse("sqlite::memory:")?).await?;
            return Ok(DevDb { conn, url, admin: None });
        }
        let name = format!("sg_dev_{:016x}", rand::thread_rng().gen::<u64>());
        let admin = Conn::connect(&url).await.context("connecting to the dev database server")?;
        admin
            .execute(&format!("CREATE DATABASE {}", quote_ident(dialect, &name)))
            .await
            .context("creating a disposable database on the dev server (the dev user needs CREATE DATABASE)")?;
        if dialect == Dialect::Postgres {
            // A disposable database holds only part of a schema (what a change touches), so
            // SQL-language routines may name tables it does not have: their bodies are checked
            // on the target, where the plan creates routines after the tables.
            let _ = admin.execute(&format!("ALTER DATABASE {} SET check_function_bodies = off", quote_ident(dialect, &name))).await;
            // Loading a copy is a few hundred one-statement transactions; none needs to wait for
            // its WAL to reach disk (a crash loses the database anyway), and each would (~1 ms).
            let _ = admin.execute(&format!("ALTER DATABASE {} SET synchronous_commit = off", quote_ident(dialect, &name))).await;
        }
        admin.close().await;
        LIVE.lock().unwrap().push((url.clone(), name.clone()));
        let dev_url = url.with_database(&name);
        let conn = Conn::connect(&dev_url).await?;
        Ok(DevDb { conn, url: dev_url, admin: Some((url, name)) })
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
        self.conn.close().await;
        if let Some((admin, name)) = self.admin {
            drop_database(&admin, &name).await;
            LIVE.lock().unwrap().retain(|(_, n)| n != &name);
        }
    }
}

async fn drop_database(admin: &DbUrl, name: &str) {
    if let Ok(c) = Conn::connect(admin).await {
        let sql = match admin.dialect {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(Dialect::Postgres, name)),
            _ => format!("DROP DATABASE IF EXISTS {}", quote_ident(admin.dialect, name)),
        };
        let _ = c.execute(&sql).await;
        c.close().await;
    }
}

/// Drop every disposable database still alive and stop the ephemeral server (exit, Ctrl-C).
pub async fn drop_all() {
    let live: Vec<(DbUrl, String)> = std::mem::take(&mut *LIVE.lock().unwrap());
    for (admin, name) in live {
        drop_database(&admin, &name).await;
    }
    let _ = tokio::task::spawn_blocking(ephemeral::stop).await;
}
