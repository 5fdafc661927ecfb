//! SQLite views and triggers. SQLite keeps each one's CREATE statement as written
//! (sqlite_schema.sql), so that text is the definition; its parts are read out of it for HCL.

use super::ddl::q;
use crate::schema::*;
use regex::Regex;
use std::sync::OnceLock;

/// A view from its stored statement: the query after `AS`.
pub fn view_from_sql(name: &str, sql: &str) -> View {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r#"(?is)^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s*(?:\([^)]*\)\s*)?AS\s+"#).unwrap());
    let def = match re.find(sql) {
        Some(m) => sql[m.end()..].trim().trim_end_matches(';').trim_end().to_string(),
        None => sql.trim().to_string(),
    };
    View { name: name.to_string(), def, ..Default::default() }
}

/// A trigger from its stored statement; the parts are best effort (they only feed HCL output).
pub fn trigger_from_sql(name: &str, table: &str, sql: &str) -> Trigger {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?is)\bTRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\S+)\s+(BEFORE|AFTER|INSTEAD\s+OF)?\s*(DELETE|INSERT|UPDATE)(?:\s+OF\s+(.+?))?\s+ON\s+(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\S+)\s+(FOR\s+EACH\s+ROW\s+)?(?:WHEN\s+(.+?)\s+)?(BEGIN\b.*)$"#).unwrap()
    });
    let mut t = Trigger { name: name.to_string(), table: table.to_string(), def: sql.trim().to_string(), for_each_row: true, ..Default::default() };
    if let Some(c) = re.captures(sql.trim()) {
        t.timing = c.get(1).map(|m| m.as_str().split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase()).unwrap_or_else(|| "BEFORE".into());
        t.events = vec![c[2].to_ascii_uppercase()];
        t.update_of = c.get(3).map(|m| m.as_str().split(',').map(|x| x.trim().trim_matches(|ch| ch == '"' || ch == '`').to_string()).collect()).unwrap_or_default();
        t.when_clause = c.get(5).map(|m| m.as_str().trim().to_string());
        t.body = Some(c[6].trim().to_string());
    }
    t
}

pub fn create_view(v: &View) -> Vec<String> {
    vec![format!("CREATE VIEW {} AS {}", q(&v.name), v.def)]
}

pub fn drop_view(v: &View) -> String {
    format!("DROP VIEW {}", q(&v.name))
}

/// The statement that creates a trigger from its parts (what HCL gives).
pub fn trigger_def(t: &Trigger) -> String {
    let mut s = format!("CREATE TRIGGER {} {} {}", q(&t.name), t.timing, t.events.join(" OR "));
    if !t.update_of.is_empty() {
        s.push_str(&format!(" OF {}", t.update_of.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
    }
    s.push_str(&format!(" ON {} FOR EACH ROW", q(&t.table)));
    if let Some(w) = &t.when_clause {
        s.push_str(&format!(" WHEN {w}"));
    }
    s.push(' ');
    s.push_str(t.body.as_deref().unwrap_or_default());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_statements_split_into_parts() {
        let v = view_from_sql("v", "CREATE VIEW \"v\" AS SELECT a FROM t;");
        assert_eq!(v.def, "SELECT a FROM t");
        let t = trigger_from_sql("trg", "t", "CREATE TRIGGER trg AFTER UPDATE OF a, \"b\" ON t FOR EACH ROW WHEN new.a > 0 BEGIN UPDATE t SET c = 1; END");
        assert_eq!((t.timing.as_str(), t.events.clone(), t.update_of.clone()), ("AFTER", vec!["UPDATE".to_string()], vec!["a".to_string(), "b".to_string()]));
        assert_eq!(t.when_clause.as_deref(), Some("new.a > 0"));
        assert_eq!(t.body.as_deref(), Some("BEGIN UPDATE t SET c = 1; END"));
        let again = trigger_from_sql("trg", "t", &trigger_def(&t));
        assert_eq!((again.timing, again.events, again.when_clause, again.body), (t.timing, t.events, t.when_clause, t.body));
    }
}
