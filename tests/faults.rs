//! Faults during apply, on the real engines: the applying connection is killed right after
//! statement k, for every k of the plan (PostgreSQL `pg_terminate_backend`, MariaDB `KILL`,
//! SQLite a killed process); a lock holder dies mid-apply; many appliers race for one target.
//!
//! Promises checked: PostgreSQL and SQLite end exactly at the pre-apply schema with every row;
//! MariaDB (DDL commits per statement) keeps the first k statements, its revision row says
//! "running, k applied", and a re-run applies exactly the rest; the lock of a dead holder is
//! released; concurrent appliers apply each plan once and never run a statement twice.
//!
//! The pause after statement k is a debug-build fault-injection point in `apply::Session`
//! (`SCHEMAGATE_TEST_PAUSE_AFTER`, compiled out of release builds).

mod common;

use common::TestDb;
use schemagate::engine::Conn;
use schemagate::schema::Dialect;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TABLES: usize = 6;
const ROWS: usize = 50;

/// The starting schema: six tables with rows.
fn initial_sql() -> String {
    let mut s = String::new();
    for i in 1..=TABLES {
        s.push_str(&format!("CREATE TABLE t{i} (id int PRIMARY KEY, v varchar(20));\n"));
        let rows: Vec<String> = (1..=ROWS).map(|r| format!("({r}, 'row {r}')")).collect();
        s.push_str(&format!("INSERT INTO t{i} (id, v) VALUES {};\n", rows.join(", ")));
    }
    s
}

/// The desired schema: a new column on every table, an index, a new table (8 statements; 7 on
/// MariaDB, which adds the index in the same ALTER as t1's column).
fn desired_sql() -> String {
    let mut s = String::new();
    for i in 1..=TABLES {
        s.push_str(&format!("CREATE TABLE t{i} (id int PRIMARY KEY, v varchar(20), c int NULL);\n"));
    }
    s.push_str("CREATE INDEX t1_v ON t1 (v);\nCREATE TABLE n (id int PRIMARY KEY);\n");
    s
}

async fn fresh(dialect: Dialect) -> TestDb {
    let db = TestDb::new(dialect).await;
    db.load_sql(&initial_sql());
    db
}

fn apply_cmd(db: &TestDb, to: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(common::bin());
    // The promises here are the one-transaction ones: every statement inside the apply
    // transaction (the online forms run after it; tests/online.rs covers them).
    c.env("SCHEMAGATE_ONLINE", "false");
    c.args(["apply", "-u", &db.url, "--to", to, "--auto-approve"]).args(extra);
    if let Some(d) = db.dev_url() {
        c.args(["--dev-url", &d]);
    }
    c.env_remove("SCHEMAGATE_TEST_PAUSE_AFTER").env_remove("SCHEMAGATE_TEST_PAUSE_FILE");
    c
}

