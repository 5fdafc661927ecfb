//! Views, materialized views, functions, procedures, aggregates and triggers from pg_catalog:
//! one set query per kind for all schemas. Definitions are kept as PostgreSQL prints them back
//! (pg_get_viewdef, pg_get_triggerdef, prosrc), so a desired object that went through a
//! disposable database compares equal to the live one when they mean the same.

use super::inspect::{not_ext, split_top_level};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{PgPool, Row};

pub async fn views(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, View)>> {
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind = 'm', pg_get_viewdef(c.oid), COALESCE(c.reloptions, '{{}}')::text[], \
           obj_description(c.oid, 'pg_class'), \
           ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text[], \
           ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text[] \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v','m') AND n.nspname = ANY($1) AND {}",
        not_ext("pg_class", "c.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting views")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let options: Vec<String> = r.get(4);
            let names: Vec<String> = r.get(6);
            let types: Vec<String> = r.get(7);
            let def: String = r.get(3);
            let mut v = View {
                name: r.get(1),
                def: def.trim().trim_end_matches(';').trim_end().to_string(),
                materialized: r.get(2),
                comment: r.get(5),
                columns: names.into_iter().zip(types).map(|(name, ty)| ViewColumn { name, ty }).collect(),
                ..Default::default()
            };
            for o in options {
                match o.split_once('=') {
                    Some(("check_option", val)) => v.check_option = Some(val.to_ascii_uppercase()),
                    Some(("security_barrier", val)) => v.barrier = val == "true" || val == "on",
                    Some(("security_invoker", val)) if val == "true" || val == "on" => v.security = Some("INVOKER".into()),
                    _ => {}
                }
            }
            (r.get(0), v)
        })
        .collect())
}

pub async fn functions(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Function)>> {
    let q = format!(
        "SELECT n.nspname::text, p.proname::text, p.prokind::text, COALESCE(p.proargnames, '{{}}')::text[], \
           COALESCE(p.proargmodes::text[], '{{}}'), \
           ARRAY(SELECT format_type(u.t, NULL) FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS u(t, k) ORDER BY u.k)::text[], \
           pg_get_expr(p.proargdefaults, 0), \
           CASE WHEN p.prokind IN ('f','w') THEN pg_get_function_result(p.oid) END, \
           l.lanname::text, p.prosrc, \
           CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_functiondef(p.oid) END, \
           p.provolatile::text, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel::text, \
           COALESCE(p.proconfig, '{{}}')::text[], obj_description(p.oid, 'pg_proc'), \
           a.aggtransfn::text, format_type(a.aggtranstype, NULL), \
           CASE WHEN a.aggfinalfn <> 0 THEN a.aggfinalfn::text END, a.agginitval, \
           CASE WHEN a.aggcombinefn <> 0 THEN a.aggcombinefn::text END, \
           CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
         LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid \
         WHERE n.nspname = ANY($1) AND {}",
        not_ext("pg_proc", "p.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting functions")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind = match r.get::<String, _>(2).as_str() {
            "p" => RoutineKind::Procedure,
            "a" => RoutineKind::Aggregate,
            _ => RoutineKind::Function,
        };
        let names: Vec<String> = r.get(3);
        let modes: Vec<String> = r.get(4);
        let types: Vec<String> = r.get(5);
        let defaults: Option<String> = r.get(6);
        let mut args = Vec::with_capacity(types.len());
        for (k, ty) in types.into_iter().enumerate() {
            let mode = modes.get(k).map(String::as_str).unwrap_or("i");
            // TABLE(...) columns are part of the RETURNS clause.
            if mode == "t" {
                continue;
            }
            let name = names.get(k).filter(|n| !n.is_empty()).cloned();
            let mode = match mode {
                "o" => Some("OUT".to_string()),
                "b" => Some("INOUT".to_string()),
                "v" => Some("VARIADIC".to_string()),
                _ => None,
            };
            args.push(FuncArg { name, ty, mode, default: None });
        }
        // Defaults belong to the last N input arguments.
        if let Some(d) = defaults {
            let ds = split_top_level(&d);
            let inputs: Vec<usize> = args.iter().enumerate().filter(|(_, a)| a.mode.as_deref() != Some("OUT")).map(|(i, _)| i).collect();
            for (slot, val) in inputs.iter().rev().zip(ds.iter().rev()) {
                args[*slot].default = Some(val.trim().to_string());
            }
        }
        let functiondef: Option<String> = r.get(10);
        let (body, sql_body) = match functiondef {
            Some(def) => (sql_body_of(&def), true),
            None => (r.get::<String, _>(9), false),
        };
        let mut f = Function {
            name: r.get(1),
            kind,
            args,
            returns: r.get(7),
            lang: r.get(8),
            body,
            sql_body,
            volatility: match r.get::<String, _>(11).as_str() {
                "i" => Some("IMMUTABLE".into()),
                "s" => Some("STABLE".into()),
                _ => None,
            },
            strict: r.get(12),
            security_definer: r.get(13),
            leakproof: r.get(14),
            parallel: match r.get::<String, _>(15).as_str() {
                "s" => Some("SAFE".into()),
                "r" => Some("RESTRICTED".into()),
                _ => None,
            },
            config: r.get(16),
            comment: r.get(17),
            ..Default::default()
        };
        if kind == RoutineKind::Aggregate {
            // An aggregate's own pg_proc row says `internal` language and no body; its meaning
            // is in pg_aggregate.
            f.lang = String::new();
            f.body = String::new();
            f.strict = false;
            let mut opts = vec![("SFUNC".to_string(), r.get::<String, _>(18)), ("STYPE".to_string(), r.get::<String, _>(19))];
            for (key, col) in [("FINALFUNC", 20), ("INITCOND", 21), ("COMBINEFUNC", 22)] {
                if let Some(x) = r.get::<Option<String>, _>(col) {
                    opts.push((key.to_string(), x));
                }
            }
            if let Some(x) = r.get::<Option<String>, _>(23) {
                // regoperator prints `>(integer,integer)`; SORTOP takes the bare operator.
                opts.push(("SORTOP".into(), x.split('(').next().unwrap_or_default().to_string()));
            }
            f.aggregate = opts;
            f.volatility = None;
        }
        out.push((r.get(0), f));
    }
    Ok(out)
}

