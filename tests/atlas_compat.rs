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
    let (_, again) = apply_then_replan(&db, &db.url, &hcl);
    // The original HCL is in sync.
    assert!(again.contains("no changes"), "{dialect:?}: the original HCL plans changes:\n{again}");
    let (code, inspected, err) = run(&["schema", "inspect", "-u", &db.url]);
    assert_eq!(code, 0, "{err}");
    // `=` is aligned as hclwrite aligns it: compared with runs of spaces as one.
    let squeeze = |s: &str| s.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    for e in expect {
        assert!(squeeze(&inspected).contains(&squeeze(e)), "{dialect:?}: `{e}` missing from the inspected HCL:\n{inspected}");
    }
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("inspected.hcl");
    std::fs::write(&g, &inspected).unwrap();
    let back = format!("file://{}", g.display());
    let dev = db.dev_url();
    let mut args = vec!["plan", "-u", &db.url, "--to", &back];
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "{dialect:?}: the inspected HCL plans changes:\n{inspected}\n{out}");
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

/// Atlas inspects a PostgreSQL check as `pg_get_constraintdef` has it inside `CHECK (…)`:
/// `(a > 0)`, parentheses included; files say either `a > 0` or `(a > 0)`.
#[tokio::test]
async fn check_expressions_read_both_ways() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"a\" {\n    type = int\n    null = true\n  }\n  check \"c1\" {\n    expr = \"(a > 0)\"\n  }\n  check \"c2\" {\n    expr = \"a < 10\"\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["expr = \"(a > 0)\"", "expr = \"(a < 10)\""]).await;
    // The other engines write what their server reports; the files' parentheses change nothing.
    round_trip(Dialect::Mysql, "", body, &["check \"c1\"", "check \"c2\""]).await;
    round_trip(Dialect::Sqlite, "", body, &["check \"c1\"", "check \"c2\""]).await;
}

#[tokio::test]
async fn postgres_arrays_enum_arrays_domains_intervals() {
    let body = "enum \"status\" {\n  schema = schema.SCHEMA\n  values = [\"on\", \"off\"]\n}\n\
domain \"posint\" {\n  schema = schema.SCHEMA\n  type = int\n  check \"pos\" {\n    expr = \"VALUE > 0\"\n  }\n}\n\
table \"t\" {\n  schema = schema.SCHEMA\n  column \"tags\" {\n    type = sql(\"varchar(100)[]\")\n  }\n  column \"st\" {\n    type = sql(\"status[]\")\n  }\n  column \"n\" {\n    type = domain.posint\n  }\n  column \"iv\" {\n    type = interval(3)\n  }\n  column \"ts\" {\n    type = timestamptz(6)\n  }\n  column \"sec\" {\n    type = second(2)\n  }\n  column \"ym\" {\n    type = sql(\"interval year to month\")\n  }\n  column \"tm\" {\n    type = time\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["character varying(100)[]", "status[]", "domain.posint", "interval(3)", "type = timestamptz\n", "type = second(2)\n"]).await;
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

/// `schema apply` of the file `hcl` to `url` with the test database's dev URL, then the same
/// file planned again (`--dry-run`). Returns both outputs (each stdout, then its stderr: under
/// `schema apply` this tool's report is on stderr, beside Atlas's stdout).
fn apply_then_replan(db: &TestDb, url: &str, hcl: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, hcl).unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url();
    let mut args = vec!["schema", "apply", "-u", url, "--to", &to, "--auto-approve"];
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    args.retain(|a| *a != "--auto-approve");
    args.push("--dry-run");
    let (_, again, err2) = run(&args);
    (out + &err, again + &err2)
}

/// Array spellings PostgreSQL takes as one type (`varchar(100) ARRAY`, `int[3][]`,
/// `int ARRAY[1]`), Atlas's interval field types and a time precision of 6 (the default one):
/// applied, inspected back, and in sync with the file as written.
#[tokio::test]
async fn postgres_array_and_interval_spellings() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"a\" {\n    type = sql(\"varchar(100) ARRAY\")\n  }\n  column \"b\" {\n    type = sql(\"int[3][]\")\n  }\n  column \"c\" {\n    type = sql(\"character varying(20) ARRAY[1]\")\n  }\n  column \"d\" {\n    type = second(1)\n  }\n  column \"e\" {\n    type = day_to_second(4)\n  }\n  column \"f\" {\n    type = timestamp(6)\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["sql(\"character varying(100)[]\")", "sql(\"integer[]\")", "sql(\"character varying(20)[]\")", "type = second(1)", "type = day_to_second(4)", "column \"f\" {\n    null = false\n    type = timestamp\n"]).await;
}

