//! `schemagate run plan|apply`: execute the matched workflow for each target directory — hooks,
//! `run`/`env` steps with Terrateam's environment, plan/apply steps — as the Action does.

use super::config::Target;
use crate::apply::dir_locks::{self, Policy};
use crate::apply::Refused;
use crate::engine::Conn;
use crate::url::DbUrl;
use super::plan::{self as planner, ApplyArgs, Args as PlanArgs, Format, LintArgs};
use crate::config::Loaded;
use crate::url::redact;
use anyhow::{anyhow, Result};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Plan,
    Apply,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Plan => "plan",
            Op::Apply => "apply",
        }
    }
}

pub struct RunArgs {
    pub op: Op,
    pub root: PathBuf,
    pub lint: LintArgs,
    pub format: Format,
    /// TERRATEAM_RUN_KIND: pr, drift, …
    pub run_kind: String,
    /// The reviewed plan's hash an apply must match (refused otherwise).
    pub expected_hash: Option<String>,
    /// Directory locks (Terrateam's `lock_policy`) for the pull request this run is for.
    pub lock: Option<LockRun>,
}

/// A run on behalf of a pull request, with Terrateam's directory locks.
#[derive(Debug, Clone, Copy)]
pub struct LockRun {
    pub pr: u64,
    pub event: LockEvent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockEvent {
    /// Apply the plan (refused while another pull request owns the directory); `merged`: the
    /// pull request is already merged.
    Apply { merged: bool },
    /// Lock-only runs: the pull request merged without this directory being applied now, or
    /// `schemagate unlock`. They run the hooks and steps that provide credentials (`env`,
    /// `oidc`) and then touch only the lock table; `run` steps and the apply are skipped.
    Merge,
    Unlock,
}

impl LockRun {
    fn lock_only(&self) -> bool {
        !matches!(self.event, LockEvent::Apply { .. })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DirResult {
    pub dir: String,
    pub ok: bool,
    pub has_changes: bool,
    pub denied: bool,
    pub plan_hash: Option<String>,
    pub error: Option<String>,
    #[serde(skip)]
    pub output: String,
    #[serde(skip)]
    pub findings: Vec<crate::lint::Finding>,
    #[serde(skip)]
    pub outcome: Option<crate::plan::compute::Outcome>,
}

/// Run the workflow of every target, `parallel_runs` at a time (Terrateam's key, default 3).
/// Each run has its own environment (what its hooks export; see `runenv`), so runs cannot see
/// each other's credentials. A run's output is kept together and printed, in target order, as
/// soon as it and the runs before it have finished.
pub async fn run(a: &RunArgs, loaded: &Loaded, targets: &[Target], out: &mut dyn Write) -> Result<Vec<DirResult>> {
    use futures_util::stream::{self, StreamExt};
    let width = loaded.config.parallel_runs.max(1);
    let mut runs = stream::iter(targets)
        .map(|t| async move {
            let mut buf = Vec::new();
            let _ = writeln!(buf, "::group::schemagate {} {}", a.op.name(), t.dir);
            let r = run_dir(a, loaded, t, &mut buf).await;
            let _ = writeln!(buf, "::endgroup::");
            (r, buf)
        })
        .buffered(width);
    let mut results = Vec::new();
    while let Some((r, buf)) = runs.next().await {
        out.write_all(&buf)?;
        out.flush()?;
        results.push(r);
    }
    Ok(results)
}

/// Run a blocking closure (a child process, AWS calls) off the async workers, which other
/// directories' runs share.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| anyhow!("{e}"))?
}

fn steps_for(loaded: &Loaded, t: &Target, op: Op) -> (Vec<Json>, Vec<Json>, Vec<Json>) {
    let c = &loaded.config;
    let wf = t.workflow.map(|i| c.workflows[i].clone());
    let steps = match (op, &wf) {
        (Op::Plan, Some(w)) => w.plan.clone(),
        (Op::Apply, Some(w)) => w.apply.clone(),
        (Op::Plan, None) => vec![serde_json::json!({"type": "init"}), serde_json::json!({"type": "plan"})],
        (Op::Apply, None) => vec![serde_json::json!({"type": "init"}), serde_json::json!({"type": "apply"})],
    };
    let hooks = match op {
        Op::Plan => &c.hooks.plan,
        Op::Apply => &c.hooks.apply,
    };
    let pre: Vec<Json> = c.hooks.all.pre.iter().chain(&hooks.pre).cloned().collect();
    let post: Vec<Json> = c.hooks.all.post.iter().chain(&hooks.post).cloned().collect();
    (pre, steps, post)
}

async fn run_dir(a: &RunArgs, loaded: &Loaded, t: &Target, out: &mut dyn Write) -> DirResult {
    let mut r = DirResult { dir: t.dir.clone(), ok: true, has_changes: false, denied: false, plan_hash: None, error: None, output: String::new(), findings: vec![], outcome: None };
    let root = std::fs::canonicalize(&a.root).unwrap_or(a.root.clone());
    let dir_abs = root.join(&t.dir);
    // Terrateam's runner variables, plus schemagate's.
    let mut env: HashMap<String, String> = HashMap::from([
        ("TERRATEAM_ROOT".into(), root.display().to_string()),
        ("TERRATEAM_DIR".into(), t.dir.clone()),
        ("TERRATEAM_WORKSPACE".into(), "default".into()),
        ("TERRATEAM_RUN_KIND".into(), a.run_kind.clone()),
        ("SCHEMAGATE_DIR".into(), t.dir.clone()),
        ("SCHEMAGATE_OP".into(), a.op.name().into()),
    ]);
    if let Some(e) = &t.env {
        env.insert("SCHEMAGATE_ENV".into(), e.clone());
    }
    let (pre, steps, post) = steps_for(loaded, t, a.op);
    let policy = Policy::parse(t.workflow.map(|i| loaded.config.workflows[i].lock_policy.as_str()).unwrap_or("strict"));
    let lock_only = a.lock.is_some_and(|l| l.lock_only());
    let mut policy_dirs = a.lint.policy_dirs.clone();
    let mut failed = false;
    for (phase, list) in [("pre-hook", &pre), ("step", &steps), ("post-hook", &post)] {
        for s in list.iter() {
            let kind = s["type"].as_str().unwrap_or_default().to_string();
            let run_on = s["run_on"].as_str().unwrap_or("success");
            let should = match run_on {
                "always" => true,
                "failure" => failed,
                _ => !failed,
            };
            if !should {
                continue;
            }
            if lock_only && !matches!(kind.as_str(), "init" | "env" | "oidc" | "apply") {
                continue;
            }
            let _ = writeln!(out, "--- {phase} {kind}");
            let res: Result<()> = match kind.as_str() {
                "init" => Ok(()),
                "plan" | "apply" if kind != a.op.name() => Err(anyhow!("a `{kind}` step in the {} list", a.op.name())),
                "apply" if lock_only => lock_step(a, t, &env, policy, &mut r, out).await,
                "plan" | "apply" => db_step(a, t, &kind, &env, policy, &policy_dirs, loaded.config.parallel_runs, &mut r, out).await,
                "run" => {
                    let (s, dir, vars) = (s.clone(), dir_abs.clone(), env.clone());
                    blocking(move || run_step(&s, &dir, &vars)).await.and_then(|(text, res)| {
                        out.write_all(&text)?;
                        res
                    })
                }
                "env" => {
                    let (s, dir, vars) = (s.clone(), dir_abs.clone(), env.clone());
                    blocking(move || env_step(&s, &dir, &vars)).await.map(|set| env.extend(set))
                }
                "conftest" | "opa" => {
                    // schemagate's Rego lint: extra_args name policy paths for the plan steps.
                    for p in s["extra_args"].as_array().into_iter().flatten().filter_map(|x| x.as_str()) {
                        if !p.starts_with('-') {
                            policy_dirs.push(root.join(p));
                        }
                    }
                    if r.outcome.is_some() {
                        Err(anyhow!("`{kind}` runs before the plan step to add its policies"))
                    } else {
                        Ok(())
                    }
                }
                "oidc" => crate::cloud::oidc_step(s, &mut env).await,
                other => {
                    let _ = writeln!(out, "notice: step type `{other}` is not run by schemagate; skipped");
                    Ok(())
                }
            };
            if let Err(e) = res {
                let msg = redact(&crate::error::chain(&e));
                let _ = writeln!(out, "error: {phase} {kind} in {}: {msg}", t.dir);
                if s["ignore_errors"].as_bool() != Some(true) {
                    failed = true;
                    r.ok = false;
                    r.error.get_or_insert(msg);
                }
            }
        }
    }
    r
}

/// The target as this run sees it: atlas.hcl is read again now, in this run's environment, since
/// hooks may have provided what its getenv() and data sources need (OIDC credentials, secrets).
async fn connection(a: &RunArgs, t: &Target, env: &HashMap<String, String>) -> Result<Vec<Target>> {
    let mut t = t.clone();
    let atlas = a.root.join(&t.dir).join("atlas.hcl");
    if atlas.is_file() {
        let (env_name, vars) = (t.env.clone(), env.clone());
        let e = blocking(move || {
            crate::runenv::with(&vars, || {
                let p = crate::config::project::load(&atlas, &HashMap::new(), true)?;
                Ok(p.select(env_name.as_deref()).map_err(|e| anyhow!(e))?.cloned())
            })
        })
        .await?;
        if let Some(e) = e {
            if !e.tenants.is_empty() {
                // A multi-tenant env: one target per instance, named like `prod[acme]`.
                return Ok(e
                    .tenants
                    .iter()
                    .map(|tenant| {
                        let mut x = t.clone();
                        x.take_connection(tenant);
                        if !tenant.schemas.is_empty() {
                            x.schemas = tenant.schemas.clone();
                        }
                        if !tenant.exclude.is_empty() {
                            x.exclude = tenant.exclude.clone();
                        }
                        x.env = Some(tenant.name.clone());
                        x
                    })
                    .collect());
            }
            t.take_connection(&e);
        }
    } else {
        // Without atlas.hcl the URLs come from the environment, the run's first.
        if let Some(u) = env.get("DATABASE_URL").filter(|u| !u.is_empty()) {
            t.url = Some(u.clone());
        }
        if let Some(d) = env.get("SCHEMAGATE_DEV_URL").filter(|d| !d.is_empty()) {
            t.dev = Some(d.clone());
        }
    }
    Ok(vec![t])
}

/// The schema (PostgreSQL) or database (MySQL) of schemagate's own tables in a target.
const OWN_SCHEMA: &str = "schemagate";

async fn connect(url: &str) -> Result<Conn> {
    Conn::connect(&DbUrl::parse(url)?).await
}

/// A lock-only run: record the merge of a directory that was not applied now, or unlock.
async fn lock_step(a: &RunArgs, t: &Target, env: &HashMap<String, String>, policy: Policy, r: &mut DirResult, out: &mut dyn Write) -> Result<()> {
    let Some(l) = a.lock else { return Ok(()) };
    // A multi-tenant directory keeps its lock in the first tenant's database.
    let t = connection(a, t, env).await?.swap_remove(0);
    let url = t.url.ok_or_else(|| anyhow!("no database URL for {}: cannot reach its lock table", t.dir))?;
    let conn = connect(&url).await?;
    let pr = l.pr as i64;
    let res = match l.event {
        LockEvent::Unlock => dir_locks::release(&conn, OWN_SCHEMA, None, pr).await.map(|n| format!("unlocked: {n} lock(s) of pull request #{pr} released in this database\n")),
        _ => dir_locks::record(&conn, OWN_SCHEMA, &t.dir, pr, policy, false, true)
            .await
            .map(|held| if held { format!("locked: {} is owned by pull request #{pr} until its change is applied\n", t.dir) } else { String::new() }),
    };
    conn.close().await;
    let msg = res?;
    out.write_all(msg.as_bytes())?;
    r.output.push_str(&msg);
    Ok(())
}

fn plan_args(a: &RunArgs, t: &Target, policy_dirs: &[PathBuf]) -> Result<PlanArgs> {
    let url = t.url.clone().ok_or_else(|| anyhow!("no database URL for {}: add an atlas.hcl env with `url`, or set DATABASE_URL", t.env.as_deref().unwrap_or(&t.dir)))?;
    Ok(PlanArgs {
        lint: LintArgs { policy_dirs: policy_dirs.to_vec(), ..a.lint.clone() },
        url,
        to: t.src.clone(),
        dev_url: t.dev.clone(),
        schemas: t.schemas.clone(),
        exclude: t.exclude.clone(),
        vars: HashMap::new(),
        format: a.format,
        skip: t.skip.clone(),
        concurrent_index: crate::plan::ConcurrentIndex { add: t.concurrent_index.0, drop: t.concurrent_index.1 },
    })
}

/// One hash for a directory whose env has several tenants: over each tenant's name and plan
/// hash, so a change in any tenant changes it.
fn tenants_hash(parts: &[(String, String)]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (name, hash) in parts {
        h.update(format!("{name}={hash}\n"));
    }
    hex::encode(h.finalize())
}

/// Run `f` over `items` at most `width` at a time, results in order.
async fn bounded<T, F, R>(width: usize, items: &[T], f: F) -> Vec<R>
where
    F: Fn(&T) -> std::pin::Pin<Box<dyn std::future::Future<Output = R> + '_>>,
{
    use futures_util::stream::{self, StreamExt};
    stream::iter(items).map(f).buffered(width.max(1)).collect().await
}

#[allow(clippy::too_many_arguments)]
async fn db_step(a: &RunArgs, t: &Target, kind: &str, env: &HashMap<String, String>, policy: Policy, policy_dirs: &[PathBuf], width: usize, r: &mut DirResult, out: &mut dyn Write) -> Result<()> {
    let targets = connection(a, t, env).await?;
    let multi = targets.len() > 1 || targets.iter().any(|x| x.env.as_deref().is_some_and(|e| e.ends_with(']')));
    let args: Vec<(String, PlanArgs)> = targets.iter().map(|x| Ok((x.env.clone().unwrap_or_default(), plan_args(a, x, policy_dirs)?))).collect::<Result<_>>()?;
    if kind == "plan" {
        let results = bounded(width, &args, |(_, pa)| Box::pin(planner::plan(pa))).await;
        let mut hashes = Vec::new();
        let (mut failure, mut changed) = (None, 0usize);
        for ((name, _), res) in args.iter().zip(results) {
            if multi {
                let _ = writeln!(out, "== tenant {name}");
                r.output.push_str(&format!("== tenant {name}\n"));
            }
            let (o, findings, text) = match res {
                Ok(x) => x,
                Err(e) if multi => {
                    let _ = writeln!(out, "error: {}", redact(&crate::error::chain(&e)));
                    failure.get_or_insert(anyhow!("tenant {name}: {}", crate::error::chain(&e)));
                    continue;
                }
                Err(e) => return Err(e),
            };
            write!(out, "{text}")?;
            r.output.push_str(&text);
            r.has_changes |= !o.plan.is_empty();
            changed += usize::from(!o.plan.is_empty());
            r.denied |= findings.iter().any(|f| f.blocks());
            hashes.push((name.clone(), o.plan.hash.clone()));
            if o.verified == Some(false) {
                failure.get_or_insert(anyhow!("the plan{} is unverified", if multi { format!(" of tenant {name}") } else { String::new() }));
            }
            r.findings.extend(findings);
            // The report shows one plan: the first tenant that has changes (all are in the output).
            if r.outcome.as_ref().is_none_or(|x| x.plan.is_empty() && !o.plan.is_empty()) {
                r.outcome = Some(o);
            }
        }
        r.plan_hash = Some(if multi { tenants_hash(&hashes) } else { hashes.first().map(|h| h.1.clone()).unwrap_or_default() });
        if multi {
            let _ = writeln!(out, "tenants: {} planned, {changed} with changes; directory plan hash {}", hashes.len(), r.plan_hash.as_deref().unwrap_or(""));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if r.denied {
            return Err(anyhow!("policy denied the plan"));
        }
        return Ok(());
    }

    // Apply. The reviewed hash of a multi-tenant directory covers every tenant: plan them all
    // first, compare, then apply each pinned to the plan just checked.
    let mut pinned: Vec<Option<String>> = vec![a.expected_hash.clone(); args.len()];
    if multi {
        if let Some(expected) = &a.expected_hash {
            let plans = bounded(width, &args, |(_, pa)| Box::pin(planner::plan(pa))).await;
            let mut hashes = Vec::new();
            for ((name, _), p) in args.iter().zip(plans) {
                hashes.push((name.clone(), p?.0.plan.hash));
            }
            let now = tenants_hash(&hashes);
            if &now != expected {
                return Err(Refused(format!("refusing to apply: the plan computed now ({}) is not the reviewed plan ({expected}) for these tenants", &now[..12])).into());
            }
            pinned = hashes.into_iter().map(|(_, h)| Some(h)).collect();
        }
    }
    let lock_url = args[0].1.url.clone();
    // Terrateam's directory lock: refuse while another pull request owns the directory.
    let locks = match a.lock {
        Some(LockRun { pr, event: LockEvent::Apply { merged } }) if policy != Policy::None => {
            let conn = connect(&lock_url).await?;
            if let Some(other) = dir_locks::claim_for_apply(&conn, OWN_SCHEMA, &t.dir, pr as i64, policy).await? {
                conn.close().await;
                return Err(Refused(format!(
                    "{} is locked by pull request #{} (its change is {}).\n  hint: finish that change first, or comment `schemagate unlock` on #{}; then plan again",
                    t.dir,
                    other.pr,
                    other.pending(),
                    other.pr
                ))
                .into());
            }
            Some((conn, pr as i64, merged))
        }
        _ => None,
    };
    let jobs: Vec<(String, ApplyArgs)> = args
        .into_iter()
        .zip(pinned)
        .map(|((name, common), plan_hash)| (name, ApplyArgs { common, auto_approve: true, dry_run: false, plan_hash, lock_timeout: std::time::Duration::from_secs(60), revisions_schema: OWN_SCHEMA.into() }))
        .collect();
    let results = bounded(width, &jobs, |(_, aa)| {
        Box::pin(async move {
            let mut buf = Vec::new();
            let res = planner::apply(aa, &mut buf).await;
            (res, buf)
        })
    })
    .await;
    let mut buf = Vec::new();
    let mut first_err = None;
    let mut hashes = Vec::new();
    for ((name, _), (res, text)) in jobs.iter().zip(results) {
        if multi {
            let _ = writeln!(buf, "== tenant {name}");
        }
        buf.extend_from_slice(&text);
        match res {
            Ok(o) => {
                r.has_changes |= !o.plan.is_empty();
                hashes.push((name.clone(), o.plan.hash.clone()));
                if r.outcome.as_ref().is_none_or(|x| x.plan.is_empty() && !o.plan.is_empty()) {
                    r.outcome = Some(o);
                }
            }
            Err(e) => {
                let _ = writeln!(buf, "error: {}", redact(&crate::error::chain(&e)));
                first_err.get_or_insert(if multi { e.context(format!("tenant {name}")) } else { e });
            }
        }
    }
    if let Some((conn, pr, merged)) = locks {
        // Recorded whatever the outcome: a failed apply keeps the lock (Terrateam does too).
        match dir_locks::record(&conn, OWN_SCHEMA, &t.dir, pr, policy, first_err.is_none(), merged).await {
            Ok(true) => {
                let _ = writeln!(buf, "locked: {} is owned by pull request #{pr} until its change is {}", t.dir, if merged { "applied" } else { "merged" });
            }
            Ok(false) => {}
            Err(e) => {
                let _ = writeln!(buf, "warning: could not record the directory lock: {}", redact(&crate::error::chain(&e)));
            }
        }
        conn.close().await;
    }
    if multi {
        let _ = writeln!(buf, "tenants: {} applied, {} failed", hashes.len(), jobs.len() - hashes.len());
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    write!(out, "{text}")?;
    r.output.push_str(&text);
    r.plan_hash = Some(if multi { tenants_hash(&hashes) } else { hashes.first().map(|h| h.1.clone()).unwrap_or_default() });
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn command(s: &Json) -> Result<Vec<String>> {
    let cmd: Vec<String> = s["cmd"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(String::from)).collect();
    if cmd.is_empty() {
        return Err(anyhow!("`cmd` is empty"));
    }
    Ok(cmd)
}

/// A `run` step: its output (stdout then stderr) and whether it succeeded.
fn run_step(s: &Json, dir: &Path, env: &HashMap<String, String>) -> Result<(Vec<u8>, Result<()>)> {
    let cmd = command(s)?;
    let mut c = Command::new(&cmd[0]);
    c.args(&cmd[1..]).current_dir(dir).envs(env);
    if let Some(m) = s["env"].as_object() {
        for (k, v) in m {
            c.env(k, v.as_str().unwrap_or_default());
        }
    }
    let o = c.output().map_err(|e| anyhow!("cannot run {:?}: {e}", cmd[0]))?;
    let mut text = o.stdout;
    text.extend_from_slice(&o.stderr);
    let res = if o.status.success() { Ok(()) } else { Err(anyhow!("{:?} exited with {}", cmd.join(" "), o.status.code().unwrap_or(-1))) };
    Ok((text, res))
}

/// `env` steps: `method: exec` sets `name` to the command's output; `method: source` imports
/// the variables a script exports. Returns what to add to the run's environment, which later
/// steps and atlas.hcl's getenv() see (the process environment is left alone: other
/// directories' runs share it).
fn env_step(s: &Json, dir: &Path, env: &HashMap<String, String>) -> Result<Vec<(String, String)>> {
    let cmd = command(s)?;
    let method = s["method"].as_str().unwrap_or("exec");
    if method == "source" {
        let o = Command::new("bash").arg("-c").arg("set -a; source \"$@\" >/dev/null; env -0").arg("schemagate-env").args(&cmd).current_dir(dir).envs(env).output()?;
        if !o.status.success() {
            return Err(anyhow!("sourcing {:?} failed: {}", cmd.join(" "), String::from_utf8_lossy(&o.stderr).trim()));
        }
        let mut set = Vec::new();
        for kv in o.stdout.split(|b| *b == 0) {
            let kv = String::from_utf8_lossy(kv);
            if let Some((k, v)) = kv.split_once('=') {
                // Only what the script changed: the rest is the environment it was given.
                if env.get(k).cloned().or_else(|| std::env::var(k).ok()).as_deref() != Some(v) {
                    set.push((k.to_string(), v.to_string()));
                }
            }
        }
        return Ok(set);
    }
    let name = s["name"].as_str().ok_or_else(|| anyhow!("an exec `env` step needs `name`"))?;
    let o = Command::new(&cmd[0]).args(&cmd[1..]).current_dir(dir).envs(env).output().map_err(|e| anyhow!("cannot run {:?}: {e}", cmd[0]))?;
    if !o.status.success() {
        return Err(anyhow!("{:?} exited with {}", cmd.join(" "), o.status.code().unwrap_or(-1)));
    }
    let mut v = String::from_utf8_lossy(&o.stdout).into_owned();
    if s["trim_trailing_newlines"].as_bool() != Some(false) {
        v = v.trim_end_matches('\n').to_string();
    }
    if s["sensitive"].as_bool() == Some(true) {
        println!("::add-mask::{}", crate::cloud::mask_escape(&v));
    }
    Ok(vec![(name.to_string(), v)])
}
