//! The sticky pull request comment: one per PR, found by its HTML marker and updated in place.
//! It carries the plan hash of every directory in a machine-readable marker, which the merge
//! run compares with the plan it computes before applying.

use serde_json::Value as Json;
use std::collections::BTreeMap;

pub const MARKER: &str = "<!-- schemagate:plan -->";
const STATE: &str = "<!-- schemagate:state ";
/// GitHub's comment size limit.
pub const LIMIT: usize = 65_536;

/// The reviewed plan hashes recorded in a comment body.
/// Only the state line schemagate writes right after the marker counts: a state-looking text
/// further down (a name in the plan) is never read.
pub fn hashes(body: &str) -> BTreeMap<String, String> {
    let Some(rest) = body.strip_prefix(MARKER).and_then(|b| b.strip_prefix('\n')).and_then(|b| b.strip_prefix(STATE)) else { return BTreeMap::new() };
    let Some(end) = rest.find(" -->") else { return BTreeMap::new() };
    serde_json::from_str::<Json>(&rest[..end])
        .ok()
        .and_then(|v| v["hashes"].as_object().cloned())
        .map(|m| m.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect())
        .unwrap_or_default()
}

pub struct DirSection {
    pub dir: String,
    pub ok: bool,
    pub has_changes: bool,
    pub denied: bool,
    pub hash: Option<String>,
    pub markdown: String,
    pub error: Option<String>,
    pub blocking: usize,
    pub warnings: usize,
}

pub fn render(title: &str, sections: &[DirSection], next: &str, hashes: &BTreeMap<String, String>, mermaid: Option<&str>) -> String {
    let mut s = format!("{MARKER}\n{STATE}{} -->\n## {title}\n\n", serde_json::json!({ "hashes": hashes }));
    s.push_str("| Directory | Result | Changes | Lint |\n|---|---|---|---|\n");
    for d in sections {
        let result = if !d.ok && !d.denied {
            "❌ failed"
        } else if d.denied {
            "⛔ denied"
        } else {
            "✅ ok"
        };
        let lint = match (d.blocking, d.warnings) {
            (0, 0) => "—".to_string(),
            (b, w) => format!("{b} denied, {w} warnings"),
        };
        s.push_str(&format!("| {} | {result} | {} | {lint} |\n", crate::report::escape::md_code(&d.dir), if d.has_changes { "yes" } else { "none" }));
    }
    s.push('\n');
    if let Some(m) = mermaid {
        s.push_str(&crate::report::escape::md_fence("mermaid", m));
        s.push('\n');
    }
    for d in sections {
        s.push_str(&format!("<details><summary><b>{}</b>{}</summary>\n\n", crate::report::escape::md_text(&d.dir), d.hash.as_ref().map(|h| format!(" — plan <code>{}</code>", &h[..h.len().min(12)])).unwrap_or_default()));
        if let Some(e) = &d.error {
            s.push_str(&crate::report::escape::md_fence("", e));
            s.push('\n');
        }
        s.push_str(&d.markdown);
        s.push_str("\n</details>\n\n");
    }
    s.push_str(&format!("**Next:** {next}\n"));
    truncate(s)
}

/// Keep a body under GitHub's limit, pointing at the job summary for the rest.
pub fn truncate(s: String) -> String {
    if s.len() <= LIMIT {
        return s;
    }
    let note = "\n\n… the plan is too long for a comment; the full output is in this run's job summary.\n";
    let mut cut = LIMIT - note.len() - 16;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{note}", &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_and_truncation() {
        let h = BTreeMap::from([("db/app".to_string(), "abc".to_string())]);
        let body = render("schemagate plan", &[], "merge", &h, None);
        assert!(body.starts_with(MARKER));
        assert_eq!(hashes(&body), h);
        let long = truncate("x".repeat(100_000));
        assert!(long.len() <= LIMIT && long.contains("job summary"));
    }
}
