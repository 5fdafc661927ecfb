//! Atlas's layout of a schema as SQL (`schema inspect --format '{{ sql . }}'`): each statement
//! under a `-- Create "users" table` line, `;`-terminated, no blank lines; a table on one line,
//! or indented with `{{ sql . "  " }}`; a primary key left unnamed where its name is the one the
//! engine would give it. Atlas users diff and commit this output, so the layout is theirs.
//!
//! This is presentation only: it reads the statements `plan::create_realm` wrote (this tool's
//! own DDL, so their shapes are known) and never changes what is inside a quoted string.

use crate::schema::Dialect;

/// The statements as Atlas prints them; `indent` keeps tables on several lines.
pub fn script(statements: &[String], d: Dialect, indent: bool) -> String {
    let mut out = String::new();
    for sql in statements {
        if let Some(c) = comment(sql, d) {
            out.push_str(&format!("-- {c}\n"));
        }
        let sql = mysql_table_options(&unnamed_default_pk(sql, d), d);
        // Only tables: a routine's body may hold `--` comments that end at the line break.
        let table = sql.starts_with("CREATE TABLE ") || sql.starts_with("CREATE UNLOGGED TABLE ");
        let sql = match (table, indent) {
            (false, _) => sql,
            (true, true) => indented_table(&sql),
            (true, false) => one_line(&sql),
        };
        out.push_str(&crate::engine::of(d).script_statement(&sql));
    }
    out
}

/// What `atlas schema apply` prints: `-- Planned Changes:`, then each statement under its
/// comment, tables on several lines.
pub fn planned_changes(statements: &[String], d: Dialect) -> String {
    format!("-- Planned Changes:\n{}", script(statements, d, true))
}

/// A CREATE TABLE written on one line put on several, one column or constraint a line indented
/// by two spaces, as Atlas's CLI writes it (SQLite keeps the text as it was written); every
/// other statement, and a table already on several lines, unchanged.
pub fn indented_table(sql: &str) -> String {
    let table = sql.starts_with("CREATE TABLE ") || sql.starts_with("CREATE UNLOGGED TABLE ");
    let (Some(open), Some(close)) = (sql.find('('), closing_paren(sql)) else { return sql.to_string() };
    if !table || sql.contains('\n') || open > close {
        return sql.to_string();
    }
    let items = crate::engine::sql_text::split_top_level(&sql[open + 1..close]);
    let body: Vec<String> = items.iter().map(|i| format!("  {}", i.trim())).collect();
    format!("{}(\n{}\n){}", &sql[..open], body.join(",\n"), &sql[close + 1..])
}

/// Atlas's comment for a statement, from its leading keywords.
fn comment(sql: &str, d: Dialect) -> Option<String> {
    let words: Vec<&str> = sql.split_whitespace().take(8).collect();
    let name_after = |n: usize| words.get(n).map(|w| last_name(w, d));
    match words.as_slice() {
        ["CREATE", "SCHEMA", "IF", "NOT", "EXISTS", ..] => Some(format!("Add new schema named {:?}", name_after(5)?)),
        ["CREATE", "SCHEMA" | "DATABASE", ..] => Some(format!("Add new schema named {:?}", name_after(2)?)),
        ["CREATE", "TABLE" | "UNLOGGED", ..] => {
            let at = if words[1] == "UNLOGGED" { 3 } else { 2 };
            Some(format!("Create {:?} table", name_after(at)?))
        }
        ["CREATE", "TYPE", _, "AS", "ENUM", ..] => Some(format!("Create enum type {:?}", name_after(2)?)),
        ["CREATE", "DOMAIN", ..] => Some(format!("Create domain type {:?}", name_after(2)?)),
        ["CREATE", "UNIQUE", "INDEX", ..] | ["CREATE", "INDEX", ..] => {
            let at = if words[1] == "UNIQUE" { 3 } else { 2 };
            let on = words.iter().position(|w| *w == "ON")?;
            Some(format!("Create index {:?} to table: {:?}", name_after(at)?, name_after(on + 1)?))
        }
        ["CREATE", "OR", "REPLACE", "VIEW", ..] => Some(format!("Create {:?} view", name_after(4)?)),
        ["CREATE", "VIEW" | "SEQUENCE", ..] => Some(format!("Create {:?} {}", name_after(2)?, words[1].to_ascii_lowercase())),
        ["CREATE", "MATERIALIZED", "VIEW", ..] => Some(format!("Create {:?} materialized view", name_after(3)?)),
        ["CREATE", "OR", "REPLACE", "FUNCTION" | "PROCEDURE", ..] => Some(format!("Create {:?} {}", name_after(4)?.split('(').next()?.to_string(), words[3].to_ascii_lowercase())),
        ["CREATE", "FUNCTION" | "PROCEDURE", ..] => Some(format!("Create {:?} {}", name_after(2)?.split('(').next()?.to_string(), words[1].to_ascii_lowercase())),
        ["CREATE", "TRIGGER", ..] => Some(format!("Create trigger {:?}", name_after(2)?)),
        ["CREATE", "EXTENSION", "IF", "NOT", "EXISTS", ..] => Some(format!("Add {:?} extension", name_after(5)?)),
        ["CREATE", "EXTENSION", ..] => Some(format!("Add {:?} extension", name_after(2)?)),
        ["DROP", "TABLE", ..] => Some(format!("Drop {:?} table", name_after(2)?)),
        // SQLite adds one column a statement, and Atlas says so.
        ["ALTER", "TABLE", _, "ADD", "COLUMN", ..] if d == Dialect::Sqlite => Some(format!("Add column {:?} to table: {:?}", name_after(5)?, name_after(2)?)),
        ["ALTER", "TABLE", ..] => Some(format!("Modify {:?} table", name_after(2)?)),
        ["COMMENT", "ON", kind, ..] => Some(format!("Set comment to {}: {:?}", kind.to_ascii_lowercase(), name_after(3)?)),
        _ => None,
    }
}

