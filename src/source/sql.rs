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
    split_at(src, opts).into_iter().map(|(_, s)| s).collect()
}

/// [`split`], with each statement's byte offset in `src` (for `file:line:col` errors).
pub fn split_at(src: &str, opts: SplitOptions) -> Vec<(usize, String)> {
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
    let base = src.len() - body.len();
    let mut out = Vec::new();
    {
        let mut push = |text: &str, at: usize| {
            let lead = text.len() - text.trim_start().len();
            push_at(&mut out, text, base + at + lead);
        };
        split_body(body, delim, opts, &mut push);
    }
    out
}

fn split_body(body: &str, mut delim: String, opts: SplitOptions, emit: &mut dyn FnMut(&str, usize)) {
    let b = body.as_bytes();
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
            if let Some(n) = comment_len(b, i, opts.backslash_escapes) {
                i += n;
                continue;
            }
            // A psql meta-command (`\connect`, `\restrict`) is one line, never SQL: its own
            // "statement", so the loader can refuse or skip it instead of gluing it to the next.
            if b[i] == b'\\' && at_line_start(b, i) {
                let end = line_end(b, i);
                emit(&body[i..end], i);
                i = end;
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
            emit(&body[s..i], s);
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
        if let Some(n) = comment_len(b, i, opts.backslash_escapes).filter(|_| b[i] != b'#' || opts.backslash_escapes || at_line_start(b, i)) {
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
            emit(&body[s..i + 1], s);
            i += 1;
            start = None;
            continue;
        }
        i += body[i..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
    }
    if let Some(s) = start {
        emit(&body[s..], s);
    }
}

fn push_at(out: &mut Vec<(usize, String)>, text: &str, at: usize) {
    let t = text.trim();
    if !t.is_empty() && t != ";" {
        out.push((at, t.to_string()));
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

/// A comment at `i`, and its length. MySQL (`mysql`) starts a `--` comment only before
/// whitespace or a control character (`1--1` is arithmetic there), as its server does.
fn comment_len(b: &[u8], i: usize, mysql: bool) -> Option<usize> {
    let dashes = b[i] == b'-' && b.get(i + 1) == Some(&b'-') && (!mysql || b.get(i + 2).is_none_or(|n| n.is_ascii_whitespace() || n.is_ascii_control()));
    if dashes || b[i] == b'#' {
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

/// Past the quoted text opened at `i` (the end of the input if it is never closed).
fn skip_quoted(b: &[u8], i: usize, q: u8, backslash: bool) -> usize {
    quoted_end(b, i, q, backslash).unwrap_or(b.len())
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

/// What an SQL fragment embedded in HCL must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment {
    /// A default, check, generated column, index part, policy or trigger condition, a type.
    Expression,
    /// A view's query (SELECT, WITH, VALUES, TABLE).
    Query,
}

/// Check that an HCL-embedded piece of SQL is one expression or one query, lexed the way the
/// server will lex it: no `;` outside quotes and comments (a view may end with one), balanced
/// parentheses, every quote and comment closed, no line comment in an expression (it would
/// swallow the rest of the statement it is placed in), MySQL's `/*! … */` read as the code it
/// is. MySQL is checked with and without backslash escapes (NO_BACKSLASH_ESCAPES is a server
/// setting), so text that is one statement under only one reading is refused. The error says
/// what is wrong; the caller adds the position.
pub fn check_fragment(text: &str, kind: Fragment, mysql: bool) -> Result<(), String> {
    let readings: &[bool] = if mysql { &[true, false] } else { &[false] };
    for &backslash in readings {
        check_reading(text, kind, mysql, backslash)?;
    }
    if kind == Fragment::Query {
        let first = text.trim_start().trim_start_matches('(').split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("").to_ascii_uppercase();
        if !matches!(first.as_str(), "SELECT" | "WITH" | "VALUES" | "TABLE") {
            return Err(format!("a view's query must be one SELECT (or WITH, VALUES, TABLE) query; this starts with `{}`", crate::report::escape::line(&first)));
        }
    }
    Ok(())
}

fn check_reading(text: &str, kind: Fragment, mysql: bool, backslash: bool) -> Result<(), String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0i64;
    let mut ended = false;
    let mut in_exec = false;
    let unclosed = |what: &str| Err(format!("{what} is never closed"));
    while i < b.len() {
        let c = b[i];
        if ended && !c.is_ascii_whitespace() {
            return Err("more than one statement: only one query is allowed here, text follows its `;`".into());
        }
        match c {
            b'\'' => {
                let e_string = !mysql && i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && (i < 2 || !is_word(b[i - 2]));
                match quoted_end(b, i, b'\'', backslash || e_string) {
                    Some(j) => i = j,
                    None => return unclosed("a quoted string"),
                }
                continue;
            }
            b'"' | b'`' => {
                match quoted_end(b, i, c, backslash && c == b'"') {
                    Some(j) => i = j,
                    None => return unclosed("a quoted name"),
                }
                continue;
            }
            b'$' if !mysql => {
                if let Some(tag_end) = dollar_tag(b, i) {
                    let tag = &text[i..tag_end];
                    match text[tag_end..].find(tag) {
                        Some(p) => i = tag_end + p + tag.len(),
                        None => return unclosed("a dollar-quoted string"),
                    }
                    continue;
                }
            }
            // The `*/` that ends an executable comment (and nothing more).
            b'*' if in_exec && b.get(i + 1) == Some(&b'/') => {
                in_exec = false;
                i += 2;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if mysql && matches!(b.get(i + 2), Some(b'!') | Some(b'M') | Some(b'm')) {
                    // Executable comment: its inside is code.
                    in_exec = true;
                    i += 2;
                    continue;
                }
                match text[i + 2..].find("*/") {
                    Some(p) => i = i + 2 + p + 2,
                    None => return unclosed("a /* comment"),
                }
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') && (!mysql || b.get(i + 2).is_none_or(|n| n.is_ascii_whitespace() || n.is_ascii_control())) => {
                if kind == Fragment::Expression {
                    return Err("a `--` comment in an expression would hide the rest of the statement it is placed in".into());
                }
                i = line_end(b, i);
                continue;
            }
            b'#' if mysql => {
                if kind == Fragment::Expression {
                    return Err("a `#` comment in an expression would hide the rest of the statement it is placed in".into());
                }
                i = line_end(b, i);
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced parentheses: a `)` closes more than this text opened".into());
                }
            }
            b';' => {
                if kind == Fragment::Expression {
                    return Err("more than one statement: a `;` ends the statement this expression is placed in".into());
                }
                ended = true;
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err("unbalanced parentheses: a `(` is never closed".into());
    }
    Ok(())
}

/// The end of the quoted text opened at `i` (just past its closing quote), or None if the text
/// ends first.
fn quoted_end(b: &[u8], i: usize, q: u8, backslash: bool) -> Option<usize> {
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
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// MySQL executes the inside of `/*! … */` and `/*M! … */` comments: text that holds one is not
/// what a comment-skipping scan sees, so it never runs outside the prepared-statement protocol.
pub fn has_executable_comment(sql: &str) -> bool {
    sql.contains("/*!") || sql.contains("/*M!") || sql.contains("/*m!")
}

/// A plain `BEGIN`/`START TRANSACTION` … `COMMIT`/`END` around a file's statements (MediaWiki's
/// PostgreSQL schema has one): the loader skips it, since it runs each statement itself and the
/// statements mean the same with or without the wrapper. Anything that changes the outcome
/// (`ROLLBACK`, savepoints, isolation or access modes) stays refused by [`refused`].
pub fn transaction_wrapper(stmt: &str) -> bool {
    let words: Vec<String> = stmt.trim().trim_end_matches(';').split_whitespace().map(|w| w.to_ascii_uppercase()).collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(w.as_slice(), ["BEGIN"] | ["BEGIN", "TRANSACTION" | "WORK"] | ["START", "TRANSACTION"] | ["COMMIT"] | ["COMMIT", "TRANSACTION" | "WORK"] | ["END"] | ["END", "TRANSACTION" | "WORK"])
}

/// Statements a schema source may not hold: they leave the one disposable database (another
/// database, file or identity) or control transactions that schemagate runs itself (a `BEGIN`
/// held on one pooled connection made loading hang, and tables created inside it were lost).
/// Returns why, or None for an ordinary statement. psql's `\restrict`/`\unrestrict` lines
/// (pg_dump ≥ 17.6 writes them) only guard psql itself and are skipped by the caller.
pub fn refused(stmt: &str) -> Option<&'static str> {
    let t = stmt.trim_start();
    if t.starts_with('\\') {
        return Some("a psql meta-command (a `\\` line) is not SQL: schemagate loads statements, not psql scripts");
    }
    let words: Vec<String> = t.split(|c: char| c.is_whitespace() || c == ';' || c == '(').filter(|w| !w.is_empty()).take(3).map(|w| w.to_ascii_uppercase()).collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    match w(0) {
        "BEGIN" if matches!(w(1), "" | "TRANSACTION" | "WORK" | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE" | "ISOLATION" | "READ") => Some(TX),
        "START" if w(1) == "TRANSACTION" => Some(TX),
        "COMMIT" | "ROLLBACK" | "END" | "ABORT" | "SAVEPOINT" | "RELEASE" | "PREPARE" if w(0) != "PREPARE" || w(1) == "TRANSACTION" => Some(TX),
        "SET" if matches!(w(1), "ROLE" | "AUTOCOMMIT") || (w(1) == "SESSION" && matches!(w(2), "AUTHORIZATION" | "ROLE")) || w(1) == "TRANSACTION" => Some("changing the session's identity or transaction mode is not allowed in a schema source"),
        "RESET" if matches!(w(1), "ROLE" | "SESSION") => Some("changing the session's identity is not allowed in a schema source"),
        "USE" | "CONNECT" => Some("a schema source is loaded into one disposable database: `USE`/`CONNECT` would leave it (name the schema in the desired state instead)"),
        "ATTACH" | "DETACH" => Some("a schema source may not attach other database files"),
        "VACUUM" if w(1) == "INTO" => Some("a schema source may not write other database files"),
        "COPY" | "LOAD" => Some("a schema source holds the schema, not data: COPY/LOAD read or write files"),
        "LOCK" | "UNLOCK" => None,
        _ => None,
    }
}

const TX: &str = "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed in a schema source: schemagate runs each statement on its own in a disposable database; remove it";

/// 1-based line and column of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
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
    fn statements_know_where_they_start() {
        let src = "-- head\nCREATE TABLE a(x int);\n\n  CREATE TABLE b(y int);";
        let s = split_at(src, SplitOptions::default());
        assert_eq!(s.iter().map(|(at, _)| line_col(src, *at)).collect::<Vec<_>>(), vec![(2, 1), (4, 3)]);
    }

    #[test]
    fn fragments_are_one_expression_or_one_query() {
        use Fragment::*;
        for (ok, kind, mysql) in [
            ("now()", Expression, false),
            ("'a;b' || \"x;y\"", Expression, false),
            ("(x > 0) AND (y < 'it''s')", Expression, false),
            ("$$;$$", Expression, false),
            ("'C:\\'", Expression, false),
            ("SELECT 1 AS x;", Query, false),
            ("WITH a AS (SELECT 1) SELECT * FROM a -- note\n", Query, false),
            ("(SELECT 1) UNION (SELECT 2)", Query, false),
            ("`a;b` + 1", Expression, true),
            ("1--1", Expression, true),
        ] {
            assert_eq!(check_fragment(ok, kind, mysql), Ok(()), "{ok}");
        }
        for (bad, kind, mysql) in [
            ("1; DROP TABLE t", Expression, false),
            ("1); DROP TABLE t; --", Expression, false),
            ("x) OR (true", Expression, false),
            ("'unterminated", Expression, false),
            ("now() -- rest", Expression, false),
            ("SELECT 1; CREATE ROLE evil SUPERUSER", Query, false),
            ("SELECT 1;\nCOPY (SELECT 1) TO PROGRAM 'id'", Query, false),
            ("DELETE FROM t", Query, false),
            ("1--1; DROP TABLE t", Expression, true),
            ("'\\'; DROP TABLE t; -- '", Expression, true),
            ("/*! ; DROP TABLE t */ 1", Expression, true),
            (": /*! 1 */*; */", Expression, true),
            ("$a$ x", Expression, false),
            ("/* open", Query, false),
        ] {
            assert!(check_fragment(bad, kind, mysql).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_commands_are_lines_of_their_own() {
        let s = split("\\restrict abc\nSET x = 1;\n\\connect other\nCREATE TABLE t(a int);", SplitOptions::default());
        assert_eq!(s, vec!["\\restrict abc", "SET x = 1;", "\\connect other", "CREATE TABLE t(a int);"]);
    }

    #[test]
    fn refuses_what_leaves_the_disposable_database() {
        for bad in ["BEGIN;", "begin transaction;", "START TRANSACTION;", "COMMIT;", "END;", "ROLLBACK;", "SAVEPOINT a;", "SET SESSION AUTHORIZATION postgres;", "SET ROLE postgres;", "RESET ROLE;", "\\connect other", "\\! rm -rf /", "USE other_db;", "ATTACH DATABASE '/tmp/x' AS x;", "VACUUM INTO '/tmp/x';", "COPY t FROM PROGRAM 'id';", "LOAD DATA INFILE '/etc/passwd' INTO TABLE t;", "PREPARE TRANSACTION 'x';", "SET autocommit = 0;"] {
            assert!(refused(bad).is_some(), "{bad}");
        }
        for ok in ["CREATE TABLE t(x int);", "SET search_path = public;", "SET NAMES utf8mb4;", "BEGIN ATOMIC", "PREPARE q AS SELECT 1;", "SELECT pg_catalog.set_config('search_path', '', false);", "CREATE FUNCTION f() RETURNS int BEGIN RETURN 1; END;"] {
            assert_eq!(refused(ok), None, "{ok}");
        }
    }

    #[test]
    fn a_plain_transaction_wrapper_is_skipped_and_nothing_else() {
        for wrapper in ["BEGIN;", "begin transaction;", "START TRANSACTION;", "COMMIT;", "commit work;", "END;"] {
            assert!(transaction_wrapper(wrapper), "{wrapper}");
        }
        for not in ["ROLLBACK;", "SAVEPOINT a;", "BEGIN ISOLATION LEVEL SERIALIZABLE;", "START TRANSACTION READ ONLY;", "BEGIN ATOMIC", "COMMIT AND CHAIN;", "END IF;"] {
            assert!(!transaction_wrapper(not), "{not}");
        }
    }

    #[test]
    fn dollar_quotes_and_transactions() {
        let s = split("BEGIN;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nCOMMIT;", SplitOptions::default());
        assert_eq!(s.len(), 3, "{s:?}");
    }
}