/// An operator class with parameters (`tsvector_ops(siglen=8)`) is kept even though it is the
/// type's default class (it used to be dropped from the plan).
#[tokio::test]
async fn postgres_operator_class_parameters() {
    let body = "table \"t\" {\n  schema = schema.SCHEMA\n  column \"a\" {\n    type = tsvector\n  }\n  index \"t_a\" {\n    type = GIST\n    on {\n      column = column.a\n      ops = sql(\"tsvector_ops(siglen=8)\")\n    }\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["ops = sql(\"tsvector_ops(siglen=8)\")"]).await;
}

/// A URL bound to one schema (`?search_path=app`, Atlas's schema scope): apply and inspect see
/// that schema only; an enum array written without its schema (`sql("status[]")`) resolves to
/// the enum of the table's schema; the SQL format is unqualified, as Atlas writes it.
#[tokio::test]
async fn postgres_schema_scoped_url_and_bare_enum_arrays() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE SCHEMA app; CREATE TABLE public.keep (id int)").await;
    let url = format!("{}{}search_path=app", db.url, if db.url.contains('?') { "&" } else { "?" });
    let hcl = "schema \"app\" {}\nenum \"status\" {\n  schema = schema.app\n  values = [\"on\", \"off\"]\n}\ntable \"t\" {\n  schema = schema.app\n  column \"s\" {\n    type = sql(\"status[]\")\n  }\n}\n";
    let (_, again) = apply_then_replan(&db, &url, hcl);
    // The same file is in sync; public.keep was never looked at.
    assert!(again.contains("no changes"), "{again}");
    let (code, inspected, err) = run(&["schema", "inspect", "-u", &url]);
    assert_eq!(code, 0, "{err}");
    // An array of the bound schema's own type as the search path shows it, as Atlas writes it.
    assert!(inspected.contains("type = sql(\"status[]\")") && !inspected.contains("keep") && !inspected.contains("schema \"public\""), "{inspected}");
    // Tables first, the schema block last, as `atlas schema inspect` prints them.
    assert!(inspected.find("table \"t\"") < inspected.find("schema \"app\""), "{inspected}");
    let (code, sql, err) = run(&["schema", "inspect", "-u", &url, "--format", "{{ sql . \"  \" }}"]);
    assert_eq!(code, 0, "{err}");
    assert!(sql.contains("CREATE TYPE \"status\"") && sql.contains("CREATE TABLE \"t\"") && !sql.contains("\"app\"."), "{sql}");
    db.drop().await;
}

/// A unique constraint made outside schemagate, declared as `index { unique = true }` (how
/// Atlas wrote constraints for years): nothing to do, and the constraint stays a constraint.
/// A primary key that gains INCLUDE columns is rebuilt under its name.
#[tokio::test]
async fn postgres_unique_constraints_as_indexes_and_key_include_changes() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.u (id int NOT NULL, c int, nick text UNIQUE, CONSTRAINT u_pkey PRIMARY KEY (id))").await;
    let hcl = "schema \"public\" {}\ntable \"u\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n  column \"c\" {\n    type = int\n    null = true\n  }\n  column \"nick\" {\n    type = text\n    null = true\n  }\n  primary_key {\n    columns = [column.id]\n    include = [column.c]\n  }\n  index \"u_nick_key\" {\n    unique = true\n    columns = [column.nick]\n  }\n}\n";
    let (out, again) = apply_then_replan(&db, &db.url, hcl);
    assert!(out.contains("u_pkey") && !out.contains("u_nick_key"), "only the key changes: {out}");
    assert!(again.contains("no changes"), "{again}");
    let realm = db.inspect().await;
    let t = realm.table("public", "u").unwrap();
    assert_eq!(t.primary_key.as_ref().unwrap().include, vec!["c".to_string()]);
    assert!(t.indexes.iter().any(|i| i.name == "u_nick_key" && i.constraint), "{:?}", t.indexes);
    db.drop().await;
}

/// `schema inspect --url file://schema.sql --dev-url URL`: a SQL file as the dev database's
/// engine makes of it; a MySQL table that inherits its schema's character set and InnoDB
/// writes neither.
#[tokio::test]
async fn inspect_a_schema_file_through_the_dev_database() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.sql");
    std::fs::write(&f, "CREATE TABLE t1 (name varchar(20) CHECK (name in ('a', 'b')), age int);\n").unwrap();
    let url = format!("file://{}", f.display());
    let dev = schemagate::url::set_path(&common::mysql_admin(), "");
    let (code, out, err) = run(&["schema", "inspect", "--url", &url, "--dev-url", &dev]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("table \"t1\"") && out.contains("type = varchar(20)") && out.contains("check \""), "{out}");
    let table = &out[out.find("table \"t1\"").unwrap()..];
    assert!(!table[..table.find("column").unwrap()].contains("charset") && !out.contains("engine"), "{out}");
    let (code, _, err) = run(&["schema", "inspect", "--url", &url]);
    assert_ne!(code, 0);
    assert!(err.contains("--dev-url"), "{err}");
}

