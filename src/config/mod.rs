//! `.terrateam/config.yml`: parsed with serde into the shape of Terrateam's published schema
//! (same keys, same defaults), validated with `file:line:col` and the key path, `${VAR}`
//! substituted from the environment. Per-directory database settings come from Atlas's
//! `atlas.hcl` (see `project`).

pub mod locate;
pub mod project;
pub mod strict_yaml;
pub mod spec;
pub mod tag_query;
pub mod targets;

use crate::source::hcl::decode::edit_distance;
use locate::{find, render, Path as KeyPath, Seg};
use serde::Deserialize;
use serde_json::Value as Json;
use spec::Spec;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Notice,
    Warning,
    Error,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnostic {
    pub level: Level,
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// `workflows[1].plan[0].type`
    pub path: String,
    pub msg: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        write!(f, "{}:{}:{}: {lvl}: `{}`: {}", self.file, self.line, self.col, self.path, self.msg)
    }
}

/// The config file of a repository: `.terrateam/config.yml`, else `.terrateam/config.yaml`.
pub fn find_file(root: &Path) -> Option<PathBuf> {
    ["yml", "yaml"].iter().map(|x| root.join(".terrateam").join(format!("config.{x}"))).find(|p| p.is_file())
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self, strict: bool) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error || (strict && d.level == Level::Warning))
    }
}

/// Parse, validate and type a config. Syntax errors are returned as `Err` with a position;
/// everything else is a diagnostic (errors make `has_errors` true).
pub fn load_str(file: &str, src: &str, env: &HashMap<String, String>) -> Result<Loaded, crate::error::SourceError> {
    crate::limits::check(file, src, crate::limits::Syntax::Yaml)?;
    let raw: Json = match yaml_serde::from_str::<strict_yaml::Strict>(src).map(|s| s.0) {
        Ok(Json::Null) => Json::Object(Default::default()),
        Ok(v) => v,
        Err(e) => {
            let (mut line, mut col) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
            if let Some(dup) = strict_yaml::duplicate_position(src, &e.to_string(), line, col) {
                (line, col) = dup;
            }
            let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("");
            let hint = if text.contains('\t') || e.to_string().contains("tab") {
                Some("YAML indentation must be spaces: this line is indented with a TAB character".to_string())
            } else {
                None
            };
            return Err(crate::error::SourceError {
                declared_at: false,
                file: file.to_string(),
                line,
                col,
                // The position is ours (above); drop the parser's own trailing one.
                msg: format!("invalid YAML: {}", regex::Regex::new(r" at line \d+ column \d+$").map(|re| re.replace(&first_line(&e.to_string()), "").into_owned()).unwrap_or_default()),
                snippet: Some(text.replace('\t', "→")),
                hint,
            });
        }
    };
    let positions = locate::locate(src);
    let mut diags = Vec::new();
    let mut ctx = Check { file, positions: &positions, out: &mut diags };
    if !raw.is_object() {
        ctx.push(Level::Error, &[], "the config must be a mapping of keys (enabled, when_modified, dirs, workflows, hooks, …)".into());
    } else {
        ctx.check(&raw, &spec::root(), &mut Vec::new());
    }
    let substituted = substitute(&raw, env, &mut Vec::new(), &mut ctx);
    let config: Config = match serde_json::from_value(substituted) {
        Ok(c) => c,
        Err(e) => {
            ctx.push(Level::Error, &[], format!("cannot read the config: {e}"));
            Config::default()
        }
    };
    diags.sort_by_key(|d| (d.line, d.col));
    Ok(Loaded { config, diagnostics: diags })
}

