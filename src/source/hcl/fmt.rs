//! `schemagate fmt`: canonical layout for HCL files that keeps every comment. hcl::format drops
//! comments, so this works on lines: indentation from brace depth (outside strings, comments
//! and heredocs), one space around `=`, `=` aligned across consecutive attribute lines (as
//! hclwrite / `atlas schema fmt` do), blank-line runs collapsed. The result is parsed again and
//! must mean exactly what the input meant, or the file is left alone.

use crate::error::SourceError;

pub fn format(path: &str, src: &str) -> Result<String, SourceError> {
    let before = parse(path, src)?;
    let out = layout(src);
    let after = parse(path, &out)?;
    if before != after {
        return Err(SourceError {
            declared_at: false,
            file: path.to_string(),
            line: 1,
            col: 1,
            msg: "formatting would change the meaning of this file; left unchanged".into(),
            snippet: None,
            hint: Some("please report this file as a schemagate bug".into()),
        });
    }
    Ok(out)
}

fn parse(path: &str, src: &str) -> Result<hcl::Body, SourceError> {
    crate::limits::check(path, src, crate::limits::Syntax::Hcl)?;
    hcl::edit::parser::parse_body(src).map(hcl::Body::from).map_err(|e| SourceError {
        declared_at: false,
        file: path.to_string(),
        line: e.location().line(),
        col: e.location().column(),
        msg: format!("HCL syntax error: {}", e.message()),
        snippet: Some(e.line().to_string()),
        hint: None,
    })
}

#[derive(Debug)]
enum Line {
    Blank,
    /// Verbatim (heredoc bodies and their terminators, multi-line comment bodies).
    Raw(String),
    Code { depth: usize, text: String, attr_key: Option<usize> },
}

