//! Reading back the SQL an engine wrote: the action list of an ALTER TABLE and quoted names.
//! Only for statements schemagate generated (known shapes), never for user SQL.

/// Index of the parenthesis closing the one at position 0.
pub fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote = false;
    for (i, ch) in s.char_indices() {
        match ch {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `e` without the parentheses that wrap all of it (`((a > 0))` → `a > 0`; `(a) + (b)` stays).
pub fn unwrapped(e: &str) -> &str {
    let e = e.trim();
    match matching_paren(e) {
        Some(close) if e.starts_with('(') && close == e.len() - 1 => unwrapped(&e[1..close]),
        _ => e,
    }
}

/// `e` inside exactly one pair of parentheses that wraps all of it.
pub fn wrapped(e: &str) -> String {
    format!("({})", unwrapped(e))
}

/// The parts of `s` separated by commas outside parentheses, quotes and dollar quotes.
pub fn split_top_level(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start, mut i) = (0i32, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        // A doubled quote is one quote character inside.
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && q == b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(s[start..].trim());
    out.retain(|p| !p.is_empty());
    out
}

/// A possibly qualified name at the start of `s` (`"a"."b"`, `` `a`.`b` ``, `a.b`), unquoted,
/// and the text after it.
pub fn read_name(s: &str) -> Option<(Vec<String>, &str)> {
    let mut parts = Vec::new();
    let mut rest = s.trim_start();
    loop {
        let first = rest.chars().next()?;
        let (part, after) = if first == '"' || first == '`' {
            let mut out = String::new();
            let mut chars = rest[1..].char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == first {
                    if rest[1 + i + 1..].starts_with(first) {
                        out.push(first);
                        chars.next();
                        continue;
                    }
                    end = Some(1 + i + 1);
                    break;
                }
                out.push(c);
            }
            (out, &rest[end?..])
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            (rest[..end].to_string(), &rest[end..])
        };
        parts.push(part);
        match after.strip_prefix('.') {
            Some(r) => rest = r,
            None => return Some((parts, after)),
        }
    }
}

/// `ALTER TABLE <name> <rest>` → (name parts, rest).
pub fn alter_table(sql: &str) -> Option<(Vec<String>, &str)> {
    let rest = sql.strip_prefix("ALTER TABLE ")?;
    let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
    let (name, rest) = read_name(rest)?;
    Some((name, rest.trim_start()))
}

/// `schema.table` from name parts, `default_schema` filling in an unqualified name.
pub fn key(parts: &[String], default_schema: &str) -> String {
    match parts {
        [s, t] => format!("{s}.{t}"),
        [t] => format!("{default_schema}.{t}"),
        _ => parts.join("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_split_outside_parentheses_and_quotes() {
        let a = split_top_level(r#"ADD COLUMN "a" numeric(10,2) DEFAULT 'x, y', ADD CONSTRAINT "c,1" CHECK (f(a, b) > 0), DROP COLUMN "b""," "#);
        assert_eq!(a, vec![r#"ADD COLUMN "a" numeric(10,2) DEFAULT 'x, y'"#, r#"ADD CONSTRAINT "c,1" CHECK (f(a, b) > 0)"#, r#"DROP COLUMN "b"",""#]);
        assert_eq!(split_top_level("ADD x 'it''s, here', DROP y"), vec!["ADD x 'it''s, here'", "DROP y"]);
    }

    #[test]
    fn an_expression_is_wrapped_once() {
        assert_eq!(wrapped("a > 0"), "(a > 0)");
        assert_eq!(wrapped("((a > 0))"), "(a > 0)");
        // Two groups side by side are not one wrapping pair.
        assert_eq!(wrapped("(a > 0) AND (b > 0)"), "((a > 0) AND (b > 0))");
        assert_eq!(unwrapped(" (f(x)) "), "f(x)");
        assert_eq!(unwrapped("(a) + (b)"), "(a) + (b)");
    }

    #[test]
    fn names_read_back() {
        assert_eq!(alter_table(r#"ALTER TABLE "s"."my ""t""" ADD COLUMN x"#), Some((vec!["s".to_string(), "my \"t\"".to_string()], "ADD COLUMN x")));
        assert_eq!(alter_table("ALTER TABLE `db`.`t` DROP INDEX i"), Some((vec!["db".to_string(), "t".to_string()], "DROP INDEX i")));
        assert_eq!(alter_table("ALTER TABLE t RENAME TO u").map(|(n, _)| key(&n, "main")), Some("main.t".to_string()));
        assert_eq!(read_name(""), None);
    }
}
