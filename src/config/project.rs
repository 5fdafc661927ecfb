//! Atlas's project file, `atlas.hcl`, per schema directory: `env "<name>" { url, dev, src,
//! schemas, exclude, diff { skip {…} }, lint {…} }` with `variable`, `locals`, `getenv("X")`,
//! `urlescape()`, `jsondecode()`. Relative `file://` sources are relative to the file.

use crate::error::{LineIndex, SourceError};
use hcl::edit::structure::{Body, Structure};
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Expression, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Env {
    pub name: String,
    pub url: Option<String>,
    pub dev: Option<String>,
    pub src: Vec<String>,
    pub schemas: Vec<String>,
    pub exclude: Vec<String>,
    /// `roles = ["app", "reader"]`: roles whose privileges schemagate manages (PostgreSQL).
    pub roles: Vec<String>,
    /// `diff { skip { drop_table = true … } }`: change kinds never planned.
    pub skip: BTreeSet<String>,
    /// `diff { concurrent_index { add = true, drop = true } }` (`create` is an alias of `add`).
    /// On unless turned off (`add = false`): indexes of live tables are built online.
    pub concurrent_add: bool,
    pub concurrent_drop: bool,
    /// `lint { … }` kept as JSON for the policies' data document.
    pub lint: serde_json::Value,
    /// schemagate's apply knobs for this env: `ddl_lock_timeout = "3s"`, `statement_timeout =
    /// "30m"`, `lock_retries = 5` (the flags and the Action's inputs win over them).
    pub traffic: TrafficSettings,
    /// The env's other scalar attributes (`def_val = "hello"`): Atlas passes them to the
    /// schema files as input variables.
    pub vars: BTreeMap<String, String>,
    /// A `for_each` env: one instance per tenant (`prod[tenant_a]`, …), each with its own url,
    /// schemas…; the env itself then has no connection of its own.
    pub tenants: Vec<Env>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrafficSettings {
    pub ddl_lock_timeout: Option<std::time::Duration>,
    pub statement_timeout: Option<std::time::Duration>,
    pub lock_retries: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Project {
    pub path: PathBuf,
    pub envs: BTreeMap<String, Env>,
}

impl Project {
    /// Which env applies: the one asked for, else `$SCHEMAGATE_ENV`, else the only one.
    pub fn select(&self, wanted: Option<&str>) -> Result<Option<&Env>, String> {
        let wanted = wanted.map(String::from).or_else(|| crate::runenv::non_empty("SCHEMAGATE_ENV"));
        match wanted {
            Some(w) => self.envs.get(&w).map(Some).ok_or_else(|| format!("{}: no env \"{w}\" (envs: {})", self.path.display(), self.envs.keys().cloned().collect::<Vec<_>>().join(", "))),
            None if self.envs.len() == 1 => Ok(self.envs.values().next()),
            None if self.envs.is_empty() => Ok(None),
            None => Err(format!("{}: several envs ({}); pick one with the `env` input or SCHEMAGATE_ENV", self.path.display(), self.envs.keys().cloned().collect::<Vec<_>>().join(", "))),
        }
    }
}

fn getenv(args: FuncArgs) -> Result<Value, String> {
    let name = args[0].as_str().unwrap_or_default();
    // The run's environment first: hooks of this directory's run may have set it.
    Ok(Value::String(crate::runenv::var(name).unwrap_or_default()))
}

fn urlescape(args: FuncArgs) -> Result<Value, String> {
    let s = args[0].as_str().unwrap_or_default();
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::String(out))
}

fn jsondecode(args: FuncArgs) -> Result<Value, String> {
    let s = args[0].as_str().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(s).map(|v| hcl::to_value(v).unwrap_or(Value::Null)).map_err(|e| format!("jsondecode: {e}"))
}

/// `toset(list)`: the distinct items, first occurrence first (what for_each iterates).
fn toset(args: FuncArgs) -> Result<Value, String> {
    match &args[0] {
        Value::Array(items) => {
            let mut out: Vec<Value> = Vec::new();
            for i in items {
                if !out.contains(i) {
                    out.push(i.clone());
                }
            }
            Ok(Value::Array(out))
        }
        other => Err(format!("toset: expected a list, got {other}")),
    }
}

/// `urlsetpath(url, path)`: the URL with its path (the database) replaced, query kept.
fn urlsetpath(args: FuncArgs) -> Result<Value, String> {
    let (url, path) = (args[0].as_str().unwrap_or_default(), args[1].as_str().unwrap_or_default());
    if !url.contains("://") {
        return Err(format!("urlsetpath: `{}` is not a URL", crate::url::redact(url)));
    }
    Ok(Value::String(crate::url::set_path(url, path)))
}

/// `urlqueryset(url, key, value)`: the URL with query parameter `key` set.
fn urlqueryset(args: FuncArgs) -> Result<Value, String> {
    let (url, k, v) = (args[0].as_str().unwrap_or_default(), args[1].as_str().unwrap_or_default(), args[2].as_str().unwrap_or_default());
    Ok(Value::String(crate::url::set_query_param(url, k, v)))
}

/// The evaluation context for atlas.hcl: functions, `var`, `local`, and extra values (`data`).
pub fn context(vars: hcl::Map<String, Value>, extra: &[(&str, Value)]) -> Context<'static> {
    let mut ctx = Context::new();
    ctx.declare_func("getenv", FuncDef::builder().param(ParamType::String).build(getenv));
    ctx.declare_func("urlescape", FuncDef::builder().param(ParamType::String).build(urlescape));
    ctx.declare_func("jsondecode", FuncDef::builder().param(ParamType::String).build(jsondecode));
    ctx.declare_func("toset", FuncDef::builder().param(ParamType::Any).build(toset));
    ctx.declare_func("urlsetpath", FuncDef::builder().param(ParamType::String).param(ParamType::String).build(urlsetpath));
    ctx.declare_func("urlqueryset", FuncDef::builder().param(ParamType::String).param(ParamType::String).param(ParamType::String).build(urlqueryset));
    ctx.declare_var("var", Value::Object(vars));
    for (k, v) in extra {
        ctx.declare_var(*k, v.clone());
    }
    ctx
}

