//! Sealed planning (docs/safety.md, "Threat model"): a pull request's schema files, SQL sources,
//! policies and config are attacker input, and `plan` runs them next to production credentials.
//! Each test here runs an attack against the real servers and checks that it stayed inside the
//! disposable database: the target and a bystander database dumped byte-identical before and
//! after, no new role, no file written by a server, no secret in a server's environment, no
//! password in an error, nothing left behind after a signal, and bounded work on hostile input.

mod common;

use common::{bin, run, TestDb};
use schemagate::schema::Dialect;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A dump of a database's schema and rows with the stock tool (pg_dump / mariadb-dump).
fn dump(db: &TestDb) -> String {
    let out = match db.dialect {
        Dialect::Postgres => Command::new("pg_dump").args(["--no-owner", "-d", &db.url]).output().unwrap(),
        Dialect::Mysql => Command::new("mariadb-dump").args(["-uroot", "-h127.0.0.1", "-P3306", "--skip-dump-date", &db.name]).output().unwrap(),
        Dialect::Sqlite => Command::new("sqlite3").args([&db.name, ".dump"]).output().unwrap(),
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // pg_dump ≥ 15.14 fences its output with a random \restrict key.
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")).collect::<Vec<_>>().join("\n")
}

/// The roles an attack would add: superusers, and the attacks' own `sg_evil` (other tests
/// create roles of their own meanwhile).
fn roles(dialect: Dialect) -> Vec<String> {
    let out = match dialect {
        Dialect::Postgres => Command::new("psql").args(["-Atc", "SELECT rolname FROM pg_roles WHERE rolname LIKE '%evil%' OR rolsuper ORDER BY 1", &common::pg_admin()]).output().unwrap(),
        _ => Command::new("mariadb").args(["-uroot", "-h127.0.0.1", "-P3306", "-N", "-e", "SELECT CONCAT(user,'@',host) FROM mysql.user WHERE user LIKE '%evil%' OR Super_priv = 'Y' ORDER BY 1"]).output().unwrap(),
    };
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

/// Plan `src` (file name decides HCL or SQL) against `target`; the plan must fail, and the target,
/// the bystander, the roles and the file system must be as before.
fn assert_contained(target: &TestDb, bystander: &TestDb, name: &str, src: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, src).unwrap();
    let sentinel = dir.path().join("pwned");
    let src_text = std::fs::read_to_string(&f).unwrap().replace("SENTINEL", &sentinel.display().to_string());
    std::fs::write(&f, src_text).unwrap();
    let (before_t, before_b, before_r) = (dump(target), dump(bystander), roles(target.dialect));
    let to = format!("file://{}", f.display());
    let dev = target.dev_url().unwrap();
    let (code, out, err) = run(&["plan", "-u", &target.url, "--to", &to, "--dev-url", &dev]);
    assert_ne!(code, 0, "{name}: the attack planned\n{out}{err}");
    assert!(err.contains(expect), "{name}: expected `{expect}` in:\n{err}");
    assert_eq!(dump(target), before_t, "{name}: the target changed");
    assert_eq!(dump(bystander), before_b, "{name}: the bystander changed");
    assert_eq!(roles(target.dialect), before_r, "{name}: roles changed");
    assert!(!sentinel.exists() && !Path::new("/tmp/sg_sealed_pwned").exists(), "{name}: the server wrote a file");
}

const TABLE_HCL: &str = "schema \"public\" {}\ntable \"keep\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n}\n";

#[tokio::test]
async fn postgres_attacks_stay_in_the_disposable_database() {
    let (target, bystander) = (TestDb::new(Dialect::Postgres).await, TestDb::new(Dialect::Postgres).await);
    target.exec("CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2)").await;
    bystander.exec("CREATE TABLE other (x text); INSERT INTO other VALUES ('mine')").await;
    let sql = |s: &str| format!("CREATE TABLE keep (id int);\n{s}\n");
    for (name, src, expect) in [
        ("view.hcl", format!("{TABLE_HCL}view \"v\" {{\n  schema = schema.public\n  as = \"SELECT 1 AS x; CREATE ROLE sg_evil SUPERUSER; COPY (SELECT 1) TO PROGRAM 'touch SENTINEL'\"\n}}\n"), "view.hcl:"),
        ("default.hcl", TABLE_HCL.replace("type = int\n", "type = int\n    default = sql(\"1); DROP TABLE keep; CREATE ROLE sg_evil SUPERUSER; --\")\n"), "default.hcl:6:15:"),
        ("check.hcl", TABLE_HCL.replace("  column \"id\"", "  check \"c\" {\n    expr = \"id > 0); CREATE ROLE sg_evil SUPERUSER; SELECT (1\"\n  }\n  column \"id\""), "check.hcl:5:"),
        ("role.sql", sql("CREATE ROLE sg_evil SUPERUSER;"), "must be superuser"),
        ("program.sql", sql("DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch SENTINEL'''; END $$;"), "pg_execute_server_program"),
        ("file.sql", sql("CREATE TABLE f AS SELECT pg_read_file('/etc/passwd') AS x;"), "permission denied"),
        ("write.sql", sql("COPY (SELECT 1) TO '/tmp/sg_sealed_pwned';"), "COPY/LOAD"),
        ("dblink.sql", sql("CREATE EXTENSION dblink;"), "dblink"),
        ("superuser.sql", sql("ALTER ROLE postgres PASSWORD 'x';"), "superuser"),
        ("rollback.sql", sql("BEGIN;\nCREATE TABLE inside (id int);\nROLLBACK;"), "rollback.sql:4:1: transaction control"),
        ("role_switch.sql", sql("SET SESSION AUTHORIZATION postgres;"), "role_switch.sql:2:1:"),
        ("meta.sql", sql("\\! touch SENTINEL"), "meta.sql:2:1: a psql meta-command"),
        ("connect.sql", sql("\\connect postgres"), "meta-command"),
    ] {
        assert_contained(&target, &bystander, name, &src, expect);
    }
    target.drop().await;
    bystander.drop().await;
}

#[tokio::test]
async fn mysql_attacks_stay_in_the_disposable_database() {
    let (target, bystander) = (TestDb::new(Dialect::Mysql).await, TestDb::new(Dialect::Mysql).await);
    target.exec("CREATE TABLE keep (id int)").await;
    target.exec("INSERT INTO keep VALUES (1), (2)").await;
    bystander.exec("CREATE TABLE other (x text)").await;
    bystander.exec("INSERT INTO other VALUES ('mine')").await;
    let sql = |s: String| format!("CREATE TABLE keep (id int);\n{s}\n");
    let (t, b) = (target.name.clone(), bystander.name.clone());
    for (name, src, expect) in [
        ("delete.sql", sql(format!("DELETE FROM `{t}`.keep;")), "DELETE command denied"),
        ("drop.sql", sql(format!("DROP TABLE `{b}`.other;")), "DROP command denied"),
        ("outfile.sql", sql("SELECT 1 INTO OUTFILE '/tmp/sg_sealed_pwned';".into()), "FILE privilege"),
        ("user.sql", sql("CREATE USER sg_evil;".into()), "CREATE USER"),
        ("global.sql", sql("SET GLOBAL max_connections = 1;".into()), "SUPER"),
        ("grants.sql", sql("CREATE TABLE x AS SELECT * FROM mysql.user;".into()), "denied"),
        ("use.sql", sql(format!("USE `{b}`;")), "use.sql:2:1:"),
        ("view.hcl", format!("schema \"{t}\" {{}}\ntable \"keep\" {{\n  schema = schema.{t}\n  column \"id\" {{\n    type = int\n  }}\n}}\nview \"v\" {{\n  schema = schema.{t}\n  as = \"SELECT 1 AS x; DROP TABLE `{b}`.other\"\n}}\n"), "view.hcl:10:"),
        ("conditional.hcl", format!("schema \"{t}\" {{}}\ntable \"keep\" {{\n  schema = schema.{t}\n  column \"id\" {{\n    type = int\n    default = sql(\"/*! 1; DROP TABLE `{b}`.other */ 1\")\n  }}\n}}\n"), "conditional.hcl:6:"),
    ] {
        assert_contained(&target, &bystander, name, &src, expect);
    }
    target.drop().await;
    bystander.drop().await;
}

/// SQLite's disposable database is memory that can attach no file: `ATTACH` is refused in a
/// source, and a connection refuses it even when it gets through.
#[tokio::test]
async fn sqlite_disposable_databases_attach_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil.db");
    let c = schemagate::engine::Conn::connect(&schemagate::url::DbUrl::parse("sqlite::memory:").unwrap()).await.unwrap();
    for s in [format!("ATTACH DATABASE '{}' AS e", evil.display()), format!("VACUUM INTO '{}'", evil.display())] {
        assert!(c.execute(&s).await.is_err(), "{s}");
    }
    assert!(!evil.exists());
    let target = TestDb::new(Dialect::Sqlite).await;
    let f = dir.path().join("s.sql");
    std::fs::write(&f, format!("CREATE TABLE t (id int);\nATTACH DATABASE '{}' AS e;\n", evil.display())).unwrap();
    let (code, _, err) = run(&["plan", "-u", &target.url, "--to", &format!("file://{}", f.display())]);
    assert_ne!(code, 0);
    assert!(err.contains("s.sql:2:1:"), "{err}");
    assert!(!evil.exists());
    // The dev URL may not be the target itself.
    let (code, _, err) = run(&["plan", "-u", &target.url, "--to", &format!("file://{}", f.display()), "--dev-url", &target.url]);
    assert_ne!(code, 0);
    assert!(err.contains("the dev URL is the target database itself"), "{err}");
}

