//! Lint: every plan is checked by Rego policies (regorus, in-process). The input document is
//! the plan's changes plus facts from the target; `policies/` decides what is denied, warned, and
//! overridden. See docs/policies.md.

pub mod facts;
pub mod input;
pub mod lossy;
pub mod policies;
pub mod sandbox;
pub mod tests;

use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    pub code: String,
    /// "error" (deny) or "warning" (warn).
    pub severity: String,
    pub msg: String,
    pub target: String,
    /// Index of the change in the input document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<u64>,
    /// Where the desired object is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::schema::Pos>,
    /// Why the finding does not block, when an override applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
}

impl Finding {
    pub fn blocks(&self) -> bool {
        self.severity == "error" && self.overridden.is_none()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Options {
    /// Directories (or files) of extra `.rego` policies.
    pub policy_dirs: Vec<PathBuf>,
    /// JSON documents merged into `data.schemagate.config` (allow lists, naming rules).
    pub data: Vec<Json>,
}

/// regorus reports a syntax error as a rustc-style block (`--> file:line:col`, the source line,
/// a caret, `error: message`); turn it into this tool's one-line form `file:line:col: message`
/// with the snippet below, as for HCL and YAML.
pub fn rego_error(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    let at = lines.iter().find_map(|l| l.trim_start().strip_prefix("--> "));
    let msg = lines.iter().rev().find_map(|l| l.strip_prefix("error: "));
    match (at, msg) {
        (Some(at), Some(msg)) => {
            // The gutter lines: `  |`, `6 | source`, `  | ^`.
            let snippet: Vec<&str> = lines.iter().filter(|l| l.split_once('|').is_some_and(|(g, _)| g.trim().chars().all(|c| c.is_ascii_digit()))).copied().collect();
            format!("{at}: Rego syntax error: {msg}\n{}", snippet.join("\n"))
        }
        _ => text.trim().to_string(),
    }
}

/// `.rego` files of a directory, not recursing, tests excluded unless asked for.
pub fn rego_files(p: &Path, with_tests: bool) -> Result<Vec<PathBuf>> {
    if p.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(p)
        .with_context(|| format!("cannot read policy directory {}", p.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|f| f.extension().is_some_and(|x| x == "rego"))
        .filter(|f| with_tests || !f.file_stem().is_some_and(|s| s.to_string_lossy().ends_with("_test")))
        .collect();
    out.sort();
    Ok(out)
}

/// A regorus engine holding the default policies, the user's, and the data document.
pub fn engine(opts: &Options, with_tests: bool) -> Result<regorus::Engine> {
    let mut e = regorus::Engine::new();
    // A runaway rule stops with an error instead of running on (checked every 1,000 steps).
    e.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig { limit: sandbox::time_limit(), check_interval: std::num::NonZeroU32::new(1000).expect("non-zero") });
    for (path, src) in policies::RULES.iter().chain(if with_tests { policies::TESTS } else { &[] }) {
        e.add_policy(path.to_string(), src.to_string()).map_err(|err| anyhow!("built-in policy {path}: {err}"))?;
    }
    for dir in &opts.policy_dirs {
        for f in rego_files(dir, with_tests)? {
            let src = std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
            // regorus renders `path:line:col` with a caret; keep it as is.
            e.add_policy(f.display().to_string(), src).map_err(|err| anyhow!("{}", rego_error(&err.to_string())))?;
        }
    }
    let mut config = serde_json::Map::new();
    for d in &opts.data {
        if let Json::Object(m) = d {
            config.extend(m.clone());
        }
    }
    let data = serde_json::json!({ "schemagate": { "config": Json::Object(config) } });
    e.add_data(regorus::Value::from_json_str(&data.to_string()).map_err(|err| anyhow!("{err}"))?).map_err(|err| anyhow!("{err}"))?;
    Ok(e)
}

fn to_json(v: &regorus::Value) -> Result<Json> {
    let s = v.to_json_str().map_err(|e| anyhow!("{e}"))?;
    Ok(serde_json::from_str(&s)?)
}

/// The value of a query (a whole package tree or one rule); null when undefined.
fn query(e: &mut regorus::Engine, q: &str) -> Result<Json> {
    let r = e.eval_query(q.to_string(), false).map_err(|err| anyhow!("{err}"))?;
    match r.result.first().and_then(|x| x.expressions.first()) {
        Some(x) => to_json(&x.value),
        None => Ok(Json::Null),
    }
}

/// Evaluate every `deny` and `warn` of `data.schemagate.rules.*`, then the overrides: in the
/// policy worker when the command set one up ([`sandbox`]), else here.
pub fn evaluate(opts: &Options, input: &Json) -> Result<Vec<Finding>> {
    let req = serde_json::json!({ "opts": opts, "input": input });
    let v = sandbox::run(sandbox::Job::Evaluate, &req, || Ok(serde_json::to_value(evaluate_here(opts, input)?)?))?;
    Ok(serde_json::from_value(v)?)
}

/// [`evaluate`] in this process.
pub fn evaluate_here(opts: &Options, input: &Json) -> Result<Vec<Finding>> {
    let mut e = engine(opts, false)?;
    e.set_input(input_value(input)?);
    let mut findings = Vec::new();
    for (family, rules) in evaluate_families(&e)? {
        // atlas.hcl `lint { <analyzer> { error = bool } }` sets the family's severity.
        let forced = input["overrides"]["analyzers"][atlas_analyzer(&family)]["error"].as_bool();
        for (rule, severity) in [("deny", "error"), ("warn", "warning")] {
            let Some(set) = rules.get(rule) else { continue };
            let severity = match forced {
                Some(true) => "error",
                Some(false) => "warning",
                None => severity,
            };
            for f in set.as_array().into_iter().flatten() {
                findings.push(parse_finding(f, severity).with_context(|| format!("policy family {family}: {rule} produced {f}"))?);
            }
        }
    }
    findings.sort_by(|a, b| (a.severity != "error", &a.code, &a.target).cmp(&(b.severity != "error", &b.code, &b.target)));
    findings.dedup_by(|a, b| a.code == b.code && a.target == b.target && a.severity == b.severity);
    // Overrides: the policies decide, from the findings and the input's override sources. With
    // no source at all nothing can be overridden, and the pass (a second copy of the input plus
    // every finding into the engine) is skipped.
    if !findings.is_empty() && may_override(opts, input) {
        let mut with_findings = input.clone();
        with_findings["findings"] = serde_json::to_value(&findings)?;
        e.set_input(input_value(&with_findings)?);
        let reasons = query(&mut e, "data.schemagate.overrides.reasons").context("evaluating overrides")?;
        for f in &mut findings {
            if let Some(r) = reasons.get(format!("{}|{}", f.code, f.target)).and_then(|r| r.as_str()) {
                f.overridden = Some(r.to_string());
            }
        }
    }
    // Source positions come from the change the finding names.
    for f in &mut findings {
        if let Some(id) = f.change {
            if let Some(src) = input["changes"].get(id as usize).and_then(|c| c.get("source")) {
                f.source = serde_json::from_value(src.clone()).ok();
            }
        }
    }
    Ok(findings)
}

/// Atlas's analyzer name for a policy family (the name atlas.hcl's `lint` block uses): the same,
/// except that Atlas calls the PostgreSQL lock rules `concurrent_index`.
fn atlas_analyzer(family: &str) -> &str {
    match family {
        "postgres" => "concurrent_index",
        other => other,
    }
}

/// Every `data.schemagate.rules.<family>`, evaluated: the families are independent, so they are
/// shared between two threads, each with its own copy of the engine (the machines have two
/// cores; evaluation is all interpretation).
fn evaluate_families(e: &regorus::Engine) -> Result<Vec<(String, Json)>> {
    let packages: std::collections::BTreeSet<String> = e.get_packages().map_err(|err| anyhow!("{err}"))?.into_iter().filter(|p| p.starts_with("data.schemagate.rules.")).collect();
    let packages: Vec<String> = packages.into_iter().collect();
    let run = |names: Vec<&String>| -> Result<Vec<(String, Json)>> {
        let mut e = e.clone();
        let mut out = Vec::new();
        for p in names {
            let family = p.trim_start_matches("data.schemagate.rules.");
            sandbox::progress("start", family);
            let v = query(&mut e, p).map_err(|err| {
                let family = p.trim_start_matches("data.schemagate.rules.");
                if err.to_string().contains("exceeded time limit") {
                    anyhow!("policy {family} exceeded {} s and was stopped (SCHEMAGATE_POLICY_TIMEOUT)", sandbox::time_limit().as_secs_f64())
                } else {
                    err.context(format!("evaluating {p}"))
                }
            })?;
            sandbox::progress("done", family);
            out.push((p.trim_start_matches("data.schemagate.rules.").to_string(), v));
        }
        Ok(out)
    };
    let a: Vec<&String> = packages.iter().step_by(2).collect();
    let b: Vec<&String> = packages.iter().skip(1).step_by(2).collect();
    let (ra, rb) = std::thread::scope(|s| {
        let h = s.spawn(|| run(b));
        (run(a), h.join().unwrap_or_else(|_| Err(anyhow!("policy evaluation panicked"))))
    });
    let mut out = ra?;
    out.extend(rb?);
    Ok(out)
}

/// The input document as regorus reads it, with what every finding needs computed once in Rust
/// rather than per rule in Rego (interpretation is what lint time is made of):
/// - `kinds` (kind → change ids): each built-in rule asks `lib.of_kind` for its own kind instead
///   of scanning every change, which keeps lint linear in the changes rather than changes × rules;
/// - on each change, `target` (what `lib.target` would build), `rows` (the table's row count,
///   -1 when unknown) and `facts` (its entry of `facts.changes`, {} when none), which the rules
///   read instead of calling helpers (see policies/lib.rego).
fn input_value(input: &Json) -> Result<regorus::Value> {
    use serde::Deserialize;
    let mut v = regorus::Value::deserialize(input).map_err(|err| anyhow!("{err}"))?;
    let Some(changes) = input["changes"].as_array() else { return Ok(v) };
    let mut kinds: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, c) in changes.iter().enumerate() {
        if let Some(k) = c["kind"].as_str() {
            kinds.entry(k).or_default().push(i);
        }
    }
    let mut index = regorus::Value::new_object();
    {
        let m = index.as_object_mut().map_err(|err| anyhow!("{err}"))?;
        for (k, ids) in kinds {
            m.insert(regorus::Value::from(k), regorus::Value::from(ids.into_iter().map(|i| regorus::Value::from(i as u64)).collect::<Vec<_>>()));
        }
    }
    let facts = &input["facts"];
    let m = v.as_object_mut().map_err(|err| anyhow!("{err}"))?;
    m.insert(regorus::Value::from("kinds"), index);
    if let Some(list) = m.get_mut(&regorus::Value::from("changes")) {
        for (c, rc) in changes.iter().zip(list.as_array_mut().map_err(|err| anyhow!("{err}"))?.iter_mut()) {
            let Ok(o) = rc.as_object_mut() else { continue };
            if let Some(t) = target(c) {
                o.insert(regorus::Value::from("target"), regorus::Value::from(t));
            }
            let rows = match (c["schema"].as_str(), c["table"].as_str()) {
                (Some(s), Some(t)) => facts["tables"][format!("{s}.{t}")]["rows"].as_i64(),
                _ => None,
            };
            o.insert(regorus::Value::from("rows"), regorus::Value::from(rows.unwrap_or(-1)));
            let change_facts = match c["id"].as_u64().and_then(|id| facts["changes"].get(id.to_string())) {
                Some(f) => regorus::Value::deserialize(f).map_err(|err| anyhow!("{err}"))?,
                None => regorus::Value::new_object(),
            };
            o.insert(regorus::Value::from("facts"), change_facts);
        }
    }
    Ok(v)
}

/// What a finding about change `c` names: its `object`, else `schema.table.column`,
/// `schema.table index` (constraint, policy), `schema.table`, `schema.name`, or the schema —
/// exactly what `lib.target` in policies/lib.rego computes, which stays for inputs written by
/// hand (policy tests). None where a name is not a string: `lib.target` decides then.
/// `target_is_lib_target` keeps the two in step.
fn target(c: &Json) -> Option<String> {
    const NAMES: [&str; 8] = ["object", "schema", "table", "column", "index", "constraint", "policy", "name"];
    if NAMES.iter().any(|k| c.get(*k).is_some_and(|v| !v.is_string())) {
        return None;
    }
    let f = |k: &str| c.get(k).and_then(|v| v.as_str());
    if let Some(o) = f("object") {
        return Some(o.to_string());
    }
    // Each branch of lib.target needs its names; one that lacks them falls through to the next.
    let (schema, table) = (f("schema"), f("table"));
    if let (Some(s), Some(t), Some(col)) = (schema, table, f("column")) {
        return Some(format!("{s}.{t}.{col}"));
    }
    for part in ["index", "constraint", "policy"] {
        if let (Some(s), Some(t), Some(p)) = (schema, table, f(part)) {
            return Some(format!("{s}.{t} {p}"));
        }
    }
    if let (Some(s), Some(t)) = (schema, table) {
        return Some(format!("{s}.{t}"));
    }
    if let (Some(s), Some(n)) = (schema, f("name")) {
        return Some(format!("{s}.{n}"));
    }
    schema.map(String::from)
}

/// Whether any override source is present: nolint comments, an allow list in the policy data,
/// the allow label on the pull request — or policies of the user's, which may add reasons of
/// their own to `data.schemagate.overrides`.
fn may_override(opts: &Options, input: &Json) -> bool {
    let nolint = input["overrides"]["nolint"].as_object().is_some_and(|m| !m.is_empty());
    let allow_list = opts.data.iter().any(|d| ["allow_drop_column", "allow_drop_table"].iter().any(|k| d[k].as_array().is_some_and(|a| !a.is_empty())));
    let label = input["overrides"]["allow_destructive_label"].as_str().is_some_and(|l| input["labels"].as_array().is_some_and(|ls| ls.iter().any(|x| x.as_str() == Some(l))));
    let flag = input["overrides"]["allow_destructive"].as_bool() == Some(true);
    nolint || allow_list || label || flag || !opts.policy_dirs.is_empty()
}

/// A finding object from a policy: `{code, msg, target}` required, severity from the rule
/// (`deny` = error) unless the object says otherwise.
fn parse_finding(v: &Json, default_severity: &str) -> Result<Finding> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
    match v {
        Json::String(msg) => Ok(Finding { code: "POLICY".into(), severity: default_severity.into(), msg: msg.clone(), target: String::new(), change: None, source: None, overridden: None }),
        Json::Null | Json::Bool(_) | Json::Number(_) | Json::Array(_) | Json::Object(_) => Ok(Finding {
            code: s("code").ok_or_else(|| anyhow!("a finding needs a `code`"))?,
            severity: if default_severity == "error" { "error".into() } else { s("severity").unwrap_or_else(|| default_severity.into()) },
            msg: s("msg").unwrap_or_default(),
            target: s("target").unwrap_or_default(),
            change: v.get("change").and_then(|c| c.as_u64()),
            source: None,
            overridden: None,
        }),
    }
}

