//! The `schemagate` command: parse arguments, call the library, map errors to exit codes
//! (0 ok, 1 error, 2 changes pending with --detailed-exitcode, 3 policy denied, 4 apply refused,
//! 64 usage error).

use clap::{Args, Parser, Subcommand};
use schemagate::cli;
use schemagate::url::redact;
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "schemagate",
    version,
    about = "GitOps for database schemas: desired schema in git (Atlas HCL or SQL), plans rehearsed on a disposable database, safe applies.",
    long_about = "GitOps for database schemas.\n\nKeep the schema in git as Atlas-style HCL or plain SQL. `schemagate plan` compares it with a live \
PostgreSQL, MySQL/MariaDB or SQLite database, rehearses the migration on a disposable database and prints it; `schemagate apply` \
takes a lock, re-checks the reviewed plan and applies it.\n\nURLs: postgres://user@host:5432/db, mysql://user@host:3306/db \
(also mariadb://), sqlite://path/to/file.db, sqlite::memory:. Passwords are never printed.",
    after_help = "Exit codes: 0 ok, 1 error, 2 changes pending (--detailed-exitcode), 3 policy denied, 4 apply refused, 64 usage error (a wrong flag or value)."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a live database's schema as Atlas HCL, SQL, JSON or a Mermaid erDiagram.
    Inspect(InspectCmd),
    /// Rewrite HCL files in canonical layout, keeping comments.
    Fmt(FmtCmd),
    /// Compute the migration from a live database to the desired schema, rehearse it, print it.
    Plan {
        #[command(flatten)]
        common: Common,
        /// Exit 2 when the plan has changes.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Plan, then apply under a lock (asks first unless --auto-approve).
    Apply(ApplyCmd),
    /// Plan, then print only the lint findings (exit 3 when a finding denies the plan).
    Lint {
        #[command(flatten)]
        common: Common,
    },
    /// Rego policies: `policy test [DIR]…` runs every test_* rule of the built-in policies and DIR.
    Policy {
        #[command(subcommand)]
        cmd: PolicyCmd,
    },
    /// The Terrateam-style configuration: validate it, list the targets it yields.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Run the matched workflow (hooks, run/env steps, plan or apply) for schema directories.
    Run {
        /// plan or apply
        #[arg(value_parser = ["plan", "apply"])]
        op: String,
        /// Only these directories (repeatable); default: those the changed files touch, else all.
        #[arg(long = "dir")]
        dirs: Vec<String>,
        /// Files changed by the pull request, repository-relative (repeatable).
        #[arg(long)]
        changed: Vec<String>,
        /// The repository root (default: the current directory).
        #[arg(long, default_value = ".")]
        root: std::path::PathBuf,
        /// The atlas.hcl env to use (default: $SCHEMAGATE_ENV, else the only one).
        #[arg(long)]
        env: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: cli::plan::Format,
        #[command(flatten)]
        lint: LintFlags,
    },
    /// The GitHub Action's entrypoint: reads INPUT_* and the event (GITHUB_EVENT_NAME/PATH).
    Action,
    /// Disposable databases: `devdb clean` removes what killed runs left behind.
    Devdb {
        #[command(subcommand)]
        cmd: DevdbCmd,
    },
    /// Print the SQL that turns one schema source into another.
    Diff(DiffCmd),
    /// Atlas's words for the same commands: `schema apply | inspect | diff | fmt | clean`, with
    /// the flags of `atlas schema …` (-u, --to, --dev-url, --env, -c, --var, --auto-approve).
    Schema {
        #[command(subcommand)]
        cmd: SchemaCmd,
    },
}

#[derive(Subcommand)]
enum SchemaCmd {
    /// `atlas schema apply`: the same as `schemagate apply`.
    Apply(ApplyCmd),
    /// `atlas schema inspect`: the same as `schemagate inspect` (--format also takes Atlas's
    /// templates: '{{ sql . }}', '{{ json . }}', '{{ mermaid . }}').
    Inspect(InspectCmd),
    /// `atlas schema diff`: the same as `schemagate diff`.
    Diff(DiffCmd),
    /// `atlas schema fmt`: the same as `schemagate fmt`.
    Fmt(FmtCmd),
    /// `atlas schema clean`: drop every table, view, routine and type of the target's schemas
    /// (or --schema), keeping the schemas. Asks first unless --auto-approve.
    Clean(CleanCmd),
}

