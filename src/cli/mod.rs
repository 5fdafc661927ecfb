//! One module per subcommand; each takes parsed arguments and returns an exit code.
pub mod action;
pub mod config;
pub mod fmt;
pub mod run;
pub mod inspect;
pub mod plan;

use crate::schema::{Dialect, Realm};
use crate::engine::{Conn, InspectOptions};
use crate::url::DbUrl;
use anyhow::Result;

/// Connect and inspect, the first step of most commands.
pub async fn inspect_url(url: &str, schemas: &[String]) -> Result<(Conn, Realm)> {
    let u = DbUrl::parse(url)?;
    let conn = Conn::connect(&u).await?;
    // A PostgreSQL URL bound to one schema (`?search_path=app`) inspects that schema, as Atlas's
    // schema scope does.
    let schemas = match (schemas, u.dialect, u.bound_schema()) {
        ([], Dialect::Postgres, Some(s)) => vec![s],
        _ => schemas.to_vec(),
    };
    let realm = conn.inspect(&InspectOptions { schemas }).await?;
    Ok((conn, realm))
}
