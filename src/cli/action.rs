//! `schemagate action`: the Docker container Action's entrypoint. Reads the inputs
//! (`INPUT_<NAME>`, hyphens kept) and the event, then: plans and lints the changed directories
//! of a pull request (one sticky comment, a check run per directory, the job summary,
//! annotations, outputs); applies on merge when apply_requirements pass and the plan computed
//! now is the plan that was reviewed; answers comment commands; reports drift as an issue.

use super::config::{self as cfgcli, Target};
use super::plan::{Format, LintArgs};
use super::run::{self, DirResult, LockEvent, LockRun, Op, RunArgs};
use crate::config::{tag_query, targets as tg, Loaded};
use crate::github::client::Client;
use crate::github::comment::{self, DirSection};
use crate::github::{parse_command, requirements, Command, PullRequest};
use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The Action's inputs, as action.yml declares them.
pub const INPUTS: &[&str] = &["github-token", "config", "env", "dir", "dev-url", "policy-paths", "mode", "allow-destructive-label", "allow-destructive", "url", "to", "schema", "vars", "ddl-lock-timeout", "statement-timeout", "lock-retries", "online"];
/// The outputs it writes to $GITHUB_OUTPUT.
pub const OUTPUTS: &[&str] = &["plan-hash", "has-changes", "denied", "summary-json", "matrix", "error"];