/// The last part of a (possibly qualified, quoted) name, unquoted.
fn last_name(word: &str, d: Dialect) -> String {
    // The quote this tool's own DDL writes for the engine.
    let q = match d {
        Dialect::Mysql | Dialect::Sqlite => '`',
        Dialect::Postgres => '"',
    };
    let w = word.trim_end_matches(['(', ';', ',']);
    let last = match w.rfind(&format!("{q}.{q}")) {
        Some(i) => &w[i + 2..],
        // One quoted name may hold dots of its own.
        None if w.starts_with(q) => w,
        None => w.rsplit('.').next().unwrap_or(w),
    };
    last.trim_matches(q).replace(&format!("{q}{q}"), &q.to_string())
}

/// `CONSTRAINT "users_pkey" PRIMARY KEY` → `PRIMARY KEY` where the name is the engine's default.
fn unnamed_default_pk(sql: &str, d: Dialect) -> String {
    let Some(rest) = sql.strip_prefix("CREATE TABLE ").or_else(|| sql.strip_prefix("CREATE UNLOGGED TABLE ")) else { return sql.to_string() };
    let table = last_name(rest.split_whitespace().next().unwrap_or(""), d);
    match crate::engine::of(d).default_primary_key_name(&table) {
        Some(n) => sql.replacen(&format!("CONSTRAINT {} PRIMARY KEY", crate::engine::quote_ident(d, &n)), "PRIMARY KEY", 1),
        None => sql.to_string(),
    }
}

/// MySQL's table options as Atlas writes them: `CHARSET x COLLATE y`, InnoDB (the default)
/// left out. Only the options after the table's closing parenthesis are read.
fn mysql_table_options(sql: &str, d: Dialect) -> String {
    if d != Dialect::Mysql || !sql.starts_with("CREATE TABLE ") {
        return sql.to_string();
    }
    let Some(end) = closing_paren(sql) else { return sql.to_string() };
    let (body, tail) = sql.split_at(end + 1);
    let mut out = String::from(body);
    let mut rest = tail.trim_start();
    while !rest.is_empty() {
        // Each option is KEY=VALUE; a value is a word or a quoted string.
        let Some(eq) = rest.find('=') else { return sql.to_string() };
        let key = rest[..eq].trim();
        let value_start = eq + 1;
        let value_len = match rest[value_start..].chars().next() {
            Some(q @ ('\'' | '"')) => match rest[value_start + 1..].find(q) {
                Some(i) => i + 2,
                None => return sql.to_string(),
            },
            _ => rest[value_start..].find(' ').unwrap_or(rest.len() - value_start),
        };
        let value = &rest[value_start..value_start + value_len];
        match key {
            "ENGINE" if value.eq_ignore_ascii_case("InnoDB") => {}
            "DEFAULT CHARSET" => out.push_str(&format!(" CHARSET {value}")),
            _ => out.push_str(&format!(" {key} {value}")),
        }
        rest = rest[value_start + value_len..].trim_start();
    }
    out
}

/// Where the parenthesis that opens a table's body closes, outside quotes.
fn closing_paren(sql: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in sql.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            (None, _) => {}
        }
    }
    None
}