fn output(c: &mut Command) -> (i32, String) {
    let o = c.output().unwrap();
    (o.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// Every table's row count and id sum: the rows survived.
async fn rows(db: &TestDb) -> Vec<(i64, i64)> {
    let c = db.conn().await;
    let mut out = Vec::new();
    for i in 1..=TABLES {
        let r: (i64, i64) = match &c {
            Conn::Postgres(p) => sqlx::query_as(&format!("SELECT COUNT(*), COALESCE(SUM(id), 0)::bigint FROM t{i}")).fetch_one(p).await.unwrap(),
            Conn::Mysql(p) => sqlx::query_as(&format!("SELECT COUNT(*), CAST(COALESCE(SUM(id), 0) AS SIGNED) FROM t{i}")).fetch_one(p).await.unwrap(),
            Conn::Sqlite(p) => sqlx::query_as(&format!("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM t{i}")).fetch_one(p).await.unwrap(),
        };
        out.push(r);
    }
    c.close().await;
    out
}

fn plan_len(db: &TestDb, to: &str) -> usize {
    let mut c = Command::new(common::bin());
    c.env("SCHEMAGATE_ONLINE", "false");
    c.args(["plan", "-u", &db.url, "--to", to, "--format", "json"]);
    if let Some(d) = db.dev_url() {
        c.args(["--dev-url", &d]);
    }
    // stdout only: stderr may carry warnings (leftovers on the dev server, blockers).
    let o = c.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
    v["statements"].as_array().unwrap().len()
}

/// Start an apply that pauses after statement `k`; returns it and the id it reported (backend
/// pid, connection id, or process id) once it is paused.
fn start_paused(db: &TestDb, to: &str, k: usize, marker: &Path) -> (Child, String) {
    let _ = std::fs::remove_file(marker);
    let child = apply_cmd(db, to, &["--lock-timeout", "30s"])
        .env("SCHEMAGATE_TEST_PAUSE_AFTER", k.to_string())
        .env("SCHEMAGATE_TEST_PAUSE_FILE", marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "the apply never reached statement {k}");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, std::fs::read_to_string(marker).unwrap())
}

async fn kill_connection(db: &TestDb, id: &str) {
    let admin = db.conn().await;
    match &admin {
        Conn::Postgres(p) => {
            let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(id.parse::<i32>().unwrap()).fetch_one(p).await.unwrap();
            assert!(killed);
        }
        Conn::Mysql(p) => {
            sqlx::raw_sql(&format!("KILL {}", id.parse::<u64>().unwrap())).execute(p).await.unwrap();
        }
        Conn::Sqlite(_) => unreachable!(),
    }
    // Both servers kill asynchronously: wait until the session is really gone, so the paused
    // applier cannot slip another statement in before it.
    let started = Instant::now();
    loop {
        let alive: i64 = match &admin {
            Conn::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1").bind(id.parse::<i32>().unwrap()).fetch_one(p).await.unwrap(),
            Conn::Mysql(p) => sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?").bind(id.parse::<u64>().unwrap()).fetch_one(p).await.unwrap(),
            Conn::Sqlite(_) => unreachable!(),
        };
        if alive == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "session {id} survived being killed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin.close().await;
}

/// (status, applied, total) of the revision rows of `db` (MySQL: its schema's plans).
async fn revisions(db: &TestDb) -> Vec<(String, i64, i64)> {
    let c = db.conn().await;
    let r = match &c {
        Conn::Postgres(p) => sqlx::query_as::<_, (String, i32, i32)>("SELECT status, applied, total FROM schemagate.schemagate_revisions ORDER BY id").fetch_all(p).await.unwrap_or_default().into_iter().map(|(s, a, t)| (s, a as i64, t as i64)).collect(),
        Conn::Mysql(p) => sqlx::query_as::<_, (String, i32, i32)>("SELECT status, applied, total FROM schemagate.schemagate_revisions WHERE statements LIKE CONCAT('%', DATABASE(), '%') ORDER BY id")
            .fetch_all(p)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(s, a, t)| (s, a as i64, t as i64))
            .collect(),
        Conn::Sqlite(p) => sqlx::query_as::<_, (String, i64, i64)>("SELECT status, applied, total FROM schemagate_revisions ORDER BY id").fetch_all(p).await.unwrap_or_default(),
    };
    c.close().await;
    r
}

async fn kill_at_every_statement(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let to_path = dir.path().join("desired.sql");
    std::fs::write(&to_path, desired_sql()).unwrap();
    let to = format!("file://{}", to_path.display());
    let probe = fresh(dialect).await;
    let total = plan_len(&probe, &to);
    probe.drop().await;
    assert!((5..=20).contains(&total), "{dialect:?}: a plan of {total} statements");
    for k in 1..=total {
        let db = fresh(dialect).await;
        let (schema_before, rows_before) = (db.inspect().await, rows(&db).await);
        let marker: PathBuf = dir.path().join(format!("pause-{k}"));
        let (mut child, id) = start_paused(&db, &to, k, &marker);
        match dialect {
            Dialect::Sqlite => child.kill().unwrap(),
            _ => kill_connection(&db, &id).await,
        }
        std::fs::remove_file(&marker).unwrap();
        let out = child.wait_with_output().unwrap();
        // (MariaDB after its last statement: everything is applied and recorded; nothing is left
        // to fail, so success is the truth.)
        let finished = dialect == Dialect::Mysql && k == total;
        assert!(finished || !out.status.success(), "{dialect:?} k={k}: the apply survived its connection being killed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let revs = revisions(&db).await;
        match dialect {
            Dialect::Postgres | Dialect::Sqlite => {
                assert!(db.inspect().await == schema_before, "{dialect:?} k={k}: the schema changed after a killed apply");
                assert!(revs.iter().all(|r| r.0 != "applied"), "{dialect:?} k={k}: a revision claims success: {revs:?}");
            }
            Dialect::Mysql => {
                // Statements 1..k committed one by one; the revision row says exactly that.
                let last = revs.last().unwrap_or_else(|| panic!("k={k}: no revision row"));
                let status = if k == total { "applied" } else { "running" };
                assert_eq!((last.0.as_str(), last.1, last.2), (status, k as i64, total as i64), "MariaDB k={k}: {revs:?}");
            }
        }
        assert_eq!(rows(&db).await, rows_before, "{dialect:?} k={k}: rows lost");
        // Re-running finishes the job: PostgreSQL/SQLite all of it, MariaDB only what is left.
        let (code, text) = output(&mut apply_cmd(&db, &to, &[]));
        assert_eq!(code, 0, "{dialect:?} k={k}: {text}");
        let rest = if dialect == Dialect::Mysql { total - k } else { total };
        if rest > 0 {
            assert!(text.contains(&format!("applied {rest} of {rest} statement(s)")), "{dialect:?} k={k}: {text}");
        }
        assert_eq!(plan_len(&db, &to), 0, "{dialect:?} k={k}: not at the desired schema");
        assert_eq!(rows(&db).await, rows_before, "{dialect:?} k={k}: rows lost");
        db.drop().await;
    }
    println!("{dialect:?}: killed the applying connection at each of {total} kill points; every outcome checked");
}

#[tokio::test]
async fn kill_at_every_statement_postgres() {
    kill_at_every_statement(Dialect::Postgres).await;
}

#[tokio::test]
async fn kill_at_every_statement_mariadb() {
    kill_at_every_statement(Dialect::Mysql).await;
}

#[tokio::test]
async fn kill_at_every_statement_sqlite() {
    kill_at_every_statement(Dialect::Sqlite).await;
}

/// The process holding the apply lock dies mid-apply: its lock goes with it, and the next
/// apply proceeds (and, on PostgreSQL and SQLite, starts from the untouched schema).
#[tokio::test]
async fn a_dead_lock_holder_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let to_path = dir.path().join("desired.sql");
    std::fs::write(&to_path, desired_sql()).unwrap();
    let to = format!("file://{}", to_path.display());
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = fresh(dialect).await;
        let rows_before = rows(&db).await;
        let marker = dir.path().join(format!("holder-{dialect:?}"));
        let (mut child, _) = start_paused(&db, &to, 2, &marker);
        child.kill().unwrap();
        let _ = child.wait();
        let _ = std::fs::remove_file(&marker);
        let (code, text) = output(&mut apply_cmd(&db, &to, &["--lock-timeout", "20s"]));
        assert_eq!(code, 0, "{dialect:?}: {text}");
        assert_eq!(plan_len(&db, &to), 0, "{dialect:?}");
        assert_eq!(rows(&db).await, rows_before, "{dialect:?}");
        println!("{dialect:?}: the lock holder was killed after statement 2; the next apply took the lock and finished");
        db.drop().await;
    }
}

