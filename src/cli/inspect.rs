//! `schemagate inspect`: print a live database as Atlas HCL, SQL or JSON.

use crate::schema::Realm;
use anyhow::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Hcl,
    Sql,
    Json,
    /// A Mermaid erDiagram of the tables and their foreign keys.
    Mermaid,
}

pub async fn run(url: &str, schemas: &[String], format: Format) -> Result<String> {
    let (conn, mut realm) = super::inspect_url(url, schemas).await?;
    let d = conn.dialect();
    conn.close().await;
    if let Some(s) = realm.skipped_summary() {
        eprintln!("note: {s}");
    }
    // A MySQL URL that names its database is inspected as that one database; its SQL script is
    // unqualified and creates no database, so it loads into any database (as Atlas writes it).
    let bound = crate::url::DbUrl::parse(url).ok().and_then(|u| u.database).filter(|_| d == crate::schema::Dialect::Mysql);
    if let (Some(db), Format::Sql, [_]) = (&bound, format, realm.schemas.as_slice()) {
        realm.rename_schemas(&std::collections::HashMap::from([(db.clone(), String::new())]));
        let script = render(&realm, d, format);
        return Ok(script.lines().filter(|l| !l.starts_with("CREATE DATABASE ")).map(|l| format!("{l}\n")).collect());
    }
    Ok(render(&realm, d, format))
}

pub fn render(realm: &Realm, d: crate::schema::Dialect, format: Format) -> String {
    match format {
        Format::Hcl => crate::source::hcl::encode(realm, d),
        Format::Sql => {
            let mut s = String::new();
            for stmt in crate::plan::create_realm(realm, d) {
                s.push_str(&crate::report::script_statement(&stmt, d));
            }
            s
        }
        Format::Json => serde_json::to_string_pretty(realm).unwrap_or_default() + "\n",
        Format::Mermaid => crate::report::mermaid(realm, None, &Default::default(), &[]),
    }
}
