//! What the fuzzers check, shared by the in-tree mutation fuzzer (`tests/fuzz.rs`, runs in
//! `cargo test`) and the libFuzzer targets (`fuzz/`, `cargo fuzz`). Each function feeds one
//! input to one reader of user input and returns Ok(true) when it was accepted, Ok(false) when
//! it was rejected with a proper error (a position, a message), and Err when a promise broke (an
//! error without a position, an inconsistent result). Panics are the fuzzers' to catch.

use crate::schema::Dialect;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The HCL decoder on all three dialects and, for what decodes, diff → plan → the Rego input
/// document against a fixed schema, both ways.
pub fn hcl(src: &str) -> Result<bool, String> {
    static BASE: OnceLock<crate::schema::Realm> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let seed = "schema \"public\" {}\ntable \"users\" {\n  schema = schema.public\n  column \"id\" {\n    type = bigint\n  }\n  column \"email\" {\n    type = text\n    null = true\n  }\n  primary_key {\n    columns = [column.id]\n  }\n  index \"users_email\" {\n    unique  = true\n    columns = [column.email]\n  }\n}\n";
        crate::source::hcl::decode_files(&[crate::source::hcl::HclFile { path: "base.hcl".into(), src: seed.into() }], Dialect::Postgres, &HashMap::new()).unwrap_or_default()
    });
    let files = [crate::source::hcl::HclFile { path: "fuzz.hcl".into(), src: src.to_string() }];
    let mut accepted = false;
    for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        match crate::source::hcl::decode_files(&files, d, &HashMap::new()) {
            Ok(realm) => {
                accepted = true;
                for (from, to) in [(base, &realm), (&realm, base)] {
                    let changes = crate::diff::diff(from, to);
                    let plan = crate::plan::build(from, to, changes, d);
                    let doc = crate::lint::input::document(&plan, to, &Default::default(), &Default::default());
                    if !doc.is_object() {
                        return Err("the Rego input is not an object".into());
                    }
                }
            }
            Err(e) if e.line == 0 || e.col == 0 || e.msg.is_empty() => return Err(format!("an error without a position: {e}")),
            Err(_) => {}
        }
    }
    Ok(accepted)
}

/// The SQL splitter, with and without MySQL's backslash escapes: never an empty statement.
pub fn sql(src: &str) -> Result<bool, String> {
    for backslash_escapes in [false, true] {
        let parts = crate::source::sql::split(src, crate::source::sql::SplitOptions { backslash_escapes });
        if parts.iter().any(|p| p.trim().is_empty()) {
            return Err(format!("an empty statement in {parts:?}"));
        }
    }
    Ok(true)
}

/// The SQL splitter and the HCL fragment check agree: a fragment accepted as one expression,
/// placed in a statement, splits into exactly that one statement (PostgreSQL and MySQL lexing).
/// Statements the splitter refuses or skips are classified without panicking.
pub fn sql_fragment(src: &str) -> Result<bool, String> {
    use crate::source::sql::{check_fragment, refused, split, Fragment, SplitOptions};
    let _ = refused(src);
    let mut accepted = false;
    for mysql in [false, true] {
        if check_fragment(src, Fragment::Expression, mysql).is_ok() {
            accepted = true;
            let stmt = format!("CREATE TABLE t (c int DEFAULT {src});");
            let n = split(&stmt, SplitOptions { backslash_escapes: mysql }).len();
            if n != 1 {
                return Err(format!("an accepted expression splits into {n} statements (mysql: {mysql})"));
            }
        }
    }
    Ok(accepted)
}

/// Database URLs: parsing never panics, and a password (the text between the user's `:` and the
/// last `@` of the word) is never in a parse error or the redacted form.
pub fn url(src: &str) -> Result<bool, String> {
    const SECRET: &str = "PWSECRET";
    // A password here is the secret right after a `:` and before its word's last `@`; every other
    // occurrence is renamed first, so that any secret in the output is a password shown.
    let mut input = String::with_capacity(src.len());
    let mut word_start = 0;
    let mut any = false;
    for (i, c) in src.char_indices().chain(std::iter::once((src.len(), ' '))) {
        if c.is_whitespace() || matches!(c, '`' | '\'' | '"' | '<' | '>') {
            let w = &src[word_start..i];
            let last_at = w.rfind('@');
            let upper = w.to_ascii_uppercase();
            let mut out = String::new();
            let mut rest = w;
            let mut offset = 0;
            while let Some(p) = upper[offset..].find(SECRET) {
                let abs = offset + p;
                let password = abs > 0 && w.as_bytes()[abs - 1] == b':' && last_at.is_some_and(|at| abs < at);
                any |= password;
                out.push_str(&rest[..p]);
                out.push_str(if password { SECRET } else { "PWPUBLIC" });
                rest = &rest[p + SECRET.len()..];
                offset = abs + SECRET.len();
            }
            out.push_str(rest);
            input.push_str(&out);
            if i < src.len() {
                input.push(c);
            }
            word_start = i + c.len_utf8();
        }
    }
    let parsed = crate::url::DbUrl::parse(&input);
    let shown = match &parsed {
        Ok(u) => u.redacted(),
        Err(e) => format!("{e:#}"),
    };
    let redacted = crate::url::redact(&input);
    // Case-blind: an error may lower-case what it quotes.
    if any && (shown.to_ascii_uppercase().contains(SECRET) || redacted.to_ascii_uppercase().contains(SECRET)) {
        return Err(format!("the password is shown: {shown} / {redacted}"));
    }
    Ok(parsed.is_ok())
}

/// The Terrateam config loader: every error and diagnostic has a position.
pub fn config(src: &str) -> Result<bool, String> {
    let env = HashMap::from([("SG_FUZZ_SET".to_string(), "x".to_string())]);
    match crate::config::load_str("config.yml", src, &env) {
        Ok(loaded) => {
            if let Some(d) = loaded.diagnostics.iter().find(|d| d.line == 0 || d.col == 0) {
                return Err(format!("a diagnostic without a position: {d}"));
            }
            Ok(!loaded.has_errors(false))
        }
        Err(e) if e.line == 0 || e.col == 0 => Err(format!("an error without a position: {e}")),
        Err(_) => Ok(false),
    }
}

/// The tag-query parser: errors point inside the query; what parses can be matched.
pub fn tag_query(src: &str) -> Result<bool, String> {
    let tags: Vec<String> = ["app", "postgres", "dir:db/app", "my tag"].iter().map(|s| s.to_string()).collect();
    match crate::config::tag_query::parse(src) {
        Ok(q) => {
            let _ = q.matches(&tags, "db/app");
            Ok(true)
        }
        Err(e) if e.col == 0 || e.col > src.chars().count() + 1 => Err(format!("error column {} outside the query: {e}", e.col)),
        Err(_) => Ok(false),
    }
}
