//! The sticky pull request comments: one per schema directory, found by their HTML markers and
//! updated in place. Each carries its directory's reviewed plan hash in a machine-readable line,
//! which the merge run compares with the plan it computes before applying. One comment per
//! directory makes matrix jobs (one job per directory) safe: a job only ever writes the comment
//! of its own directories, so no job can overwrite another's section or hash, and each
//! directory gets GitHub's whole size limit.

use serde_json::Value as Json;
use std::collections::BTreeMap;

pub const MARKER: &str = "<!-- schemagate:plan -->";
const STATE: &str = "<!-- schemagate:state ";
const DIR: &str = "<!-- schemagate:dir ";

/// The line that names a comment's directory (hex, so no directory name can end the HTML
/// comment early).
pub fn dir_line(dir: &str) -> String {
    format!("{DIR}{} -->", hex::encode(dir.as_bytes()))
}

/// The directory a comment belongs to: from its second line, right after the marker. None for a
/// comment of an earlier version (all directories in one) or a reply.
pub fn dir_of(body: &str) -> Option<String> {
    let rest = body.strip_prefix(MARKER)?.strip_prefix('\n')?.strip_prefix(DIR)?;
    let hexed = &rest[..rest.find(" -->")?];
    String::from_utf8(hex::decode(hexed).ok()?).ok()
}
/// GitHub's comment size limit.
pub const LIMIT: usize = 65_536;

/// The reviewed plan hashes recorded in a comment body.
/// Only the state line schemagate writes right after the marker counts: a state-looking text
/// further down (a name in the plan) is never read.
pub fn hashes(body: &str) -> BTreeMap<String, String> {
    state(body)
        .and_then(|v| v["hashes"].as_object().cloned())
        .map(|m| m.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect())
        .unwrap_or_default()
}

#[derive(Clone)]
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

/// The comment for these sections. Over GitHub's limit, the SQL blocks are folded away first
/// (the summary table, the findings and the reviewed hashes stay; the job summary keeps the
/// SQL), then the diagram, and only then is the rest cut.
pub fn render(title: &str, sections: &[DirSection], next: &str, hashes: &BTreeMap<String, String>, mermaid: Option<&str>) -> String {
    render_for(None, None, title, sections, next, hashes, mermaid)
}

/// The commit a directory's comment was planned at (its state's `sha`).
pub fn reviewed_sha(body: &str) -> Option<String> {
    state(body)?["sha"].as_str().map(String::from)
}

/// The state line's JSON.
fn state(body: &str) -> Option<Json> {
    let after = body.strip_prefix(MARKER)?.strip_prefix('\n')?;
    let after = match after.strip_prefix(DIR).and_then(|r| r.find(" -->\n").map(|i| &r[i + " -->\n".len()..])) {
        Some(rest) => rest,
        None => after,
    };
    let rest = after.strip_prefix(STATE)?;
    serde_json::from_str(&rest[..rest.find(" -->")?]).ok()
}

/// [`render`] for the comment of one directory (its dir line after the marker), planned at
/// commit `sha` (kept in the state: `apply` from a comment refuses once the head moved).
pub fn render_for(dir: Option<&str>, sha: Option<&str>, title: &str, sections: &[DirSection], next: &str, hashes: &BTreeMap<String, String>, mermaid: Option<&str>) -> String {
    let st = match sha {
        Some(sha) => serde_json::json!({ "hashes": hashes, "sha": sha }),
        None => serde_json::json!({ "hashes": hashes }),
    };
    let head = |s: String| match dir {
        Some(d) => s.replacen(&format!("{MARKER}\n"), &format!("{MARKER}\n{}\n", dir_line(d)), 1),
        None => s,
    };
    let full = head(render_all(title, sections, next, &st, mermaid));
    if full.len() <= LIMIT {
        return full;
    }
    let folded: Vec<DirSection> = sections.iter().map(|d| DirSection { markdown: without_sql(&d.markdown), ..d.clone() }).collect();
    let s = head(render_all(title, &folded, next, &st, mermaid));
    if s.len() <= LIMIT {
        return s;
    }
    truncate(head(render_all(title, &folded, next, &st, None)))
}

/// A section's Markdown with its SQL block replaced by a pointer to the job summary.
fn without_sql(md: &str) -> String {
    const OPEN: &str = "<details><summary>SQL</summary>";
    let Some(start) = md.find(OPEN) else { return md.to_string() };
    let Some(len) = md[start..].find("</details>") else { return md.to_string() };
    format!("{}_The SQL is too long for a comment: it is in this run's job summary._\n{}", &md[..start], &md[start + len + "</details>".len()..])
}

fn render_all(title: &str, sections: &[DirSection], next: &str, state: &Json, mermaid: Option<&str>) -> String {
    // No text inside can end the HTML comment (a directory named `a-->b`).
    let state = state.to_string().replace("-->", "--\\u003e");
    let mut s = format!("{MARKER}\n{STATE}{state} -->\n## {title}\n\n");
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
    s
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
        assert_eq!(dir_of(&body), None);
        let mine = render_for(Some("db/a-->b"), Some("abc123"), "schemagate plan", &[], "merge", &h, None);
        assert_eq!(reviewed_sha(&mine).as_deref(), Some("abc123"));
        assert_eq!(dir_of(&mine).as_deref(), Some("db/a-->b"));
        assert_eq!(hashes(&mine), h);
        assert!(!mine.lines().nth(1).unwrap().contains("a-->b"), "the name cannot end the HTML comment");
        let long = truncate("x".repeat(100_000));
        assert!(long.len() <= LIMIT && long.contains("job summary"));
    }

    /// A plan of a few hundred tables: the SQL goes, the findings and the hashes stay.
    #[test]
    fn an_oversized_comment_folds_the_sql_and_keeps_the_findings() {
        let sql = "CREATE TABLE t (id int);\n".repeat(5_000);
        let md = format!("| Object | Change |\n\n<details><summary>SQL</summary>\n\n```sql\n{sql}```\n</details>\n\nPlan hash: `abc`\n\n| DS102 | error | `t` | dropping table |\n");
        let d = DirSection { dir: "db".into(), ok: true, has_changes: true, denied: true, hash: Some("abc".into()), markdown: md, error: None, blocking: 1, warnings: 0 };
        let h = BTreeMap::from([("db".to_string(), "abc".to_string())]);
        let body = render("schemagate plan", &[d], "fix it", &h, None);
        assert!(body.len() <= LIMIT, "{}", body.len());
        assert!(body.contains("DS102") && body.contains("job summary") && !body.contains("CREATE TABLE t"), "{}", &body[..500.min(body.len())]);
        assert_eq!(hashes(&body), h);
    }
}
