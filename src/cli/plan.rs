//! `schemagate plan`, `apply` and `diff`: the declarative workflow.

use crate::apply::{self, Refused, Session};
use crate::engine::{Conn, InspectOptions};
use crate::plan::compute::{self, Outcome};
use crate::report;
use crate::schema::{Dialect, Realm};
use crate::source::{self, Source};
use crate::lint::Finding;
use crate::url::DbUrl;
use anyhow::{bail, Result};
use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sql,
    Markdown,
    /// What `atlas schema apply` prints on stdout (`-- Planned Changes:` and the statements,
    /// tables on several lines); the change table, hash, verification and lint go to stderr.
    /// The default of `schema apply`.
    Atlas,
}

/// Lint settings shared by plan, apply and lint.
#[derive(Debug, Clone, Default)]
pub struct LintArgs {
    pub policy_dirs: Vec<std::path::PathBuf>,
    /// JSON files merged into data.schemagate.config (allow lists, naming rules).
    pub policy_data: Vec<std::path::PathBuf>,
    pub labels: Vec<String>,
    pub allow_destructive_label: Option<String>,
    /// `--allow-destructive`: this run accepts destructive changes (DS findings are overridden,
    /// with that reason shown).
    pub allow_destructive: bool,
    /// Run the exact data checks (NULLs, duplicates, lengths) against the target.
    pub data_checks: bool,
    /// atlas.hcl's `lint { <analyzer> { error = … } }` blocks, as JSON: an analyzer with
    /// `error = false` only warns, one with `error = true` denies.
    pub analyzers: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Args {
    pub lint: LintArgs,
    pub url: String,
    pub to: Vec<String>,
    pub dev_url: Option<String>,
    pub schemas: Vec<String>,
    pub exclude: Vec<String>,
    /// Roles whose privileges are managed (PostgreSQL), besides `role` blocks.
    pub roles: Vec<String>,
    pub vars: HashMap<String, String>,
    pub format: Format,
    /// Diff policy: change kinds to leave out (atlas.hcl `diff { skip {…} }`).
    pub skip: std::collections::BTreeSet<String>,
    /// Diff policy: PostgreSQL CONCURRENTLY index changes (atlas.hcl `diff { concurrent_index {…} }`).
    pub concurrent_index: crate::plan::ConcurrentIndex,
}

/// Fit the desired realm to the target: a URL bound to one schema (a MySQL database, a
/// PostgreSQL `search_path`) scopes a single desired schema onto it, as Atlas's schema scope
/// does. Returns the schemas to inspect.
fn scope(dialect: Dialect, url: &DbUrl, desired: &mut Realm, explicit: &[String]) -> Vec<String> {
    if !explicit.is_empty() {
        desired.schemas.retain(|s| explicit.contains(&s.name));
        return explicit.to_vec();
    }
    if dialect != Dialect::Sqlite {
        if let Some(db) = url.bound_schema() {
            super::scope_into(desired, dialect, &db);
        }
    }
    if dialect == Dialect::Sqlite {
        return vec![];
    }
    desired.schemas.iter().map(|s| s.name.clone()).collect()
}

pub async fn load_desired(a: &Args, dialect: Dialect) -> Result<Realm> {
    crate::devdb::refuse_target_as_dev(&a.url, a.dev_url.as_deref())?;
    let _t = crate::timings::stage("load desired state");
    let src = Source::classify(&a.to)?;
    source::load(&src, dialect, a.dev_url.as_deref(), &a.vars).await
}

pub fn render(o: &Outcome, findings: &[Finding], f: Format) -> String {
    match f {
        Format::Text => report::text(o, findings),
        Format::Json => report::json(o, findings),
        Format::Sql => report::sql(o),
        Format::Markdown => report::markdown(o, findings),
        Format::Atlas if o.plan.is_empty() => "Schema is synced, no changes to be made\n".into(),
        Format::Atlas => {
            let sqls: Vec<String> = o.plan.statements.iter().map(|s| s.sql.clone()).collect();
            report::atlas_sql::planned_changes(&sqls, o.plan.dialect)
        }
    }
}

/// Lint a computed plan against the target it was computed for.
pub async fn lint(conn: &Conn, o: &Outcome, l: &LintArgs) -> Result<Vec<Finding>> {
    if o.plan.is_empty() {
        return Ok(vec![]);
    }
    let changes = crate::lint::input::changes(&o.plan, &o.desired);
    let facts = {
        let _t = crate::timings::stage("lint: facts from the target");
        crate::lint::facts::gather(conn, &changes, l.data_checks).await
    };
    let ov = crate::lint::input::Overrides { nolint: o.desired.nolint.clone(), labels: l.labels.clone(), allow_destructive_label: l.allow_destructive_label.clone(), allow_destructive: l.allow_destructive, analyzers: l.analyzers.clone() };
    let doc = crate::lint::input::document(&o.plan, &o.desired, &facts, &ov);
    let mut data = Vec::new();
    for f in &l.policy_data {
        let text = std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read policy data {}: {e}", f.display()))?;
        data.push(serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", f.display()))?);
    }
    let _t = crate::timings::stage("lint: policies");
    crate::lint::evaluate(&crate::lint::Options { policy_dirs: l.policy_dirs.clone(), data }, &doc)
}

/// The target's connection, the desired state and the target's current state, read in that
/// order — except that a database URL as the desired state takes as long to read as the target,
/// so the two are inspected at once where that is possible (see `both_at_once`).
async fn connect_and_load(a: &Args, url: &DbUrl) -> Result<(Conn, Realm, Realm)> {
    if let (Ok(Source::Url(u)), true) = (Source::classify(&a.to), a.schemas.is_empty()) {
        let durl = DbUrl::parse(&u)?;
        if durl.dialect == url.dialect {
            let dconn = Conn::connect(&durl).await?;
            let loaded = both_at_once(a, url, &dconn).await;
            dconn.close().await;
            if let Some(loaded) = loaded? {
                return Ok(loaded);
            }
        }
    }
    let mut desired = load_desired(a, url.dialect).await?;
    let schemas = scope(url.dialect, url, &mut desired, &a.schemas);
    let conn = Conn::connect(url).await?;
    let _t = crate::timings::stage("inspect target");
    match conn.inspect(&InspectOptions { schemas }).await {
        Ok(current) => Ok((conn, desired, current)),
        Err(e) => {
            conn.close().await;
            Err(e)
        }
    }
}

/// Inspect the desired database (`desired_db`) and the target at the same time, the target
/// scoped to the schemas the desired database lists up front (one quick query; PostgreSQL).
/// None where it cannot list them: then the desired state has to be read first.
async fn both_at_once(a: &Args, url: &DbUrl, desired_db: &Conn) -> Result<Option<(Conn, Realm, Realm)>> {
    let Some(names) = desired_db.schema_names().await? else { return Ok(None) };
    let conn = Conn::connect(url).await?;
    let loaded = async {
        let (desired, current) = tokio::join!(
            async {
                let _t = crate::timings::stage("load desired state");
                desired_db.inspect(&InspectOptions::default()).await
            },
            async {
                let _t = crate::timings::stage("inspect target");
                conn.inspect(&InspectOptions { schemas: names.clone() }).await
            }
        );
        let (mut desired, mut current) = (desired?, current?);
        let schemas = scope(url.dialect, url, &mut desired, &a.schemas);
        if schemas.iter().collect::<BTreeSet<_>>() != names.iter().collect() {
            // The desired database changed between the listing and its inspection.
            current = conn.inspect(&InspectOptions { schemas }).await?;
        }
        Ok((desired, current))
    }
    .await;
    match loaded {
        Ok((desired, current)) => Ok(Some((conn, desired, current))),
        Err(e) => {
            conn.close().await;
            Err(e)
        }
    }
}

/// `plan`: the plan, its rehearsal and its lint findings.
pub async fn plan(a: &Args) -> Result<(Outcome, Vec<Finding>, String)> {
    let url = DbUrl::parse(&a.url)?;
    let (conn, desired, current) = connect_and_load(a, &url).await?;
    let result = async {
        let mut outcome = compute::compute(url.dialect, current, desired, &opts(a)).await?;
        crate::lint::facts::estimate(&conn, &mut outcome.plan).await;
        let findings = lint(&conn, &outcome, &a.lint).await?;
        Ok::<_, anyhow::Error>((outcome, findings))
    }
    .await;
    conn.close().await;
    let (outcome, findings) = result?;
    let out = render(&outcome, &findings, a.format);
    Ok((outcome, findings, out))
}

fn opts(a: &Args) -> compute::Options {
    // SQL files and database URLs come back from a database already normalized.
    let desired_normalized = !matches!(Source::classify(&a.to), Ok(Source::Hcl(_)));
    compute::Options { dev_url: a.dev_url.clone(), exclude: a.exclude.clone(), no_rehearse: false, desired_normalized, skip: a.skip.clone(), concurrent_index: a.concurrent_index, roles: a.roles.clone() }
}

pub struct ApplyArgs {
    pub common: Args,
    pub auto_approve: bool,
    pub dry_run: bool,
    pub plan_hash: Option<String>,
    pub lock_timeout: Duration,
    pub revisions_schema: String,
    /// The DDL's own lock and statement timeouts and retries.
    pub traffic: crate::apply::traffic::Traffic,
    /// `schema clean`: the desired state is the target's schemas with nothing in them (every
    /// table, view, routine and type the model holds is dropped; the schemas stay). Destructive
    /// by request, so the destructive findings are accepted for this run.
    pub clean: bool,
}

/// `apply`: lock, re-plan under the lock, check the reviewed hash, confirm, execute.
pub async fn apply(a: &ApplyArgs, out: &mut dyn std::io::Write) -> Result<Outcome> {
    let url = DbUrl::parse(&a.common.url)?;
    let (desired, schemas) = if a.clean {
        // `schema clean` empties what the URL names: the --schema list, else the schema (or
        // MySQL database) the URL is bound to, and only a URL bound to none means every schema.
        let bound = url.bound_schema().filter(|_| url.dialect != Dialect::Sqlite);
        let schemas = if a.common.schemas.is_empty() { bound.into_iter().collect() } else { a.common.schemas.clone() };
        (Realm::default(), schemas)
    } else {
        let mut desired = load_desired(&a.common, url.dialect).await?;
        let schemas = scope(url.dialect, &url, &mut desired, &a.common.schemas);
        (desired, schemas)
    };
    let conn = Conn::connect(&url).await?;
    let mut session = Session::lock(&conn, a.lock_timeout).await?;
    let result = apply_locked(a, &conn, &mut session, desired, schemas, out).await;
    session.unlock().await;
    conn.close().await;
    result
}

async fn apply_locked(a: &ApplyArgs, conn: &Conn, session: &mut Session, desired: Realm, schemas: Vec<String>, out: &mut dyn std::io::Write) -> Result<Outcome> {
    let current = session.inspect(conn, &InspectOptions { schemas }).await?;
    let desired = if a.clean { emptied(&current) } else { desired };
    let mut o = compute::compute(conn.dialect(), current, desired, &opts(&a.common)).await?;
    crate::lint::facts::estimate(conn, &mut o.plan).await;
    let findings = lint(conn, &o, &a.common.lint).await?;
    let atlas = a.common.format == Format::Atlas;
    if atlas {
        // Atlas's CLI runs its tables as it prints them, on several lines (SQLite keeps the
        // text). Whitespace only: the plan hash stays the one `plan` printed for review.
        for st in &mut o.plan.statements {
            st.sql = report::atlas_sql::indented_table(&st.sql);
        }
        eprint!("{}", report::side_report(&o, &findings));
    }
    write!(out, "{}", render(&o, &findings, a.common.format))?;
    // Atlas's stdout holds the planned changes alone; this tool's own lines go to stderr there.
    let note = |out: &mut dyn std::io::Write, line: String| -> std::io::Result<()> {
        if atlas {
            eprintln!("{line}");
            Ok(())
        } else {
            writeln!(out, "{line}")
        }
    };
    if let Some(h) = &a.plan_hash {
        if h != &o.plan.hash {
            return Err(Refused(format!(
                "refusing to apply: the plan computed now ({}) is not the reviewed plan ({h}).\n  \
                 The target drifted or the schema changed after review; plan again and review the new plan.",
                short(&o.plan.hash)
            ))
            .into());
        }
    }
    if o.plan.is_empty() {
        return Ok(o);
    }
    if o.verified == Some(false) {
        bail!("the plan is unverified (see the differences above); nothing was applied");
    }
    if findings.iter().any(|f| f.blocks()) {
        return Err(Denied(findings.iter().filter(|f| f.blocks()).map(|f| format!("{} {}", f.code, f.target)).collect::<Vec<_>>().join(", ")).into());
    }
    if a.dry_run {
        note(out, "dry run: nothing was applied".into())?;
        return Ok(o);
    }
    if !a.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(Refused("refusing to apply without confirmation: no terminal to ask on.\n  hint: review the plan above, then pass --auto-approve (or --plan-hash HASH to pin the reviewed plan)".into()).into());
        }
        eprint!("Apply {} statement(s)? [y/N] ", o.plan.statements.len());
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(Refused("apply aborted".into()).into());
        }
    }
    let ao = apply::Options { lock_timeout: a.lock_timeout, revisions_schema: a.revisions_schema.clone(), traffic: a.traffic, ..Default::default() };
    let r = session.apply(&o.plan, &ao).await?;
    note(out, format!("applied {} of {} statement(s) in {} ms", r.applied, r.total, r.millis))?;
    Ok(o)
}

