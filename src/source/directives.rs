//! Rename directives in SQL sources. A SQL schema goes through a disposable database, where
//! comments are lost, so the directives are read from the text first and attached to the
//! inspected model afterwards:
//!
//! ```sql
//! CREATE TABLE people ( -- schemagate:renamed_from users
//!   user_name text,     -- schemagate:renamed_from username
//! );
//! CREATE INDEX people_name ON people (user_name); -- schemagate:renamed_from users_username
//! ```
//!
//! sqldef's spelling, `-- @renamed from=old` (also in a `/* … */` comment), means the same.

use crate::error::SourceError;
use crate::schema::{Dialect, Pos, Realm};
use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub table: String,
    /// None (and no index): the table itself is renamed.
    pub column: Option<String>,
    /// An index of the table is renamed.
    pub index: Option<String>,
    pub from: String,
    pub pos: Pos,
}

const IDENT: &str = r#"(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|[\w$]+)"#;

fn create_table() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"(?i)^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({IDENT})(?:\s*\.\s*({IDENT}))?")).unwrap())
}

fn create_index() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"(?i)^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?({IDENT})\s+ON\s+(?:ONLY\s+)?({IDENT})(?:\s*\.\s*({IDENT}))?")).unwrap())
}

fn directive() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"(?:--|/\*)\s*(?:@renamed\s+from\s*=\s*|schemagate:renamed_from\s+)({IDENT})")).unwrap())
}

fn leading_ident() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"^\s*({IDENT})")).unwrap())
}

/// An identifier as the database stores it: quotes removed, unquoted names folded to lower
/// case on PostgreSQL.
fn name(raw: &str, d: Dialect) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return inner.replace("\"\"", "\"");
    }
    if let Some(inner) = raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return inner.replace("``", "`");
    }
    if d == Dialect::Postgres {
        raw.to_lowercase()
    } else {
        raw.to_string()
    }
}

/// The rename directives of one SQL file.
pub fn renames(file: &str, src: &str, d: Dialect) -> Vec<Rename> {
    let mut out = Vec::new();
    let mut table: Option<String> = None;
    for (n, line) in src.lines().enumerate() {
        // `schema.table` → the table's own name.
        let created = create_table().captures(line).and_then(|c| c.get(2).or(c.get(1))).map(|m| name(m.as_str(), d));
        if created.is_some() {
            table = created.clone();
        }
        let index = create_index().captures(line).map(|c| (name(&c[1], d), name(c.get(3).or(c.get(2)).map(|m| m.as_str()).unwrap_or(""), d)));
        let Some(dir) = directive().captures(line) else { continue };
        let from = name(dir.get(1).map(|m| m.as_str()).unwrap_or(""), d);
        let pos = Pos { file: file.to_string(), line: n + 1, col: dir.get(0).map(|m| m.start() + 1).unwrap_or(1) };
        if let Some((idx, t)) = index {
            out.push(Rename { table: t, column: None, index: Some(idx), from, pos });
            continue;
        }
        match (&created, &table) {
            (Some(t), _) => out.push(Rename { table: t.clone(), column: None, index: None, from, pos }),
            (None, Some(t)) => {
                if let Some(col) = leading_ident().captures(line).and_then(|c| c.get(1)) {
                    out.push(Rename { table: t.clone(), column: Some(name(col.as_str(), d)), index: None, from, pos });
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// Attach the directives to the inspected desired realm; a directive naming a table or column
/// the file does not create is an error at its line.
pub fn attach(realm: &mut Realm, renames: &[Rename]) -> Result<(), SourceError> {
    for r in renames {
        let table = realm.schemas.iter_mut().flat_map(|s| s.tables.iter_mut()).find(|t| t.name == r.table);
        let err = |msg: String| SourceError { declared_at: false, file: r.pos.file.clone(), line: r.pos.line, col: r.pos.col, msg, snippet: None, hint: Some("the directive goes on the line of the CREATE TABLE (for the table) or of the column".into()) };
        let Some(t) = table else { return Err(err(format!("rename directive for table \"{}\", which this schema does not create", r.table))) };
        if let Some(i) = &r.index {
            let Some(idx) = t.indexes.iter_mut().find(|x| &x.name == i) else {
                return Err(err(format!("rename directive for index \"{i}\" of \"{}\", which this schema does not create", r.table)));
            };
            idx.renamed_from = Some(r.from.clone());
            idx.pos.get_or_insert(r.pos.clone());
            continue;
        }
        match &r.column {
            None => {
                t.renamed_from = Some(r.from.clone());
                t.pos.get_or_insert(r.pos.clone());
            }
            Some(c) => {
                let Some(col) = t.columns.iter_mut().find(|x| &x.name == c) else {
                    return Err(err(format!("rename directive for column \"{c}\" of \"{}\", which the table does not have", r.table)));
                };
                col.renamed_from = Some(r.from.clone());
                col.pos.get_or_insert(r.pos.clone());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_on_tables_and_columns() {
        let src = "CREATE TABLE \"user_profiles\" ( -- @renamed from=\"user accounts\"\n  id int,\n  Email text, -- schemagate:renamed_from mail\n  \"x y\" int /* @renamed from=`old` */\n);\nCREATE TABLE public.t2 (a int);\nCREATE UNIQUE INDEX t2_a ON public.t2 (a); -- schemagate:renamed_from t2_old\n";
        let got = renames("s.sql", src, Dialect::Postgres);
        let short: Vec<(String, Option<String>, String, usize)> = got.iter().map(|r| (r.table.clone(), r.column.clone().or(r.index.clone()), r.from.clone(), r.pos.line)).collect();
        assert_eq!(
            short,
            vec![
                ("user_profiles".into(), None, "user accounts".into(), 1),
                ("user_profiles".into(), Some("email".into()), "mail".into(), 3),
                ("user_profiles".into(), Some("x y".into()), "old".into(), 4),
                ("t2".into(), Some("t2_a".into()), "t2_old".into(), 7),
            ]
        );
        assert!(got[3].index.is_some());
    }
}
