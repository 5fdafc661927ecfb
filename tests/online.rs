//! Production keeps running while apply works: the DDL waits for a table lock at most
//! --ddl-lock-timeout, gives the lock back (rolls back) and retries with backoff, says which
//! sessions block it, and gives up within its budget. Readers of the table never queue behind
//! the waiting ALTER for longer than the lock timeout.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn postgres_apply_gives_up_within_its_lock_timeout_and_names_the_blocker() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id int)").await;
    db.exec("INSERT INTO t VALUES (1)").await;
    // A long transaction that has read the table: ALTER TABLE must wait for it.
    let mut holder = Command::new("psql").args(["-q", "-d", &db.url]).env("PGAPPNAME", "sg_holder").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        let stdin = holder.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; SELECT * FROM t; SELECT pg_sleep(60);").unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int, added int);\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    // A reader while apply retries: it must never wait long.
    let url = db.url.clone();
    let reader = std::thread::spawn(move || {
        let mut worst = Duration::ZERO;
        let end = Instant::now() + Duration::from_secs(4);
        while Instant::now() < end {
            let t0 = Instant::now();
            let out = Command::new("psql").args(["-Atc", "SELECT count(*) FROM t", &url]).output().unwrap();
            assert!(out.status.success());
            worst = worst.max(t0.elapsed());
            std::thread::sleep(Duration::from_millis(50));
        }
        worst
    });
    let started = Instant::now();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--ddl-lock-timeout", "500ms", "--lock-retries", "2"]);
    let took = started.elapsed();
    let worst = reader.join().unwrap();
    // The server session goes on sleeping in its transaction when psql dies: end it there.
    let _ = Command::new("psql").args(["-Atc", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sg_holder' AND datname = current_database()", &db.url]).output();
    let _ = holder.kill();
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("was not granted within 500 ms, 3 time(s)"), "{err}");
    assert!(err.contains("transaction open") && err.contains("retry 1 of 2"), "the blocker is named and the retries said: {err}");
    assert!(took < Duration::from_secs(30), "gave up in {took:?}");
    // psql's own start-up is part of each read; a queued read would take the whole 500 ms+.
    assert!(worst < Duration::from_millis(1500), "a reader waited {worst:?}");
    // Nothing was changed, and once the blocker is gone the same apply goes through.
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--ddl-lock-timeout", "500ms"]);
    assert_eq!(code, 0, "{out}{err}");
    db.drop().await;
}

#[tokio::test]
async fn mariadb_apply_gives_up_within_its_lock_timeout() {
    let db = TestDb::new(Dialect::Mysql).await;
    db.exec("CREATE TABLE t (id int) ENGINE=InnoDB").await;
    db.exec("INSERT INTO t VALUES (1)").await;
    let mut holder = Command::new("mariadb").args(["-uroot", "-h127.0.0.1", "-P3306", &db.name]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        let stdin = holder.stdin.as_mut().unwrap();
        writeln!(stdin, "START TRANSACTION; SELECT * FROM t; SELECT SLEEP(60);").unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int, added int) ENGINE=InnoDB;\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let started = Instant::now();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--ddl-lock-timeout", "1s", "--lock-retries", "1"]);
    let took = started.elapsed();
    // End the holder on the server too (its SLEEP outlives the client).
    let kill = format!("SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND INFO LIKE 'SELECT SLEEP(60)%'", db.name);
    if let Ok(o) = Command::new("mariadb").args(["-uroot", "-h127.0.0.1", "-P3306", "-N", "-e", &kill]).output() {
        for id in String::from_utf8_lossy(&o.stdout).trim().split(',').filter(|s| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty()) {
            let _ = Command::new("mariadb").args(["-uroot", "-h127.0.0.1", "-P3306", "-e", &format!("KILL {id}")]).output();
        }
    }
    let _ = holder.kill();
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("Lock wait timeout") && err.contains("retry 1 of 1"), "{err}");
    assert!(err.contains("transaction open"), "the blocker is named: {err}");
    assert!(took < Duration::from_secs(30), "gave up in {took:?}");
    db.drop().await;
}