#[derive(Args)]
struct InspectCmd {
    /// Database URL to inspect (or --env); or a schema file or directory (file://schema.sql,
    /// file://schema.hcl), read through --dev-url as Atlas does.
    #[arg(short = 'u', long, env = "DATABASE_URL", hide_env_values = true)]
    url: Option<String>,
    /// For a file:// --url: the server whose disposable database loads it (its engine is the
    /// file's dialect), as for plan.
    #[arg(long = "dev-url", env = "SCHEMAGATE_DEV_URL", hide_env_values = true)]
    dev_url: Option<String>,
    /// Only these schemas (repeatable). Default: all user schemas, or the URL's database.
    #[arg(short = 's', long = "schema", value_delimiter = ',', value_parser = atlas_list_item)]
    schemas: Vec<String>,
    /// Leave out objects matching these globs (repeatable): `schema.table[.column]`, or
    /// `table[.column]` when the URL is bound to one schema (SQLite, a MySQL database, a
    /// PostgreSQL search_path), as Atlas reads them.
    #[arg(long, value_delimiter = ',', value_parser = atlas_list_item)]
    exclude: Vec<String>,
    /// hcl, sql, json or mermaid; Atlas's '{{ sql . }}' (its layout), '{{ sql . "  " }}' and
    /// '{{ json . }}' templates too.
    #[arg(long, default_value = "hcl", value_parser = parse_inspect_format)]
    format: cli::inspect::Format,
    #[command(flatten)]
    project: ProjectFlags,
    /// Input variables for atlas.hcl: --var name=value (repeatable).
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

#[derive(Args)]
struct FmtCmd {
    /// Files or directories (default: the current directory).
    paths: Vec<String>,
    /// Do not write; exit 1 if any file is not formatted.
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct ApplyCmd {
    #[command(flatten)]
    common: Common,
    /// Apply without asking.
    #[arg(long)]
    auto_approve: bool,
    /// Plan and rehearse only; change nothing (even with --auto-approve, as in Atlas).
    #[arg(long)]
    dry_run: bool,
    /// Refuse (exit 4) unless the plan computed now has this hash (the one that was reviewed).
    #[arg(long)]
    plan_hash: Option<String>,
    #[command(flatten)]
    apply: ApplyFlags,
}

/// How apply waits: for another apply, for table locks, for each statement.
#[derive(Args)]
struct ApplyFlags {
    /// How long to wait for another apply to finish (e.g. 10s, 2m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    lock_timeout: Duration,
    /// Schema (PostgreSQL) or database (MySQL) that holds the schemagate_revisions table.
    #[arg(long, default_value = "schemagate")]
    revisions_schema: String,
    /// How long each DDL statement may wait for a table lock before giving up (PostgreSQL
    /// lock_timeout, MySQL lock_wait_timeout): traffic never queues behind apply for longer.
    /// Default 3s (or the --env's `ddl_lock_timeout`).
    #[arg(long, env = "SCHEMAGATE_DDL_LOCK_TIMEOUT", value_parser = parse_duration)]
    ddl_lock_timeout: Option<Duration>,
    /// How long each statement may run (PostgreSQL statement_timeout, MariaDB
    /// max_statement_time); 0 for no limit. Default 30m (or the --env's `statement_timeout`).
    #[arg(long, env = "SCHEMAGATE_STATEMENT_TIMEOUT", value_parser = parse_duration)]
    statement_timeout: Option<Duration>,
    /// How many times a lock timeout is retried, with jittered backoff (the whole
    /// transaction on PostgreSQL and SQLite, the statement on MySQL). Default 5 (or the
    /// --env's `lock_retries`).
    #[arg(long, env = "SCHEMAGATE_LOCK_RETRIES", value_parser = clap::value_parser!(u32).range(0..=100))]
    lock_retries: Option<u32>,
}

#[derive(Args)]
struct CleanCmd {
    /// The database to clean (or --env).
    #[arg(short = 'u', long, env = "DATABASE_URL", hide_env_values = true)]
    url: Option<String>,
    /// Only these schemas (repeatable). Default: all user schemas, or the URL's database.
    #[arg(short = 's', long = "schema", value_delimiter = ',', value_parser = atlas_list_item)]
    schemas: Vec<String>,
    /// Server for the disposable database that rehearses the drops (as for plan).
    #[arg(long, env = "SCHEMAGATE_DEV_URL", hide_env_values = true)]
    dev_url: Option<String>,
    /// Drop without asking.
    #[arg(long)]
    auto_approve: bool,
    /// Show what would be dropped; change nothing (even with --auto-approve).
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    project: ProjectFlags,
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    #[command(flatten)]
    apply: ApplyFlags,
}

#[derive(Args)]
struct DiffCmd {
    #[arg(long, required = true)]
    from: Vec<String>,
    #[arg(long, required = true)]
    to: Vec<String>,
    #[arg(long, env = "SCHEMAGATE_DEV_URL", hide_env_values = true)]
    dev_url: Option<String>,
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

/// Atlas's project file: with `--env NAME`, the env block of the `-c/--config` file gives what
/// the flags leave out (url, dev, src, schemas, exclude, the diff and lint policies).
#[derive(Args, Clone)]
struct ProjectFlags {
    /// The project file (Atlas's -c/--config).
    #[arg(short = 'c', long = "config", default_value = "file://atlas.hcl")]
    config: String,
    /// The env of the project file to use (Atlas's --env).
    #[arg(long)]
    env: Option<String>,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Check .terrateam/config.yml (or PATH: a config file, or a repository directory) against Terrateam's schema: errors and warnings
    /// with file:line:col. --strict turns warnings (keys Terrateam would reject) into errors.
    Validate {
        path: Option<std::path::PathBuf>,
        #[arg(long)]
        strict: bool,
    },
    /// List the schema directories, their tags, workflow, env, URL (redacted) and autoplan/autoapply.
    Targets {
        /// Files changed by the pull request (repeatable): marks which targets they touch.
        #[arg(long)]
        changed: Vec<String>,
        #[arg(long, default_value = ".")]
        root: std::path::PathBuf,
        #[arg(long)]
        env: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DevdbCmd {
    /// Drop sg_dev_* databases, roles and accounts older than --older-than on the dev server, and
    /// remove ephemeral server directories whose schemagate process is gone (a run killed with
    /// SIGKILL leaves them; every other exit cleans up).
    Clean {
        /// The dev server (postgres://…, mysql://…); without it only ephemeral leftovers.
        #[arg(long, env = "SCHEMAGATE_DEV_URL", hide_env_values = true)]
        dev_url: Option<String>,
        /// Only what is older than this (a running plan's databases are younger).
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        older_than: Duration,
    },
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// Run the test_* rules of the built-in policies and of the given directories.
    Test { dirs: Vec<std::path::PathBuf> },
}

#[derive(Args, Clone)]
struct Common {
    /// Target database URL (or --env).
    #[arg(short = 'u', long, env = "DATABASE_URL", hide_env_values = true)]
    url: Option<String>,
    /// Desired state: file://schema.hcl, file://dir/, file://schema.sql, or a database URL
    /// (repeatable; or the --env's src). `-f/--file PATH` is Atlas's older spelling.
    #[arg(long, short = 'f', visible_alias = "file")]
    to: Vec<String>,
    /// Server for disposable databases (postgres://…, mysql://… — schemagate creates and drops
    /// sg_dev_* there), or ephemeral://postgres / ephemeral://mariadb. Default: SQLite memory,
    /// else a private server from the local binaries.
    #[arg(long, env = "SCHEMAGATE_DEV_URL", hide_env_values = true)]
    dev_url: Option<String>,
    /// Only these schemas (repeatable).
    #[arg(short = 's', long = "schema", value_delimiter = ',', value_parser = atlas_list_item)]
    schemas: Vec<String>,
    /// Leave out objects matching these globs: schema.table, schema.table.column, *.tmp_* (repeatable).
    #[arg(long, value_delimiter = ',', value_parser = atlas_list_item)]
    exclude: Vec<String>,
    /// Manage the privileges of this role (PostgreSQL) or account (MySQL, user@host); repeatable.
    /// `role` blocks and the grantees of desired grants add to it; with none, grants stay as they are.
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Input variables for HCL files: --var name=value (repeatable).
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// text, json, sql, markdown, or atlas (what `atlas schema apply` prints). Default: text;
    /// atlas under `schema apply`.
    #[arg(long, value_enum)]
    format: Option<cli::plan::Format>,
    #[command(flatten)]
    project: ProjectFlags,
    #[command(flatten)]
    lint: LintFlags,
}

#[derive(Args, Clone)]
struct LintFlags {
    /// Extra Rego policy directory or file, added to the built-in policies (repeatable).
    #[arg(long = "policy")]
    policy_dirs: Vec<std::path::PathBuf>,
    /// JSON file merged into data.schemagate.config, e.g. {"allow_drop_column": ["users.legacy"]} (repeatable).
    #[arg(long = "policy-data")]
    policy_data: Vec<std::path::PathBuf>,
    /// Pull request labels, as the Action passes them (repeatable).
    #[arg(long = "label", hide = true)]
    labels: Vec<String>,
    /// The label that allows destructive changes (the Action's allow-destructive-label).
    #[arg(long, hide = true)]
    allow_destructive_label: Option<String>,
    /// Accept destructive changes (drops: DS101–DS110) for this run only; each finding still
    /// shows, marked overridden by this flag.
    #[arg(long)]
    allow_destructive: bool,
    /// Skip the exact data checks (NULLs, duplicates, value lengths) on the target.
    #[arg(long)]
    no_data_checks: bool,
}

impl LintFlags {
    fn args(&self) -> cli::plan::LintArgs {
        cli::plan::LintArgs {
            policy_dirs: self.policy_dirs.clone(),
            policy_data: self.policy_data.clone(),
            labels: self.labels.clone(),
            allow_destructive_label: self.allow_destructive_label.clone(),
            allow_destructive: self.allow_destructive,
            data_checks: !self.no_data_checks,
            analyzers: serde_json::Value::Null,
        }
    }
}

impl Common {
    /// The plan's arguments: the flags, then what `--env` adds where the flags leave it out.
    fn args(&self) -> anyhow::Result<cli::plan::Args> {
        let mut a = cli::plan::Args {
            lint: self.lint.args(),
            url: self.url.clone().unwrap_or_default(),
            to: self.to.clone(),
            dev_url: self.dev_url.clone(),
            schemas: self.schemas.clone(),
            exclude: self.exclude.clone(),
            roles: self.roles.clone(),
            vars: self.vars.iter().cloned().collect::<HashMap<_, _>>(),
            format: self.format.unwrap_or(cli::plan::Format::Text),
            skip: Default::default(),
            concurrent_index: Default::default(),
        };
        if let Some(e) = self.project.env(&a.vars)? {
            if a.url.is_empty() {
                a.url = e.url.clone().unwrap_or_default();
            }
            if a.to.is_empty() {
                a.to = e.src.clone();
            }
            if a.dev_url.is_none() {
                a.dev_url = e.dev.clone();
            }
            if a.schemas.is_empty() {
                a.schemas = e.schemas.clone();
            }
            if a.exclude.is_empty() {
                a.exclude = e.exclude.clone();
            }
            a.roles.extend(e.roles.iter().cloned());
            // The env's other attributes are the schema's input variables (as in Atlas); a
            // --var of the same name wins.
            for (k, v) in &e.vars {
                a.vars.entry(k.clone()).or_insert_with(|| v.clone());
            }
            a.skip = e.skip.clone();
            a.concurrent_index.add = e.concurrent_add;
            a.concurrent_index.drop = e.concurrent_drop;
            a.lint.analyzers = e.lint.clone();
        }
        if a.url.is_empty() {
            return Err(Usage("\"url\" not set: no target database; pass -u/--url URL (or DATABASE_URL), or --env NAME with an atlas.hcl env that sets `url`".into()).into());
        }
        if a.to.is_empty() {
            return Err(Usage("one of flag(s) \"file\" or \"to\" is required: no desired state; pass --to file://schema.hcl (a SQL file, a directory or a database URL also do), or --env NAME with an atlas.hcl env that sets `src`".into()).into());
        }
        Ok(a)
    }
}

impl ProjectFlags {
    /// The selected env of the project file, read with the run's --var values; None without
    /// --env (Atlas reads a project file only for an env).
    fn env(&self, vars: &HashMap<String, String>) -> anyhow::Result<Option<schemagate::config::project::Env>> {
        let Some(name) = &self.env else { return Ok(None) };
        let path = std::path::PathBuf::from(self.config.strip_prefix("file://").unwrap_or(&self.config));
        if !path.is_file() {
            return Err(Usage(format!("--env {name}: no project file {} (pass -c file://path/to/atlas.hcl)", path.display())).into());
        }
        let p = schemagate::config::project::load(&path, vars, true).map_err(|e| anyhow::anyhow!("{e}"))?;
        let e = p.select(Some(name)).map_err(|e| anyhow::anyhow!(e))?.cloned().ok_or_else(|| Usage(format!("{}: no env \"{name}\"", path.display())))?;
        if !e.tenants.is_empty() {
            anyhow::bail!("env \"{name}\" has several targets (for_each): run them with `schemagate run plan|apply`, which plans each");
        }
        Ok(Some(e))
    }

    /// A URL from the flag, else from the env.
    fn url(&self, flag: &Option<String>, vars: &HashMap<String, String>) -> anyhow::Result<String> {
        if let Some(u) = flag {
            return Ok(u.clone());
        }
        self.env(vars)?.and_then(|e| e.url).ok_or_else(|| Usage("\"url\" not set: no database; pass -u/--url URL (or DATABASE_URL), or --env NAME with an atlas.hcl env that sets `url`".into()).into())
    }
}

impl ApplyFlags {
    /// The flags, else the atlas.hcl env's settings, else the defaults.
    fn traffic(&self, env: Option<&schemagate::config::project::Env>) -> schemagate::apply::traffic::Traffic {
        let mut t = schemagate::apply::traffic::Traffic::with_project(&env.map(|e| e.traffic).unwrap_or_default());
        if let Some(d) = self.ddl_lock_timeout {
            t.lock_timeout = d;
        }
        if let Some(d) = self.statement_timeout {
            t.statement_timeout = d;
        }
        if let Some(n) = self.lock_retries {
            t.retries = n;
        }
        t
    }
}

/// A usage error found after parsing (exit 64, like clap's own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

/// `--format`: the names, or Atlas's Go templates for the same outputs.
fn parse_inspect_format(s: &str) -> Result<cli::inspect::Format, String> {
    let t = s.trim();
    // Atlas's templates: `{{ sql . }}` (Atlas's layout, a table on one line), `{{ sql . "  " }}`
    // (indented: ours is always two spaces), `{{ json . }}`.
    if let Some(inner) = t.strip_prefix("{{").and_then(|x| x.strip_suffix("}}")) {
        let args: Vec<&str> = inner.split_whitespace().collect();
        if let ["sql", ".", rest @ ..] = args.as_slice() {
            return Ok(cli::inspect::Format::AtlasSql { indent: !rest.is_empty() });
        }
    }
    let inner = t.strip_prefix("{{").and_then(|x| x.strip_suffix("}}")).map(|x| x.split_whitespace().next().unwrap_or_default()).unwrap_or(t);
    match inner {
        "hcl" => Ok(cli::inspect::Format::Hcl),
        "sql" => Ok(cli::inspect::Format::Sql),
        "json" => Ok(cli::inspect::Format::Json),
        "mermaid" => Ok(cli::inspect::Format::Mermaid),
        _ => Err(format!("`{s}`: expected hcl, sql, json or mermaid (or Atlas's '{{{{ sql . }}}}', '{{{{ json . }}}}')")),
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("`{s}`: expected name=value"))
}

/// One item of a list flag (`--exclude`, `--schema`) as Atlas's flag library reads it: the
/// value is a comma-separated CSV record, so `--exclude "users"` (double quotes kept by a
/// script or a YAML step) means `users`, and `--exclude 'a,b'` two patterns.
fn atlas_list_item(s: &str) -> Result<String, String> {
    let t = s.trim();
    match t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => Ok(inner.replace("\"\"", "\"")),
        None => Ok(t.to_string()),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    schemagate::duration::parse(s)
}

/// stdout as a writer that, like [`emit`], takes a closed pipe for done.
struct Stdout;

impl Write for Stdout {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b).and_then(|_| out.flush());
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
fn emit(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|_| out.flush());
}

fn fail(e: &anyhow::Error) -> ExitCode {
    if let Some(u) = e.downcast_ref::<Usage>() {
        eprintln!("Error: {}", redact(&u.0));
        return ExitCode::from(USAGE);
    }
    let refused = e.chain().any(|c| c.downcast_ref::<schemagate::apply::Refused>().is_some());
    let denied = e.chain().any(|c| c.downcast_ref::<cli::plan::Denied>().is_some());
    let msg = schemagate::error::chain(e);
    // Atlas's word (its users' scripts grep for it); clap's own usage errors stay lower-case.
    eprintln!("Error: {}", redact(&msg));
    if let Some(h) = schemagate::error::db_hint(&msg) {
        eprintln!("  hint: {h}");
    }
    ExitCode::from(if denied { 3 } else if refused { 4 } else { 1 })
}

async fn run(cli: Cli) -> ExitCode {
    match cli.cmd {
        Cmd::Inspect(c) | Cmd::Schema { cmd: SchemaCmd::Inspect(c) } => inspect(c).await,
        Cmd::Fmt(c) | Cmd::Schema { cmd: SchemaCmd::Fmt(c) } => fmt(c),
        Cmd::Plan { common, detailed_exitcode } => match async { cli::plan::plan(&common.args()?).await }.await {
            Ok((o, findings, s)) => {
                emit(&s);
                if o.verified == Some(false) {
                    eprintln!("Error: the plan is unverified: rehearsing it did not reach the desired schema");
                    ExitCode::from(1)
                } else if findings.iter().any(|f| f.blocks()) {
                    ExitCode::from(3)
                } else if detailed_exitcode && !o.plan.is_empty() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => fail(&e),
        },
        Cmd::Apply(c) => apply(c, false).await,
        Cmd::Schema { cmd: SchemaCmd::Apply(c) } => apply(c, true).await,
        Cmd::Schema { cmd: SchemaCmd::Clean(c) } => clean(c).await,
        Cmd::Lint { common } => {
            let mut a = match common.args() {
                Ok(a) => a,
                Err(e) => return fail(&e),
            };
            let format = a.format;
            a.format = cli::plan::Format::Json;
            match cli::plan::plan(&a).await {
                Ok((_, findings, json)) => {
                    if format == cli::plan::Format::Json {
                        emit(&json);
                    } else {
                        emit(&schemagate::report::findings_text(&findings));
                    }
                    ExitCode::from(if findings.iter().any(|f| f.blocks()) { 3 } else { 0 })
                }
                Err(e) => fail(&e),
            }
        }
        Cmd::Policy { cmd: PolicyCmd::Test { dirs } } => {
            match schemagate::lint::tests::run(&schemagate::lint::Options { policy_dirs: dirs, data: vec![] }) {
                Ok(results) => {
                    let mut failed = 0;
                    for r in &results {
                        if r.passed {
                            println!("PASS {}", r.name);
                        } else {
                            failed += 1;
                            println!("FAIL {}{}", r.name, r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default());
                        }
                    }
                    println!("policy tests: {} passed, {failed} failed", results.len() - failed);
                    ExitCode::from(if failed > 0 { 1 } else { 0 })
                }
                Err(e) => fail(&e),
            }
        }
        Cmd::Config { cmd: ConfigCmd::Validate { path, strict } } => {
            let mut out = Vec::new();
            let r = cli::config::validate(std::path::Path::new("."), path.as_deref(), strict, &mut out);
            emit(&String::from_utf8_lossy(&out));
            match r {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => fail(&e),
            }
        }
        Cmd::Config { cmd: ConfigCmd::Targets { changed, root, env, json } } => {
            let r = cli::config::load(&root, None).and_then(|(_, loaded)| {
                let ch = (!changed.is_empty()).then_some(changed.as_slice());
                let ts = cli::config::resolve(&root, &loaded, ch, env.as_deref(), None, None)?;
                Ok(if json { serde_json::to_string_pretty(&ts)? + "\n" } else { cli::config::targets_table(&ts, &loaded) })
            });
            match r {
                Ok(s) => {
                    emit(&redact(&s));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Cmd::Run { op, dirs, changed, root, env, format, lint } => {
            let r = async {
                let (_, loaded) = cli::config::load(&root, None)?;
                if loaded.has_errors(false) {
                    for d in &loaded.diagnostics {
                        eprintln!("{d}");
                    }
                    anyhow::bail!("the configuration is invalid");
                }
                let ch = (!changed.is_empty()).then_some(changed.as_slice());
                let mut ts = cli::config::resolve(&root, &loaded, ch, env.as_deref(), None, None)?;
                if !dirs.is_empty() {
                    ts.retain(|t| dirs.iter().any(|d| d.trim_end_matches('/') == t.dir));
                    if ts.is_empty() {
                        anyhow::bail!("none of {dirs:?} is a schema directory (see `schemagate config targets`)");
                    }
                } else if ch.is_some() {
                    ts.retain(|t| t.changed);
                }
                let a = cli::run::RunArgs {
                    op: if op == "apply" { cli::run::Op::Apply } else { cli::run::Op::Plan },
                    root: root.clone(),
                    lint: lint.args(),
                    format,
                    run_kind: std::env::var("TERRATEAM_RUN_KIND").unwrap_or_else(|_| "pr".into()),
                    expected_hash: std::env::var("SCHEMAGATE_PLAN_HASH").ok().filter(|h| !h.is_empty()),
                    lock: None,
                };
                let mut out = std::io::stdout();
                cli::run::run(&a, &loaded, &ts, &mut out).await
            }
            .await;
            match r {
                Ok(results) => {
                    for x in &results {
                        println!("{}: {}{}", x.dir, if x.ok { "ok" } else { "FAILED" }, if x.has_changes { ", changes" } else { "" });
                    }
                    if results.is_empty() {
                        println!("no schema directory is affected");
                    }
                    let denied = results.iter().any(|x| x.denied);
                    let failed = results.iter().any(|x| !x.ok);
                    ExitCode::from(if denied { 3 } else if failed { 1 } else { 0 })
                }
                Err(e) => fail(&e),
            }
        }
        Cmd::Action => match cli::action::main().await {
            Ok(code) => ExitCode::from(code as u8),
            Err(e) => fail(&e),
        },
        Cmd::Devdb { cmd: DevdbCmd::Clean { dev_url, older_than } } => match schemagate::devdb::clean(dev_url.as_deref(), older_than).await {
            Ok(removed) => {
                for r in &removed {
                    println!("removed {r}");
                }
                println!("devdb clean: {} removed", removed.len());
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Cmd::Diff(c) | Cmd::Schema { cmd: SchemaCmd::Diff(c) } => {
            let vars: HashMap<String, String> = c.vars.into_iter().collect();
            match cli::plan::diff(&c.from, &c.to, c.dev_url.as_deref(), None, &vars).await {
                Ok(s) => {
                    emit(&s);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
    }
}

async fn inspect(c: InspectCmd) -> ExitCode {
    let r = async {
        let vars: HashMap<String, String> = c.vars.iter().cloned().collect();
        let url = c.project.url(&c.url, &vars)?;
        if url.starts_with("file://") {
            let dev = c.dev_url.clone().or(c.project.env(&vars)?.and_then(|e| e.dev));
            return cli::inspect::run_file(&url, dev.as_deref(), &vars, &c.schemas, &c.exclude, c.format).await;
        }
        cli::inspect::run(&url, &c.schemas, &c.exclude, c.format).await
    };
    match r.await {
        Ok(s) => {
            emit(&s);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fmt(c: FmtCmd) -> ExitCode {
    match cli::fmt::run(&c.paths, c.check) {
        Ok(changed) => {
            for f in &changed {
                println!("{}{}", f.display(), if c.check { ": not formatted" } else { "" });
            }
            if c.check && !changed.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(&e),
    }
}

/// `apply`, or `schema apply` (`atlas`: Atlas's output unless --format says otherwise).
async fn apply(c: ApplyCmd, atlas: bool) -> ExitCode {
    let mut common = match c.common.args() {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if atlas && c.common.format.is_none() {
        common.format = cli::plan::Format::Atlas;
    }
    let f = &c.apply;
    let env = match c.common.project.env(&common.vars) {
        Ok(e) => e,
        Err(e) => return fail(&e),
    };
    let a = cli::plan::ApplyArgs { common, auto_approve: c.auto_approve, dry_run: c.dry_run, plan_hash: c.plan_hash, lock_timeout: f.lock_timeout, revisions_schema: f.revisions_schema.clone(), traffic: f.traffic(env.as_ref()), clean: false };
    // Straight to stdout: the plan must be on the screen before apply asks about it.
    match cli::plan::apply(&a, &mut Stdout).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn clean(c: CleanCmd) -> ExitCode {
    let vars: HashMap<String, String> = c.vars.iter().cloned().collect();
    let r = async {
        let env = c.project.env(&vars)?;
        let url = c.project.url(&c.url, &vars)?;
        let common = cli::plan::Args {
            // Dropping everything is what was asked for: the destructive findings show, marked
            // accepted for this run.
            lint: cli::plan::LintArgs { allow_destructive: true, data_checks: false, ..Default::default() },
            url,
            to: vec![],
            dev_url: c.dev_url.clone().or_else(|| env.as_ref().and_then(|e| e.dev.clone())),
            schemas: if c.schemas.is_empty() { env.as_ref().map(|e| e.schemas.clone()).unwrap_or_default() } else { c.schemas.clone() },
            exclude: vec![],
            roles: vec![],
            vars,
            format: cli::plan::Format::Text,
            skip: Default::default(),
            concurrent_index: Default::default(),
        };
        let f = &c.apply;
        let a = cli::plan::ApplyArgs { common, auto_approve: c.auto_approve, dry_run: c.dry_run, plan_hash: None, lock_timeout: f.lock_timeout, revisions_schema: f.revisions_schema.clone(), traffic: f.traffic(env.as_ref()), clean: true };
        cli::plan::apply(&a, &mut Stdout).await
    };
    match r.await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// The exit code of a usage error (sysexits' EX_USAGE).
const USAGE: u8 = 64;

fn main() -> ExitCode {
    // The policy worker (see lint::sandbox): a hidden mode of this same binary.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__policy-worker") {
        return ExitCode::from(schemagate::lint::sandbox::worker_main(args.get(2).map(String::as_str).unwrap_or("")) as u8);
    }
    if let Ok(exe) = std::env::current_exe() {
        schemagate::lint::sandbox::use_worker(exe);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // A usage error has its own exit code (64, EX_USAGE): clap's default 2 is what
            // `plan --detailed-exitcode` means by "changes pending", so a typo in CI would
            // read as a plan with changes.
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => USAGE,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let _total = schemagate::timings::stage("whole run");
    let local = tokio::task::LocalSet::new();
    rt.block_on(local.run_until(async {
        // The run is a task of its own, so a panic in it comes back here as an error (and the
        // disposable databases are dropped) instead of unwinding past the cleanup.
        let task = tokio::task::spawn_local(run(cli));
        tokio::select! {
            code = task => {
                schemagate::devdb::drop_all().await;
                code.unwrap_or_else(|e| {
                    eprintln!("error: schemagate stopped on an internal error ({}); disposable databases were dropped", if e.is_panic() { "a panic" } else { "cancelled" });
                    ExitCode::from(1)
                })
            }
            (name, code) = terminated() => {
                // Disposable databases and ephemeral servers must not outlive an interrupted run.
                schemagate::devdb::drop_all().await;
                eprintln!("interrupted ({name})");
                ExitCode::from(code)
            }
        }
    }))
}

/// The first of SIGINT, SIGTERM (a cancelled CI job) and SIGHUP (a closed terminal), with the
/// exit code a shell gives a process killed by it.
async fn terminated() -> (&'static str, u8) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let hup = async move {
        match hup.as_mut() {
            Some(s) => s.recv().await,
            None => std::future::pending().await,
        }
    };
    let term = async move {
        match term.as_mut() {
            Some(s) => s.recv().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => ("SIGINT", 130),
        _ = term => ("SIGTERM", 143),
        _ = hup => ("SIGHUP", 129),
    }
}