fn input(name: &str) -> Option<String> {
    std::env::var(format!("INPUT_{}", name.to_ascii_uppercase())).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

struct Ctx {
    gh: Client,
    root: PathBuf,
    loaded: Loaded,
    env_name: Option<String>,
    lint: LintArgs,
    dir_filter: Option<String>,
    /// atlas-action's inputs for one database: `url`, `to`, `schema`, `vars`.
    direct: Direct,
    outputs: BTreeMap<&'static str, String>,
    summary: String,
}

/// atlas-action's way to name one target on the step itself instead of in atlas.hcl / the
/// Terrateam config. Each set field wins over the directory's atlas.hcl env.
#[derive(Default)]
struct Direct {
    url: Option<String>,
    to: Vec<String>,
    schemas: Vec<String>,
    vars: BTreeMap<String, String>,
}

impl Direct {
    fn from_inputs() -> Result<Direct> {
        let list = |v: Option<String>| v.map(|v| v.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default();
        let vars = match input("vars") {
            // atlas-action passes variables as a JSON object: {"tenant": "acme"}.
            Some(v) => {
                let j: Json = serde_json::from_str(&v).map_err(|e| anyhow!("the `vars` input is not a JSON object ({e}); write it as {{\"name\": \"value\"}}"))?;
                let Some(o) = j.as_object() else { return Err(anyhow!("the `vars` input must be a JSON object, as in atlas-action: {{\"name\": \"value\"}}")) };
                o.iter().map(|(k, v)| (k.clone(), v.as_str().map(String::from).unwrap_or_else(|| v.to_string()))).collect()
            }
            None => BTreeMap::new(),
        };
        Ok(Direct { url: input("url"), to: list(input("to")), schemas: list(input("schema")), vars })
    }

    fn is_set(&self) -> bool {
        self.url.is_some() || !self.to.is_empty() || !self.schemas.is_empty() || !self.vars.is_empty()
    }
}

/// Exit code of the run. A failure is also the `error` output (atlas-action's), so a later
/// step can report it.
pub async fn main() -> Result<i32> {
    let r = run_action().await;
    if let Err(e) = &r {
        if let Ok(p) = std::env::var("GITHUB_OUTPUT") {
            let msg = crate::url::redact(&crate::error::chain(e));
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&p) {
                let _ = writeln!(f, "error<<SCHEMAGATE_EOF\n{msg}\nSCHEMAGATE_EOF");
            }
        }
    }
    r
}

async fn run_action() -> Result<i32> {
    let token = input("github-token").or_else(|| std::env::var("GITHUB_TOKEN").ok()).ok_or_else(|| anyhow!("no GitHub token: set the `github-token` input (default `${{{{ github.token }}}}`)"))?;
    crate::cloud::mask(&token);
    let root = PathBuf::from(std::env::var("GITHUB_WORKSPACE").unwrap_or_else(|_| ".".into()));
    // `config` is the Terrateam configuration's path; an atlas-action user's `config` names the
    // project file (file://…atlas.hcl): its directory is then the schema directory.
    let (config_input, atlas_dir) = match input("config") {
        Some(c) if c.starts_with("file://") || c.ends_with(".hcl") => {
            let p = PathBuf::from(c.trim_start_matches("file://"));
            if p.file_name().is_some_and(|n| n != "atlas.hcl") {
                return Err(anyhow!("the `config` input names {}: schemagate reads the project file as atlas.hcl in the schema directory; rename it, or use `dir`", p.display()));
            }
            (None, Some(p.parent().map(|d| d.display().to_string()).filter(|d| !d.is_empty()).unwrap_or_else(|| ".".into())))
        }
        other => (other, None),
    };
    let config_path = root.join(config_input.unwrap_or_else(|| ".terrateam/config.yml".into()));
    let (_, loaded) = cfgcli::load(&root, config_path.is_file().then_some(config_path.as_path()))?;
    for d in &loaded.diagnostics {
        let kind = if d.level == crate::config::Level::Error { "error" } else { "warning" };
        println!("::{kind} file={},line={},col={}::{}", workflow_property(&rel(&root, &d.file)), d.line, d.col, escape_data(&format!("`{}`: {}", d.path, d.msg)));
    }
    if loaded.has_errors(false) {
        return Err(anyhow!("{} is invalid (see the annotations)", config_path.display()));
    }
    if let Some(d) = input("dev-url") {
        std::env::set_var("SCHEMAGATE_DEV_URL", d);
    }
    // How apply treats production traffic: the same knobs as the CLI's flags.
    for (name, value, var) in [("ddl-lock-timeout", input("ddl-lock-timeout"), "SCHEMAGATE_DDL_LOCK_TIMEOUT"), ("statement-timeout", input("statement-timeout"), "SCHEMAGATE_STATEMENT_TIMEOUT")] {
        if let Some(v) = value {
            crate::duration::parse(&v).map_err(|e| anyhow!("the `{name}` input: {e}"))?;
            std::env::set_var(var, v);
        }
    }
    if let Some(v) = input("lock-retries") {
        v.parse::<u32>().ok().filter(|n| *n <= 100).ok_or_else(|| anyhow!("the `lock-retries` input must be a number from 0 to 100, not `{v}`"))?;
        std::env::set_var("SCHEMAGATE_LOCK_RETRIES", v);
    }
    if let Some(v) = input("online") {
        if !matches!(v.as_str(), "true" | "false") {
            return Err(anyhow!("the `online` input is true or false, not `{v}`"));
        }
        std::env::set_var("SCHEMAGATE_ONLINE", v);
    }
    let policy_dirs = input("policy-paths").map(|p| p.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(|s| root.join(s)).collect()).unwrap_or_default();
    let mut ctx = Ctx {
        gh: Client::from_env(&token)?,
        root,
        loaded,
        env_name: input("env"),
        lint: LintArgs { policy_dirs, analyzers: serde_json::Value::Null, policy_data: vec![], labels: vec![], allow_destructive_label: input("allow-destructive-label"), allow_destructive: input("allow-destructive").is_some_and(|v| v == "true"), data_checks: true },
        dir_filter: input("dir").or(atlas_dir),
        direct: Direct::from_inputs()?,
        outputs: BTreeMap::new(),
        summary: String::new(),
    };
    let event_name = std::env::var("GITHUB_EVENT_NAME").unwrap_or_default();
    let event: Json = match std::env::var("GITHUB_EVENT_PATH") {
        Ok(p) => serde_json::from_str(&std::fs::read_to_string(&p).with_context(|| format!("cannot read the event file {p}"))?)?,
        Err(_) => Json::Null,
    };
    let mode = input("mode").unwrap_or_else(|| "auto".into());
    let code = match (mode.as_str(), event_name.as_str()) {
        ("matrix", _) => matrix(&mut ctx, &event_name, &event)?,
        ("drift", _) | ("auto", "schedule") => drift(&mut ctx).await?,
        ("plan", _) | ("auto", "pull_request") | ("auto", "pull_request_target") => {
            let pr = PullRequest::from_json(&event["pull_request"]);
            if event["action"] == "closed" {
                println!("pull request closed: nothing to plan");
                0
            } else {
                plan_pr(&mut ctx, &pr, None, false).await?
            }
        }
        ("apply", _) | ("auto", "push") => merge(&mut ctx, &event).await?,
        ("auto", "issue_comment") => comment_command(&mut ctx, &event).await?,
        // A manual run is drift detection only when asked for (`mode: drift`) or when the config
        // turns drift on (Terrateam's `drift.enabled`), as Terrateam itself does.
        ("auto", "workflow_dispatch") if ctx.loaded.config.drift.enabled => drift(&mut ctx).await?,
        ("auto", "workflow_dispatch") => {
            println!("workflow_dispatch: drift detection is off (set `drift: {{enabled: true}}` in .terrateam/config.yml, or `mode: drift` on the step); nothing to do");
            0
        }
        (m, e) => return Err(anyhow!("nothing to do for mode `{m}` on event `{e}`; modes: auto, plan, apply, drift, matrix")),
    };
    finish(&ctx)?;
    Ok(code)
}

use crate::report::escape::{workflow_data as escape_data, workflow_property};

fn rel(root: &Path, file: &str) -> String {
    let root = std::fs::canonicalize(root).unwrap_or(root.to_path_buf());
    let f = std::fs::canonicalize(file).unwrap_or(PathBuf::from(file));
    f.strip_prefix(&root).map(|p| p.display().to_string()).unwrap_or_else(|_| file.to_string())
}

fn finish(ctx: &Ctx) -> Result<()> {
    if let Ok(p) = std::env::var("GITHUB_OUTPUT") {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&p)?;
        for (k, v) in &ctx.outputs {
            // The multi-line form is safe for any value.
            writeln!(f, "{k}<<SCHEMAGATE_EOF\n{v}\nSCHEMAGATE_EOF")?;
        }
    }
    if let Ok(p) = std::env::var("GITHUB_STEP_SUMMARY") {
        if !ctx.summary.is_empty() {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&p)?;
            f.write_all(ctx.summary.as_bytes())?;
        }
    }
    Ok(())
}

