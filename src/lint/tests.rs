//! `schemagate policy test`: run every `test_*` rule of the loaded policies (regorus has no test
//! runner). A test passes when its rule evaluates to true.

use super::Options;
use anyhow::{anyhow, Result};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    pub error: Option<String>,
}

/// Run the tests, in the policy worker when the command set one up (see `lint::sandbox`).
pub fn run(opts: &Options) -> Result<Vec<TestResult>> {
    let req = serde_json::json!({ "opts": opts });
    let v = super::sandbox::run(super::sandbox::Job::Test, &req, || Ok(serde_json::to_value(run_here(opts)?)?))?;
    Ok(serde_json::from_value(v)?)
}

/// [`run`] in this process.
pub fn run_here(opts: &Options) -> Result<Vec<TestResult>> {
    let mut e = super::engine(opts, true)?;
    let re = regex::Regex::new(r"(?m)^\s*(test_[A-Za-z0-9_]+)\s+if\b").unwrap();
    let pkg_re = regex::Regex::new(r"(?m)^\s*package\s+([A-Za-z0-9_.]+)").unwrap();
    let mut sources: Vec<(String, String)> = super::policies::TESTS.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
    for dir in &opts.policy_dirs {
        for f in super::rego_files(dir, true)? {
            sources.push((f.display().to_string(), std::fs::read_to_string(&f)?));
        }
    }
    let mut out = Vec::new();
    for (path, src) in sources {
        let Some(pkg) = pkg_re.captures(&src).map(|c| c[1].to_string()) else { continue };
        let mut seen = std::collections::BTreeSet::new();
        for c in re.captures_iter(&src) {
            let rule = c[1].to_string();
            if !seen.insert(rule.clone()) {
                continue;
            }
            let name = format!("{path}: data.{pkg}.{rule}");
            match e.eval_rule(format!("data.{pkg}.{rule}")) {
                Ok(v) => out.push(TestResult { passed: v == regorus::Value::from(true), name, error: None }),
                Err(err) => out.push(TestResult { name, passed: false, error: Some(err.to_string()) }),
            }
        }
    }
    if out.is_empty() {
        return Err(anyhow!("no test_* rules found"));
    }
    Ok(out)
}
