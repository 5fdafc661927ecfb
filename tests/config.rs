//! The Terrateam-style configuration through the binary: the seed's published config (TABs),
//! the same config repaired (one warning for its `terraform:` block, rejected by --strict),
//! every config the repository ships, and `run plan` on the two-directory example.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use std::process::Command;

fn manifest() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn seed_config_tabs_then_terraform_block() {
    let shared = require_shared!();
    let published = shared.join("seed-example/.terrateam/config.as-published.yml");
    let (code, _, err) = run(&["config", "validate", &published.display().to_string()]);
    assert_eq!(code, 1);
    assert!(err.contains("config.as-published.yml:10:1:") && err.contains("TAB"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("config.yml");
    std::fs::write(&fixed, std::fs::read_to_string(&published).unwrap().replace('\t', "    ")).unwrap();
    let f = fixed.display().to_string();
    let (code, out, _) = run(&["config", "validate", &f]);
    assert_eq!(code, 0, "{out}");
    let warnings: Vec<&str> = out.lines().filter(|l| l.contains(": warning: ")).collect();
    assert_eq!(warnings.len(), 1, "{out}");
    assert!(warnings[0].contains(":14:1:") && warnings[0].contains("`terraform`") && warnings[0].contains("Terrateam itself would reject it"), "{out}");
    let (code, _, _) = run(&["config", "validate", &f, "--strict"]);
    assert_eq!(code, 1, "--strict rejects the terraform block");
}

#[test]
fn shipped_configs_validate_strictly() {
    for f in [manifest().join(".terrateam/config.yml"), manifest().join("examples/two-dirs/.terrateam/config.yml")] {
        let (code, out, err) = run(&["config", "validate", "--strict", &f.display().to_string()]);
        assert_eq!(code, 0, "{}: {out}{err}", f.display());
    }
}

#[test]
fn shipped_configs_match_terrateams_own_schema() {
    // The oracle nobody on this team wrote: Terrateam's published JSON Schema, checked with the
    // PyPI tool check-jsonschema (installed by .ci/run).
    let shared = require_shared!();
    let schema = shared.join("terrateam/config-schema.json");
    let tool = std::env::var("CHECK_JSONSCHEMA").unwrap_or_else(|_| "check-jsonschema".into());
    if Command::new(&tool).arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "check-jsonschema is missing in CI (.ci/run installs it)");
        eprintln!("SKIPPED: check-jsonschema not installed (pip install check-jsonschema)");
        return;
    }
    let out = Command::new(&tool)
        .arg("--schemafile")
        .arg(&schema)
        .arg(manifest().join(".terrateam/config.yml"))
        .arg(manifest().join("examples/two-dirs/.terrateam/config.yml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn run_plan_on_the_changed_directory_only() {
    let app = TestDb::new(Dialect::Postgres).await;
    let root = manifest().join("examples/two-dirs");
    let out = Command::new(common::bin())
        .args(["run", "plan", "--changed", "db/app/schema.hcl", "--root"])
        .arg(&root)
        .env("APP_DATABASE_URL", &app.url)
        .env("APP_DEV_URL", common::pg_admin())
        .env_remove("ANALYTICS_DATABASE_URL")
        .current_dir(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("pre-hook dir=db/app kind=pr root_set=yes"), "{stdout}");
    assert!(stdout.contains("step owner=platform-team env=prod"), "the env hook's value reaches later steps: {stdout}");
    assert!(stdout.contains("CREATE TABLE \"public\".\"accounts\""), "{stdout}");
    assert!(stdout.contains("lint: "), "{stdout}");
    assert!(stdout.contains("db/app: ok, changes"), "{stdout}");
    assert!(!stdout.contains("db/analytics"), "only the changed directory is planned: {stdout}");
    app.drop().await;
}

/// `parallel_runs: 2`: two directories run at the same time (each pre hook waits until the
/// other's has started, so a sequential runner fails), and each run's `env` hook feeds its own
/// atlas.hcl getenv(): the same variable name with a different value per directory, which a
/// shared process environment would mix up.
#[tokio::test]
async fn parallel_runs_are_concurrent_and_keep_their_environments_apart() {
    let (a, b) = (TestDb::new(Dialect::Postgres).await, TestDb::new(Dialect::Postgres).await);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join(".terrateam")).unwrap();
    std::fs::write(
        root.join(".terrateam/config.yml"),
        r#"parallel_runs: 2
dirs:
  a: {tags: [db]}
  b: {tags: [db]}
hooks:
  apply:
    pre:
      # A barrier: both runs must be inside their hooks at once.
      - type: run
        cmd: ["sh", "-c", "touch \"$TERRATEAM_ROOT/started-$TERRATEAM_DIR\"; i=0; while [ $(ls \"$TERRATEAM_ROOT\" | grep -c '^started-') -lt 2 ]; do i=$((i+1)); [ $i -gt 300 ] && { echo barrier timed out; exit 1; }; sleep 0.1; done; echo barrier passed in $TERRATEAM_DIR"]
      - type: env
        name: TARGET_URL
        cmd: ["cat", "url.txt"]
"#,
    )
    .unwrap();
    for (dir, db, table) in [("a", &a, "only_in_a"), ("b", &b, "only_in_b")] {
        let d = root.join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("url.txt"), format!("{}\n", db.url)).unwrap();
        std::fs::write(d.join("schema.sql"), format!("CREATE TABLE {table} (id int PRIMARY KEY);\n")).unwrap();
        std::fs::write(d.join("atlas.hcl"), format!("env \"prod\" {{\n  url = getenv(\"TARGET_URL\")\n  dev = \"{}\"\n  src = \"file://schema.sql\"\n}}\n", common::pg_admin())).unwrap();
    }
    // As in a GitHub Actions log: groups, and each directory's output inert (stop-commands).
    let out = Command::new(common::bin()).args(["run", "apply", "--root"]).arg(root).env_remove("TARGET_URL").env("GITHUB_ACTIONS", "true").current_dir(root).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("barrier passed in a") && stdout.contains("barrier passed in b"), "{stdout}");
    assert_eq!(stdout.matches("::stop-commands::").count(), 2, "{stdout}");
    // Output stays grouped per directory, in order.
    let (ga, gb) = (stdout.find("::group::schemagate apply a").unwrap(), stdout.find("::group::schemagate apply b").unwrap());
    assert!(ga < gb && stdout[ga..gb].contains("::endgroup::"), "{stdout}");
    for (db, mine, other) in [(&a, "only_in_a", "only_in_b"), (&b, "only_in_b", "only_in_a")] {
        let realm = db.inspect().await;
        let names: Vec<String> = realm.schemas.iter().flat_map(|s| s.tables.iter().map(|t| t.name.clone())).collect();
        assert_eq!(names, vec![mine.to_string()], "{other} must not reach this database: {stdout}");
    }
    a.drop().await;
    b.drop().await;
}

