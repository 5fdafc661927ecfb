//! MySQL/MariaDB DDL for views, routines and triggers. Bodies are sent as one statement each
//! (no DELIMITER needed over the wire).

use super::ddl::{q, qn};
use crate::schema::*;

fn lit(s: &str) -> String {
    crate::engine::quote_literal(Dialect::Mysql, s)
}

pub fn create_view(schema: &str, v: &View, replace: bool) -> Vec<String> {
    let mut s = String::from("CREATE ");
    if replace {
        s.push_str("OR REPLACE ");
    }
    if v.security.as_deref() == Some("INVOKER") {
        s.push_str("SQL SECURITY INVOKER ");
    }
    s.push_str(&format!("VIEW {} AS {}", qn(schema, &v.name), v.def));
    if let Some(c) = &v.check_option {
        s.push_str(&format!(" WITH {c} CHECK OPTION"));
    }
    vec![s]
}

pub fn drop_view(schema: &str, v: &View) -> String {
    format!("DROP VIEW {}", qn(schema, &v.name))
}

/// MySQL replaces any view in place (CREATE OR REPLACE VIEW checks nothing about columns).
pub fn view_replaceable(_from: &View, _to: &View) -> bool {
    true
}

pub fn create_function(schema: &str, f: &Function) -> Vec<String> {
    let args = f
        .args
        .iter()
        .map(|a| {
            let mode = a.mode.as_deref().map(|m| format!("{m} ")).unwrap_or_default();
            format!("{mode}{} {}", q(a.name.as_deref().unwrap_or_default()), a.ty)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = format!("CREATE {} {}({args})", f.kind.sql(), qn(schema, &f.name));
    if let Some(r) = &f.returns {
        s.push_str(&format!(" RETURNS {r}"));
    }
    if let Some(c) = &f.comment {
        s.push_str(&format!("\n COMMENT {}", lit(c)));
    }
    if f.deterministic {
        s.push_str("\n DETERMINISTIC");
    }
    if let Some(a) = &f.data_access {
        s.push_str(&format!("\n {a}"));
    }
    if !f.security_definer {
        s.push_str("\n SQL SECURITY INVOKER");
    }
    s.push('\n');
    s.push_str(&f.body);
    vec![s]
}

pub fn drop_function(schema: &str, f: &Function) -> String {
    format!("DROP {} {}", f.kind.sql(), qn(schema, &f.name))
}

fn trigger_sql(name: &str, table: &str, t: &Trigger) -> String {
    format!("CREATE TRIGGER {name} {} {} ON {table} FOR EACH ROW {}", t.timing, t.events.join(" OR "), t.body.as_deref().unwrap_or_default())
}

/// The statement that creates a trigger, unqualified (what is compared between databases).
pub fn trigger_def(t: &Trigger) -> String {
    trigger_sql(&q(&t.name), &q(&t.table), t)
}

/// The same, in the named database (what a plan runs).
pub fn create_trigger(schema: &str, t: &Trigger) -> Vec<String> {
    vec![trigger_sql(&qn(schema, &t.name), &qn(schema, &t.table), t)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routines_and_triggers() {
        let f = Function {
            name: "balance".into(),
            args: vec![FuncArg { name: Some("id".into()), ty: "int(11)".into(), ..Default::default() }],
            returns: Some("decimal(5,2)".into()),
            body: "BEGIN RETURN 0; END".into(),
            deterministic: true,
            data_access: Some("READS SQL DATA".into()),
            security_definer: true,
            ..Default::default()
        };
        assert_eq!(create_function("db", &f, ).remove(0), "CREATE FUNCTION `db`.`balance`(`id` int(11)) RETURNS decimal(5,2)\n DETERMINISTIC\n READS SQL DATA\nBEGIN RETURN 0; END");
        let t = Trigger { name: "ins".into(), table: "film".into(), timing: "AFTER".into(), events: vec!["INSERT".into()], body: Some("SET @x = 1".into()), ..Default::default() };
        assert_eq!(trigger_def(&t), "CREATE TRIGGER `ins` AFTER INSERT ON `film` FOR EACH ROW SET @x = 1");
        assert_eq!(unquoted_view_def(), "select `t`.`a` AS `a` from `t`");
    }

    fn unquoted_view_def() -> String {
        super::super::objects_inspect::unqualify("select `db`.`t`.`a` AS `a` from `db`.`t`", "db")
    }
}
