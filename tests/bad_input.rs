//! Bad input, one table: each malformed input or hostile environment must end in a non-zero
//! exit with one clear error (position or object named, a hint where one helps), no panic, no
//! secret echoed, and nothing applied to the target.

mod common;

use common::TestDb;
use schemagate::schema::Dialect;
use std::process::Command;

const SENTINEL: &str = "Sentinel-Bad-Input-Pw-3c9e";

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// Fragments the error must contain.
    expect: Vec<&'static str>,
}

fn file(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[tokio::test]
async fn every_bad_input_fails_clearly_and_changes_nothing() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.keep (id int PRIMARY KEY); INSERT INTO public.keep VALUES (1), (2);").await;
    let before = db.inspect().await;
    let dev = db.dev_url().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A role that may connect but not create anything (PostgreSQL 15: no CREATE on public).
    let role = format!("sg_limited_{}", &db.name[8..]);
    db.exec(&format!("CREATE ROLE {role} LOGIN")).await;
    let limited = db.url.replacen("postgres@", &format!("{role}@"), 1);

    let good_table = "schema \"public\" {}\ntable \"keep\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\n";
    let add = format!("{good_table}table \"added\" {{\n  schema = schema.public\n  column \"id\" {{\n    type = int\n  }}\n}}\n");
    let truncated = file(&dir, "truncated.hcl", "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n");
    let wrong_type = file(&dir, "wrong_type.hcl", "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"id\" {\n    type = 42\n  }\n}\n");
    let unknown_ref = file(&dir, "unknown_ref.hcl", "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.nope]\n  }\n}\n");
    let bad_sql = file(&dir, "bad.sql", "CREATE TABLE ok (id int);\nCREATE TABLE broken (id int,, x);\n");
    let good = file(&dir, "good.hcl", &add);
    let _rego = file(&dir, "policies/broken.rego", "package schemagate.custom\n\ndeny contains f if {\n  f := {\"code\": \"X1\"\n}\n");
    let tabs_root = dir.path().join("tabs");
    file(&dir, "tabs/.terrateam/config.yml", "workflows:\n\t- tag_query: \"\"\n");
    let dup_root = dir.path().join("dup");
    file(&dir, "dup/.terrateam/config.yml", "when_modified:\n  autoapply: true\n  autoapply: false\n");
    let not_db = file(&dir, "not-a-db.sqlite", "this is a text file, not a database\n");

    let cases = vec![
        Case { name: "truncated HCL", args: s(&["plan", "-u", &db.url, "--to", &truncated, "--dev-url", &dev]), expect: vec!["truncated.hcl:", "HCL"] },
        Case { name: "wrong attribute type", args: s(&["plan", "-u", &db.url, "--to", &wrong_type, "--dev-url", &dev]), expect: vec!["wrong_type.hcl:5:"] },
        Case { name: "unknown reference", args: s(&["plan", "-u", &db.url, "--to", &unknown_ref, "--dev-url", &dev]), expect: vec!["unknown_ref.hcl:8:", "nope"] },
        Case { name: "SQL that does not load", args: s(&["apply", "-u", &db.url, "--to", &bad_sql, "--dev-url", &dev, "--auto-approve"]), expect: vec!["broken", "syntax error"] },
        Case { name: "missing schema file", args: s(&["plan", "-u", &db.url, "--to", "file:///nonexistent/schema.hcl", "--dev-url", &dev]), expect: vec!["/nonexistent/schema.hcl"] },
        Case {
            name: "Rego syntax error",
            args: s(&["apply", "-u", &db.url, "--to", &good, "--dev-url", &dev, "--auto-approve", "--policy", &dir.path().join("policies").display().to_string()]),
            expect: vec!["broken.rego:6:1: Rego syntax error"],
        },
        Case { name: "YAML with a TAB", args: s(&["config", "validate", &tabs_root.display().to_string()]), expect: vec!["config.yml:2:1", "indented with a TAB character"] },
        Case { name: "YAML duplicate key", args: s(&["config", "validate", &dup_root.display().to_string()]), expect: vec!["config.yml:3:3", "duplicate key `autoapply`"] },
        Case { name: "unreachable database", args: s(&["apply", "-u", &format!("postgres://postgres:{SENTINEL}@127.0.0.1:1/x"), "--to", &good, "--dev-url", &dev, "--auto-approve"]), expect: vec!["cannot connect", "127.0.0.1:1", "Connection refused", "is the server running"] },
        Case {
            name: "wrong password",
            args: s(&["apply", "-u", &format!("mysql://root:{SENTINEL}@127.0.0.1:3306/test"), "--to", &good, "--auto-approve"]),
            expect: vec!["cannot connect", "Access denied", "check the user and password"],
        },
        Case { name: "missing privilege", args: s(&["apply", "-u", &limited, "--to", &good, "--dev-url", &dev, "--auto-approve"]), expect: vec!["permission denied", "hint: the database user lacks a privilege"] },
        Case { name: "not a database URL", args: s(&["plan", "-u", "https://example.com/db", "--to", &good]), expect: vec!["unsupported URL scheme", "postgres://"] },
        Case { name: "a file that is not a database", args: s(&["inspect", "-u", &format!("sqlite://{not_db}")]), expect: vec!["file is not a database", "hint: the SQLite URL points at a file that is not a SQLite database"] },
        Case { name: "unknown flag value", args: s(&["apply", "-u", &db.url, "--to", &good, "--lock-timeout", "soon"]), expect: vec!["expected a duration"] },
    ];
    let n = cases.len();
    for c in cases {
        let out = Command::new(common::bin()).args(&c.args).env_remove("DATABASE_URL").output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let code = out.status.code();
        assert!(matches!(code, Some(1..=4) | Some(64)), "{}: exit {code:?} (a panic exits 101):\n{text}", c.name);
        assert!(!text.contains("panicked") && !text.contains("RUST_BACKTRACE"), "{}: panicked:\n{text}", c.name);
        assert!(!text.contains(SENTINEL), "{}: the password leaked:\n{text}", c.name);
        for e in &c.expect {
            assert!(text.to_lowercase().contains(&e.to_lowercase()), "{}: the error lacks `{e}`:\n{text}", c.name);
        }
        println!("{}: exit {}: {}", c.name, code.unwrap(), String::from_utf8_lossy(&out.stderr).lines().find(|l| l.starts_with("error")).unwrap_or("").chars().take(160).collect::<String>());
    }
    assert!(db.inspect().await == before, "a bad input changed the target");
    db.exec(&format!("DROP OWNED BY {role}; DROP ROLE {role}")).await;
    db.drop().await;
    println!("{n} bad inputs: each a clear non-zero exit, nothing applied");
}
