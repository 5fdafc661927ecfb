//! sqldef's own migration cases (../shared/corpus/sqldef), run as ../shared/corpus/README.md
//! describes: load `current` into a fresh database and `desired` into another (the reference R);
//! plan from the first to R, rehearse, apply; pass when the result equals R (column order
//! compared loosely), re-planning is empty, and, where `up`/`down` exist, the way back passes too.
//! Prints `N passed, N failed, N skipped` per engine, writes failures to
//! target/conformance-<engine>.txt, and fails when a pass count drops below the ratchet in
//! tests/conformance.ratchet.

mod common;

use common::TestDb;
use schemagate::apply::{self, Session};
use schemagate::engine::{Conn, InspectOptions};
use schemagate::plan::compute::{self, Options};
use schemagate::schema::{Dialect, Realm};
use schemagate::source::sql::{split, SplitOptions};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Deserialize, Default, Clone)]
struct Case {
    #[serde(default)]
    current: String,
    #[serde(default)]
    desired: String,
    up: Option<String>,
    down: Option<String>,
    error: Option<String>,
    min_version: Option<String>,
    max_version: Option<String>,
    flavor: Option<String>,
    enable_drop: Option<bool>,
    #[serde(flatten)]
    other: BTreeMap<String, yaml_serde::Value>,
}

enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

/// The roles whose privileges a case manages: sqldef's `managed_roles`, or the targets of
/// `manage.privilege` rules that may drop (schemagate has no per-role "grant but never revoke").
fn managed_roles(c: &Case) -> Result<Vec<String>, String> {
    let strings = |v: &yaml_serde::Value| v.as_sequence().map(|s| s.iter().filter_map(|x| x.as_str().map(String::from)).collect::<Vec<_>>()).unwrap_or_default();
    let mut out = c.other.get("managed_roles").map(strings).unwrap_or_default();
    if let Some(m) = c.other.get("manage") {
        let Some(rules) = m.get("privilege").and_then(|p| p.as_sequence()) else {
            return Err("sqldef-specific option `manage` (other than privilege)".into());
        };
        for r in rules {
            if r.get("drop").and_then(|d| d.as_bool()) != Some(true) {
                return Err("sqldef-specific option `manage.privilege` with drop: false".into());
            }
            match r.get("target").and_then(|t| t.as_str()) {
                Some(t) => out.push(t.to_string()),
                None => return Err("sqldef-specific option `manage.privilege` without a target".into()),
            }
        }
    }
    Ok(out)
}

/// The grants schemagate compares for these managed roles (PUBLIC too, once any is managed).
fn scope(r: &mut Realm, roles: &[String]) {
    let mut set: std::collections::BTreeSet<String> = roles.iter().cloned().collect();
    if !set.is_empty() {
        set.insert("PUBLIC".into());
    }
    r.scope_grants(&set);
}

fn version_tuple(v: &str) -> Vec<u32> {
    v.split('.').filter_map(|p| p.parse().ok()).collect()
}

fn gated(c: &Case, dialect: Dialect, server: &[u32]) -> Option<String> {
    if c.error.is_some() {
        return Some("expects an error from sqldef's own parser".into());
    }
    if let Err(why) = managed_roles(c) {
        return Some(why);
    }
    for key in ["user", "config", "offline", "legacy_ignore_quotes", "target_schema"] {
        if c.other.contains_key(key) {
            if key == "legacy_ignore_quotes" && matches!(c.other.get(key), Some(yaml_serde::Value::Bool(false))) {
                continue;
            }
            return Some(format!("sqldef-specific option `{key}`"));
        }
    }

    if let Some(f) = &c.flavor {
        let here = match dialect {
            Dialect::Mysql => "mariadb",
            _ => "",
        };
        let ok = match f.strip_prefix('!') {
            Some(not) => not != here,
            None => f == here,
        };
        if !ok {
            return Some(format!("flavor {f}"));
        }
    }
    if let Some(min) = &c.min_version {
        if server < version_tuple(min).as_slice() {
            return Some(format!("needs version ≥ {min}"));
        }
    }
    if let Some(max) = &c.max_version {
        if server > version_tuple(max).as_slice() {
            return Some(format!("needs version ≤ {max}"));
        }
    }
    None
}