/// SQLite: DDL written as Atlas's CLI writes it (SQLite keeps the text), and a column declared
/// without a type read as `blob`.
#[tokio::test]
async fn sqlite_ddl_text_and_untyped_columns() {
    let db = TestDb::new(Dialect::Sqlite).await;
    db.exec("CREATE TABLE old (col)").await;
    let hcl = "schema \"main\" {}\ntable \"old\" {\n  schema = schema.main\n  column \"col\" {\n    null = true\n    type = blob\n  }\n}\ntable \"users\" {\n  schema = schema.main\n  column \"a\" {\n    type = int\n  }\n  column \"b\" {\n    type = int\n    null = true\n    as = \"a * 2\"\n  }\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, hcl).unwrap();
    let to = format!("file://{}", f.display());
    let (code, out, err) = run(&["schema", "apply", "-u", &db.url, "--to", &to, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    // Atlas's CLI writes a table on several lines, and SQLite keeps the text as written.
    assert!(out.contains("CREATE TABLE `users` (\n  `a` int NOT NULL,\n  `b` int NULL AS (a * 2) VIRTUAL\n);"), "{out}");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.name)).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE name = 'users'").fetch_one(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(stored, "CREATE TABLE `users` (\n  `a` int NOT NULL,\n  `b` int NULL AS (a * 2) VIRTUAL\n)");
    assert!(!out.contains("\"old\""), "the untyped column is already a blob: {out}");
    db.drop().await;
}

/// PostgreSQL exclusion constraints as Atlas writes them (`exclude` blocks, an `op` per part):
/// created, inspected back, in sync; one made outside schemagate is inspected rather than
/// reported as not managed.
#[tokio::test]
async fn postgres_exclusion_constraints() {
    let body = "table \"booking\" {\n  schema = schema.SCHEMA\n  column \"during\" {\n    type = tsrange\n  }\n  column \"starts\" {\n    type = timestamp\n  }\n  column \"ends\" {\n    type = timestamp\n  }\n  column \"cancelled\" {\n    type = boolean\n  }\n  exclude \"booking_no_overlap\" {\n    type = GIST\n    on {\n      column = column.during\n      op = \"&&\"\n    }\n    where = \"NOT cancelled\"\n  }\n  exclude \"booking_span\" {\n    type = GIST\n    on {\n      expr = \"tsrange(starts, ends)\"\n      op = \"&&\"\n    }\n    deferrable = true\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["exclude \"booking_no_overlap\" {\n    type = GIST\n    on {\n      column = column.during\n      op = \"&&\"\n    }\n    where = \"(NOT cancelled)\"", "exclude \"booking_span\"", "deferrable = true"]).await;

    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.r (during tsrange NOT NULL, CONSTRAINT r_excl EXCLUDE USING gist (during WITH &&))").await;
    let realm = db.inspect().await;
    let r = realm.table("public", "r").unwrap();
    assert!(r.indexes.iter().any(|i| i.name == "r_excl" && i.is_exclusion()), "{:?}", r.indexes);
    assert!(realm.skipped.is_empty(), "{:?}", realm.skipped);
    db.drop().await;
}

/// A column typed with a domain the file does not declare (Atlas's files do this: Atlas does
/// not manage domains) keeps the target's domain: applied, in sync, and the domain is not
/// dropped under the column.
#[tokio::test]
async fn postgres_undeclared_domains_the_file_uses_are_kept() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE DOMAIN public.positive_int AS bigint CHECK (VALUE > 0)").await;
    let hcl = "schema \"public\" {}\ntable \"users\" {\n  schema = schema.public\n  column \"c1\" {\n    type = sql(\"public.positive_int\")\n  }\n}\n";
    let (out, again) = apply_then_replan(&db, &db.url, hcl);
    assert!(out.contains("CREATE TABLE") && !out.contains("DROP DOMAIN"), "{out}");
    assert!(again.contains("no changes") && again.contains("public.positive_int is used by the desired columns but not declared"), "{again}");
    // Written without its schema, as in Atlas's own scripts: the same.
    let (_, again) = apply_then_replan(&db, &db.url, &hcl.replace("public.positive_int", "positive_int"));
    assert!(again.contains("no changes"), "{again}");
    let realm = db.inspect().await;
    assert!(realm.schemas.iter().any(|s| s.domains.iter().any(|d| d.name == "positive_int")));
    db.drop().await;
}

