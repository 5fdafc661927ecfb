//! Atlas users' habits: `schema apply|inspect|diff|fmt|clean`, `--env` / `-c` / `--var` from
//! atlas.hcl on every command that takes a URL, `docker://` dev URLs, atlas.hcl `lint` blocks,
//! Atlas's `--format` templates. Each case is what Atlas's documentation says the command does.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use std::process::Command;

const SCHEMA: &str = r#"schema "main" {}
table "users" {
  schema = schema.main
  column "id" {
    type = integer
  }
  column "name" {
    type = text
    null = true
  }
  primary_key {
    columns = [column.id]
  }
}
"#;

/// A project directory with atlas.hcl (an env whose database file comes from a variable) and
/// schema.hcl. Commands run inside it, as Atlas users run them.
fn project(extra_env: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.hcl"), SCHEMA).unwrap();
    std::fs::write(
        dir.path().join("atlas.hcl"),
        format!(
            r#"variable "db" {{
  type    = string
  default = "app.db"
}}
env "local" {{
  url = "sqlite://${{var.db}}"
  dev = "sqlite://dev?mode=memory"
  src = "file://schema.hcl"
  {extra_env}
}}
"#
        ),
    )
    .unwrap();
    dir
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(common::bin()).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn schema_apply_inspect_and_clean_with_an_env() {
    let p = project("");
    let d = p.path();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(d.join("app.db").is_file(), "the env's url (from the variable's default) was the target");
    // Atlas's template spelling of the format.
    let (code, out, err) = run_in(d, &["schema", "inspect", "--env", "local", "--format", "{{ sql . }}"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("CREATE TABLE `users`"), "{out}");
    // --var overrides the variable: another database.
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--var", "db=other.db", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(d.join("other.db").is_file());
    // The same env re-planned: nothing to do (plan takes --env too).
    let (code, out, _) = run_in(d, &["plan", "--env", "local"]);
    assert_eq!(code, 0);
    assert!(out.contains("no changes"), "{out}");
    // schema clean drops what the schema holds; the destructive findings show as accepted.
    let (code, out, err) = run_in(d, &["schema", "clean", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DROP TABLE `users`") && out.contains("overridden"), "{out}");
    let (_, out, _) = run_in(d, &["schema", "inspect", "--env", "local", "--format", "sql"]);
    assert!(!out.contains("CREATE TABLE"), "{out}");
}

#[test]
fn a_missing_target_or_env_is_a_usage_error() {
    let p = project("");
    let (code, _, err) = run_in(p.path(), &["plan", "--to", "file://schema.hcl"]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("--env NAME") && err.contains("\"url\" not set"), "Atlas's words first: {err}");
    let (code, _, err) = run_in(p.path(), &["schema", "apply", "-u", "sqlite://x.db"]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("one of flag(s) \"file\" or \"to\" is required"), "{err}");
    let (code, _, err) = run_in(p.path(), &["schema", "apply", "--env", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("no env \"nope\"") && err.contains("local"), "{err}");
    let (code, _, err) = run_in(p.path(), &["plan", "--env", "local", "-c", "file://missing.hcl"]);
    assert_eq!(code, 64, "{err}");
}

#[test]
fn atlas_lint_blocks_set_an_analyzers_severity() {
    // Atlas: `lint { destructive { error = false } }` makes drops warnings.
    let p = project("lint {\n    destructive {\n      error = false\n    }\n  }");
    let d = p.path();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(d.join("schema.hcl"), "schema \"main\" {}\n").unwrap();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "the drop is a warning, not a denial: {out}{err}");
    // `schema apply` prints Atlas's stdout; the findings are on stderr beside it.
    assert_eq!(out, "-- Planned Changes:\n-- Drop \"users\" table\nDROP TABLE `users`;\n");
    assert!(err.contains("DS102") && err.contains("warning"), "{err}");
    // Without the block the same drop is denied (exit 3).
    let q = project("");
    run_in(q.path(), &["schema", "apply", "--env", "local", "--auto-approve"]);
    std::fs::write(q.path().join("schema.hcl"), "schema \"main\" {}\n").unwrap();
    let (code, _, _) = run_in(q.path(), &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 3);
}

#[test]
fn schema_diff_and_fmt_are_atlas_spellings() {
    let p = project("");
    let d = p.path();
    std::fs::write(d.join("v2.hcl"), SCHEMA.replace("  primary_key {", "  column \"email\" {\n    type = text\n    null = true\n  }\n  primary_key {")).unwrap();
    let (code, out, err) = run_in(d, &["schema", "diff", "--from", "file://schema.hcl", "--to", "file://v2.hcl", "--dev-url", "sqlite://dev?mode=memory"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ADD COLUMN `email`"), "{out}");
    std::fs::write(d.join("messy.hcl"), "table \"t\" {\nschema = schema.main\n      column \"id\" {\n  type = int\n}\n}\n").unwrap();
    let (code, out, _) = run_in(d, &["schema", "fmt", "--check", "messy.hcl"]);
    assert_eq!(code, 1, "{out}");
}

/// `docker://postgres/15/dev` in an Atlas project: the local PostgreSQL of that major version
/// stands in (no containers); another version is an error with the fix.
#[tokio::test]
async fn docker_dev_urls_map_to_the_local_server_of_that_version() {
    let Some(major) = schemagate::devdb::ephemeral::pg_major() else {
        eprintln!("skipped: no local PostgreSQL binaries");
        return;
    };
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE t (id int PRIMARY KEY, note text);\n").unwrap();
    let to = format!("file://{}", dir.path().join("s.sql").display());
    let docker = format!("docker://postgres/{major}/dev");
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &docker]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CREATE TABLE"), "{out}");
    let (code, _, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", "docker://postgres/99/dev"]);
    assert_eq!(code, 1);
    assert!(err.contains("asks for PostgreSQL 99") && err.contains("fix: --dev-url"), "{err}");
    let (_, _, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", "docker://mysql/8/dev"]);
    assert!(err.contains("fix:"), "{err}");
    db.drop().await;
}

/// Atlas passes an env's other attributes to the schema as input variables; `-f/--file` is its
/// older spelling of `--to`.
#[test]
fn env_attributes_are_input_variables_and_f_is_to() {
    let p = project("default_name = \"anon\"");
    let d = p.path();
    std::fs::write(d.join("schema.hcl"), SCHEMA.replace("    null = true\n", "    null = true\n    default = var.default_name\n").replacen("schema \"main\" {}", "variable \"default_name\" {\n  type = string\n}\nschema \"main\" {}", 1)).unwrap();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DEFAULT 'anon'"), "{out}");
    // Without the env the variable has no value: Atlas's message.
    let (code, _, err) = run_in(d, &["schema", "apply", "-u", "sqlite://other.db", "-f", "schema.hcl", "--auto-approve"]);
    assert_ne!(code, 0);
    // Atlas's words lead (scripts grep `Error: missing value…`); the declaration follows.
    assert!(err.starts_with("Error: missing value for required variable \"default_name\""), "{err}");
    assert!(err.contains("(declared at schema.hcl:"), "{err}");
    let (code, out, err) = run_in(d, &["schema", "apply", "-u", "sqlite://other.db", "--file", "schema.hcl", "--var", "default_name=x", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DEFAULT 'x'"), "{out}");
}

/// `schema inspect --exclude` takes Atlas's globs: on a URL bound to one schema (SQLite's
/// `main`) they name `table[.column]`, a level at a time, with character classes. atlas.hcl
/// passed as the schema says what it is.
#[test]
fn inspect_excludes_and_project_files_given_as_schemas() {
    let p = project("");
    let d = p.path();
    std::fs::write(d.join("schema.hcl"), "schema \"main\" {}\ntable \"users\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n  column \"ab\" {\n    type = int\n  }\n  column \"b\" {\n    type = int\n  }\n}\ntable \"tmp_x\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n}\n").unwrap();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let inspect = |pattern: &str| run_in(d, &["schema", "inspect", "--env", "local", "--exclude", pattern]).1;
    let out = inspect("tmp_*");
    assert!(!out.contains("tmp_x") && out.contains("table \"users\""), "{out}");
    let out = inspect("*.[ab]*");
    assert!(out.contains("column \"id\"") && !out.contains("column \"ab\"") && !out.contains("column \"b\"") && out.contains("table \"tmp_x\""), "{out}");
    let out = inspect("*.*");
    assert!(out.contains("table \"users\" {\n  schema = schema.main\n}"), "the tables stay, without columns: {out}");
    // Atlas's flag library reads a list flag as a CSV record: double quotes (kept by a script
    // or a YAML step that quotes the value) are stripped, and a comma splits two patterns.
    assert_eq!(inspect("\"*.[ab]*\""), inspect("*.[ab]*"));
    let out = inspect("tmp_*,*.b");
    assert!(!out.contains("tmp_x") && !out.contains("column \"b\"") && out.contains("column \"ab\""), "{out}");
    let (code, _, err) = run_in(d, &["schema", "apply", "-u", "sqlite://x.db", "--to", "file://atlas.hcl", "--auto-approve"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot parse project file") && err.contains("--env"), "{err}");
}

/// `--format '{{ sql . }}'` prints Atlas's layout: a comment line per statement, a table on one
/// line (indented with `{{ sql . "  " }}`), the default primary key name left out; on a URL
/// bound to one schema nothing is qualified and a type of that schema is quoted.
#[tokio::test]
async fn inspect_sql_template_is_atlas_layout() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE SCHEMA app; CREATE TYPE app.status AS ENUM ('on', 'off'); CREATE TABLE app.users (id int PRIMARY KEY, s app.status NOT NULL)").await;
    let url = format!("{}{}search_path=app", db.url, if db.url.contains('?') { "&" } else { "?" });
    let (code, out, err) = run(&["schema", "inspect", "-u", &url, "--format", "{{ sql . }}"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "-- Create enum type \"status\"\nCREATE TYPE \"status\" AS ENUM ('on', 'off');\n-- Create \"users\" table\nCREATE TABLE \"users\" (\"id\" integer NOT NULL, \"s\" \"status\" NOT NULL, PRIMARY KEY (\"id\"));\n"
    );
    let (_, out, _) = run(&["schema", "inspect", "-u", &url, "--format", "{{ sql . \"  \" }}"]);
    assert!(out.contains("CREATE TABLE \"users\" (\n  \"id\" integer NOT NULL,\n"), "{out}");
    db.drop().await;
}

/// Atlas's words where its users' scripts look for them: `Error:`, the synced line without a
/// period, `--dry-run` beside `--auto-approve` (the dry run wins), `contains neither SQL nor HCL
/// files`.
#[test]
fn atlas_messages_and_dry_run_with_auto_approve() {
    let p = project("");
    let d = p.path();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve", "--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    // Atlas's stdout: the planned changes alone, tables on several lines; the rest on stderr.
    assert_eq!(out, "-- Planned Changes:\n-- Create \"users\" table\nCREATE TABLE `users` (\n  `id` integer NOT NULL,\n  `name` text NULL,\n  PRIMARY KEY (`id`)\n);\n");
    assert!(err.contains("dry run: nothing was applied") && err.contains("plan hash:"), "{err}");
    // `--format text` keeps this tool's own report, and `apply` prints it by default.
    let (_, out, _) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve", "--dry-run", "--format", "text"]);
    assert!(out.contains("plan hash:") && out.contains("dry run: nothing was applied"), "{out}");
    let (_, out, _) = run_in(d, &["apply", "--env", "local", "--auto-approve", "--dry-run"]);
    assert!(out.contains("CREATE TABLE `users` (`id` integer NOT NULL") && out.contains("plan hash:"), "{out}");
    let (_, out, _) = run_in(d, &["schema", "inspect", "--env", "local"]);
    assert!(!out.contains("table \"users\""), "the dry run applied nothing: {out}");
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert!(out.starts_with("Schema is synced, no changes to be made\n"), "{out}");
    std::fs::create_dir(d.join("empty")).unwrap();
    let (code, _, err) = run_in(d, &["schema", "apply", "-u", "sqlite://x.db", "-f", "empty/", "--auto-approve"]);
    assert_ne!(code, 0);
    // The words of both Atlas versions: the newer one's first.
    assert!(err.starts_with("Error: \"empty\" contains neither SQL nor HCL files: no schema files found in empty/"), "{err}");
    let (code, _, err) = run_in(d, &["schema", "inspect", "-u", "file://schema.hcl"]);
    assert_ne!(code, 0);
    assert!(err.starts_with("Error: --dev-url cannot be empty"), "{err}");
}

/// SQLite keeps a type it does not know as the file writes it (`sql("USER_DEFINED")`), and
/// compares the types it knows case-insensitively.
#[test]
fn sqlite_user_types_keep_their_spelling() {
    let p = project("");
    let d = p.path();
    std::fs::write(d.join("schema.hcl"), "schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"c\" {\n    null = true\n    type = sql(\"USER_DEFINED\")\n  }\n  column \"n\" {\n    null = true\n    type = sql(\"INTEGER\")\n  }\n}\n").unwrap();
    let (code, out, err) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run_in(d, &["schema", "apply", "--env", "local", "--auto-approve"]);
    assert!(out.contains("no changes"), "{out}");
    let (_, out, _) = run_in(d, &["schema", "inspect", "--env", "local"]);
    assert!(out.contains("type = sql(\"USER_DEFINED\")") && out.contains("type = integer"), "{out}");
}

/// Atlas's SQLite URLs are go-sqlite3 DSNs: `sqlite://file:PATH?cache=shared&_fk=1` is what its
/// docs and atlas.hcl files write; the driver's `_` knobs are not refused.
#[test]
fn sqlite_urls_in_atlas_dsn_form() {
    let p = project("");
    let d = p.path();
    let url = format!("sqlite://file:{}/atlas.sqlite?cache=shared&_fk=1", d.display());
    let (code, out, err) = run_in(d, &["schema", "apply", "-u", &url, "--to", "file://schema.hcl", "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(d.join("atlas.sqlite").exists(), "the file the URL names, not one named `file:…`");
    let (code, out, err) = run_in(d, &["schema", "inspect", "-u", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("table \"users\""), "{out}");
}

/// Dropping a partitioned table takes its partitions along: the plan drops the partitions
/// first, so no DROP names a table that is already gone (the rehearsal failed before).
#[tokio::test]
async fn a_partitioned_table_and_its_partitions_are_dropped() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE measurement (logdate date NOT NULL) PARTITION BY RANGE (logdate); CREATE TABLE measurement_y2006m02 PARTITION OF measurement FOR VALUES FROM ('2006-02-01') TO ('2006-03-01'); CREATE TABLE keep (id int)").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE keep (id int);\n").unwrap();
    let to = format!("file://{}", dir.path().join("s.sql").display());
    let mut args = vec!["apply", "-u", db.url.as_str(), "--to", to.as_str(), "--auto-approve", "--allow-destructive"];
    let dev = db.dev_url();
    if let Some(d) = dev.as_deref() {
        args.extend(["--dev-url", d]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.find("\"measurement_y2006m02\"").unwrap() < out.find("DROP TABLE \"public\".\"measurement\"").unwrap(), "{out}");
    assert!(!db.inspect().await.schemas.iter().any(|s| s.tables.iter().any(|t| t.name.starts_with("measurement"))));
    db.drop().await;
}

/// `schema clean` empties what the URL names and nothing else: the schema of a PostgreSQL URL
/// bound by `search_path`, the database of a MySQL URL. (Before, a bound PostgreSQL URL had
/// every schema of the database emptied.)
#[tokio::test]
async fn schema_clean_stays_in_the_schema_the_url_names() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int); CREATE TABLE b.t (id int)").await;
    let url = format!("{}{}search_path=a", db.url, if db.url.contains('?') { "&" } else { "?" });
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["schema", "clean", "-u", &url, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let left: Vec<(String, String)> = db.inspect().await.schemas.iter().flat_map(|s| s.tables.iter().map(|t| (s.name.clone(), t.name.clone()))).collect();
    assert_eq!(left, vec![("b".to_string(), "t".to_string())], "{out}");
    db.drop().await;

    let (mine, other) = (TestDb::new(Dialect::Mysql).await, TestDb::new(Dialect::Mysql).await);
    mine.exec("CREATE TABLE t (id int)").await;
    other.exec("CREATE TABLE t (id int)").await;
    let dev = mine.dev_url().unwrap();
    let (code, out, err) = run(&["schema", "clean", "-u", &mine.url, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(mine.inspect().await.schemas.iter().all(|s| s.tables.is_empty()), "{out}");
    assert_eq!(other.inspect().await.schemas.iter().map(|s| s.tables.len()).sum::<usize>(), 1, "{out}");
    mine.drop().await;
    other.drop().await;
}