/// The judge is no judge unless it can fail: a naive plan is flagged.
#[test]
fn squawk_flags_the_naive_forms() {
    match squawk_findings("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\nCREATE INDEX i ON t (a);\n") {
        Some(found) => assert!(found.contains(&"require-lock-timeout".to_string()) && found.contains(&"require-concurrent-index-creation".to_string()) && found.contains(&"constraint-missing-not-valid".to_string()), "{found:?}"),
        None => eprintln!("skipped: no squawk (pip install squawk-cli, or set $SQUAWK)"),
    }
}

/// Squawk (the PostgreSQL migration linter, `pip install squawk-cli`; .ci/run installs it and
/// sets $SQUAWK) on a SQL plan: the findings for the rules schemagate's plans must satisfy.
fn squawk_findings(sql: &str) -> Option<Vec<String>> {
    let squawk = std::env::var("SQUAWK").ok().or_else(|| Command::new("squawk").arg("--version").output().ok().filter(|o| o.status.success()).map(|_| "squawk".into()))?;
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), sql).unwrap();
    let out = Command::new(&squawk).args(["--reporter", "json"]).arg(f.path()).output().ok()?;
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("squawk's JSON: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    // The rules schemagate's plans must satisfy; the others are documented exceptions
    // (docs/safety.md: prefer-robust-stmts, ban-drop-constraint, prefer-bigint-over-int…).
    const RULES: &[&str] = &["require-lock-timeout", "require-statement-timeout", "changing-column-type", "adding-not-nullable-field", "require-concurrent-index-creation", "constraint-missing-not-valid", "adding-foreign-key-constraint", "disallowed-unique-constraint"];
    Some(found.iter().filter_map(|f| f["rule_name"].as_str()).filter(|r| RULES.contains(r)).map(String::from).collect())
}

/// The plan for a live table takes the online forms: indexes CONCURRENTLY, foreign keys and
/// checks NOT VALID then validated, SET NOT NULL through a validated check. Applied, the
/// schema is the desired one; Squawk finds none of the rules above in the SQL plan.
#[tokio::test]
async fn postgres_plans_for_live_tables_are_online_safe() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE orgs (id int PRIMARY KEY); CREATE TABLE users (id int PRIMARY KEY, email text, org int); INSERT INTO orgs VALUES (1); INSERT INTO users VALUES (1, 'a', 1), (2, 'b', NULL)").await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, org int REFERENCES orgs (id), age int CHECK (age > 0));\nCREATE INDEX users_email ON users (email);\nCREATE UNIQUE INDEX users_org_email ON users (org, email);\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let (code, sql, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "sql"]);
    assert_eq!(code, 0, "{err}");
    for want in ["SET lock_timeout", "SET statement_timeout", "BEGIN;", "COMMIT;", "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"users_email\"", "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"users_email\"", "FOREIGN KEY (\"org\") REFERENCES \"public\".\"orgs\" (\"id\") NOT VALID", "CHECK (age > 0) NOT VALID", "VALIDATE CONSTRAINT \"users_org_fkey\"", "CHECK (\"email\" IS NOT NULL) NOT VALID", "ALTER COLUMN \"email\" SET NOT NULL"] {
        assert!(sql.contains(want), "missing `{want}`:\n{sql}");
    }
    // Nothing that scans or builds sits inside the transaction: the NOT NULL scan is validated
    // before it (so the SET NOT NULL inside needs none), indexes and other validations after.
    let (begin, commit) = (sql.find("BEGIN;").unwrap(), sql.find("COMMIT;").unwrap());
    let (pre, tx) = (&sql[..begin], &sql[begin..commit]);
    assert!(pre.contains("ADD CONSTRAINT \"users_email_not_null\" CHECK (\"email\" IS NOT NULL) NOT VALID") && pre.contains("VALIDATE CONSTRAINT \"users_email_not_null\""), "{pre}");
    assert!(!tx.contains("CREATE INDEX") && !tx.contains("VALIDATE"), "{tx}");
    assert!(tx.contains("SET NOT NULL") && tx.contains("DROP CONSTRAINT \"users_email_not_null\""), "{tx}");
    match squawk_findings(&sql) {
        Some(found) => assert!(found.is_empty(), "Squawk: {found:?}\n{sql}"),
        None => eprintln!("skipped the Squawk check: no squawk (pip install squawk-cli, or set $SQUAWK)"),
    }
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    let valid = Command::new("psql").args(["-Atc", "SELECT count(*) FILTER (WHERE NOT convalidated) FROM pg_constraint WHERE conrelid = 'users'::regclass", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&valid.stdout).trim(), "0");
    db.drop().await;
}

