//! Desired-state readers: Atlas HCL files and directories, SQL schema files (loaded into a
//! disposable database and inspected back), and other databases.
pub mod directives;
pub mod hcl;
pub mod sql;

use crate::devdb::DevDb;
use crate::engine::{Conn, InspectOptions};
use crate::schema::{Dialect, Realm};
use crate::url::{redact, DbUrl};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;

/// What `--to` / `--from` point at.
#[derive(Debug, Clone)]
pub enum Source {
    Hcl(Vec<String>),
    Sql(Vec<String>),
    Url(String),
}

impl Source {
    pub fn classify(args: &[String]) -> Result<Source> {
        if args.is_empty() {
            bail!("no desired state given; pass --to file://schema.hcl (or a .sql file, a directory, or a database URL)");
        }
        let first = &args[0];
        if args.len() == 1 && !first.starts_with("file://") && (first.contains("://") || first.starts_with("sqlite:")) {
            return Ok(Source::Url(args[0].clone()));
        }
        let mut hcl = Vec::new();
        let mut sql = Vec::new();
        for a in args {
            let p = a.strip_prefix("file://").unwrap_or(a);
            let path = Path::new(p);
            if path.is_dir() {
                let mut entries: Vec<_> = std::fs::read_dir(path).with_context(|| format!("cannot read directory {p}"))?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
                entries.sort();
                let has_hcl = entries.iter().any(|e| e.extension().is_some_and(|x| x == "hcl") && e.file_name().is_some_and(|n| n != "atlas.hcl"));
                let sqls: Vec<String> = entries.iter().filter(|e| e.extension().is_some_and(|x| x == "sql")).map(|e| e.display().to_string()).collect();
                if has_hcl {
                    hcl.push(p.to_string());
                } else if !sqls.is_empty() {
                    sql.extend(sqls);
                } else {
                    bail!("{:?} contains neither SQL nor HCL files: no schema files found in {p}", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.to_string()));
                }
            } else if p.ends_with(".sql") {
                sql.push(p.to_string());
            } else if p.ends_with(".hcl") {
                hcl.push(p.to_string());
            } else if !path.exists() {
                bail!("{p}: no such file or directory");
            } else {
                bail!("{p}: cannot tell the format; schema files end in .hcl or .sql");
            }
        }
        match (hcl.is_empty(), sql.is_empty()) {
            (false, true) => Ok(Source::Hcl(hcl)),
            (true, false) => Ok(Source::Sql(sql)),
            _ => bail!("mixing HCL and SQL schema files in one desired state is not supported; pick one"),
        }
    }
}

