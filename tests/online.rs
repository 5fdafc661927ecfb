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