/// Load an atlas.hcl. With `resolve_data` false, data sources (which call AWS) are not read:
/// values that use them stay unresolved placeholders, for listing targets before the hooks
/// that provide credentials have run.
pub fn load(path: &Path, given: &HashMap<String, String>, resolve_data: bool) -> Result<Project, SourceError> {
    let src = std::fs::read_to_string(path).map_err(|e| SourceError { declared_at: false, file: path.display().to_string(), line: 1, col: 1, msg: format!("cannot read: {e}"), snippet: None, hint: None })?;
    parse_with(path, &src, given, resolve_data)
}

/// Placeholder text of an unresolved data source.
pub const UNRESOLVED: &str = "<resolved at run time>";

pub fn parse(path: &Path, src: &str, given: &HashMap<String, String>, extra: &[(&str, Value)]) -> Result<Project, SourceError> {
    parse_inner(path, src, given, extra, true)
}

pub fn parse_with(path: &Path, src: &str, given: &HashMap<String, String>, resolve_data: bool) -> Result<Project, SourceError> {
    parse_inner(path, src, given, &[], resolve_data)
}

/// Parse an atlas.hcl. `extra` declares further variables.
fn parse_inner(path: &Path, src: &str, given: &HashMap<String, String>, extra: &[(&str, Value)], resolve_data: bool) -> Result<Project, SourceError> {
    let file = path.display().to_string();
    let lines = LineIndex::new(src);
    let err = |span: Option<std::ops::Range<usize>>, msg: String, hint: Option<String>| {
        let (line, col) = span.map(|s| lines.pos(s.start)).unwrap_or((1, 1));
        SourceError { declared_at: false, file: file.clone(), line, col, msg, snippet: Some(lines.line_text(line).to_string()), hint }
    };
    crate::limits::check(&file, src, crate::limits::Syntax::Hcl)?;
    let body: Body = hcl::edit::parser::parse_body(src).map_err(|e| SourceError {
        declared_at: false,
        file: file.clone(),
        line: e.location().line(),
        col: e.location().column(),
        msg: format!("HCL syntax error: {}", e.message()),
        snippet: Some(e.line().to_string()),
        hint: None,
    })?;
    let blocks: Vec<_> = body.iter().filter_map(|s| if let Structure::Block(b) = s { Some(b) } else { None }).collect();
    let mut vars = hcl::Map::new();
    for b in blocks.iter().filter(|b| b.ident.as_str() == "variable") {
        let name = b.labels.first().map(|l| l.as_str().to_string()).unwrap_or_default();
        let v = match given.get(&name) {
            Some(v) => Value::String(v.clone()),
            None => match b.body.get_attribute("default") {
                Some(a) => Expression::from(a.value.clone()).evaluate(&context(hcl::Map::new(), extra)).map_err(|e| err(a.value.span(), format!("variable {name}: {e}"), None))?,
                None => return Err(err(b.span(), format!("missing value for required variable \"{name}\": it has no default"), Some(format!("set it with --var {name}=VALUE"))).missing_input()),
            },
        };
        vars.insert(name, v);
    }
    let mut ctx = context(vars.clone(), extra);
    // Data sources, as Atlas spells them, fed by the credentials an `oidc` hook exported.
    let mut data: hcl::Map<String, Value> = hcl::Map::new();
    // RDS IAM tokens handed out, to recognise a URL that carries one (it then needs TLS).
    let mut tokens: Vec<String> = Vec::new();
    for b in blocks.iter().filter(|b| b.ident.as_str() == "data") {
        let labels: Vec<String> = b.labels.iter().map(|l| l.as_str().to_string()).collect();
        let [kind, name] = labels.as_slice() else {
            return Err(err(b.span(), "a data block needs a type and a name: data \"runtimevar\" \"db\" { … }".into(), None));
        };
        let attr = |k: &str| -> Result<Option<String>, SourceError> {
            match b.body.get_attribute(k) {
                Some(a) => match Expression::from(a.value.clone()).evaluate(&ctx) {
                    Ok(Value::String(s)) => Ok(Some(s)),
                    Ok(Value::Number(n)) => Ok(Some(n.to_string())),
                    Ok(_) => Err(err(a.value.span(), format!("data.{kind}.{name}.{k} must be a string"), None)),
                    Err(e) => Err(err(a.value.span(), format!("data.{kind}.{name}.{k}: {e}"), None)),
                },
                None => Ok(None),
            }
        };
        let need = |k: &str, v: Option<String>| v.ok_or_else(|| err(b.span(), format!("data \"{kind}\" \"{name}\" needs `{k}`"), None));
        let value = match kind.as_str() {
            _ if !resolve_data => Ok(match kind.as_str() {
                // jsondecode() of a placeholder must still work for listing targets.
                "runtimevar" => "{}".to_string(),
                _ => UNRESOLVED.to_string(),
            }),
            "runtimevar" => crate::cloud::runtimevar(&need("url", attr("url")?)?),
            "aws_rds_token" => crate::cloud::rds_token(&need("region", attr("region")?)?, &need("endpoint", attr("endpoint")?)?, &need("username", attr("username")?)?),
            "gcp_cloudsql_token" => crate::cloud::cloudsql_token(),
            other => return Err(err(b.span(), format!("unknown data source `{other}`"), Some("supported: runtimevar (awssecretsmanager://), aws_rds_token, gcp_cloudsql_token".into()))),
        }
        .map_err(|e| err(b.span(), format!("data.{kind}.{name}: {e:#}"), None))?;
        if kind == "aws_rds_token" && resolve_data {
            tokens.push(value.clone());
        }
        let slot = data.entry(kind.clone()).or_insert_with(|| Value::Object(hcl::Map::new()));
        if let Value::Object(m) = slot {
            m.insert(name.clone(), Value::String(value));
        }
    }
    if !data.is_empty() {
        ctx.declare_var("data", Value::Object(data));
    }
    let has_data = blocks.iter().any(|b| b.ident.as_str() == "data");
    let mut locals = hcl::Map::new();
    for b in blocks.iter().filter(|b| b.ident.as_str() == "locals") {
        for s in b.body.iter() {
            if let Structure::Attribute(a) = s {
                let v = match Expression::from(a.value.clone()).evaluate(&ctx) {
                    Ok(v) => v,
                    Err(_) if !resolve_data && has_data => Value::String(UNRESOLVED.into()),
                    Err(e) => return Err(err(a.value.span(), format!("local.{}: {e}", a.key.as_str()), None)),
                };
                locals.insert(a.key.as_str().to_string(), v);
            }
        }
    }
    ctx.declare_var("local", Value::Object(locals));
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut project = Project { path: path.to_path_buf(), envs: BTreeMap::new() };
    for b in blocks.iter().filter(|b| b.ident.as_str() == "env") {
        let name = b.labels.first().map(|l| l.as_str().to_string()).ok_or_else(|| err(b.span(), "env block needs a name: env \"prod\" { … }".into(), None))?;
        // Multi-tenant envs (Atlas's `for_each = toset(var.tenants)`): one instance per item,
        // each evaluated with `each.key` / `each.value`.
        let Some(fe) = b.body.get_attribute("for_each") else {
            let env = env_block(b, &ctx, &name, dir, &tokens, resolve_data, has_data, &err)?;
            project.envs.insert(name, env);
            continue;
        };
        let items = match Expression::from(fe.value.clone()).evaluate(&ctx) {
            Ok(Value::Array(v)) => v.into_iter().map(|x| (value_text(&x), x)).collect::<Vec<_>>(),
            Ok(Value::Object(m)) => m.into_iter().collect(),
            Ok(other) => return Err(err(fe.value.span(), format!("env \"{name}\": for_each must be a list, set or map, not {other}"), Some("e.g. for_each = toset(var.tenants)".into()))),
            Err(e) => return Err(err(fe.value.span(), format!("env \"{name}\": for_each: {e}"), None)),
        };
        let online = crate::plan::ConcurrentIndex::default();
        let mut env = Env { name: name.clone(), concurrent_add: online.add, concurrent_drop: online.drop, ..Default::default() };
        for (key, value) in items {
            let mut each = hcl::Map::new();
            each.insert("key".to_string(), Value::String(key.clone()));
            each.insert("value".to_string(), value);
            let mut c = ctx.clone();
            c.declare_var("each", Value::Object(each));
            env.tenants.push(env_block(b, &c, &format!("{name}[{key}]"), dir, &tokens, resolve_data, has_data, &err)?);
        }
        project.envs.insert(name, env);
    }
    Ok(project)
}

