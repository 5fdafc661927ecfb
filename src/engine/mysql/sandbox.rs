//! The sealed principal of a disposable MySQL/MariaDB database: a throw-away account whose only
//! privileges are on that one database (schemas are databases here, and one server holds the
//! target, other applications' databases and the grant tables). Desired-state SQL runs as it, so
//! a `DELETE` or `DROP TABLE` of another database, `INTO OUTFILE`, `LOAD DATA` or `SET GLOBAL`
//! in a pull request is refused by the server.

use crate::engine::{quote_ident, quote_literal};
use crate::schema::Dialect;
use anyhow::{Context, Result};
use sqlx::MySqlPool;

fn lit(s: &str) -> String {
    quote_literal(Dialect::Mysql, s)
}

/// A database name in GRANT is a pattern: `_` and `%` are wildcards there, and must not be
/// (`sg_dev_1` would also grant `sgXdevX1`).
fn grant_pattern(name: &str) -> String {
    quote_ident(Dialect::Mysql, &name.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%"))
}

/// Create database `name` and the account `name`@(this client's host) with every privilege on it
/// and on nothing else. Returns the account's user and password.
pub async fn create(admin: &MySqlPool, name: &str, password: &str) -> Result<(String, String)> {
    // The host the server sees this client as: the sealed connections come from the same place.
    let (host,): (String,) = sqlx::query_as("SELECT SUBSTRING_INDEX(USER(), '@', -1)").fetch_one(admin).await?;
    run(admin, &format!("CREATE DATABASE {}", quote_ident(Dialect::Mysql, name))).await.context("creating a disposable database on the dev server (the dev user needs CREATE)")?;
    let account = format!("{}@{}", lit(name), lit(&host));
    run(admin, &format!("CREATE USER {account} IDENTIFIED BY {} WITH MAX_USER_CONNECTIONS 8", lit(password)))
        .await
        .context("creating the disposable database's account (the dev user needs CREATE USER and GRANT OPTION)")?;
    run(admin, &format!("GRANT ALL PRIVILEGES ON {}.* TO {account}", grant_pattern(name))).await?;
    Ok((name.to_string(), password.to_string()))
}

/// End the account's sessions, drop database `name` and every account named `name`.
pub async fn drop(admin: &MySqlPool, name: &str) {
    // A statement still running (a SLEEP, a long INSERT … SELECT) would hold the database's
    // metadata lock and make DROP DATABASE wait.
    if let Ok(ids) = sqlx::query_as::<_, (u64,)>("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?").bind(name).fetch_all(admin).await {
        for (id,) in ids {
            let _ = run(admin, &format!("KILL CONNECTION {id}")).await;
        }
    }
    let _ = run(admin, &format!("DROP DATABASE IF EXISTS {}", quote_ident(Dialect::Mysql, name))).await;
    if let Ok(hosts) = sqlx::query_as::<_, (String,)>("SELECT CAST(Host AS CHAR) FROM mysql.user WHERE User = ?").bind(name).fetch_all(admin).await {
        for (host,) in hosts {
            let _ = run(admin, &format!("DROP USER IF EXISTS {}@{}", lit(name), lit(&host))).await;
        }
    }
}

/// Databases and accounts named `prefix…` on the server.
pub async fn list(admin: &MySqlPool, prefix: &str) -> Result<Vec<String>> {
    let like = format!("{}%", prefix.replace('_', "\\_"));
    let mut names: Vec<String> = sqlx::query_as::<_, (String,)>("SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?").bind(&like).fetch_all(admin).await?.into_iter().map(|r| r.0).collect();
    if let Ok(users) = sqlx::query_as::<_, (String,)>("SELECT DISTINCT CAST(User AS CHAR) FROM mysql.user WHERE User LIKE ?").bind(&like).fetch_all(admin).await {
        names.extend(users.into_iter().map(|r| r.0));
    }
    names.sort();
    names.dedup();
    Ok(names)
}

async fn run(pool: &MySqlPool, sql: &str) -> Result<()> {
    sqlx::raw_sql(sql).execute(pool).await.map(|_| ()).map_err(|e| anyhow::anyhow!("{}", crate::engine::db_error_text(&e)))
}