/// A multi-tenant env (Atlas's `for_each`): one schema planned and applied to every tenant
/// database, `parallel_runs` at a time, with per-tenant results and one directory hash.
#[tokio::test]
async fn for_each_env_plans_and_applies_every_tenant() {
    let tenants = [TestDb::new(Dialect::Postgres).await, TestDb::new(Dialect::Postgres).await, TestDb::new(Dialect::Postgres).await];
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join(".terrateam")).unwrap();
    std::fs::write(root.join(".terrateam/config.yml"), "parallel_runs: 2\ndirs:\n  db: {}\n").unwrap();
    std::fs::create_dir_all(root.join("db")).unwrap();
    std::fs::write(root.join("db/schema.sql"), "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n").unwrap();
    let names: Vec<String> = tenants.iter().map(|t| format!("\"{}\"", t.name)).collect();
    std::fs::write(
        root.join("db/atlas.hcl"),
        format!(
            "variable \"tenants\" {{\n  type    = list(string)\n  default = [{}]\n}}\nenv \"prod\" {{\n  for_each = toset(var.tenants)\n  url      = urlsetpath(getenv(\"PG_SERVER\"), each.value)\n  dev      = getenv(\"PG_SERVER\")\n  src      = \"file://schema.sql\"\n}}\n",
            names.join(", ")
        ),
    )
    .unwrap();
    let run = |op: &str| {
        let o = Command::new(common::bin()).args(["run", op, "--root"]).arg(root).env("PG_SERVER", common::pg_admin()).current_dir(root).output().unwrap();
        (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    let (ok, out) = run("plan");
    assert!(ok, "{out}");
    for t in &tenants {
        assert!(out.contains(&format!("== tenant prod[{}]", t.name)), "{out}");
    }
    assert!(out.contains("tenants: 3 planned, 3 with changes"), "{out}");
    let (ok, out) = run("apply");
    assert!(ok, "{out}");
    assert!(out.contains("tenants: 3 applied, 0 failed"), "{out}");
    for t in &tenants {
        assert!(t.inspect().await.table("public", "accounts").is_some(), "tenant {} not migrated: {out}", t.name);
    }
    let (ok, out) = run("plan");
    assert!(ok && out.contains("tenants: 3 planned, 0 with changes"), "{out}");
    for t in tenants {
        t.drop().await;
    }
}
