//! `schemagate run plan|apply`: execute the matched workflow for each target directory — hooks,
//! `run`/`env` steps with Terrateam's environment, plan/apply steps — as the Action does.

mod db;
mod steps;

use super::config::Target;
use super::plan::{Format, LintArgs};
use crate::apply::dir_locks::Policy;
use crate::config::Loaded;
use crate::url::redact;
use anyhow::{anyhow, Result};
use db::{db_step, lock_step};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use steps::{blocking, env_step, run_step};

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
            // A run's output holds the pull request's names and SQL: in a GitHub Actions log it is
            // printed inert (no line of it is a workflow command), inside a collapsible group.
            let mut inner = Vec::new();
            let r = run_dir(a, loaded, t, &mut inner).await;
            let mut buf = Vec::new();
            let gha = crate::report::escape::in_github_actions();
            if gha {
                let _ = writeln!(buf, "::group::schemagate {} {}", a.op.name(), crate::report::escape::line(&t.dir));
            }
            buf.extend_from_slice(crate::report::escape::inert(&String::from_utf8_lossy(&inner)).as_bytes());
            if gha {
                let _ = writeln!(buf, "::endgroup::");
            }
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
