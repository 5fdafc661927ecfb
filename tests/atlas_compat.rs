//! Atlas users' schema files just work: one case per feature of Atlas's HCL, written from its
//! documented behaviour. Each case: HCL in → plan applied to a fresh database → inspected back
//! to HCL that says the same (the attribute is there) → that HCL re-planned: no changes.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;

/// Apply `hcl` to a fresh database of `dialect`, then check that inspection gives back HCL
/// containing each of `expect`, and that planning the inspected HCL finds nothing to do.
async fn round_trip(dialect: Dialect, schema: &str, body: &str, expect: &[&str]) {
    let db = TestDb::new(dialect).await;
    let schema_name = match dialect {
        Dialect::Mysql => db.name.clone(),
        Dialect::Postgres => schema.to_string(),
        Dialect::Sqlite => "main".to_string(),
    };
    let hcl = format!("schema \"{schema_name}\" {{}}\n{}", body.replace("SCHEMA", &schema_name));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, &hcl).unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url();
    let mut args = vec!["schema", "apply", "-u", &db.url, "--to", &to, "--auto-approve"];
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{dialect:?} apply:\n{hcl}\n{out}{err}");
    let (code, inspected, err) = run(&["schema", "inspect", "-u", &db.url]);
    assert_eq!(code, 0, "{err}");
    for e in expect {
        assert!(inspected.contains(e), "{dialect:?}: `{e}` missing from the inspected HCL:\n{inspected}");
    }
    let g = dir.path().join("inspected.hcl");
    std::fs::write(&g, &inspected).unwrap();
    let back = format!("file://{}", g.display());
    let mut args = vec!["plan", "-u", &db.url, "--to", &back];
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "{dialect:?}: the inspected HCL plans changes:\n{inspected}\n{out}");
    // And the original HCL is in sync too.
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", dev.as_deref().unwrap_or("sqlite://dev?mode=memory")]);
    assert!(out.contains("no changes"), "{dialect:?}: the original HCL plans changes:\n{out}");
    db.drop().await;
}

#[tokio::test]
async fn postgres_primary_key_include() {
    round_trip(Dialect::Postgres, "public", "table \"t\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  column \"n\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n    include = [column.n]\n  }\n}\n", &["include = [column.n]"]).await;
}

#[tokio::test]
async fn postgres_brin_page_per_range() {
    round_trip(Dialect::Postgres, "public", "table \"t\" {\n  schema = schema.SCHEMA\n  column \"ts\" {\n    type = timestamp(3)\n  }\n  index \"t_ts\" {\n    columns = [column.ts]\n    type = BRIN\n    page_per_range = 32\n  }\n}\n", &["page_per_range = 32", "type = BRIN", "timestamp(3)"]).await;
}

#[tokio::test]
async fn postgres_arrays_enum_arrays_domains_intervals() {
    let body = "enum \"status\" {\n  schema = schema.SCHEMA\n  values = [\"on\", \"off\"]\n}\n\
domain \"posint\" {\n  schema = schema.SCHEMA\n  type = int\n  check \"pos\" {\n    expr = \"VALUE > 0\"\n  }\n}\n\
table \"t\" {\n  schema = schema.SCHEMA\n  column \"tags\" {\n    type = sql(\"varchar(100)[]\")\n  }\n  column \"st\" {\n    type = sql(\"status[]\")\n  }\n  column \"n\" {\n    type = domain.posint\n  }\n  column \"iv\" {\n    type = interval(6)\n  }\n  column \"ym\" {\n    type = sql(\"interval year to month\")\n  }\n  column \"tm\" {\n    type = time\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["character varying(100)[]", "status[]", "domain.posint", "interval(6)"]).await;
}

#[tokio::test]
async fn postgres_index_parts_and_methods() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  column \"name\" {\n    type = text\n  }\n\
  index \"t_desc\" {\n    on {\n      column = column.id\n      desc = true\n    }\n  }\n  index \"t_lower\" {\n    on {\n      expr = \"lower(name)\"\n    }\n  }\n  index \"t_hash\" {\n    columns = [column.name]\n    type = HASH\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["desc = true", "type = HASH", "lower(name)"]).await;
}

#[tokio::test]
async fn fully_qualified_column_references() {
    let body = "table \"users\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [table.users.column.id]\n  }\n}\n\
table \"posts\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  column \"author\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  foreign_key \"posts_author\" {\n    columns = [table.posts.column.author]\n    ref_columns = [schema.SCHEMA.table.users.column.id]\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["foreign_key \"posts_author\""]).await;
    round_trip(Dialect::Mysql, "", body, &["foreign_key \"posts_author\""]).await;
    round_trip(Dialect::Sqlite, "", body, &["foreign_key \"posts_author\""]).await;
}

#[tokio::test]
async fn mysql_table_auto_increment_start() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n    auto_increment = true\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  auto_increment = 100\n}\n";
    round_trip(Dialect::Mysql, "", body, &["auto_increment = 100", "auto_increment = true"]).await;
}

#[tokio::test]
async fn sqlite_autoincrement_and_without_rowid() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = integer\n    auto_increment = true\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\n\
table \"kv\" {\n  schema = schema.SCHEMA\n  column \"k\" {\n    type = text\n  }\n  primary_key {\n    columns = [column.k]\n  }\n  without_rowid = true\n}\n";
    round_trip(Dialect::Sqlite, "", body, &["auto_increment = true", "without_rowid = true"]).await;
}

/// A number default keeps its spelling through HCL (`0.0` stays `0.0`, as pg_dump writes it).
#[tokio::test]
async fn number_defaults_keep_their_spelling() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"price\" {\n    type = numeric(10,2)\n    default = 0.0\n  }\n  column \"ratio\" {\n    type = double_precision\n    default = 1.50\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["default = 0.0", "default = 1.50"]).await;
}

/// Deferrable keys: a unique constraint checked at commit, a deferrable primary key (a foreign
/// key may not reference one, PostgreSQL says), and a foreign key spelled with Atlas's
/// `INITIALLY_DEFERRED` constant.
#[tokio::test]
async fn postgres_deferrable_keys_and_constraints() {
    let body = "table \"parent\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  column \"pos\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  unique \"parent_pos\" {\n    columns = [column.pos]\n    deferrable = true\n    initially_deferred = true\n  }\n}\ntable \"slot\" {\n  schema = schema.SCHEMA\n  column \"n\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.n]\n    deferrable = true\n  }\n}\ntable \"child\" {\n  schema = schema.SCHEMA\n  column \"id\" {\n    type = int\n  }\n  column \"parent\" {\n    type = int\n    null = true\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  foreign_key \"child_parent\" {\n    columns = [column.parent]\n    ref_columns = [table.parent.column.id]\n    deferrable = INITIALLY_DEFERRED\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["unique \"parent_pos\" {\n    columns = [column.pos]\n    deferrable = true\n    initially_deferred = true", "    columns = [column.n]\n    deferrable = true\n  }", "on_delete = NO_ACTION\n    deferrable = true\n    initially_deferred = true"]).await;
}