/// Load the desired state for `dialect`. HCL is decoded and canonicalized offline; SQL needs a
/// disposable database.
pub async fn load(src: &Source, dialect: Dialect, dev_url: Option<&str>, vars: &HashMap<String, String>) -> Result<Realm> {
    match src {
        Source::Hcl(paths) => {
            let files = hcl::read_sources(paths)?;
            Ok(hcl::decode_files(&files, dialect, vars)?)
        }
        Source::Sql(paths) => {
            let mut dev = DevDb::open(dialect, dev_url).await?;
            let r = match dev.one_session().await {
                Ok(()) => match load_sql_files(&dev, paths).await {
                    Ok(()) => dev.fresh_connections().await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            let realm = match r {
                Ok(()) => inspect_dev(&dev, None).await,
                Err(e) => Err(e),
            };
            dev.close().await;
            let mut realm = realm?;
            for p in paths {
                let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {p}"))?;
                directives::attach(&mut realm, &directives::renames(p, &text, dialect))?;
            }
            Ok(realm)
        }
        Source::Url(u) => {
            let url = DbUrl::parse(u)?;
            if url.dialect != dialect {
                bail!("{} is {}, but the target is {}", redact(u), url.dialect.name(), dialect.name());
            }
            let c = Conn::connect(&url).await?;
            let r = c.inspect(&InspectOptions::default()).await;
            c.close().await;
            r
        }
    }
}

/// Inspect a disposable database; for MySQL its one database is reported under `name`.
pub async fn inspect_dev(dev: &DevDb, name: Option<&str>) -> Result<Realm> {
    let mut realm = dev.conn.inspect(&InspectOptions::default()).await?;
    if let (Some(db), Some(n)) = (dev.database(), name) {
        if dev.conn.dialect() == Dialect::Mysql {
            realm.rename_schemas(&HashMap::from([(db.to_string(), n.to_string())]));
        }
    }
    Ok(realm)
}

async fn load_sql_files(dev: &DevDb, paths: &[String]) -> Result<()> {
    let mut stmts = Vec::new();
    for p in paths {
        let src = std::fs::read_to_string(p).with_context(|| format!("cannot read {p}"))?;
        let opts = sql::SplitOptions { backslash_escapes: dev.conn.dialect() == Dialect::Mysql };
        for (at, s) in sql::split_at(&src, opts) {
            // pg_dump ≥ 17.6 fences its output with \restrict lines; they only guard psql itself.
            // A BEGIN … COMMIT around the file changes nothing when each statement runs alone.
            if s.starts_with("\\restrict") || s.starts_with("\\unrestrict") || sql::transaction_wrapper(&s) {
                continue;
            }
            let (line, col) = sql::line_col(&src, at);
            if let Some(why) = sql::refused(&s) {
                bail!("{p}:{line}:{col}: {why}\n  statement: {}", first_line(&s));
            }
            stmts.push((format!("{p}:{line}:{col}"), s));
        }
    }
    exec_all_dev(dev, stmts).await
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    crate::report::escape::line(if l.len() > 120 { &l[..l.char_indices().nth(120).map(|(i, _)| i).unwrap_or(l.len())] } else { l })
}

/// Run statements that may not be in dependency order (real dumps are not): run what succeeds,
/// retry the rest while each round makes progress. `file` names where each came from.
pub async fn exec_all(conn: &Conn, stmts: Vec<(String, String)>) -> Result<()> {
    exec_retrying(conn.dialect(), stmts, async |s: &str| conn.execute(s).await).await
}

/// [`exec_all`] for desired-state SQL: in a disposable database, sealed, one statement at a time.
pub async fn exec_all_dev(dev: &DevDb, stmts: Vec<(String, String)>) -> Result<()> {
    exec_retrying(dev.conn.dialect(), stmts, async |s: &str| dev.execute(s).await).await
}

async fn exec_retrying(dialect: Dialect, stmts: Vec<(String, String)>, run: impl AsyncFn(&str) -> Result<()>) -> Result<()> {
    let mut pending = stmts;
    loop {
        let mut failed = Vec::new();
        let before = pending.len();
        for (file, s) in pending {
            if let Err(e) = run(&s).await {
                // A statement stopped for its time limit is not retried: it would only wait again.
                if e.downcast_ref::<crate::devdb::StatementTimeout>().is_some() {
                    bail!("{file}: {e}");
                }
                failed.push((file, s, e));
            }
        }
        let Some((file, _, e)) = failed.first() else { return Ok(()) };
        if failed.len() == before {
            let hint = uuid_hint(dialect, &e.to_string());
            bail!("{file}: {e}{hint}");
        }
        pending = failed.into_iter().map(|(f, s, _)| (f, s)).collect();
    }
}

/// The seed writes `type = UUID`; MySQL has no uuid type (MariaDB ≥ 10.7 does).
pub fn uuid_hint(d: Dialect, err: &str) -> String {
    if d == Dialect::Mysql && err.to_ascii_lowercase().contains("uuid") {
        "\n  hint: MySQL has no uuid type (MariaDB has it from 10.7); use char(36) or binary(16)".into()
    } else {
        String::new()
    }
}
