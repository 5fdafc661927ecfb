//! The plan and apply steps of a directory's run: its connection (atlas.hcl read in the run's
//! environment; one target per tenant of a `for_each` env), Terrateam's directory locks, and
//! the lock-only runs (merge without apply, unlock).

use super::{DirResult, LockEvent, LockRun, RunArgs};
use crate::apply::dir_locks::{self, Policy};
use crate::apply::Refused;
use crate::cli::config::Target;
use crate::cli::plan::{self as planner, ApplyArgs, Args as PlanArgs, LintArgs};
use crate::engine::Conn;
use crate::url::{redact, DbUrl};
use anyhow::{anyhow, Result};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use super::steps::blocking;

/// The target as this run sees it: atlas.hcl is read again now, in this run's environment, since
/// hooks may have provided what its getenv() and data sources need (OIDC credentials, secrets).
async fn connection(a: &RunArgs, t: &Target, env: &HashMap<String, String>) -> Result<Vec<Target>> {
    let mut t = t.clone();
    let atlas = a.root.join(&t.dir).join("atlas.hcl");
    if atlas.is_file() {
        let (env_name, vars, given) = (t.env.clone(), env.clone(), t.vars.clone().into_iter().collect::<HashMap<_, _>>());
        let e = blocking(move || {
            crate::runenv::with(&vars, || {
                let p = crate::config::project::load(&atlas, &given, true)?;
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
            if !t.pinned {
                t.take_connection(&e);
            }
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
pub(super) async fn lock_step(a: &RunArgs, t: &Target, env: &HashMap<String, String>, policy: Policy, r: &mut DirResult, out: &mut dyn Write) -> Result<()> {
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
        lint: LintArgs { policy_dirs: policy_dirs.to_vec(), analyzers: t.analyzers.clone(), ..a.lint.clone() },
        url,
        to: t.src.clone(),
        dev_url: t.dev.clone(),
        schemas: t.schemas.clone(),
        exclude: t.exclude.clone(),
        roles: t.roles.clone(),
        vars: t.vars.clone().into_iter().collect(),
        format: a.format,
        skip: t.skip.clone(),
        concurrent_index: crate::plan::ConcurrentIndex { add: t.concurrent_index.0, drop: t.concurrent_index.1, ..Default::default() },
    })
}

/// The report shows one plan: the first tenant's that has changes (every tenant's is in the
/// output).
fn keep_for_report(r: &mut DirResult, o: crate::plan::compute::Outcome) {
    if r.outcome.as_ref().is_none_or(|x| x.plan.is_empty() && !o.plan.is_empty()) {
        r.outcome = Some(o);
    }
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
pub(super) async fn db_step(a: &RunArgs, t: &Target, kind: &str, env: &HashMap<String, String>, policy: Policy, policy_dirs: &[PathBuf], width: usize, r: &mut DirResult, out: &mut dyn Write) -> Result<()> {
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
            keep_for_report(r, o);
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
        .map(|((name, common), plan_hash)| (name, ApplyArgs { common, auto_approve: true, dry_run: false, plan_hash, lock_timeout: std::time::Duration::from_secs(60), revisions_schema: OWN_SCHEMA.into(), traffic: crate::apply::traffic::Traffic::with_project(&t.traffic), clean: false }))
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
                keep_for_report(r, o);
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
