//! Splitting SQL scripts into statements, the way schema dumps are written: PostgreSQL dollar
//! quoting and `BEGIN ATOMIC`, MySQL `DELIMITER` and `#` comments, trigger and routine bodies
//! with `BEGIN … END`, Atlas's `-- atlas:delimiter` directive. Statements keep their `;`
//! (custom delimiters are removed); comments before a statement are dropped.

#[derive(Debug, Clone, Copy, Default)]
pub struct SplitOptions {
    /// MySQL: a backslash escapes the next character inside quotes.
    pub backslash_escapes: bool,
}

pub fn split(src: &str, opts: SplitOptions) -> Vec<String> {
    let mut delim = ";".to_string();
    let mut body = src;
    // `-- atlas:delimiter X` as the first line sets the delimiter for the whole file.
    if let Some(first) = src.lines().next() {
        if let Some(d) = first.trim().strip_prefix("-- atlas:delimiter ") {
            delim = d.replace("\\n", "\n").replace("\\t", "\t");
            body = &src[first.len()..];
            body = body.strip_prefix('\n').unwrap_or(body);
        }
    }
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut start: Option<usize> = None;
    let mut block_depth = 0i32;
    while i < b.len() {
        // Between statements: skip blanks and comments; handle DELIMITER commands.
        if start.is_none() {
            if b[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if let Some(n) = comment_len(b, i) {
                i += n;
                continue;
            }
            if at_line_start(b, i) && starts_with_ci(&b[i..], b"delimiter ") {
                let end = line_end(b, i);
                let d = body[i + "delimiter ".len()..end].trim();
                let d = d.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')).unwrap_or(d);
                if !d.is_empty() {
                    delim = d.replace("\\n", "\n").replace("\\t", "\t");
                }
                i = end;
                continue;
            }
            if delim != ";" && body[i..].starts_with(delim.as_str()) && !delim.starts_with('\n') {
                i += delim.len();
                continue;
            }
            start = Some(i);
            block_depth = 0;
        }
        let s = start.unwrap();
        // A custom delimiter ends the statement wherever it appears outside quotes (routine
        // bodies with `;` are exactly why it was set), even when it looks like a comment or a
        // dollar quote (`-- end`, `$$`).
        if delim != ";" && body[i..].starts_with(delim.as_str()) {
            push(&mut out, &body[s..i]);
            i += delim.len();
            start = None;
            continue;
        }
        // Quoted text and comments inside a statement.
        match b[i] {
            b'\'' => {
                let e_string = i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && (i < 2 || !is_word(b[i - 2]));
                i = skip_quoted(b, i, b'\'', opts.backslash_escapes || e_string);
                continue;
            }
            b'"' | b'`' => {
                i = skip_quoted(b, i, b[i], opts.backslash_escapes && b[i] == b'"');
                continue;
            }
            b'$' => {
                if let Some(tag_end) = dollar_tag(b, i) {
                    let tag = &body[i..tag_end];
                    i = match body[tag_end..].find(tag) {
                        Some(p) => tag_end + p + tag.len(),
                        None => b.len(),
                    };
                    continue;
                }
            }
            _ => {}
        }
        if let Some(n) = comment_len(b, i).filter(|_| b[i] != b'#' || opts.backslash_escapes || at_line_start(b, i)) {
            i += n;
            continue;
        }
        // BEGIN … END blocks of triggers, routines and BEGIN ATOMIC bodies.
        if delim == ";" && is_word_start(b, i) {
            let w = word_at(b, i);
            let upper = w.to_ascii_uppercase();
            match upper.as_str() {
                "BEGIN" if in_routine(&body[s..i]) && !begins_transaction(&body[i + w.len()..]) => block_depth += 1,
                "CASE" if block_depth > 0 => block_depth += 1,
                "END" if block_depth > 0 => {
                    let next = word_after(&body[i + w.len()..]).to_ascii_uppercase();
                    if !matches!(next.as_str(), "IF" | "LOOP" | "REPEAT" | "WHILE" | "FOR") {
                        block_depth -= 1;
                    }
                }
                _ => {}
            }
            i += w.len();
            continue;
        }
        if block_depth == 0 && b[i] == b';' && delim == ";" {
            push(&mut out, &body[s..i + 1]);
            i += 1;
            start = None;
            continue;
        }
        i += body[i..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
    }
    if let Some(s) = start {
        push(&mut out, &body[s..]);
    }
    out
}

fn push(out: &mut Vec<String>, text: &str) {
    let t = text.trim();
    if !t.is_empty() && t != ";" {
        out.push(t.to_string());
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_word_start(b: &[u8], i: usize) -> bool {
    (b[i].is_ascii_alphabetic() || b[i] == b'_') && (i == 0 || !is_word(b[i - 1]))
}

fn word_at(b: &[u8], i: usize) -> &str {
    let mut j = i;
    while j < b.len() && is_word(b[j]) {
        j += 1;
    }
    std::str::from_utf8(&b[i..j]).unwrap_or("")
}

fn word_after(s: &str) -> &str {
    let t = s.trim_start();
    let end = t.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(t.len());
    &t[..end]
}

/// A statement whose body may hold `;` inside BEGIN … END.
fn in_routine(prefix: &str) -> bool {
    let u = prefix.to_ascii_uppercase();
    let u = u.trim_start();
    u.starts_with("CREATE") && (u.contains("TRIGGER") || u.contains("FUNCTION") || u.contains("PROCEDURE") || u.contains("EVENT"))
        || u.starts_with("DO")
}

/// `BEGIN;`, `BEGIN TRANSACTION`, `BEGIN WORK` start a transaction, not a block. `BEGIN ATOMIC`
/// and `BEGIN` followed by statements are blocks.
fn begins_transaction(rest: &str) -> bool {
    let t = rest.trim_start();
    t.starts_with(';') || {
        let w = word_after(t).to_ascii_uppercase();
        w == "TRANSACTION" || w == "WORK" || w == "DEFERRED" || w == "IMMEDIATE" || w == "EXCLUSIVE"
    }
}

fn comment_len(b: &[u8], i: usize) -> Option<usize> {
    if b[i] == b'-' && b.get(i + 1) == Some(&b'-') || b[i] == b'#' {
        return Some(line_end(b, i) - i);
    }
    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
        let mut j = i + 2;
        while j + 1 < b.len() && !(b[j] == b'*' && b[j + 1] == b'/') {
            j += 1;
        }
        return Some((j + 2).min(b.len()) - i);
    }
    None
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..].iter().position(|&c| c == b'\n').map(|p| i + p).unwrap_or(b.len())
}

fn at_line_start(b: &[u8], i: usize) -> bool {
    i == 0 || b[..i].iter().rev().take_while(|&&c| c != b'\n').all(|c| c.is_ascii_whitespace())
}

fn starts_with_ci(b: &[u8], p: &[u8]) -> bool {
    b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p)
}

fn skip_quoted(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if backslash && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// `$$` or `$tag$` (tag: a letter or underscore then letters, digits, underscores); not `$1`.
fn dollar_tag(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_word(b[i - 1]) {
        return None;
    }
    let mut j = i + 1;
    if b.get(j) == Some(&b'$') {
        return Some(j + 1);
    }
    if !b.get(j).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
        return None;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    (b.get(j) == Some(&b'$')).then_some(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_split() {
        let s = split("CREATE TABLE a(x int); -- c\nCREATE TABLE b(y text default ';');", SplitOptions::default());
        assert_eq!(s, vec!["CREATE TABLE a(x int);", "CREATE TABLE b(y text default ';');"]);
    }

    #[test]
    fn dollar_quotes_and_transactions() {
        let s = split("BEGIN;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nCOMMIT;", SplitOptions::default());
        assert_eq!(s.len(), 3, "{s:?}");
    }
}
