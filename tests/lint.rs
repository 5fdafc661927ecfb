//! Lint through the binary against live targets: the rollback is denied (DS103) on every engine
//! and passes with a nolint comment or an allow list, saying what overrode it; MF103 depends on
//! the table's rows; MF101 on duplicates in chinook's data; user policies add rules.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use serde_json::Value;

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn users(schema: &str, extra_columns: &str, comment: &str) -> String {
    format!(
        "schema \"{schema}\" {{}}\n{comment}table \"users\" {{\n  schema = schema.{schema}\n  column \"id\" {{\n    type = int\n  }}\n  column \"name\" {{\n    type = varchar(100)\n    null = true\n  }}\n{extra_columns}  primary_key {{\n    columns = [column.id]\n  }}\n}}\n"
    )
}

const TWO_COLUMNS: &str = "  column \"created_at\" {\n    type = timestamp\n    null = true\n  }\n  column \"last_login\" {\n    type = timestamp\n    null = true\n  }\n";

fn plan_json(db: &TestDb, to: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["plan", "-u", &db.url, "--to", to, "--format", "json"];
    let dev = db.dev_url();
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v, err)
}

fn apply(db: &TestDb, to: &str) {
    let mut args = vec!["apply", "-u", &db.url, "--to", to, "--auto-approve"];
    let dev = db.dev_url();
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}\n{err}");
}

async fn rollback_denied_then_overridden(dialect: Dialect) {
    let schema = if dialect == Dialect::Sqlite { "main" } else { "app" };
    let db = TestDb::new(dialect).await;
    let dir = tempfile::tempdir().unwrap();
    let v2 = write(&dir, "v2.hcl", &users(schema, TWO_COLUMNS, ""));
    apply(&db, &v2);

    let v1 = write(&dir, "v1.hcl", &users(schema, "", ""));
    let (code, v, err) = plan_json(&db, &v1, &[]);
    assert_eq!(code, 3, "{err}");
    let codes: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "DS103").count(), 2, "{codes:?}");
    assert_eq!(v["denied"], Value::Bool(true));
    // apply refuses too, and changes nothing
    let mut args = vec!["apply", "-u", &db.url, "--to", &v1, "--auto-approve"];
    let dev = db.dev_url();
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, _, err) = run(&args);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("policy denied") && err.contains("atlas:nolint"), "{err}");

    // A nolint comment on the table block overrides, and says so.
    let v1_nolint = write(&dir, "v1n.hcl", &users(schema, "", "# atlas:nolint DS103\n"));
    let (code, v, err) = plan_json(&db, &v1_nolint, &[]);
    assert_eq!(code, 0, "{err}");
    for f in v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "DS103") {
        assert!(f["overridden"].as_str().unwrap().starts_with("nolint comment on"), "{f}");
    }
    let (code, out, _) = run(&["plan", "-u", &db.url, "--to", &v1_nolint, "--no-data-checks"].iter().copied().chain(dev.as_deref().map(|d| vec!["--dev-url", d]).unwrap_or_default()).collect::<Vec<_>>());
    assert_eq!(code, 0);
    assert!(out.contains("overridden: nolint comment on"), "{out}");

    // An allow list in the policy data overrides too.
    let data = write(&dir, "allow.json", r#"{"allow_drop_column": ["users.created_at", "users.last_login"]}"#);
    let (code, v, err) = plan_json(&db, &v1, &["--policy-data", &data]);
    assert_eq!(code, 0, "{err}");
    assert!(v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "DS103").all(|f| f["overridden"].as_str().unwrap().contains("allow_drop_column")));
    db.drop().await;
}

#[tokio::test]
async fn rollback_denied_sqlite() {
    rollback_denied_then_overridden(Dialect::Sqlite).await;
}

#[tokio::test]
async fn rollback_denied_postgres() {
    rollback_denied_then_overridden(Dialect::Postgres).await;
}

#[tokio::test]
async fn rollback_denied_mariadb() {
    rollback_denied_then_overridden(Dialect::Mysql).await;
}