fn pr_files(ctx: &Ctx, pr: &PullRequest) -> Result<Vec<String>> {
    let files = ctx.gh.get_all(&format!("/repos/{{repo}}/pulls/{}/files", pr.number), "pull-requests: read")?;
    let mut out = Vec::new();
    for f in files {
        if let Some(n) = f["filename"].as_str() {
            out.push(n.to_string());
        }
        if let Some(n) = f["previous_filename"].as_str() {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

fn targets_for(ctx: &Ctx, files: Option<&[String]>, pr: Option<&PullRequest>) -> Result<Vec<Target>> {
    let mut ts = cfgcli::resolve(&ctx.root, &ctx.loaded, files, ctx.env_name.as_deref(), pr.map(|p| p.head_ref.as_str()), pr.map(|p| p.base_ref.as_str()))?;
    if let Some(d) = &ctx.dir_filter {
        let d = d.trim_end_matches('/').trim_start_matches("./");
        let d = if d.is_empty() { "." } else { d };
        ts.retain(|t| t.dir == d);
        // atlas-action's inputs name one database: a directory need not look like a schema
        // directory for it.
        if ts.is_empty() && ctx.direct.is_set() {
            ts.push(cfgcli::Target::direct(d, &ctx.root));
        }
    } else if ts.is_empty() && ctx.direct.is_set() {
        ts.push(cfgcli::Target::direct(".", &ctx.root));
    }
    let d = &ctx.direct;
    for t in ts.iter_mut().filter(|_| d.is_set()) {
        if let Some(u) = &d.url {
            t.url = Some(u.clone());
        }
        if !d.to.is_empty() {
            t.src = d.to.clone();
        }
        if !d.schemas.is_empty() {
            t.schemas = d.schemas.clone();
        }
        if let Some(dev) = input("dev-url") {
            t.dev = Some(dev);
        }
        t.vars.extend(d.vars.clone());
        t.pinned = d.url.is_some() || !d.to.is_empty();
    }
    if files.is_some() {
        ts.retain(|t| t.changed || d.is_set());
    }
    Ok(ts)
}

async fn run_dirs(ctx: &Ctx, op: Op, targets: &[Target], labels: &[String], expected_hash: Option<&str>, lock: Option<LockRun>) -> Result<(Vec<DirResult>, String)> {
    let a = RunArgs {
        op,
        root: ctx.root.clone(),
        lint: LintArgs { labels: labels.to_vec(), ..ctx.lint.clone() },
        format: Format::Text,
        run_kind: if op == Op::Plan { "pr".into() } else { "apply".into() },
        expected_hash: expected_hash.map(String::from),
        lock,
    };
    let mut buf = Vec::new();
    let results = run::run(&a, &ctx.loaded, targets, &mut buf).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    // run::run already made each directory's output inert for the Actions log.
    print!("{text}");
    Ok((results, text))
}

fn sections(results: &[DirResult]) -> Vec<DirSection> {
    results
        .iter()
        .map(|r| DirSection {
            dir: r.dir.clone(),
            ok: r.ok,
            has_changes: r.has_changes,
            denied: r.denied,
            hash: r.plan_hash.clone(),
            markdown: r.outcome.as_ref().map(|o| crate::report::markdown(o, &r.findings)).unwrap_or_default(),
            error: r.error.clone(),
            blocking: r.findings.iter().filter(|f| f.blocks()).count(),
            warnings: r.findings.iter().filter(|f| f.severity == "warning").count(),
        })
        .collect()
}

/// Every plan comment of the pull request (id, body), oldest first.
fn plan_comments(ctx: &Ctx, pr: u64) -> Result<Vec<(u64, String)>> {
    let comments = ctx.gh.get_all(&format!("/repos/{{repo}}/issues/{pr}/comments"), "pull-requests: read")?;
    let mut out: Vec<(u64, String)> = comments
        .iter()
        .filter_map(|c| c["body"].as_str().filter(|b| b.starts_with(comment::MARKER)).map(|b| (c["id"].as_u64().unwrap_or(0), b.to_string())))
        .collect();
    out.sort_by_key(|c| c.0);
    Ok(out)
}

/// The first plan comment, where replies to comment commands go.
fn find_comment(ctx: &Ctx, pr: u64) -> Result<Option<(u64, String)>> {
    Ok(plan_comments(ctx, pr)?.into_iter().next())
}

/// The comment of directory `dir`, if there is one.
fn dir_comment(ctx: &Ctx, pr: u64, dir: &str) -> Result<Option<(u64, String)>> {
    Ok(plan_comments(ctx, pr)?.into_iter().find(|(_, b)| comment::dir_of(b).as_deref() == Some(dir)))
}

/// What the pull request's comments say was reviewed, read in one listing: the plan hash of
/// every directory, each from its own comment (a comment of an earlier version holding several
/// counts only for directories without one), and the commit each directory's plan was
/// computed at (directories' comments only).
fn reviewed(ctx: &Ctx, pr: u64) -> Result<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let mut legacy = BTreeMap::new();
    let mut own: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut shas = BTreeMap::new();
    for (_, body) in plan_comments(ctx, pr)? {
        match comment::dir_of(&body) {
            Some(d) => {
                if let Some(sha) = comment::reviewed_sha(&body) {
                    shas.insert(d.clone(), sha);
                }
                let h = comment::hashes(&body).remove(&d);
                own.insert(d, h);
            }
            None => legacy.extend(comment::hashes(&body)),
        }
    }
    for (d, h) in own {
        match h {
            Some(h) => legacy.insert(d, h),
            None => legacy.remove(&d),
        };
    }
    Ok((legacy, shas))
}

fn upsert_comment(ctx: &Ctx, pr: u64, body: &str) -> Result<()> {
    match find_comment(ctx, pr)? {
        Some((id, _)) => ctx.gh.patch(&format!("/repos/{{repo}}/issues/comments/{id}"), &json!({ "body": body }), "pull-requests: write")?,
        None => ctx.gh.post(&format!("/repos/{{repo}}/issues/{pr}/comments"), &json!({ "body": body }), "pull-requests: write")?,
    };
    Ok(())
}

/// Write the comment of directory `dir`: update it in place, or create it. Only this
/// directory's comment is touched, so matrix jobs (one per directory) never overwrite each
/// other. Two runs for the same directory that both created one (a re-run racing the first)
/// are reconciled: the oldest comment keeps this body, the others are deleted.
fn upsert_dir_comment(ctx: &Ctx, pr: u64, dir: &str, body: &str) -> Result<()> {
    let written = match dir_comment(ctx, pr, dir)? {
        Some((id, _)) => {
            ctx.gh.patch(&format!("/repos/{{repo}}/issues/comments/{id}"), &json!({ "body": body }), "pull-requests: write")?;
            id
        }
        None => ctx.gh.post(&format!("/repos/{{repo}}/issues/{pr}/comments"), &json!({ "body": body }), "pull-requests: write")?["id"].as_u64().unwrap_or(0),
    };
    let mine: Vec<u64> = plan_comments(ctx, pr)?.into_iter().filter(|(_, b)| comment::dir_of(b).as_deref() == Some(dir)).map(|(id, _)| id).collect();
    if mine.len() > 1 {
        if mine[0] != written {
            ctx.gh.patch(&format!("/repos/{{repo}}/issues/comments/{}", mine[0]), &json!({ "body": body }), "pull-requests: write")?;
        }
        for id in &mine[1..] {
            ctx.gh.delete(&format!("/repos/{{repo}}/issues/comments/{id}"), "pull-requests: write")?;
        }
    }
    Ok(())
}

fn annotations(ctx: &Ctx, r: &DirResult) -> Vec<Json> {
    let mut out = Vec::new();
    for f in &r.findings {
        let Some(src) = &f.source else { continue };
        let path = rel(&ctx.root, &src.file);
        let level = if f.blocks() { "error" } else { "warning" };
        println!("::{level} file={},line={},title={}::{}", workflow_property(&path), src.line, workflow_property(&f.code), escape_data(&format!("{} ({})", f.msg, f.target)));
        out.push(json!({"path": path, "start_line": src.line, "end_line": src.line, "annotation_level": if f.blocks() { "failure" } else { "warning" }, "title": f.code, "message": f.msg}));
    }
    out
}

fn check_runs(ctx: &Ctx, sha: &str, op: &str, results: &[DirResult], secs: &[DirSection]) -> Result<()> {
    for (r, s) in results.iter().zip(secs) {
        let conclusion = if r.ok && !r.denied { "success" } else { "failure" };
        let mut ann = annotations(ctx, r);
        ann.truncate(50); // GitHub's limit per request
        let summary = comment::truncate(format!("{}{}", r.error.as_deref().map(|e| crate::report::escape::md_fence("", e) + "\n").unwrap_or_default(), s.markdown));
        ctx.gh.post(
            "/repos/{repo}/check-runs",
            &json!({
                "name": format!("schemagate {op}: {}", r.dir),
                "head_sha": sha,
                "status": "completed",
                "conclusion": conclusion,
                "output": {"title": format!("{} — {}", r.dir, if r.denied { "denied by policy" } else if !r.ok { "failed" } else if r.has_changes { "changes" } else { "no changes" }), "summary": summary, "annotations": ann},
            }),
            "checks: write",
        )?;
    }
    Ok(())
}

fn record_outputs(ctx: &mut Ctx, results: &[DirResult]) {
    let hashes: BTreeMap<&str, &str> = results.iter().filter_map(|r| r.plan_hash.as_deref().map(|h| (r.dir.as_str(), h))).collect();
    let hash = match hashes.len() {
        1 => hashes.values().next().unwrap().to_string(),
        _ => serde_json::to_string(&hashes).unwrap_or_default(),
    };
    ctx.outputs.insert("plan-hash", hash);
    ctx.outputs.insert("has-changes", results.iter().any(|r| r.has_changes).to_string());
    ctx.outputs.insert("denied", results.iter().any(|r| r.denied).to_string());
    ctx.outputs.insert("summary-json", serde_json::to_string(results).unwrap_or_default());
    let errors: Vec<String> = results.iter().filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.dir))).collect();
    if !errors.is_empty() {
        ctx.outputs.insert("error", errors.join("\n"));
    }
}