/// A concurrent index build that fails leaves an INVALID index behind (PostgreSQL cannot roll
/// it back). The next plan does not count it as the index: it reports it and builds it again,
/// dropping the leftover first.
#[tokio::test]
async fn a_failed_concurrent_build_is_cleaned_up_on_the_next_run() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id int, code text); INSERT INTO t VALUES (1, 'x'), (2, 'x')").await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int, code text);\nCREATE UNIQUE INDEX t_code ON t (code);\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    // Without the data checks lint cannot see the duplicates; the build fails on them.
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--no-data-checks"]);
    assert_ne!(code, 0, "{out}{err}");
    let invalid = Command::new("psql").args(["-Atc", "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indrelid = 't'::regclass", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&invalid.stdout).trim(), "1", "the failed build left an INVALID index");
    db.exec("UPDATE t SET code = 'y' WHERE id = 2").await;
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("INVALID index") && out.contains("DROP INDEX CONCURRENTLY IF EXISTS"), "{out}");
    let valid = Command::new("psql").args(["-Atc", "SELECT count(*) FROM pg_index WHERE indisvalid AND indrelid = 't'::regclass", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&valid.stdout).trim(), "1");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    db.drop().await;
}

/// Unique constraints and primary keys added to live tables build their index CONCURRENTLY
/// before the transaction, which only attaches it (USING INDEX): Squawk's
/// disallowed-unique-constraint finds nothing, and the keys exist afterwards.
#[tokio::test]
async fn keys_on_live_tables_attach_an_index_built_concurrently() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE accounts (id int NOT NULL, email text); INSERT INTO accounts VALUES (1, 'a'), (2, 'b')").await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE accounts (id int PRIMARY KEY, email text, CONSTRAINT accounts_email_key UNIQUE (email));\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let (code, sql, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "sql"]);
    assert_eq!(code, 0, "{err}");
    let begin = sql.find("BEGIN;").unwrap();
    let (pre, tx) = (&sql[..begin], &sql[begin..]);
    assert!(pre.contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"accounts_email_key\"") && pre.contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"accounts_pkey\""), "{pre}");
    assert!(tx.contains("ADD CONSTRAINT \"accounts_email_key\" UNIQUE USING INDEX \"accounts_email_key\"") && tx.contains("ADD CONSTRAINT \"accounts_pkey\" PRIMARY KEY USING INDEX \"accounts_pkey\""), "{tx}");
    if let Some(found) = squawk_findings(&sql) {
        assert!(found.is_empty(), "Squawk: {found:?}\n{sql}");
    }
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    let kinds = Command::new("psql").args(["-Atc", "SELECT string_agg(contype::text, '' ORDER BY contype) FROM pg_constraint WHERE conrelid = 'accounts'::regclass", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&kinds.stdout).trim(), "pu");
    db.drop().await;
}

/// A concurrent build that waits too long for a writer gives up (lock_timeout) and leaves an
/// INVALID index; the retry drops it and builds again, so apply never ends with an invalid
/// index taken for done.
#[tokio::test]
async fn a_concurrent_build_retried_after_a_lock_timeout_ends_valid() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id int, code text); INSERT INTO t VALUES (1, 'x')").await;
    let mut holder = Command::new("psql").args(["-q", "-d", &db.url]).env("PGAPPNAME", "sg_writer").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        let stdin = holder.stdin.as_mut().unwrap();
        writeln!(stdin, "BEGIN; INSERT INTO t VALUES (2, 'y'); SELECT pg_sleep(4); COMMIT;").unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int, code text);\nCREATE INDEX t_code ON t (code);\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--ddl-lock-timeout", "300ms", "--lock-retries", "8"]);
    let _ = holder.wait();
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("retry 1 of 8"), "the build waited for the writer and was retried: {err}");
    let state = Command::new("psql").args(["-Atc", "SELECT string_agg(indisvalid::text, ',') FROM pg_index WHERE indrelid = 't'::regclass", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "true", "one valid index, no invalid leftover");
    db.drop().await;
}