/// A plan interrupted by SIGTERM, SIGHUP or SIGINT drops its disposable database, its role and
/// its ephemeral server; nothing of the run is left.
#[tokio::test]
async fn signals_mid_plan_leave_nothing_behind() {
    let target = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("slow.sql");
    std::fs::write(&f, "CREATE TABLE keep (id int);\nSELECT pg_sleep(60);\n").unwrap();
    let to = format!("file://{}", f.display());
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGHUP, 129), (libc::SIGINT, 130)] {
        let child = Command::new(bin()).args(["plan", "-u", &target.url, "--to", &to, "--dev-url", "ephemeral://postgres"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let pid = child.id();
        let prefix = format!("schemagate-eph-{pid}-");
        let mine = || std::fs::read_dir(std::env::temp_dir()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)).count();
        // Wait until the server is up and the slow statement runs.
        let started = Instant::now();
        while mine() == 0 && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(mine(), 1, "the ephemeral server runs");
        unsafe {
            libc::kill(pid as i32, sig);
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(mine(), 0, "the ephemeral server's directory is gone");
        let servers = Command::new("pgrep").args(["-f", &prefix]).output().unwrap();
        assert!(servers.stdout.is_empty(), "a server process is left: {}", String::from_utf8_lossy(&servers.stdout));
    }
    target.drop().await;
}

/// Ephemeral servers see none of the runner's secrets.
#[tokio::test]
async fn ephemeral_servers_get_no_secrets() {
    let target = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("slow.sql");
    std::fs::write(&f, "CREATE TABLE keep (id int);\nSELECT pg_sleep(60);\n").unwrap();
    let mut child = Command::new(bin())
        .args(["plan", "-u", &target.url, "--to", &format!("file://{}", f.display()), "--dev-url", "ephemeral://postgres"])
        .env("GITHUB_TOKEN", "ghs_SENTINEL_TOKEN_123")
        .env("AWS_SECRET_ACCESS_KEY", "SENTINEL_AWS_456")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let prefix = format!("schemagate-eph-{}-", child.id());
    let started = Instant::now();
    let mut pids = Vec::new();
    while pids.is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
        let out = Command::new("pgrep").args(["-f", &prefix]).output().unwrap();
        pids = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
    }
    assert!(!pids.is_empty(), "the ephemeral server did not start");
    for pid in &pids {
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let env = String::from_utf8_lossy(&env);
        assert!(!env.contains("SENTINEL"), "server {pid} sees a secret: {env}");
        assert!(!env.contains("GITHUB_TOKEN") && !env.contains("AWS_"), "{env}");
    }
    // Its directory (and socket) is private to the user the server runs as.
    let d = std::fs::read_dir(std::env::temp_dir()).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with(&prefix)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(d.metadata().unwrap().permissions().mode() & 0o077, 0);
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    target.drop().await;
}