/// MySQL/MariaDB: a foreign key that names no action gets InnoDB's RESTRICT and its DDL leaves
/// it unwritten; an explicit NO_ACTION is written (MariaDB's SHOW CREATE TABLE shows it). The
/// two are one action to InnoDB, so neither re-plans, and inspect reads back what was written.
#[tokio::test]
async fn mysql_explicit_no_action_is_kept_and_the_default_unwritten() {
    let db = TestDb::new(Dialect::Mysql).await;
    let s = db.name.clone();
    let hcl = format!(
        "schema \"{s}\" {{}}\ntable \"users\" {{\n  schema = schema.{s}\n  column \"id\" {{\n    type = int\n  }}\n  primary_key {{\n    columns = [column.id]\n  }}\n}}\n\
         table \"posts\" {{\n  schema = schema.{s}\n  column \"a\" {{\n    type = int\n    null = true\n  }}\n  column \"b\" {{\n    type = int\n    null = true\n  }}\n\
         foreign_key \"a_fk\" {{\n    columns = [column.a]\n    ref_columns = [table.users.column.id]\n  }}\n\
         foreign_key \"b_fk\" {{\n    columns = [column.b]\n    ref_columns = [table.users.column.id]\n    on_update = NO_ACTION\n    on_delete = CASCADE\n  }}\n}}\n"
    );
    let (_, again) = apply_then_replan(&db, &db.url, &hcl);
    assert!(again.contains("no changes"), "{again}");
    let schemagate::engine::Conn::Mysql(pool) = db.conn().await else { unreachable!() };
    let (_, create): (String, String) = sqlx::query_as("SHOW CREATE TABLE posts").fetch_one(&pool).await.unwrap();
    assert!(create.contains("REFERENCES `users` (`id`),") || create.contains("REFERENCES `users` (`id`)\n"), "a_fk names no action: {create}");
    assert!(create.contains("REFERENCES `users` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION"), "{create}");
    let (code, inspected, err) = run(&["schema", "inspect", "-u", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert!(inspected.contains("on_update   = NO_ACTION\n    on_delete   = CASCADE"), "{inspected}");
    db.drop().await;
}

/// A generated column given another expression is replaced (PostgreSQL before 17 and MariaDB
/// cannot change it in place) with its index and its check built again: the plan passes its
/// rehearsal and the target ends as the file says, with nothing left to plan.
#[tokio::test]
async fn a_regenerated_column_keeps_its_index_and_check() {
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let db = TestDb::new(dialect).await;
        let s = if dialect == Dialect::Mysql { db.name.clone() } else { "public".to_string() };
        let hcl = |expr: &str| {
            format!(
                "schema \"{s}\" {{}}\ntable \"t\" {{\n  schema = schema.{s}\n  column \"a\" {{\n    type = int\n  }}\n  column \"b\" {{\n    type = int\n    null = true\n    as {{\n      expr = \"{expr}\"\n      type = STORED\n    }}\n  }}\n  column \"c\" {{\n    type = int\n    null = true\n  }}\n\
                 check \"b_pos\" {{\n    expr = \"b > 0\"\n  }}\n  index \"t_b\" {{\n    columns = [column.b, column.c]\n  }}\n}}\n"
            )
        };
        let (_, again) = apply_then_replan(&db, &db.url, &hcl("a * 2"));
        assert!(again.contains("no changes"), "{dialect:?}: {again}");
        let (out, again) = apply_then_replan(&db, &db.url, &hcl("a * 3"));
        assert!(out.contains("verified"), "{dialect:?}: {out}");
        assert!(again.contains("no changes"), "{dialect:?}: {again}");
        db.drop().await;
    }
}

/// MySQL: a generated column made plain keeps the values it computed (a plain column is added,
/// filled, and takes its name), unless another generated column reads it: MariaDB cannot drop a
/// column a generated column reads, and the plan stops there in Atlas's words, with the way to do
/// it, before any rehearsal (which failed, in words nobody could act on).
#[tokio::test]
async fn mysql_generated_column_made_plain_keeps_its_values() {
    let db = TestDb::new(Dialect::Mysql).await;
    db.exec("CREATE TABLE users (a int NOT NULL, b int AS (a * 2) VIRTUAL, c int AS (a * b) STORED); INSERT INTO users (a) VALUES (1), (2)").await;
    let s = db.name.clone();
    let hcl = |c: &str| format!("schema \"{s}\" {{}}\ntable \"users\" {{\n  schema = schema.{s}\n  column \"a\" {{\n    type = int\n  }}\n  column \"b\" {{\n    type = int\n    null = true\n  }}\n{c}}}\n");
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, body: String| {
        std::fs::write(dir.path().join(name), body).unwrap();
        format!("file://{}", dir.path().join(name).display())
    };
    let reads_b = file("reads.hcl", hcl("  column \"c\" {\n    type = int\n    null = true\n    as {\n      expr = \"a * b\"\n      type = STORED\n    }\n  }\n"));
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &reads_b, "--dev-url", &dev]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("changing VIRTUAL generated column \"b\" to non-generated column is not supported (drop and add is required)"), "{err}");
    assert!(err.contains("generated column \"c\" of users reads it") && err.contains("hint: change \"c\" first"), "{err}");
    // Without a reader the values stay: 2 and 4, now plain.
    db.exec("ALTER TABLE users DROP COLUMN c").await;
    let plain = file("plain.hcl", hcl(""));
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &plain, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let pool = sqlx::MySqlPool::connect(&db.url).await.unwrap();
    let b: Vec<i32> = sqlx::query_scalar("SELECT b FROM users ORDER BY a").fetch_all(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(b, vec![2, 4]);
    db.drop().await;
}

