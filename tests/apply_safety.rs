//! Apply safety: the lock serializes appliers, a failing PostgreSQL apply changes nothing, the
//! reviewed plan hash is enforced, and SQLite table rebuilds keep every row.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use sha2::{Digest, Sha256};
use std::time::Instant;

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    format!("file://{}", p.display())
}

const T1: &str = "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"a\" {\n    type = int\n    null = true\n  }\n}\n";

#[tokio::test]
async fn second_apply_waits_for_the_lock_then_gives_up_clearly() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = TestDb::new(dialect).await;
        let dir = tempfile::tempdir().unwrap();
        let schema = T1.replace("public", if dialect == Dialect::Sqlite { "main" } else { "public" });
        let to = write(&dir, "s.hcl", &schema);
        // Hold the apply lock the way a concurrent apply does.
        let holder = db.conn().await;
        let hold: Box<dyn std::any::Any> = match &holder {
            schemagate::engine::Conn::Postgres(p) => {
                let mut c = p.acquire().await.unwrap();
                sqlx::query("SELECT pg_advisory_lock($1)").bind(schemagate::apply::PG_LOCK_KEY).execute(&mut *c).await.unwrap();
                Box::new(c)
            }
            schemagate::engine::Conn::Mysql(p) => {
                let mut c = p.acquire().await.unwrap();
                sqlx::query("SELECT GET_LOCK(?, 0)").bind(schemagate::apply::MY_LOCK_NAME).execute(&mut *c).await.unwrap();
                Box::new(c)
            }
            schemagate::engine::Conn::Sqlite(p) => {
                let mut c = p.acquire().await.unwrap();
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *c).await.unwrap();
                Box::new(c)
            }
        };
        let mut args = vec!["apply".to_string(), "-u".into(), db.url.clone(), "--to".into(), to.clone(), "--auto-approve".into(), "--lock-timeout".into(), "1s".into()];
        if let Some(d) = db.dev_url() {
            args.extend(["--dev-url".to_string(), d]);
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let started = Instant::now();
        let (code, out, err) = run(&a);
        let waited = started.elapsed();
        assert_eq!(code, 4, "{dialect:?}: {out}{err}");
        assert!(err.contains("another schemagate apply holds the lock") && err.contains("--lock-timeout"), "{err}");
        assert!(waited.as_millis() >= 900, "{dialect:?} gave up after {waited:?}, before the timeout");
        drop(hold);
        holder.close().await;
        // With the lock free, the same apply goes through.
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        println!("{dialect:?}: second applier waited {waited:?} and refused; applied once the lock was free");
        db.drop().await;
    }
}

#[tokio::test]
async fn postgres_apply_failing_at_third_statement_changes_nothing() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.t (a int); INSERT INTO public.t VALUES (1), (NULL);").await;
    let before = db.inspect().await;
    let dir = tempfile::tempdir().unwrap();
    // Two new tables, then SET NOT NULL on a column that holds a NULL: the rehearsal (no rows)
    // passes, the real apply fails. (Lint sees the NULL and denies the plan with MF104; the
    // nolint comment overrides that, so the apply itself is what fails.) The online form
    // validates the NOT NULL before the transaction, so it fails there, undone, and the new
    // tables are never created.
    let to = write(
        &dir,
        "s.hcl",
        "schema \"public\" {}\n# atlas:nolint MF104\ntable \"t\" {\n  schema = schema.public\n  column \"a\" {\n    type = int\n  }\n}\n\
         table \"x1\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n}\n\
         table \"x2\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n}\n",
    );
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("VALIDATE CONSTRAINT") && err.contains("is violated by some row") && err.contains("nothing was changed"), "{err}");
    let after = db.inspect().await;
    assert!(after == before, "schema changed by a failed apply");
    let c = db.conn().await;
    if let schemagate::engine::Conn::Postgres(p) = &c {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM public.t").fetch_one(p).await.unwrap();
        assert_eq!(rows, 2);
        let status: String = sqlx::query_scalar("SELECT status FROM schemagate.schemagate_revisions ORDER BY id DESC LIMIT 1").fetch_one(p).await.unwrap();
        assert_eq!(status, "failed");
    }
    c.close().await;
    db.drop().await;
}

#[tokio::test]
async fn plan_hash_pins_the_reviewed_plan() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(&dir, "s.hcl", T1);
    let dev = db.dev_url().unwrap();
    let (code, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0);
    let hash = serde_json::from_str::<serde_json::Value>(&out).unwrap()["hash"].as_str().unwrap().to_string();
    // The target changes between review and apply.
    db.exec("CREATE TABLE public.surprise (id int)").await;
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--plan-hash", &hash]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("target drifted or the schema changed after review"), "{err}");
    assert!(db.inspect().await.table("public", "t").is_none(), "nothing applied");
    db.drop().await;
}

