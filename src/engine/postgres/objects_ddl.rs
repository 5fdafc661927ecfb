//! PostgreSQL DDL for views, materialized views, functions, procedures, aggregates and triggers.
//! Names go through `q`/`qn`, literals through `lit`; definitions (a view's query, a body, a
//! trigger's text) are SQL the user wrote or the catalog printed, and are passed through.

use super::ddl::{create_index, lit, q, qn};
use crate::schema::*;

// ---- views -----------------------------------------------------------------------------------

pub fn create_view(schema: &str, v: &View, replace: bool) -> Vec<String> {
    let mut opts = Vec::new();
    if let Some(c) = &v.check_option {
        opts.push(format!("check_option={}", c.to_ascii_lowercase()));
    }
    if v.barrier {
        opts.push("security_barrier=true".to_string());
    }
    if v.security.as_deref() == Some("INVOKER") {
        opts.push("security_invoker=true".to_string());
    }
    let with = if opts.is_empty() { String::new() } else { format!(" WITH ({})", opts.join(", ")) };
    let kind = if v.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
    let or_replace = if replace && !v.materialized { "OR REPLACE " } else { "" };
    let mut out = vec![format!("CREATE {or_replace}{kind} {}{with} AS\n{}", qn(schema, &v.name), v.def)];
    out.extend(view_extras(schema, v));
    out
}

/// Indexes (materialized views) and comments: what a CREATE … VIEW does not carry.
fn view_extras(schema: &str, v: &View) -> Vec<String> {
    let mut out = Vec::new();
    let as_table = Table { name: v.name.clone(), ..Default::default() };
    for i in &v.indexes {
        out.push(create_index(schema, &as_table, i, false));
        if let Some(c) = &i.comment {
            out.push(format!("COMMENT ON INDEX {} IS {}", qn(schema, &i.name), lit(c)));
        }
    }
    if let Some(c) = &v.comment {
        out.push(format!("COMMENT ON {} {} IS {}", view_kind(v), qn(schema, &v.name), lit(c)));
    }
    out
}

fn view_kind(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

pub fn drop_view(schema: &str, v: &View) -> String {
    format!("DROP {} {}", view_kind(v), qn(schema, &v.name))
}

/// CREATE OR REPLACE VIEW may only append columns, with the same names and types, and does
/// not touch options; anything else (and any materialized view) is dropped and created.
pub fn view_replaceable(from: &View, to: &View) -> bool {
    !from.materialized
        && !to.materialized
        && from.check_option == to.check_option
        && from.barrier == to.barrier
        && from.security == to.security
        && !from.columns.is_empty()
        && to.columns.len() >= from.columns.len()
        && from.columns.iter().zip(&to.columns).all(|(a, b)| a == b)
}

/// Statements that take a view from `from` to `to` in place (CREATE OR REPLACE, comment).
pub fn replace_view(schema: &str, from: &View, to: &View) -> Vec<String> {
    let mut out = Vec::new();
    if from.def != to.def {
        out.push(create_view(schema, to, true).remove(0));
    }
    if from.comment != to.comment {
        out.push(format!("COMMENT ON {} {} IS {}", view_kind(to), qn(schema, &to.name), to.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into())));
    }
    out
}

// ---- functions, procedures, aggregates -------------------------------------------------------

fn arg_sql(a: &FuncArg) -> String {
    let mut s = String::new();
    if let Some(m) = &a.mode {
        s.push_str(m);
        s.push(' ');
    }
    if let Some(n) = &a.name {
        s.push_str(&q(n));
        s.push(' ');
    }
    s.push_str(&a.ty);
    if let Some(d) = &a.default {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    s
}

/// The argument types that identify a routine in DROP / COMMENT ON (OUT arguments do not).
fn identity_args(f: &Function) -> String {
    let ins: Vec<&str> = f.args.iter().filter(|a| a.mode.as_deref() != Some("OUT")).map(|a| a.ty.as_str()).collect();
    if ins.is_empty() && f.kind == RoutineKind::Aggregate {
        return "*".into();
    }
    ins.join(", ")
}

/// A dollar-quote tag that does not occur in the body.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$function$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$function{n}$");
    }
    tag
}

