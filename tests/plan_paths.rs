//! The plan's fast paths keep its meaning: a database URL as the desired state is inspected at
//! the same time as the target, which is then scoped to the desired database's schemas (a schema
//! only the target has is left alone, as before); a rehearsal of changes that leave foreign keys
//! alone loads just the touched tables and still verifies, and one that touches a referenced
//! table still sees its referrers; SCHEMAGATE_TIMINGS reports the stages on stderr only.

mod common;

use common::{bin, run, TestDb};
use schemagate::schema::Dialect;

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test]
async fn url_to_url_plan_scopes_the_target_to_the_desired_schemas() {
    let target = TestDb::new(Dialect::Postgres).await;
    let desired = TestDb::new(Dialect::Postgres).await;
    let dev = target.dev_url().unwrap();
    target.load_sql(
        "CREATE SCHEMA extra; CREATE TABLE extra.keep (id int); INSERT INTO extra.keep VALUES (1);\n\
         CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int PRIMARY KEY, t1_id int REFERENCES t1 (id));\n\
         INSERT INTO t1 VALUES (1); INSERT INTO t2 VALUES (1, 1);\n",
    );
    desired.load_sql(
        "CREATE SCHEMA app; CREATE TABLE app.notes (id int);\n\
         CREATE TABLE t1 (id int PRIMARY KEY, note text); CREATE TABLE t2 (id int PRIMARY KEY, t1_id int REFERENCES t1 (id));\n",
    );
    let (code, out, err) = run(&["plan", "-u", &target.url, "--to", &desired.url, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let plan = json(&out);
    assert_eq!(plan["verified"], true, "{out}");
    let sql: Vec<&str> = plan["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap_or_default()).collect();
    let text = sql.join("\n");
    assert!(text.contains("CREATE SCHEMA") && text.contains("\"app\""), "{text}");
    assert!(text.contains("\"note\""), "{text}");
    assert!(!text.contains("extra"), "a schema only the target has is out of scope: {text}");

    let (code, _, err) = run(&["apply", "-u", &target.url, "--to", &desired.url, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["plan", "-u", &target.url, "--to", &desired.url, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["changes"].as_array().map(Vec::len), Some(0), "{out}");
    let realm = target.inspect().await;
    assert!(realm.table("extra", "keep").is_some(), "the extra schema is untouched");
    target.drop().await;
    desired.drop().await;
}

/// A column added to the middle of a foreign key chain is rehearsed without its neighbours and
/// verifies; retyping a referenced column is rehearsed with the table that references it, so the
/// rehearsal (not the target) reports what PostgreSQL refuses.
#[tokio::test]
async fn rehearsal_keeps_referrers_where_a_change_meets_a_foreign_key() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dev = db.dev_url().unwrap();
    db.load_sql(
        "CREATE TABLE a (id int PRIMARY KEY, code int NOT NULL);\n\
         CREATE UNIQUE INDEX a_code ON a (code);\n\
         CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), code int REFERENCES a (code));\n\
         CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b (id));\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let added = dir.path().join("added.sql");
    std::fs::write(
        &added,
        "CREATE TABLE a (id int PRIMARY KEY, code int NOT NULL);\nCREATE UNIQUE INDEX a_code ON a (code);\n\
         CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), code int REFERENCES a (code), note text);\n\
         CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b (id));\n",
    )
    .unwrap();
    let to = added.display().to_string();
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["verified"], true, "{out}");
    // Applied, so that the next plan is not a first apply (DS110 would hold its drops).
    let (code, _, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{err}");

    // a.code retyped to text while b's foreign key still points at it as an integer: only b,
    // which the plan does not touch, makes PostgreSQL refuse — the rehearsal must have it. (HCL:
    // as SQL, the desired state would not even load.)
    let (code, hcl, err) = run(&["inspect", "-u", &db.url]);
    assert_eq!(code, 0, "{err}");
    let at = hcl.find("table \"a\"").unwrap();
    let code_col = at + hcl[at..].find("column \"code\"").unwrap();
    let ty = code_col + hcl[code_col..].find("type = integer").unwrap();
    let hcl = format!("{}type = text{}", &hcl[..ty], &hcl[ty + "type = integer".len()..]);
    let retyped = dir.path().join("retyped.hcl");
    std::fs::write(&retyped, hcl).unwrap();
    let to = format!("file://{}", retyped.display());
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("failed in rehearsal") && err.contains("b_code_fkey"), "{err}");
    db.drop().await;
}

#[tokio::test]
async fn timings_go_to_stderr_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let hcl = dir.path().join("schema.hcl");
    std::fs::write(&hcl, "schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = integer\n  }\n}\n").unwrap();
    let to = format!("file://{}", hcl.display());
    let out = std::process::Command::new(bin()).args(["plan", "-u", &url, "--to", &to]).env("SCHEMAGATE_TIMINGS", "1").output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    for stage in ["timing: load desired state ", "timing: inspect target ", "timing: rehearse (disposable database) ", "timing: whole run "] {
        assert!(stderr.contains(stage), "{stage} missing from: {stderr}");
    }
    assert!(!stdout.contains("timing:"), "{stdout}");
    let quiet = std::process::Command::new(bin()).args(["plan", "-u", &url, "--to", &to]).env_remove("SCHEMAGATE_TIMINGS").output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("timing:"));
}