fn table_checksums(path: &str) -> Vec<(String, i64, String)> {
    let conn = std::process::Command::new("sqlite3").arg(path).arg("SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'schemagate_%' ORDER BY name").output().unwrap();
    let names = String::from_utf8_lossy(&conn.stdout).lines().map(String::from).collect::<Vec<_>>();
    names
        .into_iter()
        .map(|t| {
            let out = std::process::Command::new("sqlite3").arg(path).arg(format!("SELECT * FROM \"{t}\" ORDER BY 1")).output().unwrap();
            let count = out.stdout.iter().filter(|&&b| b == b'\n').count() as i64;
            (t, count, hex::encode(Sha256::digest(&out.stdout)))
        })
        .collect()
}

#[tokio::test]
async fn sqlite_rebuild_keeps_every_row_of_chinook() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Sqlite).await;
    db.load_file(&shared.join("corpus/chinook/ChinookDatabase/DataSources/Chinook_Sqlite.sql"));
    let before = table_checksums(&db.name);
    let total: i64 = before.iter().map(|t| t.1).sum();
    assert!(total > 15000, "chinook loaded: {total} rows");
    // Desired: the inspected schema with a type change and a nullability change on tables that
    // others reference; both need SQLite's copy-table procedure.
    let hcl = schemagate::source::hcl::encode(&db.inspect().await, Dialect::Sqlite);
    let changed = hcl
        .replacen("column \"Composer\" {\n    null = true\n    type = nvarchar(220)", "column \"Composer\" {\n    null = true\n    type = text", 1)
        .replacen("column \"Title\" {\n    null = false\n    type = nvarchar(160)", "column \"Title\" {\n    null = true\n    type = nvarchar(200)", 1);
    assert_ne!(changed, hcl, "the edits applied");
    let dir = tempfile::tempdir().unwrap();
    let to = write(&dir, "chinook.hcl", &changed);
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rebuild \"Track\"") && out.contains("rebuild \"Album\""), "{out}");
    let after = table_checksums(&db.name);
    assert_eq!(before, after, "every row of every table survives, byte for byte");
    let (code, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--detailed-exitcode"]);
    assert_eq!(code, 0, "re-plan empty: {out}");
    println!("chinook on SQLite: {total} rows in {} tables kept through two table rebuilds", before.len());
}

#[tokio::test]
async fn concurrent_index_policy_builds_indexes_outside_the_transaction() {
    use schemagate::plan::compute::{compute, Options};
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.t (a int, b int); INSERT INTO public.t SELECT g, g FROM generate_series(1, 1000) g").await;
    let current = db.inspect().await;
    let mut desired = current.clone();
    let t = desired.schemas[0].tables.iter_mut().find(|t| t.name == "t").unwrap();
    t.indexes.push(schemagate::schema::Index {
        name: "t_a_idx".into(),
        parts: vec![schemagate::schema::IndexPart { column: Some("a".into()), ..Default::default() }],
        nulls_distinct: true,
        ..Default::default()
    });
    let opts = Options { dev_url: db.dev_url(), concurrent_index: schemagate::plan::ConcurrentIndex { add: true, drop: true, ..Default::default() }, ..Default::default() };
    let o = compute(Dialect::Postgres, current, desired, &opts).await.unwrap();
    assert_eq!(o.verified, Some(true));
    // A leftover of a failed build is dropped first; both run outside the transaction.
    let (cleanup, st) = (&o.plan.statements[0], &o.plan.statements[1]);
    assert_eq!(cleanup.sql, "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_a_idx\"");
    assert!(st.sql.starts_with("CREATE INDEX CONCURRENTLY IF NOT EXISTS \"t_a_idx\""), "{}", st.sql);
    assert!(st.no_tx && cleanup.no_tx);
    let conn = db.conn().await;
    let mut s = schemagate::apply::Session::lock(&conn, std::time::Duration::from_secs(5)).await.unwrap();
    let r = s.apply(&o.plan, &schemagate::apply::Options::default()).await;
    s.unlock().await;
    conn.close().await;
    r.unwrap();
    assert!(db.inspect().await.table("public", "t").unwrap().indexes.iter().any(|i| i.name == "t_a_idx"));
    db.drop().await;
}