async fn load(db: &TestDb, sql: &str) -> anyhow::Result<()> {
    let c = db.conn().await;
    let stmts = split(sql, SplitOptions { backslash_escapes: db.dialect == Dialect::Mysql }).into_iter().map(|s| ("case".to_string(), s)).collect();
    let r = schemagate::source::exec_all(&c, stmts).await;
    c.close().await;
    r
}

async fn inspect_all(db: &TestDb, as_name: &str) -> anyhow::Result<Realm> {
    let c = db.conn().await;
    let schemas = if db.dialect == Dialect::Mysql { vec![db.name.clone()] } else { vec![] };
    let mut r = c.inspect(&InspectOptions { schemas }).await?;
    c.close().await;
    if db.dialect == Dialect::Mysql {
        r.rename_schemas(&HashMap::from([(db.name.clone(), as_name.to_string())]));
    }
    r.skipped.clear();
    Ok(r)
}

/// Column order is compared loosely: engines append added columns at the end.
fn loose(r: &Realm) -> Realm {
    let mut r = r.clone();
    for s in &mut r.schemas {
        for t in &mut s.tables {
            t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    r.sort();
    r
}

fn first_diff(a: &Realm, b: &Realm) -> String {
    let changes = schemagate::diff::diff(&loose(a), &loose(b));
    let rows = schemagate::report::change_rows(&changes);
    rows.iter().take(3).map(|(o, c, _)| format!("{o}: {c}")).collect::<Vec<_>>().join("; ")
}

/// The drop kinds a diff policy skips for sqldef's `enable_drop: false` (objects must stay).
fn keep_drops() -> std::collections::BTreeSet<String> {
    ["drop_schema", "drop_table", "drop_column", "drop_index", "drop_foreign_key", "drop_view", "drop_func", "drop_proc", "drop_trigger"].iter().map(|s| s.to_string()).collect()
}

fn only_drops(changes: &[schemagate::diff::Change]) -> bool {
    use schemagate::diff::{Change, TableChange};
    changes.iter().all(|c| match c {
        Change::DropSchema { .. } | Change::DropTable { .. } | Change::DropView { .. } | Change::DropFunction { .. } | Change::DropTrigger { .. } => true,
        Change::ModifyTable { changes, .. } => changes.iter().all(|t| matches!(t, TableChange::DropColumn { .. } | TableChange::DropIndex { .. } | TableChange::DropForeignKey { .. })),
        _ => false,
    })
}

/// Migrate `db` to `target` and check the outcome. With `keep` (sqldef's `enable_drop: false`)
/// drops are skipped: the result must differ from `target` only by what was kept.
async fn migrate(db: &TestDb, target: &Realm, dev: Option<String>, keep: bool, roles: &[String]) -> Result<(), String> {
    let name = db.name.clone();
    let current = inspect_all(db, &name).await.map_err(|e| format!("inspect: {e:#}"))?;
    let mut target = target.clone();
    scope(&mut target, roles);
    if db.dialect == Dialect::Mysql {
        if let Some(s) = target.schemas.first().map(|s| s.name.clone()) {
            target.rename_schemas(&HashMap::from([(s, name.clone())]));
        }
    }
    let skip = if keep { keep_drops() } else { Default::default() };
    let opts = Options { dev_url: dev.clone(), exclude: vec![], no_rehearse: false, desired_normalized: true, skip, concurrent_index: Default::default(), roles: roles.to_vec() };
    let o = compute::compute(db.dialect, current, target.clone(), &opts).await.map_err(|e| format!("plan: {e:#}"))?;
    if o.verified == Some(false) {
        return Err(format!("unverified plan: {}", schemagate::report::change_rows(&o.residual).iter().map(|r| format!("{} {}", r.0, r.1)).collect::<Vec<_>>().join("; ")));
    }
    if !o.plan.is_empty() {
        let conn: Conn = db.conn().await;
        let mut s = Session::lock(&conn, std::time::Duration::from_secs(30)).await.map_err(|e| format!("lock: {e:#}"))?;
        let r = s.apply(&o.plan, &apply::Options::default()).await;
        s.unlock().await;
        conn.close().await;
        r.map_err(|e| format!("apply: {e:#}"))?;
    }
    let mut after = inspect_all(db, &name).await.map_err(|e| format!("inspect: {e:#}"))?;
    scope(&mut after, roles);
    if keep {
        let rest = schemagate::diff::diff(&loose(&after), &loose(&target));
        if !only_drops(&rest) {
            return Err(format!("result differs from desired beyond the kept objects: {}", first_diff(&after, &target)));
        }
    } else if loose(&after) != loose(&target) {
        return Err(format!("result differs from desired: {}", first_diff(&after, &target)));
    }
    let again = compute::compute(db.dialect, after, target, &Options { no_rehearse: true, ..opts }).await.map_err(|e| format!("re-plan: {e:#}"))?;
    if !again.plan.is_empty() {
        return Err(format!("re-plan not empty: {}", again.plan.statements.iter().map(|s| s.sql.clone()).collect::<Vec<_>>().join("; ")));
    }
    Ok(())
}

async fn run_case(dialect: Dialect, case: Case) -> Verdict {
    let a = TestDb::new(dialect).await;
    let r = TestDb::new(dialect).await;
    let verdict = async {
        if let Err(e) = load(&r, &case.desired).await {
            return Verdict::Skip(format!("desired does not load on this server: {}", e.to_string().lines().next().unwrap_or("")));
        }
        if let Err(e) = load(&a, &case.current).await {
            return Verdict::Skip(format!("current does not load on this server: {}", e.to_string().lines().next().unwrap_or("")));
        }
        let rname = r.name.clone();
        let desired = match inspect_all(&r, &rname).await {
            Ok(d) => d,
            Err(e) => return Verdict::Fail(format!("inspect desired: {e:#}")),
        };
        let keep = case.enable_drop == Some(false);
        let roles = managed_roles(&case).unwrap_or_default();
        if let Err(e) = migrate(&a, &desired, a.dev_url(), keep, &roles).await {
            return Verdict::Fail(e);
        }
        if case.up.is_some() && case.down.is_some() && !keep {
            // The way back: from desired to a fresh load of current.
            let c = TestDb::new(dialect).await;
            let back = async {
                load(&c, &case.current).await.map_err(|e| format!("reload current: {e:#}"))?;
                let cname = c.name.clone();
                let cur = inspect_all(&c, &cname).await.map_err(|e| format!("{e:#}"))?;
                migrate(&a, &cur, a.dev_url(), false, &roles).await.map_err(|e| format!("down: {e}"))
            }
            .await;
            c.drop().await;
            if let Err(e) = back {
                return Verdict::Fail(e);
            }
        }
        Verdict::Pass
    }
    .await;
    a.drop().await;
    r.drop().await;
    verdict
}

async fn server_version(dialect: Dialect) -> Vec<u32> {
    match dialect {
        Dialect::Sqlite => vec![3, 99],
        _ => {
            let db = TestDb::new(dialect).await;
            let c = db.conn().await;
            let v: String = match &c {
                Conn::Postgres(p) => sqlx::query_scalar("SHOW server_version").fetch_one(p).await.unwrap(),
                Conn::Mysql(p) => sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)").fetch_one(p).await.unwrap(),
                _ => unreachable!(),
            };
            c.close().await;
            db.drop().await;
            version_tuple(v.split(|ch: char| !(ch.is_ascii_digit() || ch == '.')).next().unwrap_or(""))
        }
    }
}

async fn setup_roles() {
    let db = TestDb::new(Dialect::Postgres).await;
    let roles = ["readonly_user", "app_user", "admin_role", "user-with-dash", "user.with.dot", "user with spaces", "CamelCaseUser", "UPPERCASE_USER", "user1", "user2", "user3", "user4", "My User", "reader", "writer", "admin", "reader1", "reader2", "writer1", "writer2", "role1", "role2", "power_user", "user@domain.com"];
    for r in roles {
        let q = r.replace('\'', "''");
        let id = format!("\"{}\"", r.replace('"', "\"\""));
        db.exec(&format!("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{q}') THEN CREATE ROLE {id}; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")).await;
    }
    db.drop().await;
}

async fn run_engine(dialect: Dialect, dir: &str) {
    let shared = require_shared!();
    if dialect == Dialect::Postgres {
        setup_roles().await;
    }
    let version = server_version(dialect).await;
    let root = shared.join("corpus/sqldef/cmd").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("tests") && n.to_string_lossy().ends_with(".yml"))).collect();
    files.sort();
    let filter = std::env::var("SG_CONFORMANCE_FILTER").ok();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let parsed: BTreeMap<String, Case> = match yaml_serde::from_str(&text) {
            Ok(p) => p,
            Err(e) => panic!("{}: {e}", f.display()),
        };
        let file = f.file_stem().unwrap().to_string_lossy().to_string();
        for (name, case) in parsed {
            let id = format!("{file}/{name}");
            if filter.as_ref().is_some_and(|flt| !id.contains(flt.as_str())) {
                continue;
            }
            cases.push((id, case));
        }
    }
    let total = cases.len();
    let parallel: usize = std::env::var("SG_CONFORMANCE_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(6);
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel));
    // sqlx's connection futures are not Send everywhere; run the cases on one thread, concurrently
    // (the work is in the database servers).
    let local = tokio::task::LocalSet::new();
    let mut set = tokio::task::JoinSet::new();
    let mut results: Vec<(String, Verdict)> = Vec::new();
    for (id, case) in cases {
        if let Some(why) = gated(&case, dialect, &version) {
            results.push((id, Verdict::Skip(why)));
            continue;
        }
        let sem = sem.clone();
        set.spawn_local_on(async move {
            let _permit = sem.acquire().await.unwrap();
            let v = tokio::time::timeout(std::time::Duration::from_secs(120), run_case(dialect, case)).await.unwrap_or_else(|_| Verdict::Fail("timed out after 120 s".into()));
            (id, v)
        }, &local);
    }
    local
        .run_until(async {
            while let Some(r) = set.join_next().await {
                results.push(r.unwrap());
            }
        })
        .await;
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    let mut report = String::new();
    for (id, v) in &results {
        match v {
            Verdict::Pass => pass += 1,
            Verdict::Fail(why) => {
                fail += 1;
                report.push_str(&format!("FAIL {id}: {}\n", why.replace('\n', " ")));
            }
            Verdict::Skip(why) => {
                skip += 1;
                report.push_str(&format!("SKIP {id}: {why}\n"));
            }
        }
    }
    let out = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/conformance-{}.txt", dialect.name()));
    let _ = std::fs::write(&out, &report);
    println!("{} conformance ({total} cases): {pass} passed, {fail} failed, {skip} skipped — details in {}", dialect.name(), out.display());
    if filter.is_none() {
        let ratchet = std::fs::read_to_string(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance.ratchet")).unwrap_or_default();
        let floor: usize = ratchet
            .lines()
            .filter_map(|l| l.split_once(' '))
            .find(|(k, _)| *k == dialect.name())
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        assert!(pass >= floor, "{}: {pass} cases passed, below the recorded {floor} (tests/conformance.ratchet); see {}", dialect.name(), out.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqldef_sqlite() {
    run_engine(Dialect::Sqlite, "sqlite3def").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqldef_mariadb() {
    run_engine(Dialect::Mysql, "mysqldef").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqldef_postgres() {
    run_engine(Dialect::Postgres, "psqldef").await;
}