pub(crate) fn layout(src: &str) -> String {
    let mut lines = Vec::new();
    let mut depth: i64 = 0;
    let mut heredoc: Option<String> = None;
    let mut in_comment = false;
    for raw in src.lines() {
        let raw = raw.trim_end_matches('\r');
        if let Some(end) = &heredoc {
            let done = raw.trim() == end;
            lines.push(Line::Raw(raw.trim_end().to_string()));
            if done {
                heredoc = None;
            }
            continue;
        }
        if in_comment {
            lines.push(Line::Raw(raw.trim_end().to_string()));
            if raw.contains("*/") {
                in_comment = false;
            }
            continue;
        }
        let t = raw.trim();
        if t.is_empty() {
            lines.push(Line::Blank);
            continue;
        }
        let scan = scan_line(t);
        let opens_first = t.starts_with('}') || t.starts_with(']') || t.starts_with(')');
        let this_depth = if opens_first { (depth - 1).max(0) } else { depth.max(0) };
        let text = normalize_attr(t);
        let attr_key = attr_key_len(&text);
        lines.push(Line::Code { depth: this_depth as usize, text, attr_key });
        depth += scan.delta;
        if let Some(h) = scan.heredoc {
            heredoc = Some(h);
        }
        if scan.open_comment {
            in_comment = true;
        }
    }
    // Align `=` in runs of single-line attributes at the same depth.
    let mut widths = vec![0usize; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if let Line::Code { depth, attr_key: Some(_), .. } = &lines[i] {
            let d = *depth;
            let mut j = i;
            let mut w = 0;
            while j < lines.len() {
                match &lines[j] {
                    Line::Code { depth: dj, attr_key: Some(k), text } if *dj == d && !opens_block(text) => {
                        w = w.max(*k);
                        j += 1;
                    }
                    _ => break,
                }
            }
            for wi in widths.iter_mut().take(j.max(i + 1)).skip(i) {
                *wi = w;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut last_blank = true;
    for (k, l) in lines.iter().enumerate() {
        match l {
            Line::Blank => {
                if !last_blank {
                    out.push('\n');
                }
                last_blank = true;
                continue;
            }
            Line::Raw(r) => out.push_str(r),
            Line::Code { depth, text, attr_key } => {
                out.push_str(&"  ".repeat(*depth));
                match attr_key {
                    Some(key) if widths[k] > 0 && !opens_block(text) => {
                        let (lhs, rhs) = text.split_at(*key);
                        out.push_str(lhs);
                        out.push_str(&" ".repeat(widths[k] - key));
                        out.push_str(rhs);
                    }
                    _ => out.push_str(text),
                }
            }
        }
        out.push('\n');
        last_blank = false;
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A line whose value continues on following lines (`x = [`, `x = {`, heredoc) is not aligned.
fn opens_block(text: &str) -> bool {
    let s = scan_line(text);
    s.delta != 0 || s.heredoc.is_some()
}

/// `key=value` / `key   =   value` → `key = value`. Only for lines that start with an identifier
/// followed by a single `=`.
fn normalize_attr(t: &str) -> String {
    let Some(eq) = t.find('=') else { return t.to_string() };
    let key = t[..eq].trim_end();
    let rest = &t[eq + 1..];
    if rest.starts_with('=') || key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return t.to_string();
    }
    if !key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
        return t.to_string();
    }
    format!("{key} = {}", rest.trim_start())
}

fn attr_key_len(text: &str) -> Option<usize> {
    let eq = text.find(" = ")?;
    let key = &text[..eq];
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !key.is_empty() {
        Some(eq)
    } else {
        None
    }
}

struct Scan {
    delta: i64,
    heredoc: Option<String>,
    open_comment: bool,
}

/// Net bracket depth change of a line, ignoring strings and comments; whether it starts a heredoc
/// (`<<EOT` / `<<-EOT` at the end) or leaves a `/*` comment open.
fn scan_line(t: &str) -> Scan {
    let b: Vec<char> = t.chars().collect();
    let mut i = 0;
    let mut delta = 0i64;
    let mut in_str = false;
    let mut open_comment = false;
    let mut interp = 0;
    while i < b.len() {
        let c = b[i];
        if open_comment {
            if c == '*' && b.get(i + 1) == Some(&'/') {
                open_comment = false;
                i += 2;
                continue;
            }
            i += 1;
            continue;
        }
        if in_str {
            match c {
                '\\' => i += 1,
                '"' if interp == 0 => in_str = false,
                '$' | '%' if b.get(i + 1) == Some(&'{') => {
                    interp += 1;
                    i += 1;
                }
                '}' if interp > 0 => interp -= 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            '"' => in_str = true,
            '#' => break,
            '/' if b.get(i + 1) == Some(&'/') => break,
            '/' if b.get(i + 1) == Some(&'*') => {
                open_comment = true;
                i += 1;
            }
            '{' | '[' | '(' => delta += 1,
            '}' | ']' | ')' => delta -= 1,
            '<' if b.get(i + 1) == Some(&'<') => {
                let rest: String = b[i + 2..].iter().collect();
                let rest = rest.trim_start_matches('-').trim();
                if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Scan { delta, heredoc: Some(rest.to_string()), open_comment: false };
                }
            }
            _ => {}
        }
        i += 1;
    }
    Scan { delta, heredoc: None, open_comment }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindents_aligns_and_keeps_comments() {
        let src = "# users\ntable \"users\" {\nschema=schema.public # where\n    column \"id\" {\n  type = int\n      null=false\n}\n\n\n  // done\n}\n";
        let out = format("t.hcl", src).unwrap();
        assert_eq!(
            out,
            "# users\ntable \"users\" {\n  schema = schema.public # where\n  column \"id\" {\n    type = int\n    null = false\n  }\n\n  // done\n}\n"
        );
        assert_eq!(format("t.hcl", &out).unwrap(), out, "formatting is idempotent");
    }

    #[test]
    fn heredocs_are_verbatim() {
        let src = "view \"v\" {\n  as = <<-SQL\n    SELECT 1\n      FROM t\n  SQL\n}\n";
        assert_eq!(format("t.hcl", src).unwrap(), src);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = format("bad.hcl", "table \"t\" {\n  x = \n}\n").unwrap_err();
        assert_eq!(e.file, "bad.hcl");
        assert!(e.line >= 2, "{e}");
    }
}
