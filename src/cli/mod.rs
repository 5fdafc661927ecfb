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

/// Atlas's schema scope: the desired realm's one schema is the schema a URL is bound to (a
/// MySQL database, a PostgreSQL `search_path`). A schema file's objects land there, so the
/// comment a new database gives its default schema (which a SQL file was loaded into) does
/// not come along.
pub fn scope_into(realm: &mut Realm, dialect: Dialect, bound: &str) {
    let [only] = realm.schemas.as_mut_slice() else { return };
    if only.name == bound {
        return;
    }
    if only.comment.is_some() && only.comment.as_deref() == crate::engine::of(dialect).default_schema_comment(&only.name) {
        only.comment = None;
    }
    let from = only.name.clone();
    realm.rename_schemas(&std::collections::HashMap::from([(from, bound.to_string())]));
}

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