/// The realm's schemas as they are (name, comment, charset), with nothing in them.
fn emptied(r: &Realm) -> Realm {
    Realm {
        schemas: r.schemas.iter().map(|s| crate::schema::Schema { name: s.name.clone(), comment: s.comment.clone(), charset: s.charset.clone(), collate: s.collate.clone(), ..Default::default() }).collect(),
        ..Default::default()
    }
}

/// Lint denied the plan (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("policy denied the plan ({0}); nothing was applied.\n  hint: if the change is intended, add an `atlas:nolint CODE` comment above the block, an allow list entry, or the pull request's allow label; destructive changes (DS…) can also be accepted for one run with --allow-destructive")]
pub struct Denied(pub String);

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// `diff --from SRC --to SRC`: SQL that turns one state into the other (no target, no apply).
pub async fn diff(from: &[String], to: &[String], dev_url: Option<&str>, dialect_hint: Option<Dialect>, vars: &HashMap<String, String>) -> Result<String> {
    let fs = Source::classify(from)?;
    let ts = Source::classify(to)?;
    // The dev URL's engine, where the sources are files (a docker:// URL names its image).
    let dev_dialect = dev_url.and_then(|u| match u.strip_prefix("docker://") {
        Some(img) if img.starts_with("postgres") => Some(Dialect::Postgres),
        Some(img) if img.starts_with("mysql") || img.starts_with("mariadb") => Some(Dialect::Mysql),
        Some(_) => None,
        None if u.starts_with("ephemeral://postgres") => Some(Dialect::Postgres),
        None if u.starts_with("ephemeral://") => Some(Dialect::Mysql),
        None => DbUrl::parse(u).ok().map(|d| d.dialect),
    });
    let dialect = match (&fs, &ts, dialect_hint.or(dev_dialect)) {
        (Source::Url(u), _, _) | (_, Source::Url(u), _) => DbUrl::parse(u)?.dialect,
        (_, _, Some(d)) => d,
        _ => bail!("cannot tell the engine from files alone; pass --dev-url (its engine is used)"),
    };
    let mut a = source::load(&fs, dialect, dev_url, vars).await?;
    let b = source::load(&ts, dialect, dev_url, vars).await?;
    if dialect == Dialect::Mysql {
        if let ([x], [y]) = (a.schemas.as_slice(), b.schemas.as_slice()) {
            let map = HashMap::from([(x.name.clone(), y.name.clone())]);
            a.rename_schemas(&map);
        }
    }
    let o = compute::compute(dialect, a, b, &compute::Options { dev_url: dev_url.map(String::from), exclude: vec![], no_rehearse: true, desired_normalized: false, skip: Default::default(), concurrent_index: Default::default(), roles: vec![] }).await?;
    Ok(if o.plan.is_empty() { "-- Schemas are synced, no changes to be made.\n".into() } else { report::sql(&o) })
}