#[tokio::test]
async fn mf103_depends_on_rows() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    apply(&db, &write(&dir, "a.hcl", &users("public", "", "")));
    let with_nn = write(&dir, "b.hcl", &users("public", "  column \"age\" {\n    type = int\n  }\n", ""));
    let (code, v, err) = plan_json(&db, &with_nn, &[]);
    assert_eq!(code, 0, "empty table: warning only: {err}");
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "MF103").expect("MF103");
    assert_eq!(f["severity"], "warning");
    db.exec("INSERT INTO public.users (id, name) VALUES (1, 'a')").await;
    let (code, v, _) = plan_json(&db, &with_nn, &[]);
    assert_eq!(code, 3);
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "MF103").expect("MF103");
    assert_eq!(f["severity"], "error");
    assert!(f["msg"].as_str().unwrap().contains("about 1 rows"), "{f}");
    db.drop().await;
}

#[tokio::test]
async fn mf101_denied_on_chinook_duplicates() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Sqlite).await;
    db.load_file(&shared.join("corpus/chinook/ChinookDatabase/DataSources/Chinook_Sqlite.sql"));
    let hcl = schemagate::source::hcl::encode(&db.inspect().await, Dialect::Sqlite);
    // Customers share countries: a unique index on Country cannot be built.
    let with_unique = hcl.replacen(
        "  index \"IFK_CustomerSupportRepId\" {",
        "  index \"customer_country_key\" {\n    unique = true\n    columns = [column.Country]\n  }\n  index \"IFK_CustomerSupportRepId\" {",
        1,
    );
    assert_ne!(with_unique, hcl);
    let dir = tempfile::tempdir().unwrap();
    let to = write(&dir, "chinook.hcl", &with_unique);
    let (code, v, err) = plan_json(&db, &to, &[]);
    assert_eq!(code, 3, "{err}");
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "MF101").expect("MF101");
    assert_eq!(f["severity"], "error");
    // Without the data checks it is only a warning.
    let (code, v, _) = plan_json(&db, &to, &["--no-data-checks"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "MF101").unwrap()["severity"], "warning");
}