#[cfg(test)]
mod precomputed {
    use super::*;

    /// The target Rust puts on each change is the one `lib.target` computes from the same change.
    #[test]
    fn target_is_lib_target() {
        let mut e = engine(&Options::default(), false).unwrap();
        let cases = [
            serde_json::json!({"schema": "public", "table": "users", "column": "name"}),
            serde_json::json!({"schema": "public", "table": "users", "index": "users_name_idx"}),
            serde_json::json!({"schema": "public", "table": "users", "constraint": "users_fk"}),
            serde_json::json!({"schema": "public", "table": "users", "policy": "own_rows"}),
            serde_json::json!({"schema": "public", "table": "users"}),
            serde_json::json!({"schema": "public", "name": "mood"}),
            serde_json::json!({"schema": "public"}),
            serde_json::json!({"schema": "public", "object": "TABLE public.users", "grantee": "app"}),
            serde_json::json!({"schema": "public", "column": "orphan"}),
            serde_json::json!({"table": "users", "column": "no_schema"}),
            serde_json::json!({"schema": "public", "table": "", "index": ""}),
            serde_json::json!({"schema": "public", "table": "t", "column": 3}),
        ];
        for c in cases {
            let q = format!("data.schemagate.lib.target({c})");
            let r = e.eval_query(q, false).unwrap();
            let rego = r.result.first().and_then(|x| x.expressions.first()).and_then(|x| x.value.as_string().ok().map(|s| s.to_string()));
            // Names that are not strings are left to lib.target (None here).
            let leaves_it = c.as_object().unwrap().values().any(|v| !v.is_string());
            assert_eq!(target(&c), if leaves_it { None } else { rego }, "{c}");
        }
    }

    /// Row counts and facts reach each change, so rules read them without a lookup.
    #[test]
    fn changes_carry_rows_and_facts() {
        let doc = serde_json::json!({
            "changes": [{"id": 0, "kind": "add_column", "schema": "s", "table": "t", "column": "c"}],
            "facts": {"tables": {"s.t": {"rows": 7}}, "changes": {"0": {"has_nulls": true}}},
        });
        let v = input_value(&doc).unwrap();
        let c = &v["changes"][0];
        assert_eq!(c["target"], regorus::Value::from("s.t.c"));
        assert_eq!(c["rows"], regorus::Value::from(7i64));
        assert_eq!(c["facts"]["has_nulls"], regorus::Value::from(true));
        assert_eq!(v["kinds"]["add_column"][0], regorus::Value::from(0u64));
        // Unknown: -1 rows and no facts, as lib.rows and lib.facts say for inputs by hand.
        let doc = serde_json::json!({"changes": [{"id": 0, "kind": "drop_table", "schema": "s", "table": "u"}], "facts": {}});
        let v = input_value(&doc).unwrap();
        assert_eq!(v["changes"][0]["rows"], regorus::Value::from(-1i64));
        assert_eq!(v["changes"][0]["facts"], regorus::Value::new_object());
    }
}