/// A long wait is never silent: in a CI log (no terminal) a line names what apply is doing
/// while it waits, every SCHEMAGATE_PROGRESS_EVERY seconds.
#[tokio::test]
async fn a_long_step_says_what_it_waits_for() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1)").await;
    let mut holder = Command::new("psql").args(["-q", "-d", &db.url]).env("PGAPPNAME", "sg_slow").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        writeln!(holder.stdin.as_mut().unwrap(), "BEGIN; INSERT INTO t VALUES (2); SELECT pg_sleep(8); COMMIT;").unwrap();
    }
    std::thread::sleep(Duration::from_millis(600));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n").unwrap();
    let out = Command::new(common::bin())
        .args(["apply", "-u", &db.url, "--to", &format!("file://{}", f.display()), "--dev-url", &db.dev_url().unwrap(), "--auto-approve", "--ddl-lock-timeout", "20s"])
        .env("SCHEMAGATE_PROGRESS_EVERY", "1")
        .output()
        .unwrap();
    let _ = holder.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{}{err}", out.status, String::from_utf8_lossy(&out.stdout));
    assert!(err.contains("… applying statement 2 of 2 ("), "{err}");
    db.drop().await;
}

/// atlas.hcl's env may carry apply's traffic knobs (`ddl_lock_timeout`, `lock_retries`); a flag
/// or SCHEMAGATE_* variable wins over them.
#[tokio::test]
async fn an_env_sets_the_lock_timeout_and_retries() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1)").await;
    let mut holder = Command::new("psql").args(["-q", "-d", &db.url]).env("PGAPPNAME", "sg_env_holder").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    {
        use std::io::Write;
        writeln!(holder.stdin.as_mut().unwrap(), "BEGIN; SELECT * FROM t; SELECT pg_sleep(60);").unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE t (id int, added int);\n").unwrap();
    std::fs::write(
        dir.path().join("atlas.hcl"),
        format!("env \"prod\" {{\n  url = \"{}\"\n  dev = \"{}\"\n  src = \"file://s.sql\"\n  ddl_lock_timeout = \"400ms\"\n  lock_retries = 1\n}}\n", db.url, db.dev_url().unwrap()),
    )
    .unwrap();
    let out = Command::new(common::bin()).args(["apply", "--env", "prod", "--auto-approve"]).current_dir(dir.path()).env_remove("SCHEMAGATE_DDL_LOCK_TIMEOUT").env_remove("SCHEMAGATE_LOCK_RETRIES").output().unwrap();
    let _ = Command::new("psql").args(["-Atc", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sg_env_holder' AND datname = current_database()", &db.url]).output();
    let _ = holder.kill();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("was not granted within 400 ms, 2 time(s)"), "{err}");
    db.drop().await;
}

/// MySQL/MariaDB: each ALTER TABLE of a live table asks for the algorithm it expects, and the
/// rehearsal proves it: a plain table adds a column INSTANT; a table with a FULLTEXT index
/// cannot, and the plan asks for the copy (shown as blocking writes) instead of letting the
/// server pick silently.
#[tokio::test]
async fn mariadb_statements_carry_the_algorithm_the_server_accepted() {
    let db = TestDb::new(Dialect::Mysql).await;
    db.exec("CREATE TABLE plain (id int PRIMARY KEY) ENGINE=InnoDB").await;
    db.exec("CREATE TABLE docs (id int PRIMARY KEY, body text, FULLTEXT KEY ft (body)) ENGINE=InnoDB").await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE plain (id int PRIMARY KEY, note int NULL) ENGINE=InnoDB;\nCREATE TABLE docs (id int PRIMARY KEY, body text, extra int NULL, FULLTEXT KEY ft (body)) ENGINE=InnoDB;\n").unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let stmts = v["statements"].as_array().unwrap();
    let of = |t: &str| stmts.iter().find(|s| s["sql"].as_str().unwrap().contains(&format!("`{t}` ADD COLUMN"))).unwrap_or_else(|| panic!("{out}"));
    assert!(of("plain")["sql"].as_str().unwrap().ends_with(", ALGORITHM=INSTANT"), "{out}");
    assert!(of("docs")["sql"].as_str().unwrap().ends_with(", ALGORITHM=COPY, LOCK=SHARED"), "{out}");
    assert_eq!(of("docs")["traffic"]["blocks"], "writes");
    assert_eq!(of("plain")["traffic"]["blocks"], "nothing");
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    db.drop().await;
}
