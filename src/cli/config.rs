//! `schemagate config validate` and `schemagate config targets`.

use crate::config::{self, project, tag_query, targets, Level, Loaded};
use crate::url::redact;
use anyhow::{anyhow, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn env_map() -> HashMap<String, String> {
    std::env::vars().collect()
}

/// Load the repository's config (or the given file); a missing file means defaults.
pub fn load(root: &Path, path: Option<&Path>) -> Result<(Option<PathBuf>, Loaded)> {
    let file = match path {
        // A repository (or any directory): its .terrateam/config.yml.
        Some(p) if p.is_dir() => Some(config::find_file(p).ok_or_else(|| anyhow!("{} has no .terrateam/config.yml (or .yaml)", p.display()))?),
        Some(p) => Some(p.to_path_buf()),
        None => config::find_file(root),
    };
    match &file {
        Some(f) => Ok((file.clone(), config::load(f, &env_map())?)),
        None => Ok((None, Loaded { config: config::Config::default(), diagnostics: vec![] })),
    }
}

/// Print diagnostics; Ok(false) when the config is not valid.
pub fn validate(root: &Path, path: Option<&Path>, strict: bool, out: &mut dyn std::io::Write) -> Result<bool> {
    let (file, loaded) = load(root, path)?;
    let Some(file) = file else {
        writeln!(out, "no .terrateam/config.yml: defaults apply")?;
        return Ok(true);
    };
    for d in &loaded.diagnostics {
        writeln!(out, "{d}")?;
    }
    let bad = loaded.has_errors(strict);
    let count = |l: Level| loaded.diagnostics.iter().filter(|d| d.level == l).count();
    writeln!(
        out,
        "{}: {} ({} error(s), {} warning(s), {} notice(s){})",
        file.display(),
        if bad { "invalid" } else { "valid" },
        count(Level::Error),
        count(Level::Warning),
        count(Level::Notice),
        if strict { "; --strict: warnings are errors" } else { "" }
    )?;
    Ok(!bad)
}

/// A schema directory with everything needed to plan it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Target {
    pub dir: String,
    pub tags: Vec<String>,
    pub workflow: Option<usize>,
    pub env: Option<String>,
    pub url: Option<String>,
    pub dev: Option<String>,
    pub src: Vec<String>,
    pub schemas: Vec<String>,
    pub exclude: Vec<String>,
    pub roles: Vec<String>,
    pub skip: std::collections::BTreeSet<String>,
    pub concurrent_index: (bool, bool),
    /// The env's `lint { … }` blocks (analyzer severities), as JSON.
    pub analyzers: serde_json::Value,
    /// The env's apply knobs (lock and statement timeouts, retries).
    pub traffic: project::TrafficSettings,
    /// Set by the Action's atlas-action inputs (`url`, `to`, `dev-url`): they win over what
    /// atlas.hcl's env says when it is read again at run time.
    #[serde(skip)]
    pub pinned: bool,
    /// Input variables for atlas.hcl and HCL files (the Action's `vars`).
    #[serde(skip)]
    pub vars: std::collections::BTreeMap<String, String>,
    pub autoplan: bool,
    pub autoapply: bool,
    pub changed: bool,
}

impl Target {
    /// A target named on the Action's step (atlas-action's `url`/`to` inputs) rather than found
    /// by directory discovery: directory `dir`, its files as the desired state by default.
    pub fn direct(dir: &str, root: &Path) -> Target {
        Target {
            dir: dir.to_string(),
            tags: vec![],
            workflow: None,
            env: None,
            url: std::env::var("DATABASE_URL").ok(),
            dev: std::env::var("SCHEMAGATE_DEV_URL").ok(),
            src: vec![format!("file://{}", root.join(dir).display())],
            schemas: vec![],
            exclude: vec![],
            roles: vec![],
            skip: Default::default(),
            concurrent_index: {
                let o = crate::plan::ConcurrentIndex::default();
                (o.add, o.drop)
            },
            analyzers: serde_json::Value::Null,
            traffic: Default::default(),
            pinned: true,
            vars: Default::default(),
            autoplan: true,
            autoapply: true,
            changed: true,
        }
    }