/// `each.key` of a list item: its text.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One env block (or one `for_each` instance of it) evaluated in `ctx`.
#[allow(clippy::too_many_arguments)]
fn env_block(
    b: &hcl::edit::structure::Block,
    ctx: &Context,
    name: &str,
    dir: &Path,
    tokens: &[String],
    resolve_data: bool,
    has_data: bool,
    err: &dyn Fn(Option<std::ops::Range<usize>>, String, Option<String>) -> SourceError,
) -> Result<Env, SourceError> {
    {
        let online = crate::plan::ConcurrentIndex::default();
        let mut env = Env { name: name.to_string(), concurrent_add: online.add, concurrent_drop: online.drop, ..Default::default() };
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "for_each" => {}
                Structure::Attribute(a) => {
                    let v = match Expression::from(a.value.clone()).evaluate(&ctx) {
                        Ok(v) => v,
                        // Values built from data sources wait for run time.
                        Err(_) if !resolve_data && has_data => Value::String(UNRESOLVED.into()),
                        Err(e) => {
                            return Err(err(a.value.span(), format!("env \"{name}\": cannot evaluate `{}`: {e}", a.key.as_str()), Some("known here: var.*, local.*, getenv(), urlescape(), jsondecode(), data.* sources".into())))
                        }
                    };
                    let strings = |v: &Value| -> Vec<String> {
                        match v {
                            Value::String(s) => vec![s.clone()],
                            Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(String::from)).collect(),
                            _ => vec![],
                        }
                    };
                    match a.key.as_str() {
                        // getenv() of an unset variable is "": treat it as not given.
                        "url" => {
                            env.url = v.as_str().filter(|s| !s.is_empty()).map(String::from);
                            if let Some(u) = &env.url {
                                if carries_token(u, &tokens) {
                                    env.url = Some(crate::url::require_tls(u).map_err(|e| err(a.value.span(), format!("env \"{name}\" url: {e:#}"), None))?);
                                }
                            }
                        }
                        "dev" => env.dev = v.as_str().filter(|s| !s.is_empty()).map(String::from),
                        "src" | "schema_src" => env.src = strings(&v).into_iter().map(|s| resolve(dir, &s)).collect(),
                        "schemas" => env.schemas = strings(&v),
                        "exclude" => env.exclude = strings(&v),
                        "roles" => env.roles = strings(&v),
                        "ddl_lock_timeout" | "statement_timeout" => {
                            let d = v.as_str().ok_or_else(|| err(a.value.span(), format!("`{}` is a duration such as \"3s\"", a.key.as_str()), None)).and_then(|s| crate::duration::parse(s).map_err(|e| err(a.value.span(), format!("`{}`: {e}", a.key.as_str()), None)))?;
                            if a.key.as_str() == "ddl_lock_timeout" {
                                env.traffic.ddl_lock_timeout = Some(d);
                            } else {
                                env.traffic.statement_timeout = Some(d);
                            }
                        }
                        "lock_retries" => {
                            env.traffic.lock_retries = Some(v.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= 100).ok_or_else(|| err(a.value.span(), "`lock_retries` is a number from 0 to 100".to_string(), None))?);
                        }
                        // Atlas attributes that do not apply to schemagate.
                        "migration" | "format" | "log" | "name" | "test" => {}
                        // Anything else is an input variable of the schema files.
                        other => {
                            let scalar = match &v {
                                Value::String(s) => Some(s.clone()),
                                Value::Number(n) => Some(n.to_string()),
                                Value::Bool(b) => Some(b.to_string()),
                                Value::Null | Value::Array(_) | Value::Object(_) => None,
                            };
                            if let Some(x) = scalar {
                                env.vars.insert(other.to_string(), x);
                            }
                        }
                    }
                }
                Structure::Block(inner) => match inner.ident.as_str() {
                    "diff" => {
                        for ci in inner.body.iter().filter_map(|s| if let Structure::Block(x) = s { Some(x) } else { None }).filter(|x| x.ident.as_str() == "concurrent_index") {
                            for s in ci.body.iter() {
                                if let Structure::Attribute(a) = s {
                                    let on = Expression::from(a.value.clone()).evaluate(&ctx).map(|v| v == Value::Bool(true)).unwrap_or(false);
                                    match a.key.as_str() {
                                        "add" | "create" => env.concurrent_add = on,
                                        "drop" => env.concurrent_drop = on,
                                        _ => {}
                                    }
                                }
                            }
                        }
                        for skip in inner.body.iter().filter_map(|s| if let Structure::Block(x) = s { Some(x) } else { None }).filter(|x| x.ident.as_str() == "skip") {
                            for s in skip.body.iter() {
                                if let Structure::Attribute(a) = s {
                                    let v = Expression::from(a.value.clone()).evaluate(&ctx).map_err(|e| err(a.value.span(), format!("diff.skip.{}: {e}", a.key.as_str()), None))?;
                                    if v == Value::Bool(true) {
                                        env.skip.insert(a.key.as_str().to_string());
                                    }
                                }
                            }
                        }
                    }
                    "lint" => {
                        let v: Value = hcl::from_str(&inner.body.to_string()).unwrap_or(Value::Null);
                        env.lint = serde_json::to_value(v).unwrap_or_default();
                    }
                    _ => {}
                },
            }
        }
        Ok(env)
    }
}

