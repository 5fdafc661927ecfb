//! Secrets never appear: a sentinel password in the target and dev URLs, through every command
//! and output format (text, JSON, markdown, SQL, inspect's formats), successful and failing
//! (driver errors that echo the URL, unreachable hosts), and `config targets`. (The Action's
//! channels — step summary, outputs, PR comments, check runs — are scanned in tests/action.rs,
//! the OIDC/AWS ones in tests/cloud.rs.)

mod common;

use common::TestDb;
use schemagate::schema::Dialect;
use std::process::Command;

const PW: &str = "Sentinel-Pw-%2F-9b41";

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(common::bin());
    c.args(args).env_remove("DATABASE_URL").env("RUST_LOG", "trace").env("RUST_BACKTRACE", "1");
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (o.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn clean(what: &str, text: &str) {
    // The sentinel as written and percent-decoded ("%2F" is "/").
    for s in [PW, &PW.replace("%2F", "/"), "Sentinel-Pw-"] {
        assert!(!text.contains(s), "{what}: the password leaked:\n{text}");
    }
}

#[tokio::test]
async fn a_password_in_the_url_never_shows() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.t (id int PRIMARY KEY, legacy text)").await;
    let url = db.url.replacen("postgres@", &format!("postgres:{PW}@"), 1);
    let dev = common::pg_admin().replacen("postgres@", &format!("postgres:{PW}@"), 1);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("s.sql");
    std::fs::write(&to, "CREATE TABLE t (id int PRIMARY KEY, added int);\n").unwrap();
    let to = format!("file://{}", to.display());
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, "CREATE TABLE t (id int PRIMARY KEY, x nosuchtype);\n").unwrap();
    let bad = format!("file://{}", bad.display());
    let mut n = 0;
    for fmt in ["text", "json", "markdown", "sql"] {
        let (code, out) = run(&["plan", "-u", &url, "--to", &to, "--dev-url", &dev, "--format", fmt], &[]);
        assert!(code == 0 || code == 3, "{fmt}: {out}");
        clean(&format!("plan --format {fmt}"), &out);
        n += 1;
    }
    for fmt in ["hcl", "sql", "json", "mermaid"] {
        let (code, out) = run(&["inspect", "-u", &url, "--format", fmt], &[]);
        assert_eq!(code, 0, "{fmt}: {out}");
        clean(&format!("inspect --format {fmt}"), &out);
        n += 1;
    }
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("a desired state that does not load", vec!["plan", "-u", &url, "--to", &bad, "--dev-url", &dev]),
        ("a denied apply", vec!["apply", "-u", &url, "--to", &to, "--dev-url", &dev, "--auto-approve"]),
        ("an unreachable host", vec!["plan", "-u", "postgres://postgres:Sentinel-Pw-%2F-9b41@127.0.0.1:1/x", "--to", &to, "--dev-url", &dev]),
        ("an unreachable dev database", vec!["plan", "-u", &url, "--to", &to, "--dev-url", "postgres://postgres:Sentinel-Pw-%2F-9b41@127.0.0.1:1/postgres"]),
        ("a wrong MariaDB password", vec!["inspect", "-u", "mysql://root:Sentinel-Pw-%2F-9b41@127.0.0.1:3306/test"]),
        ("a plan hash mismatch", vec!["apply", "-u", &url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--plan-hash", "0000"]),
    ];
    for (what, args) in &cases {
        let (code, out) = run(args, &[]);
        assert_ne!(code, 0, "{what}: {out}");
        clean(what, &out);
        n += 1;
    }
    // config targets prints the URL each directory resolves to.
    std::fs::create_dir_all(dir.path().join("repo/db")).unwrap();
    std::fs::write(dir.path().join("repo/db/schema.sql"), "CREATE TABLE t (id int);\n").unwrap();
    let (code, out) = run(&["config", "targets", "--root", &dir.path().join("repo").display().to_string()], &[("DATABASE_URL", &url)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("xxxxx"), "the URL is shown redacted: {out}");
    clean("config targets", &out);
    n += 1;
    db.drop().await;
    println!("{n} command runs scanned: no password in any output");
}