/// A name holding a newline, a comment opener, backticks, quotes and a workflow command: the SQL
/// plan piped into each engine's own client creates exactly the desired schema, and the
/// bystander table survives.
#[tokio::test]
async fn hostile_names_pipe_to_the_stock_clients_exactly() {
    let hostile = "t\nDROP TABLE bystander; -- */ `x` \"q\" ::add-mask::y \\! id";
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let target = TestDb::new(dialect).await;
        target.exec("CREATE TABLE bystander (id int)").await;
        let schema = match dialect {
            Dialect::Postgres => "public".to_string(),
            Dialect::Mysql => target.name.clone(),
            Dialect::Sqlite => "main".to_string(),
        };
        let esc = hostile.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let hcl = format!(
            "schema \"{schema}\" {{}}\ntable \"bystander\" {{\n  schema = schema.{schema}\n  column \"id\" {{\n    type = int\n    null = true\n  }}\n}}\ntable \"{esc}\" {{\n  schema = schema.{schema}\n  column \"{esc}\" {{\n    type = int\n    null = true\n  }}\n}}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.hcl");
        std::fs::write(&f, hcl).unwrap();
        let to = format!("file://{}", f.display());
        let dev = target.dev_url();
        let mut args = vec!["plan", "-u", &target.url, "--to", &to, "--format", "sql"];
        if let Some(d) = &dev {
            args.extend(["--dev-url", d]);
        }
        let (code, sql, err) = run(&args);
        assert_eq!(code, 0, "{dialect:?}: {err}");
        for line in sql.lines().filter(|l| l.starts_with("--")) {
            assert!(!line.contains("DROP TABLE bystander;") || line.contains("\\n"), "a comment line breaks: {line}");
        }
        target.load_sql(&sql);
        let realm = target.inspect().await;
        let names: Vec<&str> = realm.schemas.iter().flat_map(|s| s.tables.iter().map(|t| t.name.as_str())).collect();
        assert!(names.contains(&"bystander") && names.contains(&hostile), "{dialect:?}: {names:?}\n{sql}");
        let (code, out, err) = run(&[&args[..5], &args[7..]].concat());
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("no changes"), "{dialect:?}: re-plan not empty:\n{out}");
        target.drop().await;
    }
}

