//! Views, routines and triggers → Atlas-style HCL blocks. Definitions and bodies are written as
//! escaped strings, not heredocs, so decoding gives back exactly what was inspected.

use super::{hcl_str, index_block, is_ident, ref_name};
use crate::engine;
use crate::schema::*;
use std::fmt::Write;

/// A routine's argument or result type: bare where it reads back unchanged, else `sql("…")`.
fn type_hcl(dialect: Dialect, ty: &str) -> String {
    let canonical = engine::of(dialect).canonical_type(ty);
    let plain = ty.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && ty.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && canonical == ty {
        ty.to_string()
    } else {
        format!("sql({})", hcl_str(ty))
    }
}

fn constant(s: &str) -> String {
    let u = s.replace(' ', "_");
    if is_ident(&u) {
        u
    } else {
        hcl_str(s)
    }
}

pub fn encode(out: &mut String, realm: &Realm, dialect: Dialect) {
    let one_schema = realm.schemas.len() == 1;
    let relation_ref = |kind: &str, schema: &str, name: &str| if one_schema { format!("{kind}{}", ref_name(name)) } else { format!("{kind}{}{}", ref_name(schema), ref_name(name)) };
    for s in &realm.schemas {
        for f in &s.functions {
            let kind = match f.kind {
                RoutineKind::Function => "function",
                RoutineKind::Procedure => "procedure",
                RoutineKind::Aggregate => "aggregate",
            };
            let _ = writeln!(out, "{kind} {} {{", hcl_str(&f.name));
            let _ = writeln!(out, "  schema = schema{}", ref_name(&s.name));
            for a in &f.args {
                match &a.name {
                    Some(n) => {
                        let _ = writeln!(out, "  arg {} {{", hcl_str(n));
                    }
                    None => out.push_str("  arg {\n"),
                }
                let _ = writeln!(out, "    type = {}", type_hcl(dialect, &a.ty));
                if let Some(m) = &a.mode {
                    let _ = writeln!(out, "    mode = {m}");
                }
                if let Some(d) = &a.default {
                    let _ = writeln!(out, "    default = sql({})", hcl_str(d));
                }
                out.push_str("  }\n");
            }
            if f.kind == RoutineKind::Aggregate {
                for (k, v) in &f.aggregate {
                    let key = match k.as_str() {
                        "SFUNC" => "state_func",
                        "STYPE" => "state_type",
                        "FINALFUNC" => "final_func",
                        "INITCOND" => "initial_value",
                        "COMBINEFUNC" => "combine_func",
                        _ => "sort_op",
                    };
                    let val = if key == "state_type" { type_hcl(dialect, v) } else { hcl_str(v) };
                    let _ = writeln!(out, "  {key} = {val}");
                }
            } else {
                let _ = writeln!(out, "  lang = {}", constant(&f.lang.to_ascii_uppercase()).replace("PLPGSQL", "PLpgSQL"));
                if let Some(r) = &f.returns {
                    match r.strip_prefix("SETOF ") {
                        Some(t) if !type_hcl(dialect, t).starts_with("sql(") => {
                            let _ = writeln!(out, "  return_set = {t}");
                        }
                        _ => {
                            let _ = writeln!(out, "  return = {}", type_hcl(dialect, r));
                        }
                    }
                }
                let _ = writeln!(out, "  as = {}", hcl_str(&f.body));
            }
            if let Some(v) = &f.volatility {
                let _ = writeln!(out, "  volatility = {v}");
            }
            if f.strict {
                out.push_str("  strict = true\n");
            }
            match (dialect, f.security_definer) {
                (Dialect::Mysql, false) => out.push_str("  security = INVOKER\n"),
                (Dialect::Postgres, true) => out.push_str("  security = DEFINER\n"),
                _ => {}
            }
            if f.leakproof {
                out.push_str("  leakproof = true\n");
            }
            if let Some(p) = &f.parallel {
                let _ = writeln!(out, "  parallel = {p}");
            }
            if !f.config.is_empty() {
                let _ = writeln!(out, "  config = [{}]", f.config.iter().map(|c| hcl_str(c)).collect::<Vec<_>>().join(", "));
            }
            if f.deterministic {
                out.push_str("  deterministic = true\n");
            }
            if let Some(d) = &f.data_access {
                let _ = writeln!(out, "  data_access = {}", constant(d));
            }
            if let Some(c) = &f.comment {
                let _ = writeln!(out, "  comment = {}", hcl_str(c));
            }
            out.push_str("}\n");
        }
        for v in &s.views {
            let _ = writeln!(out, "{} {} {{", if v.materialized { "materialized" } else { "view" }, hcl_str(&v.name));
            let _ = writeln!(out, "  schema = schema{}", ref_name(&s.name));
            for c in &v.columns {
                let _ = writeln!(out, "  column {} {{", hcl_str(&c.name));
                let _ = writeln!(out, "    type = {}", type_hcl(dialect, &c.ty));
                out.push_str("  }\n");
            }
            let _ = writeln!(out, "  as = {}", hcl_str(&v.def));
            if let Some(c) = &v.check_option {
                let _ = writeln!(out, "  check_option = {c}");
            }
            if let Some(sec) = &v.security {
                let _ = writeln!(out, "  security = {sec}");
            }
            if v.barrier {
                out.push_str("  security_barrier = true\n");
            }
            for i in &v.indexes {
                index_block(out, i, dialect);
            }
            if let Some(c) = &v.comment {
                let _ = writeln!(out, "  comment = {}", hcl_str(c));
            }
            out.push_str("}\n");
        }
        for t in &s.triggers {
            let _ = writeln!(out, "trigger {} {{", hcl_str(&t.name));
            let on_view = s.views.iter().any(|v| v.name == t.table);
            let _ = writeln!(out, "  on = {}", relation_ref(if on_view { "view" } else { "table" }, &s.name, &t.table));
            let timing = match t.timing.as_str() {
                "INSTEAD OF" => "instead_of",
                "AFTER" => "after",
                _ => "before",
            };
            let _ = writeln!(out, "  {timing} {{");
            for e in &t.events {
                if e == "UPDATE" && !t.update_of.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "    {} = true", e.to_ascii_lowercase());
            }
            if !t.update_of.is_empty() {
                let cols: Vec<String> = t.update_of.iter().map(|c| format!("{}.column{}", relation_ref("table", &s.name, &t.table), ref_name(c))).collect();
                let _ = writeln!(out, "    update_of = [{}]", cols.join(", "));
            }
            out.push_str("  }\n");
            if !t.for_each_row {
                out.push_str("  foreach = STATEMENT\n");
            } else if dialect == Dialect::Postgres {
                out.push_str("  foreach = ROW\n");
            }
            if let Some(w) = &t.when_clause {
                let _ = writeln!(out, "  when = {}", hcl_str(w));
            }
            if let Some(f) = &t.function {
                out.push_str("  execute {\n");
                let known = match f.split_once('.') {
                    Some((fs, fname)) => realm.schema(fs).is_some_and(|x| x.functions.iter().any(|g| g.name == fname)).then(|| format!("function{}{}", ref_name(fs), ref_name(fname))),
                    None => s.functions.iter().any(|g| &g.name == f).then(|| format!("function{}", ref_name(f))),
                };
                let _ = writeln!(out, "    function = {}", known.unwrap_or_else(|| hcl_str(f)));
                if !t.args.is_empty() {
                    let _ = writeln!(out, "    args = [{}]", t.args.iter().map(|a| hcl_str(a)).collect::<Vec<_>>().join(", "));
                }
                out.push_str("  }\n");
            }
            if let Some(b) = &t.body {
                let _ = writeln!(out, "  as = {}", hcl_str(b));
            }
            if let Some(c) = &t.comment {
                let _ = writeln!(out, "  comment = {}", hcl_str(c));
            }
            out.push_str("}\n");
        }
    }
}