async fn plan_pr(ctx: &mut Ctx, pr: &PullRequest, query: Option<&str>, from_comment: bool) -> Result<i32> {
    let files = pr_files(ctx, pr)?;
    let mut ts = targets_for(ctx, Some(&files), Some(pr))?;
    if !from_comment {
        ts.retain(|t| t.autoplan && (!pr.draft || tg::when_modified(&ctx.loaded.config, &t.dir).autoplan_draft_pr));
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let q = tag_query::parse(q).map_err(|e| anyhow!("{e}"))?;
        ts.retain(|t| q.matches(&t.tags, &t.dir));
    }
    if ts.is_empty() {
        println!("no schema directory is affected by this pull request");
        record_outputs(ctx, &[]);
        return Ok(0);
    }
    let (results, _) = run_dirs(ctx, Op::Plan, &ts, &pr.labels, None, None).await?;
    let secs = sections(&results);
    // One comment per directory (see github::comment): each with its own reviewed hash.
    for (r, sec) in results.iter().zip(&secs) {
        let mut hashes = BTreeMap::new();
        if let (Some(h), true) = (&r.plan_hash, r.ok && !r.denied) {
            hashes.insert(r.dir.clone(), h.clone());
        }
        let autoapply = ts.iter().any(|t| t.dir == r.dir && t.autoapply);
        let next = if r.denied {
            "a policy denies this change: fix the schema, add an `atlas:nolint` comment on the block, or add the allow label; then push again.".to_string()
        } else if !r.ok {
            "fix the errors above and push again, or comment `schemagate plan`.".to_string()
        } else if autoapply {
            "merge this pull request to apply the reviewed plan (autoapply); it is applied only if the plan computed at merge is the same.".to_string()
        } else {
            "comment `schemagate apply` to apply the reviewed plan.".to_string()
        };
        // The picture reviewers look at first: the touched tables and their neighbours.
        let diagram = r.outcome.as_ref().and_then(crate::report::plan_mermaid).map(|d| merge_diagrams(&d));
        let body = comment::render_for(Some(&r.dir), Some(&pr.head_sha), "schemagate plan", std::slice::from_ref(sec), &next, &hashes, diagram.as_deref());
        upsert_dir_comment(ctx, pr.number, &r.dir, &body)?;
        ctx.summary.push_str(&body.replace(comment::MARKER, "").replace(&comment::dir_line(&r.dir), ""));
    }
    check_runs(ctx, &pr.head_sha, "plan", &results, &secs)?;
    record_outputs(ctx, &results);
    Ok(if results.iter().any(|r| r.denied) {
        3
    } else if results.iter().any(|r| !r.ok) {
        1
    } else {
        0
    })
}