/// Bounded work on hostile input: policies that loop or allocate without end are stopped with a
/// message naming them; a deeply nested config is refused at its place; a huge duration is a
/// usage error; a malformed URL's password is never printed.
#[tokio::test]
async fn hostile_inputs_are_bounded() {
    let target = TestDb::new(Dialect::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("s.sql");
    std::fs::write(&schema, "CREATE TABLE a (id int);\n").unwrap();
    let to = format!("file://{}", schema.display());
    for (family, body, expect) in [
        ("spin", "some a in numbers.range(1, 5000)\n  some b in numbers.range(1, 5000)\n  a * b == -1", "policy spin exceeded 2 s"),
        ("hog", "x := concat(\"\", [s | some i in numbers.range(1, 300000000); s := \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"])\n  count(x) > 1", "memory limit"),
    ] {
        let p = dir.path().join(family);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("p.rego"), format!("package schemagate.rules.{family}\nimport rego.v1\ndeny contains {{\"code\": \"X1\", \"msg\": \"m\", \"target\": \"t\"}} if {{\n  {body}\n}}\n")).unwrap();
        let started = Instant::now();
        let out = Command::new(bin()).args(["lint", "-u", &target.url, "--to", &to, "--policy"]).arg(&p).env("SCHEMAGATE_POLICY_TIMEOUT", "2s").env("SCHEMAGATE_POLICY_MEMORY", "512").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{family}: {err}");
        assert!(err.contains(expect) || (family == "hog" && err.contains("exceeded")), "{family}: {err}");
        assert!(started.elapsed() < Duration::from_secs(60), "{family} was not stopped");
    }
    let cfg = dir.path().join(".terrateam");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config.yml"), format!("dirs: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000))).unwrap();
    let out = Command::new(bin()).args(["config", "validate"]).current_dir(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("config.yml:1:") && err.contains("nested deeper"), "{err}");
    let (code, _, err) = run(&["apply", "-u", &target.url, "--to", &to, "--lock-timeout", "99999999999999999999h"]);
    assert_eq!(code, 64, "a usage error has its own exit code: {err}");
    assert!(err.contains("out of range") && !err.contains("panicked"), "{err}");
    for url in ["postgres:/u:PW_SENTINEL@h/db", "postgres://u:p@PW_SENTINEL@127.0.0.1:1/db", "mysql://u:PW_SENTINEL@h:port/db"] {
        let (code, out, err) = run(&["plan", "-u", url, "--to", &to]);
        assert_ne!(code, 0);
        assert!(!out.contains("PW_SENTINEL") && !err.contains("PW_SENTINEL"), "{url}: {err}");
    }
}