    /// The env's url, dev and src, where it sets them (else the defaults stay).
    pub fn take_connection(&mut self, e: &project::Env) {
        if e.url.is_some() {
            self.url = e.url.clone();
        }
        if e.dev.is_some() {
            self.dev = e.dev.clone();
        }
        if !e.src.is_empty() {
            self.src = e.src.clone();
        }
    }
}

/// Resolve the targets of a repository. `changed`: repository-relative files of a change
/// (None: every target counts as changed).
pub fn resolve(root: &Path, loaded: &Loaded, changed: Option<&[String]>, env: Option<&str>, branch: Option<&str>, dest: Option<&str>) -> Result<Vec<Target>> {
    let cfg = &loaded.config;
    let mut out = Vec::new();
    for dir in targets::discover(root, cfg) {
        let wm = targets::when_modified(cfg, &dir);
        let tags = targets::tags(cfg, &dir, branch, dest);
        let mut workflow = None;
        for (i, w) in cfg.workflows.iter().enumerate() {
            let q = tag_query::parse(&w.tag_query).map_err(|e| anyhow!("workflows[{i}].tag_query: {e}"))?;
            if q.matches(&tags, &dir) {
                workflow = Some(i);
                break;
            }
        }
        let atlas = root.join(&dir).join("atlas.hcl");
        let mut t = Target {
            dir: dir.clone(),
            tags,
            workflow,
            env: None,
            url: std::env::var("DATABASE_URL").ok(),
            dev: std::env::var("SCHEMAGATE_DEV_URL").ok(),
            src: vec![format!("file://{}", root.join(&dir).display())],
            schemas: vec![],
            exclude: vec![],
            roles: vec![],
            skip: Default::default(),
            concurrent_index: { let o = crate::plan::ConcurrentIndex::default(); (o.add, o.drop) },
            analyzers: serde_json::Value::Null,
            traffic: Default::default(),
            pinned: false,
            vars: Default::default(),
            autoplan: wm.autoplan,
            autoapply: wm.autoapply,
            changed: changed.is_none_or(|files| files.iter().any(|f| targets::touches(&wm.file_patterns, &dir, f))),
        };
        if atlas.is_file() {
            // Data sources need the credentials that hooks provide: read them at run time.
            let p = project::load(&atlas, &HashMap::new(), false)?;
            if let Some(e) = p.select(env).map_err(|e| anyhow!(e))? {
                t.env = Some(e.name.clone());
                t.take_connection(e);
                t.schemas = e.schemas.clone();
                t.exclude = e.exclude.clone();
                t.roles = e.roles.clone();
                t.skip = e.skip.clone();
                t.concurrent_index = (e.concurrent_add, e.concurrent_drop);
                t.analyzers = e.lint.clone();
                t.traffic = e.traffic;
                // The env's other attributes are the schema's input variables (Atlas's rule).
                t.vars.extend(e.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        out.push(t);
    }
    Ok(out)
}

pub fn targets_table(ts: &[Target], loaded: &Loaded) -> String {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["Dir", "Tags", "Workflow", "Env", "URL", "Autoplan", "Autoapply", "Changed"]);
    for x in ts {
        let wf = x.workflow.map(|i| format!("#{i} {:?}", loaded.config.workflows[i].tag_query)).unwrap_or_else(|| "default".into());
        t.add_row(vec![
            x.dir.clone(),
            x.tags.join(" "),
            wf,
            x.env.clone().unwrap_or_else(|| "-".into()),
            x.url.as_deref().map(redact).unwrap_or_else(|| "(DATABASE_URL unset)".into()),
            x.autoplan.to_string(),
            x.autoapply.to_string(),
            x.changed.to_string(),
        ]);
    }
    format!("{t}\n")
}
