//! One module per subcommand; each takes parsed arguments and returns an exit code.
pub mod action;
pub mod config;
pub mod fmt;
pub mod run;
pub mod inspect;
pub mod plan;

use crate::schema::Realm;
use crate::engine::{Conn, InspectOptions};
use crate::url::DbUrl;
use anyhow::Result;

/// Connect and inspect, the first step of most commands.
pub async fn inspect_url(url: &str, schemas: &[String]) -> Result<(Conn, Realm)> {
    let u = DbUrl::parse(url)?;
    let conn = Conn::connect(&u).await?;
    let realm = conn.inspect(&InspectOptions { schemas: schemas.to_vec() }).await?;
    Ok((conn, realm))
}
