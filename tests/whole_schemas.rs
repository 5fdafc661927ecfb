//! Whole schemas: views, materialized views, functions, procedures, aggregates and triggers are
//! inspected, written as HCL, planned in dependency order and applied. Real schemas (pagila on
//! PostgreSQL, sakila on MariaDB) go from an empty database to the same catalog as a direct
//! load; table changes under views and triggers keep every row and every object.

mod common;

use common::{run, TestDb};
use schemagate::engine::Conn;
use schemagate::schema::{Dialect, Realm};
use schemagate::source::hcl::encode;
use std::collections::HashMap;

fn plan_args<'a>(cmd: &'a str, db: &'a TestDb, to: &'a str, dev: &'a Option<String>, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![cmd, "-u", db.url.as_str(), "--to", to];
    if let Some(d) = dev {
        a.extend(["--dev-url", d.as_str()]);
    }
    a.extend(extra);
    a
}

fn write_hcl(dir: &tempfile::TempDir, hcl: &str) -> String {
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, hcl).unwrap();
    format!("file://{}", f.display())
}

fn objects(r: &Realm) -> (usize, usize, usize) {
    r.schemas.iter().fold((0, 0, 0), |acc, s| (acc.0 + s.views.len(), acc.1 + s.functions.len(), acc.2 + s.triggers.len()))
}

/// The first object that differs, for a readable failure.
fn difference(a: &Realm, b: &Realm) -> String {
    for (sa, sb) in a.schemas.iter().zip(&b.schemas) {
        for v in &sa.views {
            if sb.views.iter().find(|x| x.name == v.name) != Some(v) {
                return format!("view {}:\n  left:  {v:?}\n  right: {:?}", v.name, sb.views.iter().find(|x| x.name == v.name));
            }
        }
        for f in &sa.functions {
            if sb.functions.iter().find(|x| x.signature() == f.signature()) != Some(f) {
                return format!("function {}:\n  left:  {f:?}\n  right: {:?}", f.signature(), sb.functions.iter().find(|x| x.signature() == f.signature()));
            }
        }
        for t in &sa.triggers {
            if sb.triggers.iter().find(|x| x.name == t.name && x.table == t.table) != Some(t) {
                return format!("trigger {}:\n  left:  {t:?}\n  right: {:?}", t.name, sb.triggers.iter().find(|x| x.name == t.name));
            }
        }
        for t in &sa.tables {
            if sb.tables.iter().find(|x| x.name == t.name) != Some(t) {
                return format!("table {}", t.name);
            }
        }
    }
    format!("{} vs {} objects", objects(a).0 + objects(a).1 + objects(a).2, objects(b).0 + objects(b).1 + objects(b).2)
}

/// Load `sql` directly, inspect it, write the HCL, and check: the HCL planned against the
/// loaded database is empty; applied to an empty database it gives the same catalog; planned
/// again it is empty.
async fn from_empty_equals_direct_load(dialect: Dialect, sql: &str, min: (usize, usize, usize)) {
    let reference = TestDb::new(dialect).await;
    reference.load_sql(sql);
    let inspected = reference.inspect().await;
    let counts = objects(&inspected);
    assert!(counts.0 >= min.0 && counts.1 >= min.1 && counts.2 >= min.2, "{dialect:?}: inspected (views, routines, triggers) = {counts:?}, expected at least {min:?}");
    let dev = reference.dev_url();
    let dir = tempfile::tempdir().unwrap();

    // 1. The inspected HCL against the database it came from: nothing to do.
    let to = write_hcl(&dir, &encode(&inspected, dialect));
    let (code, out, err) = run(&plan_args("plan", &reference, &to, &dev, &["--detailed-exitcode"]));
    assert_eq!(code, 0, "{dialect:?}: re-plan of the inspected HCL is not empty:\n{out}{err}");

    // 2. From an empty database (MySQL: the schema is the target database's name).
    let target = TestDb::new(dialect).await;
    let mut desired = inspected.clone();
    if dialect == Dialect::Mysql {
        desired.rename_schemas(&HashMap::from([(reference.name.clone(), target.name.clone())]));
    }
    let to = write_hcl(&dir, &encode(&desired, dialect));
    let (code, out, err) = run(&plan_args("apply", &target, &to, &dev, &["--auto-approve"]));
    assert_eq!(code, 0, "{dialect:?}: apply from empty failed:\n{out}{err}");
    let mut got = target.inspect().await;
    if dialect == Dialect::Mysql {
        got.rename_schemas(&HashMap::from([(target.name.clone(), reference.name.clone())]));
    }
    assert!(got == inspected, "{dialect:?}: applied schema differs from the direct load: {}", difference(&inspected, &got));
    let (code, out, err) = run(&plan_args("plan", &target, &to, &dev, &["--detailed-exitcode"]));
    assert_eq!(code, 0, "{dialect:?}: re-plan after apply is not empty:\n{out}{err}");
    println!("{dialect:?}: {} tables, {counts:?} (views, routines, triggers) applied from empty; re-plan empty", inspected.table_count());
    reference.drop().await;
    target.drop().await;
}