pub fn load(path: &Path, env: &HashMap<String, String>) -> anyhow::Result<Loaded> {
    let src = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(load_str(&path.display().to_string(), &src, env)?)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

struct Check<'a> {
    file: &'a str,
    positions: &'a HashMap<KeyPath, (usize, usize)>,
    out: &'a mut Vec<Diagnostic>,
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "nothing",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

impl Check<'_> {
    fn push(&mut self, level: Level, path: &[Seg], msg: String) {
        let (line, col) = find(self.positions, path);
        self.out.push(Diagnostic { level, file: self.file.to_string(), line, col, path: if path.is_empty() { "(top level)".into() } else { render(path) }, msg });
    }

    fn check(&mut self, v: &Json, spec: &Spec, path: &mut KeyPath) {
        match spec {
            Spec::Any => {}
            Spec::Ignored => self.push(Level::Notice, path, "only meaningful for Terraform; accepted and ignored by schemagate".into()),
            Spec::Bool => {
                if !v.is_boolean() {
                    self.push(Level::Error, path, format!("expected true or false, found {}", kind(v)));
                }
            }
            Spec::Int => {
                if !v.is_i64() && !v.is_u64() {
                    self.push(Level::Error, path, format!("expected a whole number, found {}", kind(v)));
                }
            }
            Spec::Str => {
                if !v.is_string() {
                    self.push(Level::Error, path, format!("expected a string, found {}", kind(v)));
                }
            }
            Spec::Enum(allowed) => match v.as_str() {
                Some(s) if allowed.contains(&s) => {}
                _ => self.push(Level::Error, path, format!("expected one of {}, found {}", allowed.join(", "), show(v))),
            },
            Spec::StrList => match v {
                Json::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        if !it.is_string() {
                            path.push(Seg::Idx(i));
                            self.push(Level::Error, path, format!("expected a string, found {}", kind(it)));
                            path.pop();
                        }
                    }
                }
                _ => self.push(Level::Error, path, format!("expected a list of strings, found {}", kind(v))),
            },
            Spec::List(item) => match v {
                Json::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        path.push(Seg::Idx(i));
                        self.check(it, item, path);
                        path.pop();
                    }
                }
                _ => self.push(Level::Error, path, format!("expected a list, found {}", kind(v))),
            },
            Spec::Map(item) => match v {
                Json::Object(m) => {
                    for (k, it) in m {
                        path.push(Seg::Key(k.clone()));
                        self.check(it, item, path);
                        path.pop();
                    }
                }
                _ => self.push(Level::Error, path, format!("expected a mapping, found {}", kind(v))),
            },
            Spec::StrOr(obj) => {
                if !v.is_string() {
                    self.check(v, obj, path);
                }
            }
            Spec::Typed(ops) => {
                let Some(t) = v.get("type").and_then(|t| t.as_str()) else {
                    self.push(Level::Error, path, format!("a step needs `type`, one of {}", ops.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")));
                    return;
                };
                match ops.iter().find(|(name, _)| *name == t) {
                    Some((_, s)) => self.check(v, s, path),
                    None => {
                        path.push(Seg::Key("type".into()));
                        self.push(Level::Error, path, format!("unknown step type {t:?}; expected one of {}", ops.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")));
                        path.pop();
                    }
                }
            }
            Spec::Obj(fields) => {
                let Json::Object(m) = v else {
                    self.push(Level::Error, path, format!("expected a mapping, found {}", kind(v)));
                    return;
                };
                for (k, it) in m {
                    path.push(Seg::Key(k.clone()));
                    match fields.iter().find(|(name, _)| name == k) {
                        Some((_, s)) => self.check(it, s, path),
                        None => {
                            let near = fields.iter().map(|f| f.0).filter(|f| edit_distance(f, k) <= 2).min_by_key(|f| edit_distance(f, k));
                            match near {
                                // A typo must not silently turn a setting off.
                                Some(n) => self.push(Level::Error, path, format!("unknown key `{k}`: did you mean `{n}`?")),
                                None => self.push(
                                    Level::Warning,
                                    path,
                                    format!("unknown key `{k}`: not part of Terrateam's config schema (Terrateam itself would reject it); schemagate ignores it. Known keys here: {}", fields.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")),
                                ),
                            }
                        }
                    }
                    path.pop();
                }
                // apply_requirements.checks: list form (current) or object form (legacy).
                if let (Some(Json::Array(items)), true) = (m.get("checks"), fields.iter().any(|f| f.0 == "create_pending_apply_check")) {
                    for (i, it) in items.iter().enumerate() {
                        path.push(Seg::Key("checks".into()));
                        path.push(Seg::Idx(i));
                        self.check(it, &spec::requirement_check(), path);
                        path.pop();
                        path.pop();
                    }
                }
            }
        }
    }
}

fn show(v: &Json) -> String {
    match v {
        Json::String(s) => format!("{s:?}"),
        other => kind(other).to_string(),
    }
}

/// `${VAR}` from the environment in string values, as Terrateam's runner does. `${DIR}` and
/// `${WORKSPACE}` are file-pattern placeholders, and `cmd` lists are left to the shell.
fn substitute(v: &Json, env: &HashMap<String, String>, path: &mut KeyPath, ctx: &mut Check) -> Json {
    match v {
        Json::String(s) => {
            if matches!(path.iter().rev().find(|s| matches!(s, Seg::Key(_))), Some(Seg::Key(k)) if k == "cmd" || k == "file_patterns") {
                return v.clone();
            }
            let re = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").unwrap();
            let mut missing = Vec::new();
            let out = re.replace_all(s, |c: &regex::Captures| {
                let name = &c[1];
                if name == "DIR" || name == "WORKSPACE" {
                    return c[0].to_string();
                }
                match env.get(name) {
                    Some(val) => val.clone(),
                    None => {
                        missing.push(name.to_string());
                        c[0].to_string()
                    }
                }
            });
            for m in missing {
                ctx.push(Level::Error, path, format!("`${{{m}}}` is not set in the environment"));
            }
            Json::String(out.into_owned())
        }
        Json::Array(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    path.push(Seg::Idx(i));
                    let r = substitute(it, env, path, ctx);
                    path.pop();
                    r
                })
                .collect(),
        ),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, it)| {
                    path.push(Seg::Key(k.clone()));
                    let r = substitute(it, env, path, ctx);
                    path.pop();
                    (k.clone(), r)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

// ---- typed config ----------------------------------------------------------------------------

fn yes() -> bool {
    true
}
fn three() -> usize {
    3
}
fn one() -> usize {
    1
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Config {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub when_modified: WhenModified,
    #[serde(default)]
    pub dirs: BTreeMap<String, Dir>,
    #[serde(default = "default_workflows")]
    pub workflows: Vec<Workflow>,
    #[serde(default)]
    pub hooks: Hooks,
    #[serde(default)]
    pub apply_requirements: ApplyRequirements,
    #[serde(default)]
    pub drift: Drift,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub destination_branches: Vec<Json>,
    #[serde(default = "three")]
    pub parallel_runs: usize,
    #[serde(default)]
    pub automerge: Json,
    #[serde(default)]
    pub notifications: Json,
}

impl Default for Config {
    fn default() -> Self {
        serde_json::from_value(Json::Object(Default::default())).unwrap()
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct WhenModified {
    #[serde(default = "default_patterns")]
    pub file_patterns: Vec<String>,
    #[serde(default = "yes")]
    pub autoplan: bool,
    #[serde(default = "yes")]
    pub autoplan_draft_pr: bool,
    #[serde(default)]
    pub autoapply: bool,
}

impl Default for WhenModified {
    fn default() -> Self {
        WhenModified { file_patterns: default_patterns(), autoplan: true, autoplan_draft_pr: true, autoapply: false }
    }
}

/// schemagate's default: a directory's schema files and its atlas.hcl.
pub fn default_patterns() -> Vec<String> {
    vec!["${DIR}/*.hcl".into(), "${DIR}/*.sql".into()]
}

/// A directory's overrides: unset keys inherit the global `when_modified`.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct WhenModifiedNullable {
    pub file_patterns: Option<Vec<String>>,
    pub autoplan: Option<bool>,
    pub autoplan_draft_pr: Option<bool>,
    pub autoapply: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Dir {
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub when_modified: WhenModifiedNullable,
}

fn default_workflows() -> Vec<Workflow> {
    vec![Workflow { tag_query: String::new(), plan: default_plan(), apply: default_apply(), environment: None, lock_policy: "strict".into() }]
}
fn default_plan() -> Vec<Json> {
    vec![serde_json::json!({"type": "init"}), serde_json::json!({"type": "plan"})]
}
fn default_apply() -> Vec<Json> {
    vec![serde_json::json!({"type": "init"}), serde_json::json!({"type": "apply"})]
}
fn strict() -> String {
    "strict".into()
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Workflow {
    #[serde(default)]
    pub tag_query: String,
    #[serde(default = "default_plan")]
    pub plan: Vec<Json>,
    #[serde(default = "default_apply")]
    pub apply: Vec<Json>,
    pub environment: Option<String>,
    #[serde(default = "strict")]
    pub lock_policy: String,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct HookList {
    #[serde(default)]
    pub pre: Vec<Json>,
    #[serde(default)]
    pub post: Vec<Json>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Hooks {
    #[serde(default)]
    pub all: HookList,
    #[serde(default)]
    pub plan: HookList,
    #[serde(default)]
    pub apply: HookList,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct ApplyRequirements {
    #[serde(default = "yes")]
    pub create_pending_apply_check: bool,
    #[serde(default, deserialize_with = "checks")]
    pub checks: Vec<RequirementCheck>,
}

impl Default for ApplyRequirements {
    fn default() -> Self {
        ApplyRequirements { create_pending_apply_check: true, checks: vec![] }
    }
}

/// `checks` as a list (current) or as one object (legacy, applies to every dir).
fn checks<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<RequirementCheck>, D::Error> {
    let v = Json::deserialize(d)?;
    match v {
        Json::Array(_) => serde_json::from_value(v).map_err(serde::de::Error::custom),
        Json::Object(_) => Ok(vec![serde_json::from_value(v).map_err(serde::de::Error::custom)?]),
        _ => Ok(vec![]),
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct RequirementCheck {
    #[serde(default)]
    pub tag_query: String,
    #[serde(default)]
    pub approved: Approved,
    #[serde(default)]
    pub merge_conflicts: Enabled<true>,
    #[serde(default)]
    pub status_checks: StatusChecks,
    #[serde(default = "yes")]
    pub require_ready_for_review_pr: bool,
    #[serde(default)]
    pub apply_after_merge: Enabled<false>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Approved {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub any_of: Vec<String>,
    #[serde(default = "one", alias = "count")]
    pub any_of_count: usize,
    #[serde(default)]
    pub all_of: Vec<String>,
}

impl Default for Approved {
    fn default() -> Self {
        Approved { enabled: false, any_of: vec![], any_of_count: 1, all_of: vec![] }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Enabled<const D: bool> {
    #[serde(default = "default_bool::<D>")]
    pub enabled: bool,
}

fn default_bool<const D: bool>() -> bool {
    D
}

impl<const D: bool> Default for Enabled<D> {
    fn default() -> Self {
        Enabled { enabled: D }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct StatusChecks {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub ignore_matching: Vec<String>,
}

impl Default for StatusChecks {
    fn default() -> Self {
        StatusChecks { enabled: true, ignore_matching: vec![] }
    }
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Drift {
    #[serde(default)]
    pub enabled: bool,
    pub schedule: Option<String>,
    #[serde(default)]
    pub reconcile: bool,
    pub tag_query: Option<String>,
    #[serde(default)]
    pub schedules: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct Tags {
    #[serde(default)]
    pub branch: BTreeMap<String, String>,
    #[serde(default)]
    pub dest_branch: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Loaded {
        load_str(".terrateam/config.yml", src, &HashMap::from([("ROLE".to_string(), "arn:aws:iam::1:role/x".to_string())])).unwrap()
    }

    #[test]
    fn defaults_follow_terrateam() {
        let l = load("");
        let c = &l.config;
        assert!(c.enabled && c.when_modified.autoplan && c.when_modified.autoplan_draft_pr && !c.when_modified.autoapply);
        assert_eq!(c.parallel_runs, 3);
        assert_eq!(c.workflows.len(), 1);
        assert_eq!(c.workflows[0].lock_policy, "strict");
        assert!(l.diagnostics.is_empty());
    }

    #[test]
    fn typo_is_an_error_with_position() {
        let l = load("when_modified:\n  autoaply: true\n");
        let d = &l.diagnostics[0];
        assert_eq!((d.level, d.line, d.col), (Level::Error, 2, 3));
        assert!(d.msg.contains("did you mean `autoapply`"), "{d}");
        assert!(!l.config.when_modified.autoapply);
    }

    #[test]
    fn unknown_key_is_a_warning_and_terraform_keys_a_notice() {
        let l = load("terraform:\n  backend: {}\ncost_estimation:\n  enabled: true\n");
        let levels: Vec<Level> = l.diagnostics.iter().map(|d| d.level).collect();
        assert_eq!(levels, vec![Level::Warning, Level::Notice]);
        assert!(!l.has_errors(false));
        assert!(l.has_errors(true));
    }

    #[test]
    fn wrong_types_and_enums_name_the_path() {
        let l = load("workflows:\n  - tag_query: \"\"\n    lock_policy: sometimes\n    plan:\n      - type: init\n      - type: deploy\n");
        let paths: Vec<String> = l.diagnostics.iter().map(|d| format!("{}@{}:{}", d.path, d.line, d.col)).collect();
        assert!(paths.contains(&"workflows[0].lock_policy@3:5".to_string()), "{paths:?}");
        assert!(paths.contains(&"workflows[0].plan[1].type@6:9".to_string()), "{paths:?}");
        assert!(l.diagnostics.iter().any(|d| d.msg.contains("strict, apply, merge, none")));
    }

    #[test]
    fn env_substitution() {
        let l = load("hooks:\n  all:\n    pre:\n      - type: oidc\n        provider: aws\n        role_arn: ${ROLE}\n        region: ${MISSING_REGION}\n");
        assert_eq!(l.config.hooks.all.pre[0]["role_arn"], "arn:aws:iam::1:role/x");
        let d = l.diagnostics.iter().find(|d| d.level == Level::Error).unwrap();
        assert_eq!((d.line, d.path.as_str()), (7, "hooks.all.pre[0].region"));
    }

    #[test]
    fn tabs_are_a_clear_error() {
        let e = load_str("c.yml", "hooks:\n all:\n   pre:\n\t - type: oidc\n", &HashMap::new()).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.hint.unwrap().contains("TAB"));
    }

    #[test]
    fn checks_list_and_legacy_object() {
        let l = load("apply_requirements:\n  checks:\n    - tag_query: \"\"\n      approved:\n        enabled: true\n        any_of_count: 2\n");
        assert_eq!(l.config.apply_requirements.checks[0].approved.any_of_count, 2);
        assert!(l.config.apply_requirements.checks[0].merge_conflicts.enabled);
        let l = load("apply_requirements:\n  checks:\n    approved:\n      enabled: true\n      count: 2\n");
        assert_eq!(l.config.apply_requirements.checks[0].approved.any_of_count, 2);
    }
}