#[tokio::test]
async fn user_policy_directory() {
    let db = TestDb::new(Dialect::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::write(
        policies.join("pk.rego"),
        r#"# Every new table has a primary key.
package schemagate.rules.company

import data.schemagate.lib
import rego.v1

deny contains f if {
	some c in input.changes
	c.kind == "add_table"
	not has_pk(c)
	f := lib.finding("CO001", "error", sprintf("table %q has no primary key", [c.table]), c)
}

has_pk(c) if {
	some s in c.statements
	contains(s, "PRIMARY KEY")
}
"#,
    )
    .unwrap();
    std::fs::write(
        policies.join("pk_test.rego"),
        "package schemagate.rules.company_test\n\nimport data.schemagate.rules.company\nimport rego.v1\n\ntest_no_pk if {\n\tsome f in company.deny with input as {\"changes\": [{\"id\": 0, \"kind\": \"add_table\", \"schema\": \"main\", \"table\": \"t\", \"statements\": [\"CREATE TABLE t (a int)\"]}]}\n\tf.code == \"CO001\"\n}\n",
    )
    .unwrap();
    let no_pk = write(&dir, "s.hcl", "schema \"main\" {}\ntable \"logs\" {\n  schema = schema.main\n  column \"line\" {\n    type = text\n  }\n}\n");
    let p = policies.display().to_string();
    let (code, v, err) = plan_json(&db, &no_pk, &["--policy", &p]);
    assert_eq!(code, 3, "{err}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "CO001" && f["target"] == "main.logs"), "{v}");
    let (code, out, _) = run(&["policy", "test", &p]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS") && out.contains("company_test.test_no_pk"), "{out}");
    // A syntax error in a user policy is reported with file:line:col.
    std::fs::write(policies.join("broken.rego"), "package schemagate.rules.broken\n\ndeny contains x if {\n  x := \n}\n").unwrap();
    let (code, _, err) = run(&["plan", "-u", &db.url, "--to", &no_pk, "--policy", &p]);
    assert_eq!(code, 1);
    assert!(err.contains("broken.rego:"), "{err}");
}

#[test]
fn shipped_policy_tests_pass() {
    let results = schemagate::lint::tests::run(&schemagate::lint::Options::default()).unwrap();
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    println!("shipped policy tests: {} passed, {} failed", results.len() - failed.len(), failed.len());
    assert!(failed.is_empty(), "{failed:?}");
    assert!(results.len() >= 30);
}

/// DS110: on a target schemagate never applied to, a plan that drops an index made outside it is
/// denied; once schemagate has applied there, dropping an index is an ordinary change again.
#[tokio::test]
async fn first_apply_does_not_silently_drop_unmanaged_objects() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.users (id int PRIMARY KEY, name varchar(100)); CREATE INDEX users_name_hand_made ON public.users (name);").await;
    let dir = tempfile::tempdir().unwrap();
    let to = format!("file://{}", write(&dir, "s.hcl", &users("public", "", "")));
    let (code, v, err) = plan_json(&db, &to, &[]);
    assert_eq!(code, 3, "{v}{err}");
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "DS110").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(f["target"], "public.users users_name_hand_made");
    // After a first apply of something else, the same drop is no longer a first-run surprise.
    db.exec("CREATE TABLE public.keep (id int)").await;
    let with_keep = format!("{}table \"keep\" {{\n  schema = schema.public\n  column \"id\" {{\n    type = int\n    null = true\n  }}\n  index \"users_name_hand_made_2\" {{\n    columns = [column.id]\n  }}\n}}\n", users("public", "", ""));
    let to2 = format!("file://{}", write(&dir, "s2.hcl", &with_keep.replace("users_name_hand_made_2", "keep_id")));
    let mut args = vec!["apply", "-u", &db.url, "--to", &to2, "--auto-approve"];
    let dev = db.dev_url().unwrap();
    args.extend(["--dev-url", dev.as_str(), "--policy-data"]);
    let allow = write(&dir, "allow.json", "{}");
    args.push(&allow);
    let (code, out, err) = run(&args);
    assert_eq!(code, 3, "the first apply still refuses the unmanaged drop: {out}{err}");
    // Keep the index this time: the apply goes through and records a revision…
    let keep_index = with_keep.replace("users_name_hand_made_2", "keep_id").replace("  primary_key {\n    columns = [column.id]\n  }\n}\ntable \"keep\"", "  primary_key {\n    columns = [column.id]\n  }\n  index \"users_name_hand_made\" {\n    columns = [column.name]\n  }\n}\ntable \"keep\"");
    let to3 = format!("file://{}", write(&dir, "s3.hcl", &keep_index));
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to3, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    // …after which dropping it is planned without DS110.
    let (code, v, err) = plan_json(&db, &to2, &[]);
    assert_eq!(code, 0, "{v}{err}");
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["code"] != "DS110"), "{v}");
    db.drop().await;
}

/// The data facts on PostgreSQL: a column holding NULLs made NOT NULL is denied (MF104), and
/// without NULLs only warned.
#[tokio::test]
async fn postgres_facts_decide_mf104() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.users (id int PRIMARY KEY, name varchar(100)); INSERT INTO public.users VALUES (1, NULL);").await;
    let dir = tempfile::tempdir().unwrap();
    let to = format!("file://{}", write(&dir, "s.hcl", &users("public", "", "").replace("type = varchar(100)\n    null = true", "type = varchar(100)")));
    let (code, v, err) = plan_json(&db, &to, &[]);
    assert_eq!(code, 3, "{v}{err}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "MF104" && f["severity"] == "error"), "{v}");
    db.exec("UPDATE public.users SET name = 'x'").await;
    let (code, v, err) = plan_json(&db, &to, &[]);
    assert_eq!(code, 0, "{v}{err}");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "MF104" && f["severity"] == "warning"), "{v}");
    db.drop().await;
}