/// `search_path=public, pg_temp` → `SET search_path TO public, pg_temp`. List settings are
/// stored as their item list and must be given back unquoted; others as one literal.
fn set_clause(config: &str) -> String {
    let (name, value) = config.split_once('=').unwrap_or((config, ""));
    if name == "search_path" || name.ends_with("_path") {
        format!("SET {name} TO {value}")
    } else {
        format!("SET {name} TO {}", lit(value))
    }
}

pub fn create_function(schema: &str, f: &Function, replace: bool) -> Vec<String> {
    let or_replace = if replace { "OR REPLACE " } else { "" };
    let name = qn(schema, &f.name);
    let args = f.args.iter().map(arg_sql).collect::<Vec<_>>().join(", ");
    let sql = if f.kind == RoutineKind::Aggregate {
        let mut opts: Vec<String> = f
            .aggregate
            .iter()
            .map(|(k, v)| if k == "INITCOND" { format!("{k} = {}", lit(v)) } else { format!("{k} = {v}") })
            .collect();
        if let Some(p) = &f.parallel {
            opts.push(format!("PARALLEL = {p}"));
        }
        let args = if args.is_empty() { "*".to_string() } else { args };
        format!("CREATE {or_replace}AGGREGATE {name}({args}) (\n    {}\n)", opts.join(",\n    "))
    } else {
        let mut s = format!("CREATE {or_replace}{} {name}({args})", f.kind.sql());
        if let Some(r) = &f.returns {
            s.push_str(&format!("\n RETURNS {r}"));
        }
        s.push_str(&format!("\n LANGUAGE {}", f.lang));
        if let Some(v) = &f.volatility {
            s.push_str(&format!(" {v}"));
        }
        if f.strict {
            s.push_str(" STRICT");
        }
        if f.security_definer {
            s.push_str(" SECURITY DEFINER");
        }
        if f.leakproof {
            s.push_str(" LEAKPROOF");
        }
        if let Some(p) = &f.parallel {
            s.push_str(&format!(" PARALLEL {p}"));
        }
        for c in &f.config {
            s.push_str(&format!("\n {}", set_clause(c)));
        }
        if f.sql_body {
            s.push('\n');
            s.push_str(&f.body);
        } else {
            let tag = dollar_tag(&f.body);
            s.push_str(&format!("\nAS {tag}{}{tag}", f.body));
        }
        s
    };
    let mut out = vec![sql];
    if let Some(c) = &f.comment {
        out.push(comment_function(schema, f, Some(c)));
    }
    out
}

fn comment_function(schema: &str, f: &Function, c: Option<&str>) -> String {
    format!("COMMENT ON {} {}({}) IS {}", f.kind.sql(), qn(schema, &f.name), identity_args(f), c.map(lit).unwrap_or_else(|| "NULL".into()))
}

pub fn drop_function(schema: &str, f: &Function) -> String {
    format!("DROP {} {}({})", f.kind.sql(), qn(schema, &f.name), identity_args(f))
}

/// CREATE OR REPLACE keeps a routine's identity only when its arguments (names, modes,
/// defaults) and result stay; PostgreSQL refuses anything else, so that is a drop and create.
pub fn function_replaceable(from: &Function, to: &Function) -> bool {
    from.kind == to.kind && from.args == to.args && from.returns == to.returns && from.kind != RoutineKind::Aggregate
}

pub fn replace_function(schema: &str, from: &Function, to: &Function) -> Vec<String> {
    let mut a = from.clone();
    a.comment = to.comment.clone();
    let mut out = Vec::new();
    if a != *to {
        out.push(create_function(schema, to, true).remove(0));
    }
    if from.comment != to.comment {
        out.push(comment_function(schema, to, to.comment.as_deref()));
    }
    out
}

// ---- triggers --------------------------------------------------------------------------------