/// Atlas's `composite` types (one without fields too): created before the tables whose columns
/// use them, inspected back as `composite` blocks and `type = composite.<name>`, in sync both ways.
#[tokio::test]
async fn postgres_composite_types() {
    let body = "composite \"address\" {\n  schema = schema.SCHEMA\n  field \"street\" {\n    type = varchar(80)\n  }\n  field \"zip\" {\n    type = text\n    collate = \"C\"\n  }\n  comment = \"postal\"\n}\ncomposite \"nothing\" {\n  schema = schema.SCHEMA\n}\ntable \"shops\" {\n  schema = schema.SCHEMA\n  column \"at\" {\n    type = composite.address\n  }\n}\n";
    round_trip(Dialect::Postgres, "public", body, &["composite \"nothing\" {", "composite \"address\" {", "field \"zip\" {\n    type = text\n    collate = \"C\"\n  }", "comment = \"postal\"", "type = composite.address"]).await;
}

/// A composite type gains a field in place (rows keep theirs); losing one is denied (DS105)
/// because the values stored in that field are gone, and goes through when allowed; retyping
/// one that a column uses fails in rehearsal, as it would on the target.
#[tokio::test]
async fn postgres_composite_fields_change_in_place_and_a_lost_one_is_denied() {
    let db = TestDb::new(Dialect::Postgres).await;
    let hcl = |fields: &str| format!("schema \"public\" {{}}\ncomposite \"address\" {{\n  schema = schema.public\n{fields}}}\ntable \"shops\" {{\n  schema = schema.public\n  column \"at\" {{\n    type = composite.address\n  }}\n}}\n");
    let field = |n: &str| format!("  field \"{n}\" {{\n    type = text\n  }}\n");
    apply_then_replan(&db, &db.url, &hcl(&(field("street") + &field("zip"))));
    db.exec("INSERT INTO public.shops VALUES (ROW('Main St', '12345'))").await;
    let (out, again) = apply_then_replan(&db, &db.url, &hcl(&(field("street") + &field("zip") + &field("city"))));
    assert!(out.contains(r#"ALTER TYPE "public"."address" ADD ATTRIBUTE "city" text"#), "{out}");
    assert!(again.contains("no changes"), "{again}");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, hcl(&(field("street") + &field("city")))).unwrap();
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert_ne!(code, 0, "{out}");
    assert!((out.clone() + &err).contains("DS105") && out.contains(r#"DROP ATTRIBUTE "zip""#), "{out}{err}");
    let (code, out, err) = run(&["schema", "apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--allow-destructive"]);
    assert_eq!(code, 0, "{out}{err}");
    let kept = std::process::Command::new("psql").args(["-Atc", "SELECT (at).street FROM public.shops", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&kept.stdout).trim(), "Main St");
    // A field retyped while a column uses the type: PostgreSQL refuses, and the rehearsal (whose
    // copy holds the table) says so before anything runs on the target.
    std::fs::write(&f, hcl(&(field("street").replace("text", "varchar(10)") + &field("city")))).unwrap();
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("rehearsal") && err.contains("cannot alter type"), "{out}{err}");
    db.drop().await;
}
