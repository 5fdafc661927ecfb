//! Apply requirements as Terrateam evaluates them, from the first `apply_requirements.checks`
//! entry whose tag query matches: approvals (latest non-comment review per user), status checks
//! (other than schemagate's own), merge conflicts, ready-for-review.

use super::client::Client;
use super::PullRequest;
use crate::config::{tag_query, Config, RequirementCheck};
use anyhow::Result;
use serde_json::Value as Json;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub passed: bool,
    pub reasons: Vec<String>,
}

pub fn check_for<'a>(config: &'a Config, tags: &[String], dir: &str) -> Option<&'a RequirementCheck> {
    config.apply_requirements.checks.iter().find(|c| tag_query::parse(&c.tag_query).map(|q| q.matches(tags, dir)).unwrap_or(false))
}

/// Approving logins: the latest review of each user that is not a plain comment.
pub fn approvers(reviews: &[Json]) -> Vec<String> {
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for r in reviews {
        let (Some(user), Some(state)) = (r["user"]["login"].as_str(), r["state"].as_str()) else { continue };
        if state == "COMMENTED" {
            continue;
        }
        latest.insert(user.to_string(), state.to_string());
    }
    latest.into_iter().filter(|(_, s)| s == "APPROVED").map(|(u, _)| u).collect()
}

fn matcher_hits(m: &str, login: &str) -> bool {
    m == "*" || m == login || m.strip_prefix("user:").is_some_and(|u| u == login)
}

pub fn evaluate(gh: &Client, pr: &PullRequest, check: Option<&RequirementCheck>, before_merge: bool) -> Result<Verdict> {
    let Some(c) = check else { return Ok(Verdict { passed: true, reasons: vec![] }) };
    let mut v = Verdict { passed: true, reasons: vec![] };
    let mut fail = |msg: String| {
        v.passed = false;
        v.reasons.push(msg);
    };
    if c.approved.enabled {
        let reviews = gh.get_all(&format!("/repos/{{repo}}/pulls/{}/reviews", pr.number), "pull-requests: read")?;
        let ok = approvers(&reviews);
        for need in &c.approved.all_of {
            if !ok.iter().any(|l| matcher_hits(need, l)) {
                fail(format!("approval from {need} is required"));
            }
        }
        let counted = if c.approved.any_of.is_empty() { ok.len() } else { ok.iter().filter(|l| c.approved.any_of.iter().any(|m| matcher_hits(m, l))).count() };
        if counted < c.approved.any_of_count {
            fail(format!("{} approval(s) required, {counted} given", c.approved.any_of_count));
        }
    }
    if c.status_checks.enabled {
        let runs = gh.get_all(&format!("/repos/{{repo}}/commits/{}/check-runs", pr.head_sha), "checks: read")?;
        let ignore: Vec<regex::Regex> = c.status_checks.ignore_matching.iter().filter_map(|p| regex::Regex::new(p).ok()).collect();
        for r in runs {
            let name = r["name"].as_str().unwrap_or_default();
            if name.starts_with("schemagate") || ignore.iter().any(|re| re.is_match(name)) {
                continue;
            }
            let good = r["status"] == "completed" && matches!(r["conclusion"].as_str(), Some("success" | "neutral" | "skipped"));
            if !good {
                fail(format!("check \"{name}\" is {}", r["conclusion"].as_str().or(r["status"].as_str()).unwrap_or("unknown")));
            }
        }
        let status = gh.get(&format!("/repos/{{repo}}/commits/{}/status", pr.head_sha), "statuses: read")?;
        for s in status["statuses"].as_array().into_iter().flatten() {
            let ctx = s["context"].as_str().unwrap_or_default();
            if ctx.starts_with("schemagate") || ignore.iter().any(|re| re.is_match(ctx)) {
                continue;
            }
            if s["state"] != "success" {
                fail(format!("status \"{ctx}\" is {}", s["state"].as_str().unwrap_or("unknown")));
            }
        }
    }
    if before_merge {
        if c.merge_conflicts.enabled && pr.mergeable == Some(false) {
            fail("the pull request has merge conflicts".into());
        }
        if c.require_ready_for_review_pr && pr.draft {
            fail("the pull request is a draft".into());
        }
        if c.apply_after_merge.enabled {
            fail("apply_after_merge: this directory is applied only after the pull request merges".into());
        }
    }
    Ok(v)
}