/// 100 trials over the three engines (34 + 33 + 33, one test each so they run side by side):
/// 2–8 appliers start together on one target, each wanting the same new column. Exactly one
/// applies it; the others wait for the lock and find nothing left to do (or give up at
/// --lock-timeout with the lock message). A statement that ran twice would fail ("duplicate
/// column"), so no applier may end any other way.
async fn concurrent_appliers(dialect: Dialect, trials: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(dialect).await;
    db.load_sql("CREATE TABLE r (id int PRIMARY KEY);");
    let mut columns = String::new();
    let mut processes = 0;
    let mut last = String::new();
    for trial in 1..=trials {
        columns.push_str(&format!(", c{trial} int NULL"));
        let to_path = dir.path().join(format!("{trial}.sql"));
        std::fs::write(&to_path, format!("CREATE TABLE r (id int PRIMARY KEY{columns});\n")).unwrap();
        last = format!("file://{}", to_path.display());
        let racers = 2 + (trial % 7);
        let children: Vec<Child> = (0..racers).map(|_| apply_cmd(&db, &last, &["--lock-timeout", "30s"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()).collect();
        let mut applied = 0;
        for c in children {
            let o = c.wait_with_output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            match o.status.code() {
                Some(0) if text.contains("applied 1 of 1 statement(s)") => applied += 1,
                Some(0) if text.contains("no changes") => {}
                Some(4) if text.contains("another schemagate apply holds the lock") => {}
                other => panic!("{dialect:?} trial {trial}: an applier ended with {other:?}:\n{text}"),
            }
        }
        assert_eq!(applied, 1, "{dialect:?} trial {trial}: {racers} racers, {applied} applied");
        processes += racers;
    }
    let applied_rows = revisions(&db).await.iter().filter(|r| r.0 == "applied").count();
    assert_eq!(applied_rows, trials, "{dialect:?}: one applied revision per trial");
    assert_eq!(plan_len(&db, &last), 0);
    db.drop().await;
    println!("{dialect:?}: {trials} trials, {processes} apply processes: each plan applied exactly once");
}

#[tokio::test]
async fn concurrent_appliers_postgres() {
    concurrent_appliers(Dialect::Postgres, 34).await;
}

#[tokio::test]
async fn concurrent_appliers_mariadb() {
    concurrent_appliers(Dialect::Mysql, 33).await;
}

#[tokio::test]
async fn concurrent_appliers_sqlite() {
    concurrent_appliers(Dialect::Sqlite, 33).await;
}

/// The PostgreSQL server crashes (immediate shutdown) and restarts while an apply is paused
/// after statement 3 of its transaction: after crash recovery the schema and rows are exactly
/// as before, and the next apply finishes. Runs on a private cluster, not the shared server.
#[tokio::test]
async fn server_restart_mid_apply_postgres() {
    use schemagate::devdb::ephemeral::Cluster;
    use schemagate::url::DbUrl;
    if !schemagate::devdb::ephemeral::available() {
        assert!(std::env::var("CI").is_err(), "the PostgreSQL server binaries are missing in CI");
        eprintln!("SKIPPED: no PostgreSQL server binaries for a private cluster");
        return;
    }
    let mut cluster = Cluster::create().unwrap();
    let admin = Conn::connect(&DbUrl::parse(&cluster.url).unwrap()).await.unwrap();
    admin.execute("CREATE DATABASE target").await.unwrap();
    admin.close().await;
    let url = DbUrl::parse(&cluster.url).unwrap().with_database("target").conn;
    let target = Conn::connect(&DbUrl::parse(&url).unwrap()).await.unwrap();
    target.execute(&initial_sql()).await.unwrap();
    let before = target.inspect(&Default::default()).await.unwrap();
    target.close().await;

    let dir = tempfile::tempdir().unwrap();
    let to_path = dir.path().join("desired.sql");
    std::fs::write(&to_path, desired_sql()).unwrap();
    let to = format!("file://{}", to_path.display());
    let marker = dir.path().join("pause");
    let dev = cluster.url.clone();
    let apply = |extra: &[(&str, String)]| {
        let mut c = Command::new(common::bin());
        c.env("SCHEMAGATE_ONLINE", "false");
        c.args(["apply", "-u", &url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--lock-timeout", "30s"]).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    };
    let child = apply(&[("SCHEMAGATE_TEST_PAUSE_AFTER", "3".into()), ("SCHEMAGATE_TEST_PAUSE_FILE", marker.display().to_string())]).spawn().unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "the apply never reached statement 3");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.crash();
    cluster.start().unwrap();
    std::fs::remove_file(&marker).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "the apply survived a server restart");

    let target = Conn::connect(&DbUrl::parse(&url).unwrap()).await.unwrap();
    assert!(target.inspect(&Default::default()).await.unwrap() == before, "the schema changed across the crash");
    let Conn::Postgres(p) = &target else { unreachable!() };
    for i in 1..=TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM t{i}")).fetch_one(p).await.unwrap();
        assert_eq!(n, ROWS as i64, "t{i} lost rows in the crash");
    }
    target.close().await;
    let out = apply(&[]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("PostgreSQL crashed and restarted after statement 3 of an apply: schema and rows as before; the next apply finished");
}
