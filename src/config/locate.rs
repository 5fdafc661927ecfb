//! Positions of keys in a block-style YAML document, for errors that name `file:line:col`.
//! yaml_serde's values carry no positions, so the text is scanned once: indentation gives each
//! `key:` and `- ` item its path. Flow-style collections (`{a: 1}`) fall back to their parent.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

pub type Path = Vec<Seg>;

/// `workflows[1].plan[0].type`
pub fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Idx(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Path → (line, column), 1-based.
pub fn locate(src: &str) -> HashMap<Path, (usize, usize)> {
    let mut out = HashMap::new();
    let mut stack: Vec<(usize, Seg)> = Vec::new();
    let mut counters: HashMap<Path, usize> = HashMap::new();
    let mut block_scalar: Option<usize> = None;
    for (n, raw) in src.lines().enumerate() {
        let line = n + 1;
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let content = raw.trim();
        if let Some(min) = block_scalar {
            if content.is_empty() || indent > min {
                continue;
            }
            block_scalar = None;
        }
        if content.is_empty() || content.starts_with('#') || content == "---" {
            continue;
        }
        let mut col = indent;
        let mut rest = content;
        // Sequence items, possibly several on one line (`- - x`) and followed by a key.
        while rest == "-" || rest.starts_with("- ") {
            while stack.last().is_some_and(|(i, s)| *i > col || (*i == col && matches!(s, Seg::Idx(_)))) {
                stack.pop();
            }
            let parent: Path = stack.iter().map(|(_, s)| s.clone()).collect();
            let idx = counters.entry(parent.clone()).or_insert(0);
            let me = *idx;
            *idx += 1;
            stack.push((col, Seg::Idx(me)));
            let mut p = parent;
            p.push(Seg::Idx(me));
            out.insert(p, (line, col + 1));
            let after = rest[1..].trim_start();
            col += rest.len() - after.len();
            rest = after;
        }
        if let Some(key) = key_of(rest) {
            while stack.last().is_some_and(|(i, _)| *i >= col) {
                stack.pop();
            }
            stack.push((col, Seg::Key(key)));
            let p: Path = stack.iter().map(|(_, s)| s.clone()).collect();
            counters.remove(&p);
            out.insert(p, (line, col + 1));
            let value = rest.split_once(':').map(|x| x.1.trim()).unwrap_or("");
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar = Some(col);
            }
        }
    }
    out
}

/// The key of a `key: value` line (plain or quoted key).
fn key_of(s: &str) -> Option<String> {
    let (k, _) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        return q[end + 1..].trim_start().starts_with(':').then(|| q[..end].to_string());
    } else if let Some(q) = s.strip_prefix('\'') {
        let end = q.find('\'')?;
        return q[end + 1..].trim_start().starts_with(':').then(|| q[..end].to_string());
    } else {
        let i = s.find(": ").or_else(|| s.strip_suffix(':').map(|x| x.len()))?;
        (&s[..i], ())
    };
    let k = k.trim();
    (!k.is_empty() && !k.contains(['{', '[', '#'])).then(|| k.to_string())
}

/// The position of `path`, or of its closest ancestor that has one.
pub fn find(map: &HashMap<Path, (usize, usize)>, path: &[Seg]) -> (usize, usize) {
    let mut p = path.to_vec();
    loop {
        if let Some(pos) = map.get(&p) {
            return *pos;
        }
        if p.pop().is_none() {
            return (1, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_keys_and_items() {
        let src = "when_modified:\n  autoapply: true\nworkflows:\n  - tag_query: \"\"\n    plan:\n      - type: init\n      - type: plan\n  - tag_query: prod\n";
        let m = locate(src);
        let k = |s: &str| Seg::Key(s.into());
        assert_eq!(m[&vec![k("when_modified"), k("autoapply")]], (2, 3));
        assert_eq!(m[&vec![k("workflows"), Seg::Idx(0), k("tag_query")]], (4, 5));
        assert_eq!(m[&vec![k("workflows"), Seg::Idx(0), k("plan"), Seg::Idx(1), k("type")]], (7, 9));
        assert_eq!(m[&vec![k("workflows"), Seg::Idx(1), k("tag_query")]], (8, 5));
        assert_eq!(render(&[k("workflows"), Seg::Idx(1), k("plan"), Seg::Idx(0), k("type")]), "workflows[1].plan[0].type");
    }

    #[test]
    fn items_at_the_parent_indent() {
        let src = "dirs:\n  db/app:\n    tags:\n    - app\n    - pg\nhooks:\n  all:\n    pre:\n    - type: oidc\n      role_arn: x\n";
        let m = locate(src);
        let k = |s: &str| Seg::Key(s.into());
        assert_eq!(m[&vec![k("dirs"), k("db/app"), k("tags"), Seg::Idx(1)]], (5, 5));
        assert_eq!(m[&vec![k("hooks"), k("all"), k("pre"), Seg::Idx(0), k("role_arn")]], (10, 7));
    }
}