/// A statement on one line: each line break and the indentation after it become one space
/// (none after `(` or before `)`), outside quoted strings and identifiers only.
fn one_line(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' || c == '`' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '\n' => {
                while chars.peek().is_some_and(|x| *x == ' ' || *x == '\t') {
                    chars.next();
                }
                if !out.ends_with('(') && chars.peek() != Some(&')') {
                    out.push(' ');
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_one_line_outside_quotes() {
        let t = "CREATE TABLE \"users\" (\n  \"id\" integer NOT NULL,\n  \"note\" text DEFAULT 'a\n  b',\n  CONSTRAINT \"users_pkey\" PRIMARY KEY (\"id\")\n)";
        assert_eq!(
            script(&[t.to_string()], Dialect::Postgres, false),
            "-- Create \"users\" table\nCREATE TABLE \"users\" (\"id\" integer NOT NULL, \"note\" text DEFAULT 'a\n  b', PRIMARY KEY (\"id\"));\n"
        );
        assert!(script(&[t.to_string()], Dialect::Postgres, true).contains("(\n  \"id\" integer NOT NULL,"));
    }

    #[test]
    fn schema_apply_prints_planned_changes_with_tables_indented() {
        let t = "CREATE TABLE `users` (`id` int NOT NULL, `status` text NULL DEFAULT 'a, (b)') WITHOUT ROWID";
        assert_eq!(indented_table(t), "CREATE TABLE `users` (\n  `id` int NOT NULL,\n  `status` text NULL DEFAULT 'a, (b)'\n) WITHOUT ROWID");
        assert_eq!(indented_table("CREATE INDEX `i` ON `t` (`a`, `b`)"), "CREATE INDEX `i` ON `t` (`a`, `b`)");
        let a = "ALTER TABLE `users` ADD COLUMN `id` int NOT NULL";
        assert_eq!(
            planned_changes(&[t.into(), a.into()], Dialect::Sqlite),
            "-- Planned Changes:\n-- Create \"users\" table\nCREATE TABLE `users` (\n  `id` int NOT NULL,\n  `status` text NULL DEFAULT 'a, (b)'\n) WITHOUT ROWID;\n-- Add column \"id\" to table: \"users\"\nALTER TABLE `users` ADD COLUMN `id` int NOT NULL;\n"
        );
    }

    #[test]
    fn comments_name_the_object_unqualified() {
        let c = |s: &str, d| comment(s, d);
        assert_eq!(c("CREATE TYPE \"app\".\"status\" AS ENUM ('a')", Dialect::Postgres).as_deref(), Some("Create enum type \"status\""));
        assert_eq!(c("CREATE INDEX `i` ON `app`.`t` (`c`)", Dialect::Mysql).as_deref(), Some("Create index \"i\" to table: \"t\""));
        assert_eq!(c("CREATE SCHEMA IF NOT EXISTS \"app\"", Dialect::Postgres).as_deref(), Some("Add new schema named \"app\""));
        assert_eq!(c("GRANT SELECT ON t TO r", Dialect::Postgres), None);
        assert_eq!(c("CREATE TABLE \"a.b\" (", Dialect::Postgres).as_deref(), Some("Create \"a.b\" table"));
    }

    #[test]
    fn routines_keep_their_lines() {
        let f = "CREATE FUNCTION \"f\"() RETURNS int LANGUAGE sql AS $$\n  -- one\n  SELECT 1\n$$";
        assert!(script(&[f.to_string()], Dialect::Postgres, false).contains("-- one\n  SELECT 1"));
    }

    #[test]
    fn mysql_table_options_are_atlas_spelled() {
        let t = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='a ) b'";
        assert_eq!(
            script(&[t.to_string()], Dialect::Mysql, false),
            "-- Create \"t\" table\nCREATE TABLE `t` (`id` int(11) NOT NULL) CHARSET utf8mb4 COLLATE utf8mb4_general_ci COMMENT 'a ) b';\n"
        );
        let t = "CREATE TABLE `t` (`id` int) ENGINE=MyISAM";
        assert!(script(&[t.to_string()], Dialect::Mysql, false).contains(") ENGINE MyISAM;"));
    }

    #[test]
    fn a_named_primary_key_keeps_its_name() {
        let t = "CREATE TABLE \"users\" (\n  \"id\" integer NOT NULL,\n  CONSTRAINT \"users_pk\" PRIMARY KEY (\"id\")\n)";
        assert!(script(&[t.to_string()], Dialect::Postgres, false).contains("CONSTRAINT \"users_pk\" PRIMARY KEY"));
    }
}
