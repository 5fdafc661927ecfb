//! Disposable databases on a dev server (`devdb`): made, dropped and listed, and what the admin
//! connection does for a sealed role. sqlx's pools are typed per engine, so this dispatches on
//! the connection; each engine's `sandbox.rs` does the work. `devdb` names no engine.

use super::{mysql, postgres, Conn};
use crate::devdb::ExtensionRequest;
use crate::schema::Dialect;
use anyhow::{bail, Result};

impl Conn {
    /// Create disposable database `name` on this admin connection, with a principal sealed in
    /// it where the engine and the admin's rights allow: Some((user, password)) to connect as;
    /// None: the admin's own user.
    pub async fn create_sandbox(&self, name: &str, password: &str, statement_timeout_ms: u64) -> Result<Option<(String, String)>> {
        match self {
            Conn::Postgres(p) => {
                let principal = postgres::sandbox::create(p, name, password, statement_timeout_ms).await?;
                postgres::sandbox::tune(p, name).await;
                Ok(match principal {
                    postgres::sandbox::Principal::Sealed(u, pw) => Some((u, pw)),
                    postgres::sandbox::Principal::Admin => None,
                })
            }
            Conn::Mysql(p) => mysql::sandbox::create(p, name, password).await.map(Some),
            Conn::Sqlite(_) => bail!("SQLite disposable databases are memory; they have no server"),
        }
    }

    /// Drop disposable database `name` and its principal, if they exist.
    pub async fn drop_sandbox(&self, name: &str) {
        match self {
            Conn::Postgres(p) => postgres::sandbox::drop(p, name).await,
            Conn::Mysql(p) => mysql::sandbox::drop(p, name).await,
            Conn::Sqlite(_) => {}
        }
    }

    /// The disposable databases and principals whose names start with `prefix`.
    pub async fn list_sandboxes(&self, prefix: &str) -> Result<Vec<String>> {
        match self {
            Conn::Postgres(p) => postgres::sandbox::list(p, prefix).await,
            Conn::Mysql(p) => mysql::sandbox::list(p, prefix).await,
            Conn::Sqlite(_) => Ok(Vec::new()),
        }
    }

    /// The function this connection's role made last without LEAKPROOF (PostgreSQL, where only
    /// a superuser may mark it), as its signature; None elsewhere.
    pub async fn last_function_without_leakproof(&self) -> Result<Option<String>> {
        match self {
            Conn::Postgres(p) => postgres::sandbox::last_function_without_leakproof(p).await,
            Conn::Mysql(_) | Conn::Sqlite(_) => Ok(None),
        }
    }
}

/// `CREATE EXTENSION` rebuilt from the parsed parts of an allow-listed request (PostgreSQL; no
/// other engine has extensions), so no other text of the statement reaches the admin connection.
pub fn create_extension_sql(d: Dialect, e: &ExtensionRequest) -> Option<String> {
    match d {
        Dialect::Postgres => Some(postgres::sandbox::create_extension_sql(e)),
        Dialect::Mysql | Dialect::Sqlite => None,
    }
}

/// `DROP EXTENSION` for an allow-listed extension (PostgreSQL).
pub fn drop_extension_sql(d: Dialect, name: &str, if_exists: bool) -> Option<String> {
    match d {
        Dialect::Postgres => Some(postgres::sandbox::drop_extension_sql(name, if_exists)),
        Dialect::Mysql | Dialect::Sqlite => None,
    }
}
