//! Which directories are schema targets, which of them a change touches, and their tags.

use super::{Config, WhenModified};
use std::path::Path;

/// A path glob as Terrateam's file patterns use them: `*` within a segment, `**` across
/// segments, `?` one character; a leading `!` (handled by the caller) excludes.
pub fn glob(pattern: &str, path: &str) -> bool {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    regex::Regex::new(&re).map(|r| r.is_match(path)).unwrap_or(false)
}

/// Effective `when_modified` of a directory: its own keys over the global ones.
pub fn when_modified(config: &Config, dir: &str) -> WhenModified {
    let mut w = config.when_modified.clone();
    if let Some(d) = dir_entry(config, dir) {
        let o = &d.when_modified;
        if let Some(p) = &o.file_patterns {
            w.file_patterns = p.clone();
        }
        if let Some(v) = o.autoplan {
            w.autoplan = v;
        }
        if let Some(v) = o.autoplan_draft_pr {
            w.autoplan_draft_pr = v;
        }
        if let Some(v) = o.autoapply {
            w.autoapply = v;
        }
    }
    w
}

/// The `dirs` entry for a directory: an exact key wins over globs; the longest glob wins.
pub fn dir_entry<'a>(config: &'a Config, dir: &str) -> Option<&'a super::Dir> {
    if let Some(d) = config.dirs.get(dir) {
        return Some(d);
    }
    config.dirs.iter().filter(|(k, _)| k.contains('*') && glob(k, dir)).max_by_key(|(k, _)| k.len()).map(|(_, d)| d)
}

/// Does `file` (repository-relative) match the directory's file patterns?
pub fn touches(patterns: &[String], dir: &str, file: &str) -> bool {
    let prefix = if dir == "." || dir.is_empty() { String::new() } else { format!("{dir}/") };
    let expand = |p: &str| {
        let p = p.replace("${DIR}/", &prefix).replace("${DIR}", dir.trim_end_matches('/'));
        // Terrateam rewrites a leading `**/` to `${DIR}/`.
        match p.strip_prefix("**/") {
            Some(rest) => format!("{prefix}{rest}"),
            None => p,
        }
    };
    let mut hit = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(ex) => {
                if glob(&expand(ex), file) {
                    return false;
                }
            }
            None => hit |= glob(&expand(p), file),
        }
    }
    hit
}

/// Schema directories under `root`: listed in `dirs` (exact keys), or holding files their
/// patterns match. Hidden directories and build output are not searched.
pub fn discover(root: &Path, config: &Config) -> Vec<String> {
    let mut out: Vec<String> = config.dirs.keys().filter(|k| !k.contains('*') && root.join(k).is_dir()).cloned().collect();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let rel = d.strip_prefix(root).map(|p| p.display().to_string()).unwrap_or_default();
        let dir = if rel.is_empty() { ".".to_string() } else { rel };
        let patterns = when_modified(config, &dir).file_patterns;
        let mut is_target = false;
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(p);
                }
            } else {
                let file = if dir == "." { name.clone() } else { format!("{dir}/{name}") };
                if (name.ends_with(".hcl") || name.ends_with(".sql")) && touches(&patterns, &dir, &file) {
                    is_target = true;
                }
            }
        }
        if is_target && !out.contains(&dir) {
            out.push(dir);
        }
    }
    out.sort();
    out
}

/// The tags of a directory: `dir:<path>`, its configured tags, and branch tags.
pub fn tags(config: &Config, dir: &str, branch: Option<&str>, dest_branch: Option<&str>) -> Vec<String> {
    let mut t = vec![format!("dir:{}", dir.trim_end_matches('/'))];
    if let Some(d) = dir_entry(config, dir) {
        t.extend(d.tags.iter().cloned());
    }
    for (name, re) in &config.tags.branch {
        if branch.is_some_and(|b| regex::Regex::new(re).map(|r| r.is_match(b)).unwrap_or(false)) {
            t.push(format!("branch:{name}"));
        }
    }
    for (name, re) in &config.tags.dest_branch {
        if dest_branch.is_some_and(|b| regex::Regex::new(re).map(|r| r.is_match(b)).unwrap_or(false)) {
            t.push(format!("dest_branch:{name}"));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("db/*/schema.hcl", "db/app/schema.hcl"));
        assert!(!glob("db/*/schema.hcl", "db/app/x/schema.hcl"));
        assert!(glob("db/**/*.sql", "db/a/b/c.sql"));
        assert!(glob("**/*.hcl", "x.hcl"));
    }

    #[test]
    fn file_patterns_with_dir_and_excludes() {
        let p = vec!["${DIR}/*.hcl".to_string(), "${DIR}/*.sql".to_string(), "!${DIR}/seed.sql".to_string()];
        assert!(touches(&p, "db/app", "db/app/schema.hcl"));
        assert!(!touches(&p, "db/app", "db/analytics/schema.hcl"));
        assert!(!touches(&p, "db/app", "db/app/seed.sql"));
        assert!(touches(&["**/*.hcl".to_string()], "db/app", "db/app/x.hcl"));
    }
}