/// A desired-state statement that runs past SCHEMAGATE_DEV_STATEMENT_TIMEOUT is stopped and
/// named with its file and line, also in a dump written out of order (whose statements are
/// retried while a round makes progress: `devdb::StatementTimeout` ends that at once, whether
/// the client's timer or the server's own statement_timeout fired first), and schemagate exits
/// (closing the pool used to wait without end for the stopped statement's connection).
#[tokio::test]
async fn a_slow_desired_statement_is_stopped_once() {
    let target = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("slow.sql");
    std::fs::write(&f, "CREATE TABLE b (id int REFERENCES a (id));
SELECT pg_sleep(30);
CREATE TABLE a (id int PRIMARY KEY);
").unwrap();
    let to = format!("file://{}", f.display());
    let dev = common::pg_admin();
    let started = Instant::now();
    let out = Command::new(bin()).args(["plan", "-u", &target.url, "--to", &to, "--dev-url", &dev]).env("SCHEMAGATE_DEV_STATEMENT_TIMEOUT", "1s").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("slow.sql:2:1") && err.contains("ran longer than 1 s") && err.contains("pg_sleep"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30), "the statement was not stopped");
    target.drop().await;
}

/// Extensions the sealed role may not create are created by schemagate itself when they are on
/// the allow list (pg_stat_statements is not a trusted extension); others are refused with the
/// reason, and a server program never runs.
#[tokio::test]
async fn extensions_come_from_the_allow_list() {
    let target = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = target.dev_url().unwrap();
    for (ext, ok) in [("pg_stat_statements", true), ("hstore", true), ("file_fdw", false), ("dblink", false)] {
        let f = dir.path().join(format!("{ext}.hcl"));
        std::fs::write(&f, format!("schema \"public\" {{}}\nextension \"{ext}\" {{\n  schema = schema.public\n}}\n")).unwrap();
        let (code, out, err) = run(&["plan", "-u", &target.url, "--to", &format!("file://{}", f.display()), "--dev-url", &dev]);
        if ok {
            assert_eq!(code, 0, "{ext}: {err}");
            assert!(out.contains(&format!("CREATE EXTENSION IF NOT EXISTS \"{ext}\"")), "{ext}: {out}");
        } else {
            assert_ne!(code, 0, "{ext} was created: {out}");
            assert!(err.contains("allow list"), "{ext}: {err}");
        }
    }
    target.drop().await;
}

/// `devdb clean` drops what a killed run left on a dev server (databases and roles named
/// sg_dev_<time>_<random>), and `plan` warns about them; a run's own are never touched.
#[tokio::test]
async fn devdb_clean_removes_leftovers() {
    let admin = common::pg_admin();
    let name = format!("sg_dev_00000001_{:08x}", rand::random::<u32>());
    let psql = |sql: &str| Command::new("psql").args(["-Atc", sql, &admin]).output().unwrap();
    assert!(psql(&format!("CREATE ROLE {name}")).status.success());
    assert!(psql(&format!("CREATE DATABASE {name} OWNER {name}")).status.success());
    let target = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int);\n").unwrap();
    let (code, _, err) = run(&["plan", "-u", &target.url, "--to", &format!("file://{}", f.display()), "--dev-url", &admin]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left by earlier runs") && err.contains("devdb clean"), "{err}");
    let (code, out, err) = run(&["devdb", "clean", "--dev-url", &admin]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&name), "{out}");
    let left = String::from_utf8_lossy(&psql(&format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")).stdout).trim().to_string()
        + &String::from_utf8_lossy(&psql(&format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'")).stdout).trim().to_string();
    assert_eq!(left, "00");
    target.drop().await;
}