/// CREATE TRIGGER from the trigger's parts, in pg_get_triggerdef's order (HCL has only parts).
pub fn trigger_def(schema: &str, t: &Trigger) -> String {
    let mut events: Vec<String> = Vec::new();
    for e in &t.events {
        if e == "UPDATE" && !t.update_of.is_empty() {
            events.push(format!("UPDATE OF {}", t.update_of.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
        } else {
            events.push(e.clone());
        }
    }
    let mut s = format!("CREATE TRIGGER {} {} {} ON {} FOR EACH {}", q(&t.name), t.timing, events.join(" OR "), qn(schema, &t.table), if t.for_each_row { "ROW" } else { "STATEMENT" });
    if let Some(w) = &t.when_clause {
        s.push_str(&format!(" WHEN ({w})"));
    }
    let func = t.function.as_deref().unwrap_or_default();
    let func = match func.split_once('.') {
        Some((s, n)) => qn(s, n),
        None => q(func),
    };
    s.push_str(&format!(" EXECUTE FUNCTION {func}({})", t.args.join(", ")));
    s
}

pub fn create_trigger(schema: &str, t: &Trigger) -> Vec<String> {
    let mut out = vec![t.def.clone()];
    if let Some(c) = &t.comment {
        out.push(format!("COMMENT ON TRIGGER {} ON {} IS {}", q(&t.name), qn(schema, &t.table), lit(c)));
    }
    out
}

pub fn drop_trigger(schema: &str, t: &Trigger) -> String {
    format!("DROP TRIGGER {} ON {}", q(&t.name), qn(schema, &t.table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_render_every_attribute() {
        let f = Function {
            name: "f".into(),
            args: vec![FuncArg { name: Some("x".into()), ty: "integer".into(), mode: None, default: Some("2".into()) }, FuncArg { name: Some("y".into()), ty: "integer".into(), mode: Some("OUT".into()), default: None }],
            returns: Some("integer".into()),
            lang: "plpgsql".into(),
            body: "begin y := x + 1; end $function$".into(),
            volatility: Some("IMMUTABLE".into()),
            strict: true,
            security_definer: true,
            config: vec!["search_path=public, pg_temp".into()],
            ..Default::default()
        };
        let sql = create_function("public", &f, true).remove(0);
        assert_eq!(
            sql,
            "CREATE OR REPLACE FUNCTION \"public\".\"f\"(\"x\" integer DEFAULT 2, OUT \"y\" integer)\n RETURNS integer\n LANGUAGE plpgsql IMMUTABLE STRICT SECURITY DEFINER\n SET search_path TO public, pg_temp\nAS $function1$begin y := x + 1; end $function$$function1$"
        );
        assert_eq!(drop_function("public", &f), "DROP FUNCTION \"public\".\"f\"(integer)");
    }

    #[test]
    fn aggregates_and_triggers() {
        let a = Function { name: "group_concat".into(), kind: RoutineKind::Aggregate, args: vec![FuncArg { ty: "text".into(), ..Default::default() }], aggregate: vec![("SFUNC".into(), "_group_concat".into()), ("STYPE".into(), "text".into()), ("INITCOND".into(), "".into())], ..Default::default() };
        assert_eq!(create_function("public", &a, false).remove(0), "CREATE AGGREGATE \"public\".\"group_concat\"(text) (\n    SFUNC = _group_concat,\n    STYPE = text,\n    INITCOND = ''\n)");
        let t = Trigger { name: "t".into(), table: "film".into(), timing: "BEFORE".into(), events: vec!["INSERT".into(), "UPDATE".into()], update_of: vec!["title".into()], for_each_row: true, when_clause: Some("new.x > 0".into()), function: Some("public.f".into()), args: vec!["'a'".into()], ..Default::default() };
        assert_eq!(trigger_def("public", &t), "CREATE TRIGGER \"t\" BEFORE INSERT OR UPDATE OF \"title\" ON \"public\".\"film\" FOR EACH ROW WHEN (new.x > 0) EXECUTE FUNCTION \"public\".\"f\"('a')");
    }
}
