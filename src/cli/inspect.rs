//! `schemagate inspect`: print a live database as Atlas HCL, SQL or JSON.

use crate::schema::Realm;
use anyhow::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Hcl,
    Sql,
    /// Atlas's `{{ sql . }}` layout (see `report::atlas_sql`); `indent` for `{{ sql . "  " }}`.
    AtlasSql { indent: bool },
    Json,
    /// A Mermaid erDiagram of the tables and their foreign keys.
    Mermaid,
}

pub async fn run(url: &str, schemas: &[String], exclude: &[String], format: Format) -> Result<String> {
    let (conn, mut realm) = super::inspect_url(url, schemas).await?;
    let d = conn.dialect();
    conn.close().await;
    let bound = crate::url::DbUrl::parse(url).ok().and_then(|u| u.bound_schema());
    exclude_scoped(&mut realm, d, bound.as_deref(), exclude);
    if let Some(s) = realm.skipped_summary() {
        eprintln!("note: {s}");
    }
    // A URL bound to one schema (a MySQL database, a PostgreSQL search_path) is inspected as
    // that one schema; its SQL script is unqualified and creates no schema, so it loads into
    // any (as Atlas writes it).
    if let (Some(db), Format::Sql | Format::AtlasSql { .. }, [_]) = (&bound, format, realm.schemas.as_slice()) {
        unqualify(&mut realm, db);
    }
    if let (Some(db), Format::Hcl) = (&bound, format) {
        unqualify_array_types(&mut realm, db);
    }
    Ok(render(&realm, d, format))
}

/// On a URL bound to one schema, an array of that schema's own type is written as the search
/// path shows it, `sql("status[]")` rather than `sql("app.status[]")` (as Atlas inspects it).
/// The type itself stays `enum.status`: the encoder finds it by its qualified name.
fn unqualify_array_types(realm: &mut Realm, bound: &str) {
    let prefix = format!("{}.", crate::schema::type_ref::quote_ident_if_needed(bound));
    for c in realm.schemas.iter_mut().flat_map(|s| s.tables.iter_mut()).flat_map(|t| t.columns.iter_mut()) {
        if let Some(rest) = c.ty.strip_prefix(&prefix).filter(|r| r.ends_with(']')) {
            c.ty = rest.to_string();
        }
    }
}

/// The realm's one schema, bound by the URL, left unnamed: the script then creates no schema
/// and qualifies nothing.
fn unqualify(realm: &mut Realm, bound: &str) {
    realm.rename_schemas(&std::collections::HashMap::from([(bound.to_string(), String::new())]));
}

/// The realm as SQL statements; a schema left unnamed (see [`unqualify`]) is not created.
fn statements(realm: &Realm, d: crate::schema::Dialect) -> Vec<String> {
    let mut out = crate::plan::create_realm(realm, d);
    if realm.schemas.iter().any(|x| x.name.is_empty()) {
        out.retain(|s| !["CREATE DATABASE ", "CREATE SCHEMA ", "COMMENT ON SCHEMA "].iter().any(|p| s.starts_with(p)));
    }
    out
}

/// `schemagate schema inspect --url file://schema.sql --dev-url DEV`: what a schema file
/// describes, as the database of --dev-url's engine makes of it (Atlas's file inspection).
/// `--exclude` globs: on a URL bound to one schema (SQLite's `main` always) they are Atlas's
/// schema-relative patterns (`users`, `*.tmp_*`).
fn exclude_scoped(realm: &mut Realm, d: crate::schema::Dialect, bound: Option<&str>, exclude: &[String]) {
    let scope = crate::engine::of(d).only_schema().or(bound);
    let patterns: Vec<String> = exclude.iter().map(|p| scope.map(|s| format!("{s}.{p}")).unwrap_or_else(|| p.clone())).collect();
    realm.exclude(&patterns);
}

pub async fn run_file(url: &str, dev_url: Option<&str>, vars: &std::collections::HashMap<String, String>, schemas: &[String], exclude: &[String], format: Format) -> Result<String> {
    let Some(dev) = dev_url else {
        anyhow::bail!("--dev-url cannot be empty: inspecting {} needs a dev database, whose engine is the file's dialect (e.g. --dev-url docker://postgres/15/dev, mysql://root@127.0.0.1:3306/, sqlite://dev?mode=memory)", crate::url::redact(url));
    };
    let dialect = crate::devdb::dev_dialect(dev)?;
    let src = crate::source::Source::classify(&[url.to_string()])?;
    let mut realm = crate::source::load(&src, dialect, Some(dev), vars).await?;
    if !schemas.is_empty() {
        realm.schemas.retain(|s| schemas.contains(&s.name));
    }
    // A dev URL bound to one schema names the file's one schema, as Atlas's schema scope does.
    let bound = crate::url::DbUrl::parse(dev).ok().and_then(|u| u.bound_schema());
    if let Some(b) = &bound {
        super::scope_into(&mut realm, dialect, b);
    }
    exclude_scoped(&mut realm, dialect, bound.as_deref(), exclude);
    if let (Some(b), Format::Sql | Format::AtlasSql { .. }) = (&bound, format) {
        unqualify(&mut realm, b);
    }
    Ok(render(&realm, dialect, format))
}

pub fn render(realm: &Realm, d: crate::schema::Dialect, format: Format) -> String {
    match format {
        Format::Hcl => crate::source::hcl::encode(realm, d),
        Format::Sql => statements(realm, d).iter().map(|s| crate::engine::of(d).script_statement(s)).collect(),
        Format::AtlasSql { indent } => {
            let mut realm = realm.clone();
            let engine = crate::engine::of(d);
            for c in realm.schemas.iter_mut().flat_map(|s| s.tables.iter_mut()).flat_map(|t| t.columns.iter_mut()) {
                c.ty = engine.atlas_sql_type(&c.ty);
            }
            crate::report::atlas_sql::script(&statements(&realm, d), d, indent)
        }
        Format::Json => serde_json::to_string_pretty(realm).unwrap_or_default() + "\n",
        Format::Mermaid => crate::report::mermaid(realm, None, &Default::default(), &[]),
    }
}
