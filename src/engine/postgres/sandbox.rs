//! The sealed principal of a disposable PostgreSQL database. Desired-state SQL (a view's query, a
//! default, a routine body, a whole SQL file) is attacker input on a pull request, so it runs as
//! a throw-away role that owns only its disposable database: no SUPERUSER, CREATEDB, CREATEROLE,
//! REPLICATION, BYPASSRLS, and no membership in pg_execute_server_program or the server-file
//! roles. PostgreSQL gives a session no way to reach another database, so owning one database is
//! the whole of what such a role can touch. What truly needs more (an allow-listed extension) is
//! done by schemagate itself over the admin connection, from the parsed name, never user text.

use crate::engine::{quote_ident, quote_literal};
use crate::schema::Dialect;
use anyhow::{bail, Context, Result};
use sqlx::PgPool;

/// Who runs the disposable database's SQL.
pub enum Principal {
    /// A throw-away role (user, password), dropped with the database.
    Sealed(String, String),
    /// The dev URL's own user: it has none of the rights a sealed role lacks, so it may run the
    /// SQL itself (a dev URL without CREATEROLE).
    Admin,
}

/// Roles whose members reach outside the database (server files, server programs).
const DANGEROUS_ROLES: &str = "'pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'";

fn q(name: &str) -> String {
    quote_ident(Dialect::Postgres, name)
}

/// Create database `name` and, where the admin may, the role `name` that owns it and nothing else.
/// `statement_timeout_ms` becomes the role's default (the client enforces it too: a role may
/// change its own session settings).
pub async fn create(admin: &PgPool, name: &str, password: &str, statement_timeout_ms: u64) -> Result<Principal> {
    let (is_super, create_role, dangerous): (bool, bool, bool) = sqlx::query_as(&format!(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles d WHERE d.rolname IN ({DANGEROUS_ROLES}) AND pg_has_role(r.oid, d.oid, 'MEMBER')) \
         FROM pg_roles r WHERE r.rolname = current_user"
    ))
    .fetch_one(admin)
    .await
    .context("reading the dev user's rights")?;
    if !is_super && !create_role {
        if dangerous {
            bail!(
                "the dev user may run server programs or read/write server files, and cannot create a role without those rights; \
                 desired-state SQL from a pull request must not run with them.\n  \
                 hint: give the dev user CREATEROLE (schemagate then runs that SQL as a throw-away role), or use a dev user without pg_execute_server_program / pg_read_server_files / pg_write_server_files"
            );
        }
        run(admin, &format!("CREATE DATABASE {}", q(name))).await.context("creating a disposable database on the dev server (the dev user needs CREATEDB)")?;
        return Ok(Principal::Admin);
    }
    run(
        admin,
        &format!(
            "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 8",
            q(name),
            quote_literal(Dialect::Postgres, password)
        ),
    )
    .await
    .context("creating the disposable database's role")?;
    if !is_super {
        // A CREATEROLE user may create a database for a role only as a member of it.
        run(admin, &format!("GRANT {} TO current_user", q(name))).await?;
    }
    let settings = [format!("statement_timeout = {statement_timeout_ms}"), "idle_in_transaction_session_timeout = 60000".into()];
    for s in settings {
        run(admin, &format!("ALTER ROLE {} SET {s}", q(name))).await?;
    }
    if is_super {
        // Only a superuser may set (and so only a superuser may lift) the temp file cap.
        run(admin, &format!("ALTER ROLE {} SET temp_file_limit = '1GB'", q(name))).await?;
    }
    run(admin, &format!("CREATE DATABASE {} OWNER {}", q(name), q(name))).await.context("creating a disposable database on the dev server (the dev user needs CREATEDB)")?;
    run(admin, &format!("REVOKE ALL ON DATABASE {} FROM PUBLIC", q(name))).await?;
    Ok(Principal::Sealed(name.to_string(), password.to_string()))
}

/// Settings of a new disposable database. It holds only part of a schema (what a change
/// touches), so SQL-language routines may name tables it does not have: their bodies are
/// checked on the target, where the plan creates routines after the tables. Loading a copy is a
/// few hundred one-statement transactions; none needs to wait for its WAL to reach disk (a
/// crash loses the database anyway).
pub async fn tune(admin: &PgPool, name: &str) {
    for setting in ["check_function_bodies = off", "synchronous_commit = off"] {
        let _ = run(admin, &format!("ALTER DATABASE {} SET {setting}", q(name))).await;
    }
}

/// The function the current role made last and did not mark LEAKPROOF (only a superuser may),
/// as its signature: what the admin connection marks for it.
pub async fn last_function_without_leakproof(c: &PgPool) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND NOT p.proleakproof ORDER BY p.oid DESC LIMIT 1")
        .fetch_optional(c)
        .await?)
}

/// `DROP EXTENSION` as schemagate itself runs it for an allow-listed extension.
pub fn drop_extension_sql(name: &str, if_exists: bool) -> String {
    format!("DROP EXTENSION {}{}", if if_exists { "IF EXISTS " } else { "" }, q(name))
}

/// Drop database `name` (its sessions ended first) and role `name`, if they exist.
pub async fn drop(admin: &PgPool, name: &str) {
    let _ = run(admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", q(name))).await;
    let _ = run(admin, &format!("DROP ROLE IF EXISTS {}", q(name))).await;
}

/// Databases and roles named `prefix…` on the server (leftovers of killed runs among them).
pub async fn list(admin: &PgPool, prefix: &str) -> Result<Vec<String>> {
    let like = format!("{}%", prefix.replace('_', "\\_"));
    let rows: Vec<(String,)> = sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname LIKE $1 UNION SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1")
        .bind(&like)
        .fetch_all(admin)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// `CREATE EXTENSION` as schemagate itself runs it for an allow-listed extension: rebuilt from
/// the parsed parts, so no other text of the statement reaches the admin connection.
pub fn create_extension_sql(e: &crate::devdb::ExtensionRequest) -> String {
    let mut s = format!("CREATE EXTENSION IF NOT EXISTS {}", q(&e.name));
    if let Some(schema) = &e.schema {
        s.push_str(&format!(" SCHEMA {}", q(schema)));
    }
    if let Some(v) = &e.version {
        s.push_str(&format!(" VERSION {}", quote_literal(Dialect::Postgres, v)));
    }
    if e.cascade {
        s.push_str(" CASCADE");
    }
    s
}

async fn run(pool: &PgPool, sql: &str) -> Result<()> {
    sqlx::raw_sql(sql).execute(pool).await.map(|_| ()).map_err(|e| anyhow::anyhow!("{}", crate::engine::db_error_text(&e)))
}