/// The body of a SQL-standard function (`BEGIN ATOMIC … END` or `RETURN …`) from
/// pg_get_functiondef: the header lines are indented by one space, the body is not.
fn sql_body_of(def: &str) -> String {
    let lines: Vec<&str> = def.lines().collect();
    let start = lines.iter().skip(1).position(|l| !l.starts_with(' ')).map(|p| p + 1).unwrap_or(lines.len());
    lines[start..].join("\n").trim_end().to_string()
}

pub async fn triggers(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Trigger)>> {
    let rows = sqlx::query(
        "SELECT n.nspname::text, c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid), t.tgtype::int, \
           ARRAY(SELECT a.attname::text FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS u(k, o) \
                 JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = u.k ORDER BY u.o)::text[], \
           CASE WHEN fn.nspname IN ('pg_catalog', n.nspname) THEN f.proname::text ELSE fn.nspname || '.' || f.proname END, \
           obj_description(t.oid, 'pg_trigger') \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_proc f ON f.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = f.pronamespace \
         WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY($1)",
    )
    .bind(schemas)
    .fetch_all(pool)
    .await
    .context("inspecting triggers")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let def: String = r.get(3);
            let ty: i32 = r.get(4);
            let timing = if ty & 64 != 0 {
                "INSTEAD OF"
            } else if ty & 2 != 0 {
                "BEFORE"
            } else {
                "AFTER"
            };
            let mut events = Vec::new();
            for (bit, ev) in [(4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE")] {
                if ty & bit != 0 {
                    events.push(ev.to_string());
                }
            }
            let (when_clause, args) = trigger_parts(&def);
            let t = Trigger {
                name: r.get(2),
                table: r.get(1),
                def,
                timing: timing.into(),
                events,
                update_of: r.get(5),
                for_each_row: ty & 1 != 0,
                when_clause,
                function: Some(r.get(6)),
                args,
                body: None,
                comment: r.get(7),
                pos: None,
            };
            (r.get(0), t)
        })
        .collect())
}

/// WHEN condition and function arguments out of pg_get_triggerdef's text.
fn trigger_parts(def: &str) -> (Option<String>, Vec<String>) {
    let when = def.find(" WHEN (").and_then(|i| {
        let rest = &def[i + " WHEN ".len()..];
        let end = crate::engine::sql_text::matching_paren(rest)?;
        let inner = &rest[1..end];
        // pg_get_triggerdef doubles the parentheses: WHEN ((new.a > 0)).
        let wrapped = inner.starts_with('(') && crate::engine::sql_text::matching_paren(inner) == Some(inner.len() - 1);
        Some(if wrapped { &inner[1..inner.len() - 1] } else { inner }.to_string())
    });
    let args = def
        .rfind(" EXECUTE FUNCTION ")
        .or_else(|| def.rfind(" EXECUTE PROCEDURE "))
        .and_then(|i| {
            let rest = &def[i..];
            let open = rest.find('(')?;
            let inner = rest[open + 1..].strip_suffix(')')?;
            Some(if inner.trim().is_empty() { vec![] } else { split_top_level(inner).into_iter().map(|s| s.trim().to_string()).collect() })
        })
        .unwrap_or_default();
    (when, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_standard_bodies_are_cut_from_the_header() {
        let def = "CREATE OR REPLACE FUNCTION public.f(x integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nBEGIN ATOMIC\n SELECT (x + 1);\nEND\n";
        assert_eq!(sql_body_of(def), "BEGIN ATOMIC\n SELECT (x + 1);\nEND");
        assert_eq!(sql_body_of("CREATE OR REPLACE FUNCTION public.g(integer)\n RETURNS integer\n LANGUAGE sql\nRETURN ($1 + 1)\n"), "RETURN ($1 + 1)");
    }

    #[test]
    fn trigger_when_and_arguments() {
        let (w, a) = trigger_parts("CREATE TRIGGER trg BEFORE INSERT ON public.t FOR EACH ROW WHEN ((new.a > 0)) EXECUTE FUNCTION tr('x', 'y, z')");
        assert_eq!(w.as_deref(), Some("new.a > 0"));
        assert_eq!(a, vec!["'x'", "'y, z'"]);
        let (w, a) = trigger_parts("CREATE TRIGGER t AFTER UPDATE ON s.t FOR EACH ROW WHEN ((old.a) IS DISTINCT FROM (new.a)) EXECUTE FUNCTION f()");
        assert_eq!(w.as_deref(), Some("(old.a) IS DISTINCT FROM (new.a)"));
        assert!(a.is_empty());
    }
}