/// Several directories' diagrams as one (one `erDiagram` header).
fn merge_diagrams(d: &str) -> String {
    let mut out = String::from("erDiagram\n");
    for l in d.lines().filter(|l| *l != "erDiagram") {
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn destination(ctx: &Ctx, event: &Json, branch: &str) -> bool {
    let dests: Vec<String> = ctx.loaded.config.destination_branches.iter().filter_map(|d| d.as_str().map(String::from).or_else(|| d["branch"].as_str().map(String::from))).collect();
    if dests.is_empty() {
        return event["repository"]["default_branch"].as_str().is_none_or(|d| d == branch);
    }
    dests.iter().any(|d| tg::glob(d, branch))
}

/// Apply the directories of `pr` (already filtered), each only if its requirements pass, no
/// other pull request holds its directory lock, and the plan computed now matches the reviewed
/// one. Once the pull request is merged, what is not applied (and `not_applied`: changed
/// directories without autoapply) is locked by it per `lock_policy`.
async fn apply_dirs(ctx: &mut Ctx, pr: &PullRequest, ts: Vec<Target>, before_merge: bool, not_applied: Vec<Target>) -> Result<i32> {
    let (reviewed, mut shas) = reviewed(ctx, pr.number)?;
    // The commit pin holds for a comment's apply; at merge the head is the merge commit.
    if !before_merge {
        shas.clear();
    }
    let merged = pr.merged || !before_merge;
    let mut report = String::from("\n\n## schemagate apply\n\n");
    // Each directory's lines also go into its own comment.
    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut code = 0;
    let mut all = Vec::new();
    let mut pending = not_applied;
    for t in ts {
        let check = requirements::check_for(&ctx.loaded.config, &t.tags, &t.dir);
        let v = requirements::evaluate(&ctx.gh, pr, check, before_merge)?;
        if !v.passed {
            report.push_str(&format!("- `{}`: **not applied**: apply requirements not met: {}\n", t.dir, v.reasons.join("; ")));
            code = code.max(4);
            pending.push(t);
            continue;
        }
        // A comment's apply runs on the head it fetched: the reviewed plan must be of that commit.
        if let Some(sha) = shas.get(&t.dir).filter(|s| **s != pr.head_sha) {
            report.push_str(&format!("- `{}`: **not applied**: the reviewed plan is of commit {}, the pull request is now at {}; comment `schemagate plan`, review the new plan, then `schemagate apply`\n", t.dir, short_sha(sha), short_sha(&pr.head_sha)));
            code = code.max(4);
            pending.push(t);
            continue;
        }
        let Some(hash) = reviewed.get(&t.dir) else {
            report.push_str(&format!("- `{}`: **not applied**: no reviewed plan for this directory on the pull request; comment `schemagate plan` first\n", t.dir));
            code = code.max(4);
            pending.push(t);
            continue;
        };
        let lock = LockRun { pr: pr.number, event: LockEvent::Apply { merged } };
        let (results, _) = run_dirs(ctx, Op::Apply, std::slice::from_ref(&t), &pr.labels, Some(hash), Some(lock)).await?;
        for r in &results {
            if r.ok {
                report.push_str(&format!("- `{}`: **applied** plan `{}`\n", r.dir, &hash[..hash.len().min(12)]));
            } else {
                let e = r.error.clone().unwrap_or_default();
                let (word, why, c) = if e.contains("not the reviewed plan") {
                    ("refused", "target drifted or schema changed after review; plan again and review the new plan".to_string(), 4)
                } else if e.contains("is locked by pull request") {
                    ("locked", e.lines().next().unwrap_or("").to_string() + "; finish that change or comment `schemagate unlock` on it, then plan again", 4)
                } else {
                    ("failed", format!("`{}`", e.lines().next().unwrap_or("")), 1)
                };
                report.push_str(&format!("- `{}`: **{word}**: {why}\n", r.dir));
                code = code.max(c);
            }
        }
        all.extend(results);
    }
    if merged && !pending.is_empty() {
        // The change is in the destination branch but not in these databases: per lock_policy
        // the pull request now owns these directories until somebody applies (or unlocks).
        let lock = LockRun { pr: pr.number, event: LockEvent::Merge };
        let (results, _) = run_dirs(ctx, Op::Apply, &pending, &pr.labels, None, Some(lock)).await?;
        for r in &results {
            if !r.ok {
                report.push_str(&format!("- `{}`: could not record its directory lock: `{}`\n", r.dir, r.error.as_deref().unwrap_or("").lines().next().unwrap_or("")));
            } else if r.output.contains("locked: ") {
                report.push_str(&format!("- `{}`: merged but not applied: locked by #{} until applied (comment `schemagate apply`, or `schemagate unlock`)\n", r.dir, pr.number));
            }
        }
    }
    // The report's lines, each under its directory's comment.
    for l in report.lines().filter(|l| l.starts_with("- `")) {
        if let Some(dir) = l[3..].split('`').next() {
            lines.entry(dir.to_string()).or_default().push(l.to_string());
        }
    }
    for (dir, ls) in &lines {
        let part = format!("\n\n## schemagate apply\n\n{}\n", ls.join("\n"));
        let body = match dir_comment(ctx, pr.number, dir)? {
            Some((_, old)) => comment::truncate(old.split("\n\n## schemagate apply").next().unwrap_or(&old).to_string() + &part),
            None => comment::truncate(format!("{}\n{}\n{part}", comment::MARKER, comment::dir_line(dir))),
        };
        upsert_dir_comment(ctx, pr.number, dir, &body)?;
    }
    ctx.summary.push_str(&report);
    record_outputs(ctx, &all);
    Ok(code)
}

async fn merge(ctx: &mut Ctx, event: &Json) -> Result<i32> {
    let branch = event["ref"].as_str().unwrap_or_default().trim_start_matches("refs/heads/").to_string();
    if !destination(ctx, event, &branch) {
        println!("push to {branch}: not a destination branch; nothing to apply");
        return Ok(0);
    }
    let sha = event["after"].as_str().map(String::from).or_else(|| std::env::var("GITHUB_SHA").ok()).unwrap_or_default();
    let prs = ctx.gh.get(&format!("/repos/{{repo}}/commits/{sha}/pulls"), "pull-requests: read")?;
    let Some(p) = prs.as_array().into_iter().flatten().find(|p| p["merged_at"].is_string()) else {
        println!("push to {branch}: no merged pull request for {sha}; nothing to apply");
        return Ok(0);
    };
    let full = ctx.gh.get(&format!("/repos/{{repo}}/pulls/{}", p["number"]), "pull-requests: read")?;
    let pr = PullRequest::from_json(&full);
    let files = pr_files(ctx, &pr)?;
    let (ts, manual): (Vec<Target>, Vec<Target>) = targets_for(ctx, Some(&files), Some(&pr))?.into_iter().partition(|t| t.autoapply);
    if ts.is_empty() && manual.is_empty() {
        println!("pull request #{}: no schema directory changed", pr.number);
        return Ok(0);
    }
    apply_dirs(ctx, &pr, ts, false, manual).await
}

const HELP: &str = "schemagate commands (comment on the pull request):\n\n- `schemagate plan [tag query]` — plan and lint again\n- `schemagate apply [tag query]` — apply before merge, if apply_requirements pass\n- `schemagate unlock` — release the directory locks this pull request holds (lock_policy)\n- `schemagate help` — this text\n\n`terrateam …` works the same.";

async fn comment_command(ctx: &mut Ctx, event: &Json) -> Result<i32> {
    if event["issue"]["pull_request"].is_null() || event["action"] != "created" {
        return Ok(0);
    }
    let Some(cmd) = parse_command(event["comment"]["body"].as_str().unwrap_or_default()) else { return Ok(0) };
    let number = event["issue"]["number"].as_u64().unwrap_or(0);
    let full = ctx.gh.get(&format!("/repos/{{repo}}/pulls/{number}"), "pull-requests: read")?;
    let pr = PullRequest::from_json(&full);
    // `plan` and `apply` work on the pull request's head, not the default branch this event
    // checked out (the configuration stays the default branch's: hooks are not the PR's).
    let head = if matches!(cmd.action.as_str(), "plan" | "apply") { checkout_pr_head(&ctx.root, &pr)? } else { None };
    let workspace = ctx.root.clone();
    if let Some(w) = &head {
        ctx.root = w.path.clone();
    }
    let r = run_command(ctx, &cmd, &pr).await;
    ctx.root = workspace;
    drop(head);
    r
}

/// A pull request's head in a worktree of its own (removed when dropped).
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo, &["worktree", "remove", "--force", &self.path.display().to_string()]);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| anyhow!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(anyhow!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The workspace of an `issue_comment` run holds the default branch: fetch the pull request's
/// head (`refs/pull/N/head`) and check it out in a worktree, after making sure it is the
/// commit GitHub reports as the head (a push between the API call and the fetch refuses).
/// None when the workspace is at the head already, or is no git checkout (then it is planned
/// as it is, with a warning).
fn checkout_pr_head(root: &Path, pr: &PullRequest) -> Result<Option<Worktree>> {
    let Ok(here) = git(root, &["rev-parse", "HEAD"]) else {
        eprintln!("warning: the workspace is not a git checkout: the command runs on the files as they are, not on the pull request's head");
        return Ok(None);
    };
    if here == pr.head_sha {
        return Ok(None);
    }
    let local = format!("refs/schemagate/pull/{}", pr.number);
    git(root, &["fetch", "--no-tags", "--quiet", "origin", &format!("+refs/pull/{}/head:{local}", pr.number)]).map_err(|e| {
        anyhow!("cannot fetch the pull request's head (refs/pull/{}/head): {e}\n  hint: keep actions/checkout's credentials (persist-credentials: true, the default) and give the job `contents: read`", pr.number)
    })?;
    let fetched = git(root, &["rev-parse", &local])?;
    if fetched != pr.head_sha {
        return Err(crate::apply::Refused(format!("the pull request's head moved while this command ran (GitHub reports {}, the fetch got {}); comment again", short_sha(&pr.head_sha), short_sha(&fetched))).into());
    }
    let path = std::env::temp_dir().join(format!("schemagate-pr{}-{:016x}", pr.number, rand::random::<u64>()));
    git(root, &["worktree", "add", "--detach", "--quiet", &path.display().to_string(), &fetched])?;
    println!("planning the pull request's head {} (worktree {})", short_sha(&fetched), path.display());
    Ok(Some(Worktree { repo: root.to_path_buf(), path }))
}

fn short_sha(s: &str) -> &str {
    &s[..s.len().min(12)]
}

async fn run_command(ctx: &mut Ctx, cmd: &Command, pr: &PullRequest) -> Result<i32> {
    let pr = pr.clone();
    match cmd.action.as_str() {
        "plan" => plan_pr(ctx, &pr, Some(&cmd.query), true).await,
        "apply" => {
            let files = pr_files(ctx, &pr)?;
            let mut ts = targets_for(ctx, Some(&files), Some(&pr))?;
            if !cmd.query.is_empty() {
                let q = tag_query::parse(&cmd.query).map_err(|e| anyhow!("{e}"))?;
                ts.retain(|t| q.matches(&t.tags, &t.dir));
            }
            apply_dirs(ctx, &pr, ts, true, vec![]).await
        }
        "unlock" => {
            let files = pr_files(ctx, &pr)?;
            let ts = targets_for(ctx, Some(&files), Some(&pr))?;
            let lock = LockRun { pr: pr.number, event: LockEvent::Unlock };
            let (results, _) = run_dirs(ctx, Op::Apply, &ts, &pr.labels, None, Some(lock)).await?;
            let failed: Vec<String> = results.iter().filter(|r| !r.ok).map(|r| format!("- `{}`: `{}`", r.dir, r.error.as_deref().unwrap_or("").lines().next().unwrap_or(""))).collect();
            let text = if failed.is_empty() {
                format!("All directories of #{} are unlocked.", pr.number)
            } else {
                format!("Could not unlock every directory of #{}:\n{}", pr.number, failed.join("\n"))
            };
            reply(ctx, pr.number, &text)?;
            Ok(if failed.is_empty() { 0 } else { 1 })
        }
        "help" => {
            reply(ctx, pr.number, HELP)?;
            Ok(0)
        }
        other => {
            println!("unknown command `{other}`");
            Ok(1)
        }
    }
}

/// Put `text` at the foot of the sticky comment (replacing an earlier reply).
fn reply(ctx: &Ctx, number: u64, text: &str) -> Result<()> {
    const SEP: &str = "\n\n---\n<!-- schemagate:reply -->\n";
    let body = match find_comment(ctx, number)? {
        Some((_, old)) => format!("{}{SEP}{text}", old.split(SEP).next().unwrap_or(&old)),
        None => format!("{}{SEP}{text}", comment::MARKER),
    };
    upsert_comment(ctx, number, &comment::truncate(body))
}

const DRIFT_MARKER: &str = "<!-- schemagate:drift -->";

async fn drift(ctx: &mut Ctx) -> Result<i32> {
    let ts = targets_for(ctx, None, None)?;
    let (results, _) = run_dirs(ctx, Op::Plan, &ts, &[], None, None).await?;
    let drifted: Vec<&DirResult> = results.iter().filter(|r| r.has_changes).collect();
    let secs = sections(&results);
    let issues = ctx.gh.get_all("/repos/{repo}/issues?state=open&labels=schemagate-drift", "issues: read")?;
    let existing = issues.iter().find(|i| i["body"].as_str().is_some_and(|b| b.contains(DRIFT_MARKER))).and_then(|i| i["number"].as_u64());
    let body = comment::truncate(format!(
        "{DRIFT_MARKER}\nschemagate compared {} director{} with their databases: {} drifted from the schema in git.\n\n{}",
        results.len(),
        if results.len() == 1 { "y" } else { "ies" },
        drifted.len(),
        secs.iter().filter(|s| s.has_changes || !s.ok).map(|s| format!("<details><summary><b>{}</b></summary>\n\n{}{}\n</details>\n", crate::report::escape::md_text(&s.dir), s.error.as_deref().map(|e| crate::report::escape::md_fence("", e)).unwrap_or_default(), s.markdown)).collect::<String>()
    ));
    match (existing, drifted.is_empty()) {
        (Some(n), false) => {
            ctx.gh.patch(&format!("/repos/{{repo}}/issues/{n}"), &json!({ "body": body }), "issues: write")?;
        }
        (None, false) => {
            ctx.gh.post("/repos/{repo}/issues", &json!({ "title": "Schema drift detected", "body": body, "labels": ["schemagate-drift"] }), "issues: write")?;
        }
        (Some(n), true) => {
            ctx.gh.patch(&format!("/repos/{{repo}}/issues/{n}"), &json!({ "body": format!("{DRIFT_MARKER}\nNo drift at the last check."), "state": "closed" }), "issues: write")?;
        }
        (None, true) => {}
    }
    ctx.summary.push_str(&format!("## schemagate drift\n\n{} of {} directories drifted.\n", drifted.len(), results.len()));
    record_outputs(ctx, &results);
    Ok(if results.iter().any(|r| !r.ok && !r.has_changes) { 1 } else { 0 })
}

fn matrix(ctx: &mut Ctx, event_name: &str, event: &Json) -> Result<i32> {
    let ts = if event_name.starts_with("pull_request") {
        let pr = PullRequest::from_json(&event["pull_request"]);
        let files = pr_files(ctx, &pr)?;
        targets_for(ctx, Some(&files), Some(&pr))?
    } else {
        targets_for(ctx, None, None)?
    };
    let m = json!({ "include": ts.iter().map(|t| json!({ "dir": t.dir })).collect::<Vec<_>>() });
    println!("{m}");
    ctx.outputs.insert("matrix", m.to_string());
    ctx.outputs.insert("has-changes", (!ts.is_empty()).to_string());
    Ok(0)
}
