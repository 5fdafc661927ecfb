//! Names and strings from a pull request end up in SQL comments, Markdown tables and code fences,
//! terminal tables and GitHub workflow logs. Each context has bytes that end it (a newline ends a
//! `--` comment, `|` a table cell, a backtick run a code span, a line starting with `::` is a
//! workflow command); these helpers render any text so that none of its bytes can.

/// One line, whatever the text holds: control characters (newline, carriage return, escape, NUL…)
/// and Unicode line separators become visible escapes (`\n`, `\x1b`, `\u{2028}`).
pub fn line(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// Text in Markdown (a table cell, a summary): one line, no HTML (`<!--` would open a comment,
/// `</details>` close a block), `|` escaped so the cell does not split.
pub fn md_text(s: &str) -> String {
    line(s).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|")
}

/// An inline code span in a Markdown table cell: a backtick fence longer than any run inside.
pub fn md_code(s: &str) -> String {
    let body = line(s).replace('|', "\\|");
    let ticks = "`".repeat(longest_run(&body, '`') + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

/// A fenced code block that no line of `content` can close.
pub fn md_fence(lang: &str, content: &str) -> String {
    let ticks = "`".repeat((longest_run(content, '`') + 1).max(3));
    let nl = if content.ends_with('\n') { "" } else { "\n" };
    format!("{ticks}{lang}\n{content}{nl}{ticks}\n")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        cur = if x == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// The message of a workflow command (`::error …::message`).
pub fn workflow_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property of a workflow command (`file=…,title=…`): `:` and `,` end it too.
pub fn workflow_property(s: &str) -> String {
    workflow_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Whether stdout is a GitHub Actions log, where lines starting with `::` are commands.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Text that may hold a pull request's bytes, made inert for a GitHub Actions log: between
/// `::stop-commands::TOKEN` and `::TOKEN::` the runner runs no workflow command, so a name
/// holding `\n::add-mask::…` or `\n::error::…` is printed, not obeyed. Elsewhere unchanged.
pub fn inert(text: &str) -> String {
    if !in_github_actions() || text.is_empty() {
        return text.to_string();
    }
    let token = format!("sg{:032x}", rand::random::<u128>());
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    format!("::stop-commands::{token}\n{text}{nl}::{token}::\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "t\n::add-mask::x\r\u{1b}[2J|`a``b`</details><!-- schemagate:state -->\u{2028}DROP TABLE y; --";

    #[test]
    fn nothing_ends_a_line_a_cell_or_a_fence() {
        let l = line(HOSTILE);
        assert!(!l.chars().any(needs_escape), "{l}");
        assert!(l.contains("\\n::add-mask::"));
        let cell = md_text(HOSTILE);
        assert!(!cell.contains('<') && !cell.contains('\n') && !cell.replace("\\|", "").contains('|'), "{cell}");
        let code = md_code(HOSTILE);
        assert!(code.starts_with("```") && !code[3..code.len() - 3].contains("```"), "{code}");
        let fence = md_fence("sql", "a\n```\nb\n````\n");
        assert!(fence.starts_with("`````sql\n") && fence.ends_with("\n`````\n"), "{fence}");
        assert_eq!(workflow_property("a:b,c\n%"), "a%3Ab%2Cc%0A%25");
    }
}
