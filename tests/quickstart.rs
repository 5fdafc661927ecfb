//! The seed's scenario on all three engines, through the binary: v1 creates users; v2 adds
//! created_at and last_login; re-planning is empty after each apply; going back to v1 plans two
//! DROP COLUMNs.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;

fn example(v: &str) -> String {
    format!("file://{}/examples/quickstart/{v}/schema.hcl", env!("CARGO_MANIFEST_DIR"))
}

async fn scenario(dialect: Dialect) {
    let db = TestDb::new(dialect).await;
    let dev = db.dev_url();
    let with_dev = |mut args: Vec<String>| {
        if let Some(d) = &dev {
            args.push("--dev-url".into());
            args.push(d.clone());
        }
        args
    };
    let call = |args: Vec<String>| {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        run(&a)
    };
    let s = |x: &str| x.to_string();

    let (code, out, err) = call(with_dev(vec![s("apply"), s("-u"), db.url.clone(), s("--to"), example("v1"), s("--auto-approve")]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("create table"), "{out}");
    let (code, out, _) = call(with_dev(vec![s("plan"), s("-u"), db.url.clone(), s("--to"), example("v1"), s("--detailed-exitcode")]));
    assert_eq!(code, 0, "re-plan after v1 is empty: {out}");
    assert!(out.contains("Schema is synced"));

    let (code, out, err) = call(with_dev(vec![s("plan"), s("-u"), db.url.clone(), s("--to"), example("v2"), s("--detailed-exitcode")]));
    assert_eq!(code, 2, "v2 has changes: {out}\n{err}");
    assert!(out.contains("created_at") && out.contains("last_login") && out.contains("verified"), "{out}");
    let (code, out, err) = call(with_dev(vec![s("apply"), s("-u"), db.url.clone(), s("--to"), example("v2"), s("--auto-approve")]));
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, _) = call(with_dev(vec![s("plan"), s("-u"), db.url.clone(), s("--to"), example("v2"), s("--detailed-exitcode")]));
    assert_eq!(code, 0, "re-plan after v2 is empty: {out}");

    // Going back drops two columns: the default policy denies it (exit 3).
    let (code, out, err) = call(with_dev(vec![s("plan"), s("-u"), db.url.clone(), s("--to"), example("v1"), s("--format"), s("json")]));
    assert_eq!(code, 3, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ds103: Vec<&str> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "DS103").map(|f| f["target"].as_str().unwrap()).collect();
    assert_eq!(ds103.len(), 2, "{ds103:?}");
    assert!(ds103.iter().any(|t| t.ends_with(".users.created_at")) && ds103.iter().any(|t| t.ends_with(".users.last_login")));
    let sql: Vec<String> = v["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap().to_string()).collect();
    let drops: usize = sql.iter().map(|s| s.matches("DROP COLUMN").count()).sum();
    assert_eq!(drops, 2, "{sql:?}");
    assert_eq!(v["verified"], serde_json::Value::Bool(true));
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
    db.drop().await;
}

#[tokio::test]
async fn quickstart_sqlite() {
    scenario(Dialect::Sqlite).await;
}

#[tokio::test]
async fn quickstart_postgres() {
    scenario(Dialect::Postgres).await;
}

#[tokio::test]
async fn quickstart_mariadb() {
    scenario(Dialect::Mysql).await;
}

#[tokio::test]
async fn without_dev_url_ephemeral_servers_are_used() {
    let db = TestDb::new(Dialect::Postgres).await;
    // Twice: the second start reuses the cached template cluster.
    for round in 0..2 {
        let started = std::time::Instant::now();
        let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &example("v1"), "--detailed-exitcode"]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(out.contains("verified"), "{out}");
        println!("plan with ephemeral://postgres, round {round}: {:?}", started.elapsed());
    }
    let leftovers = std::fs::read_dir(std::env::temp_dir()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with("schemagate-eph-")).count();
    assert_eq!(leftovers, 0, "ephemeral servers are removed at exit");
    db.drop().await;
    let my = TestDb::new(Dialect::Mysql).await;
    let (code, out, err) = run(&["plan", "-u", &my.url, "--to", &example("v1"), "--detailed-exitcode"]);
    assert_eq!(code, 2, "ephemeral://mariadb by default: {out}{err}");
    assert!(out.contains("verified"), "{out}");
    let (code, _, err) = run(&["plan", "-u", &my.url, "--to", &example("v1"), "--dev-url", "ephemeral://oracle"]);
    assert_eq!(code, 1);
    assert!(err.contains("ephemeral://postgres and ephemeral://mariadb"), "{err}");
    my.drop().await;
}

/// As root the ephemeral server runs as its system user; a template directory it cannot enter
/// (mktemp -d makes 0700 directories) gets that explanation, not a database-privilege hint.
#[tokio::test]
async fn ephemeral_template_out_of_the_server_users_reach_is_explained() {
    if !schemagate::devdb::ephemeral::available() || unsafe { libc::geteuid() } != 0 {
        println!("skipped: needs root and the PostgreSQL server binaries");
        return;
    }
    let db = TestDb::new(Dialect::Postgres).await;
    let private = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap(); // as mktemp -d makes it
    let out = std::process::Command::new(common::bin())
        .args(["plan", "-u", &db.url, "--to", &example("v1"), "--dev-url", "ephemeral://postgres"])
        .env("TMPDIR", private.path())
        .env("XDG_CACHE_HOME", private.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("initdb failed") && err.contains("chmod o+x"), "{err}");
    assert!(!err.contains("lacks a privilege"), "{err}");
    db.drop().await;
}

#[tokio::test]
async fn apply_without_terminal_refuses() {
    let db = TestDb::new(Dialect::Sqlite).await;
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &example("v1")]);
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("--auto-approve"), "{err}");
    let (code, out, _) = run(&["plan", "-u", &db.url, "--to", &example("v1"), "--detailed-exitcode"]);
    assert_eq!(code, 2, "nothing was applied: {out}");
}