/// Whether `url`'s password is one of `tokens` (as given, or urlescape()d as Atlas's docs do).
fn carries_token(url: &str, tokens: &[String]) -> bool {
    let Some(authority) = url.split_once("://").map(|(_, r)| r.split('/').next().unwrap_or(r)) else { return false };
    let Some((userinfo, _)) = authority.rsplit_once('@') else { return false };
    let Some((_, pw)) = userinfo.split_once(':') else { return false };
    let pw = crate::url::percent_decode(pw);
    tokens.iter().any(|t| *t == pw)
}

/// `file://schema.hcl` relative to the project file's directory.
fn resolve(dir: &Path, s: &str) -> String {
    match s.strip_prefix("file://") {
        Some(p) if !Path::new(p).is_absolute() => format!("file://{}", dir.join(p).display()),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_blocks() {
        std::env::set_var("SG_TEST_PW", "p@ss word");
        let src = r#"
variable "db" {
  type    = string
  default = "app"
}
locals {
  pw = urlescape(getenv("SG_TEST_PW"))
}
env "prod" {
  url     = "postgres://u:${local.pw}@db:5432/${var.db}"
  dev     = "postgres://postgres@localhost:5432/postgres"
  src     = "file://schema.hcl"
  schemas = ["public"]
  exclude = ["*.tmp_*"]
  roles   = ["app", "reader"]
  tenant  = "acme"
  shards  = 4
  format  = "{{ sql . }}"
  diff {
    skip {
      drop_table = true
      drop_column = false
    }
  }
}
"#;
        let p = parse(Path::new("db/app/atlas.hcl"), src, &HashMap::new(), &[]).unwrap();
        let e = p.select(None).unwrap().unwrap();
        assert_eq!(e.url.as_deref(), Some("postgres://u:p%40ss%20word@db:5432/app"));
        assert_eq!(e.src, vec!["file://db/app/schema.hcl"]);
        assert!(e.skip.contains("drop_table") && !e.skip.contains("drop_column"));
        assert_eq!(e.exclude, vec!["*.tmp_*"]);
        // Other attributes are the schema's input variables; Atlas's own are not.
        assert_eq!(e.vars, BTreeMap::from([("shards".to_string(), "4".to_string()), ("tenant".to_string(), "acme".to_string())]));
        assert_eq!(e.roles, vec!["app", "reader"]);
    }

    /// A URL built from `data "aws_rds_token"` gets TLS (RDS accepts IAM tokens only over TLS),
    /// an explicit sslmode=disable is an error at the url's line, and an unrelated URL is left as
    /// written. The token is computed offline (SigV4 presign) from the run's credentials.
    #[test]
    fn rds_token_urls_require_tls() {
        let creds = HashMap::from([
            ("AWS_ACCESS_KEY_ID".to_string(), "AKIDEXAMPLE".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "secret".to_string()),
        ]);
        let hcl = |query: &str| {
            format!(
                "data \"aws_rds_token\" \"db\" {{\n  region   = \"us-east-1\"\n  endpoint = \"db.example.com:5432\"\n  username = \"app\"\n}}\n\
                 env \"prod\" {{\n  url = \"postgres://app:${{urlescape(data.aws_rds_token.db)}}@db.example.com:5432/app{query}\"\n  dev = \"postgres://postgres@localhost/postgres\"\n}}\n"
            )
        };
        crate::runenv::with(&creds, || {
            let p = parse(Path::new("atlas.hcl"), &hcl(""), &HashMap::new(), &[]).unwrap();
            let url = p.envs["prod"].url.clone().unwrap();
            assert!(url.ends_with("/app?sslmode=require") && url.contains("X-Amz-Signature"), "{}", crate::url::redact(&url));
            let e = parse(Path::new("atlas.hcl"), &hcl("?sslmode=disable"), &HashMap::new(), &[]).unwrap_err();
            assert!(e.msg.contains("only over TLS") && e.line == 7, "{e}");
            assert_eq!(p.envs["prod"].dev.as_deref(), Some("postgres://postgres@localhost/postgres"), "URLs without the token stay as written");
        });
    }

    /// Atlas's multi-tenant env: one instance per tenant, `each.value` in the URL.
    #[test]
    fn for_each_envs_have_one_instance_per_tenant() {
        let src = r#"
variable "tenants" {
  type    = list(string)
  default = ["acme", "globex", "acme"]
}
env "prod" {
  for_each = toset(var.tenants)
  url      = urlsetpath("postgres://u@db:5432/postgres?sslmode=require", "tenant_${each.value}")
  src      = "file://schema.hcl"
}
"#;
        let p = parse(Path::new("atlas.hcl"), src, &HashMap::new(), &[]).unwrap();
        let e = p.select(None).unwrap().unwrap();
        let got: Vec<(String, Option<String>)> = e.tenants.iter().map(|t| (t.name.clone(), t.url.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("prod[acme]".to_string(), Some("postgres://u@db:5432/tenant_acme?sslmode=require".to_string())),
                ("prod[globex]".to_string(), Some("postgres://u@db:5432/tenant_globex?sslmode=require".to_string())),
            ]
        );
        assert!(e.url.is_none());
        let bad = parse(Path::new("atlas.hcl"), "env \"x\" {\n  for_each = 3\n}\n", &HashMap::new(), &[]).unwrap_err();
        assert!(bad.msg.contains("for_each must be a list") && bad.line == 2, "{bad}");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse(Path::new("atlas.hcl"), "env \"x\" {\n  url = nope()\n}\n", &HashMap::new(), &[]).unwrap_err();
        assert_eq!((e.line, e.col), (2, 9));
    }
}