#[tokio::test]
async fn pagila_from_hcl_equals_direct_load() {
    let shared = require_shared!();
    let sql = std::fs::read_to_string(shared.join("corpus/pagila/pagila-schema.sql")).unwrap();
    // 7 views + 1 materialized, 9 functions + 1 aggregate, 15 triggers.
    from_empty_equals_direct_load(Dialect::Postgres, &sql, (8, 10, 15)).await;
}

#[tokio::test]
async fn sakila_from_hcl_equals_direct_load() {
    let shared = require_shared!();
    let sql = std::fs::read_to_string(shared.join("corpus/sakila_employees/sakila/sakila-mv-schema.sql")).unwrap();
    let sql: String = sql
        .replace("sakila.", "")
        .lines()
        .filter(|l| {
            let u = l.trim_start().to_ascii_uppercase();
            !(u.starts_with("USE ") || u.starts_with("CREATE SCHEMA") || u.starts_with("DROP SCHEMA") || u.starts_with("CREATE DATABASE") || u.starts_with("DROP DATABASE"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    from_empty_equals_direct_load(Dialect::Mysql, &sql, (7, 6, 3)).await;
}

async fn count(db: &TestDb, q: &str) -> i64 {
    match db.conn().await {
        Conn::Postgres(p) => sqlx::query_scalar(q).fetch_one(&p).await.unwrap(),
        Conn::Mysql(p) => sqlx::query_scalar(q).fetch_one(&p).await.unwrap(),
        Conn::Sqlite(p) => sqlx::query_scalar(q).fetch_one(&p).await.unwrap(),
    }
}

/// A column under a view changes type (PostgreSQL refuses while the view reads it; SQLite's
/// rebuild would break the view and lose the trigger): the plan drops and recreates exactly
/// what it must, the rows stay, the trigger still fires, and the re-plan is empty.
#[tokio::test]
async fn table_changes_under_views_and_triggers_keep_rows_and_objects() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = TestDb::new(dialect).await;
        let (trigger_fn, trigger, log_insert) = match dialect {
            Dialect::Postgres => (
                "CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit(item) VALUES (NEW.id); RETURN NEW; END $$;\n",
                "CREATE TRIGGER item_audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_item();\n",
                "",
            ),
            Dialect::Mysql => ("", "CREATE TRIGGER item_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit(item) VALUES (NEW.id);\n", ""),
            Dialect::Sqlite => ("", "CREATE TRIGGER item_audit AFTER INSERT ON items FOR EACH ROW BEGIN INSERT INTO audit(item) VALUES (NEW.id); END;\n", ""),
        };
        let _ = log_insert;
        let base = "CREATE TABLE items (id int NOT NULL PRIMARY KEY, qty int NOT NULL, label varchar(20));\nCREATE TABLE audit (item int);\n";
        let view = "CREATE VIEW big_items AS SELECT id, qty FROM items WHERE qty > 10;\nCREATE VIEW big_count AS SELECT count(*) AS n FROM big_items;\n";
        db.load_sql(&format!("{base}{trigger_fn}{trigger}{view}INSERT INTO items VALUES (1, 5, 'a'), (2, 50, 'b'), (3, 500, 'c');\n"));
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit").await, 3, "{dialect:?}: trigger did not fire on load");
        // Desired: qty becomes bigint and label grows; views and trigger unchanged.
        let desired = format!("CREATE TABLE items (id int NOT NULL PRIMARY KEY, qty bigint NOT NULL, label varchar(40));\nCREATE TABLE audit (item int);\n{trigger_fn}{trigger}{view}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("schema.sql");
        std::fs::write(&f, desired).unwrap();
        let to = format!("file://{}", f.display());
        let dev = db.dev_url();
        let (code, out, err) = run(&plan_args("apply", &db, &to, &dev, &["--auto-approve"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        if dialect == Dialect::Postgres {
            let drop_view = out.find("DROP VIEW").unwrap_or_else(|| panic!("no DROP VIEW before the type change:\n{out}"));
            let alter = out.find("ALTER COLUMN \"qty\"").unwrap_or_else(|| panic!("no type change:\n{out}"));
            let create_view = out.rfind("CREATE VIEW").unwrap_or_else(|| panic!("views not recreated:\n{out}"));
            assert!(drop_view < alter && alter < create_view, "{dialect:?}: order is drop views, alter, create views:\n{out}");
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM items").await, 3, "{dialect:?}: rows lost");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM big_count").await, 1, "{dialect:?}: view chain broken");
        assert_eq!(count(&db, "SELECT n FROM big_count").await, 2, "{dialect:?}: view reads wrong data");
        db.exec("INSERT INTO items VALUES (4, 7, 'd')").await;
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit").await, 4, "{dialect:?}: the trigger is gone after the change");
        let (code, out, err) = run(&plan_args("plan", &db, &to, &dev, &["--detailed-exitcode"]));
        assert_eq!(code, 0, "{dialect:?}: re-plan not empty:\n{out}{err}");
        db.drop().await;
    }
}

/// Routines that column defaults and checks call are created before the tables; a trigger
/// function after them; dropping the routine comes after the table that used it is gone.
#[tokio::test]
async fn routines_used_by_tables_come_first_and_go_last() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dev = db.dev_url();
    let dir = tempfile::tempdir().unwrap();
    let hcl = r#"
schema "public" {}

function "next_code" {
  schema = schema.public
  lang   = SQL
  return = text
  as     = "SELECT 'C-' || floor(random() * 1000)::int"
}

function "positive" {
  schema = schema.public
  lang   = SQL
  arg "v" {
    type = integer
  }
  return     = boolean
  volatility = IMMUTABLE
  as         = "SELECT v > 0"
}

function "touch" {
  schema = schema.public
  lang   = PLpgSQL
  return = trigger
  as     = "BEGIN NEW.updated := now(); RETURN NEW; END"
}

table "orders" {
  schema = schema.public
  column "id" {
    type = integer
  }
  column "code" {
    type    = text
    default = sql("next_code()")
  }
  column "qty" {
    type = integer
  }
  column "updated" {
    type = timestamptz
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  check "qty_positive" {
    expr = "positive(qty)"
  }
}

view "order_codes" {
  schema = schema.public
  as     = "SELECT id, code FROM orders"
}

trigger "orders_touch" {
  on = table.orders
  before {
    insert = true
    update = true
  }
  foreach = ROW
  execute {
    function = function.touch
  }
}
"#;
    let to = write_hcl(&dir, hcl);
    let (code, out, err) = run(&plan_args("apply", &db, &to, &dev, &["--auto-approve"]));
    assert_eq!(code, 0, "{out}{err}");
    let pos = |needle: &str| out.find(needle).unwrap_or_else(|| panic!("`{needle}` missing:\n{out}"));
    assert!(pos("CREATE FUNCTION \"public\".\"next_code\"") < pos("CREATE TABLE \"public\".\"orders\""), "{out}");
    assert!(pos("CREATE FUNCTION \"public\".\"positive\"") < pos("CREATE TABLE \"public\".\"orders\""), "{out}");
    assert!(pos("CREATE TABLE \"public\".\"orders\"") < pos("CREATE FUNCTION \"public\".\"touch\""), "{out}");
    assert!(pos("CREATE FUNCTION \"public\".\"touch\"") < pos("CREATE TRIGGER"), "{out}");
    db.exec("INSERT INTO orders (id, qty) VALUES (1, 3)").await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders WHERE updated IS NOT NULL AND code LIKE 'C-%'").await, 1);
    let (code, out, err) = run(&plan_args("plan", &db, &to, &dev, &["--detailed-exitcode"]));
    assert_eq!(code, 0, "re-plan of hand-written HCL not empty (normalization):\n{out}{err}");

    // Without the table, the routines its default and check used go after it.
    let first_function_only = hcl.split("function \"positive\"").next().unwrap().to_string();
    let to = write_hcl(&dir, &first_function_only);
    let (code, out, err) = run(&plan_args("plan", &db, &to, &dev, &["--format", "sql"]));
    assert_eq!(code, 3, "dropping a table is denied by default:\n{out}{err}");
    let pos = |needle: &str| out.find(needle).unwrap_or_else(|| panic!("`{needle}` missing:\n{out}"));
    assert!(pos("DROP TRIGGER") < pos("DROP TABLE"), "{out}");
    assert!(pos("DROP VIEW") < pos("DROP TABLE"), "{out}");
    assert!(pos("DROP TABLE") < pos("DROP FUNCTION \"public\".\"positive\"(integer)"), "{out}");
    assert!(pos("DROP TRIGGER") < pos("DROP FUNCTION \"public\".\"touch\"()"), "{out}");
    db.drop().await;
}

/// HCL mistakes in the new blocks are reported at their file:line:col with a hint.
#[tokio::test]
async fn object_block_errors_point_at_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(Dialect::Postgres).await;
    let cases = [
        ("schema \"public\" {}\ntrigger \"t\" {\n  on = table.missing\n  before {\n    insert = true\n  }\n  execute {\n    function = function.f\n  }\n}\n", ":3:", "no table or view \"missing\""),
        ("schema \"public\" {}\nview \"v\" {\n  schema = schema.public\n}\n", ":2:", "needs `as`"),
        ("schema \"public\" {}\nfunction \"f\" {\n  schema = schema.public\n  lang = SQL\n  as = \"SELECT 1\"\n}\n", ":2:", "needs `return`"),
        ("schema \"public\" {}\nview \"v\" {\n  schema = schema.public\n  as = \"SELECT 1\"\n  materialised = true\n}\n", ":5:", "unknown attribute `materialised`"),
    ];
    for (hcl, at, msg) in cases {
        let to = write_hcl(&dir, hcl);
        // The source is decoded before any database is touched.
        let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to]);
        let text = format!("{out}{err}");
        assert!(code != 0, "{hcl}: accepted");
        assert!(text.contains(at) && text.contains(msg), "{hcl}: expected `{msg}` at {at}, got:\n{text}");
    }
    db.drop().await;
}
