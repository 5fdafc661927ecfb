//! Model → Atlas HCL, in the style `atlas schema inspect` prints: one attribute per line,
//! `null = false` spelled out, BTREE and default widths omitted, references for keys.

use crate::engine;
use crate::schema::*;
use std::fmt::Write;

mod kinds;
mod objects;
mod permissions;

/// An HCL string literal (escapes quotes, backslashes, newlines and template markers).
pub fn hcl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("$$"),
            '%' if chars.peek() == Some(&'{') => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `column.x`, or `column["x y"]` style is not Atlas's; names that are not identifiers are
/// referenced with an index expression that the decoder accepts.
pub(crate) fn ref_name(s: &str) -> String {
    if is_ident(s) {
        format!(".{s}")
    } else {
        format!("[{}]", hcl_str(s))
    }
}

pub fn encode(realm: &Realm, dialect: Dialect) -> String {
    // Atlas's order (what `atlas schema inspect` prints): tables, then the other objects, the
    // types and policies, then the schema blocks; roles and privileges after them. `=` aligned
    // as hclwrite aligns it, no blank lines between blocks.
    let mut schemas = String::new();
    let mut types = String::new();
    let mut out = String::new();
    let table_count = |name: &str| realm.schemas.iter().filter(|s| s.tables.iter().any(|t| t.name == name)).count();
    let enum_count = |name: &str| realm.schemas.iter().filter(|s| s.named_types().any(|(_, n)| n == name)).count();
    for s in &realm.schemas {
        let _ = writeln!(schemas, "schema {} {{", hcl_str(&s.name));
        if let Some(c) = &s.comment {
            let _ = writeln!(schemas, "  comment = {}", hcl_str(c));
        }
        if let Some(c) = &s.charset {
            let _ = writeln!(schemas, "  charset = {}", hcl_str(c));
        }
        if let Some(c) = &s.collate {
            let _ = writeln!(schemas, "  collate = {}", hcl_str(c));
        }
        schemas.push_str("}\n");
    }
    for s in &realm.schemas {
        kinds::encode(&mut types, s, &|ty| type_expr(realm, dialect, ty, &enum_count).0);
        for e in &s.enums {
            let _ = writeln!(types, "enum {} {{", hcl_str(&e.name));
            let _ = writeln!(types, "  schema = schema{}", ref_name(&s.name));
            let _ = writeln!(types, "  values = [{}]", e.values.iter().map(|v| hcl_str(v)).collect::<Vec<_>>().join(", "));
            if let Some(c) = &e.comment {
                let _ = writeln!(types, "  comment = {}", hcl_str(c));
            }
            types.push_str("}\n");
        }
        for d in &s.domains {
            let _ = writeln!(types, "domain {} {{", hcl_str(&d.name));
            let _ = writeln!(types, "  schema = schema{}", ref_name(&s.name));
            let _ = writeln!(types, "  type = {}", type_expr(realm, dialect, &d.ty, &enum_count).0);
            let _ = writeln!(types, "  null = {}", d.null);
            if let Some(def) = &d.default {
                let _ = writeln!(types, "  default = {}", default_expr(def));
            }
            for c in &d.checks {
                let _ = writeln!(types, "  check {} {{\n    expr = {}\n  }}", hcl_str(&c.name), hcl_str(&c.expr));
            }
            types.push_str("}\n");
        }
        for q in &s.sequences {
            let _ = writeln!(types, "sequence {} {{", hcl_str(&q.name));
            let _ = writeln!(types, "  schema = schema{}", ref_name(&s.name));
            let _ = writeln!(types, "  type = {}", type_expr(realm, dialect, &q.ty, &enum_count).0);
            let _ = writeln!(types, "  start = {}", q.start);
            let _ = writeln!(types, "  increment = {}", q.increment);
            let _ = writeln!(types, "  min_value = {}", q.min_value);
            let _ = writeln!(types, "  max_value = {}", q.max_value);
            let _ = writeln!(types, "  cache = {}", q.cache);
            if q.cycle {
                types.push_str("  cycle = true\n");
            }
            if let Some((t, c)) = &q.owned_by {
                let _ = writeln!(types, "  owner = table{}.column{}", ref_name(t), ref_name(c));
            }
            types.push_str("}\n");
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            let label = if table_count(&t.name) > 1 {
                format!("{} {}", hcl_str(&s.name), hcl_str(&t.name))
            } else {
                hcl_str(&t.name)
            };
            let _ = writeln!(out, "table {label} {{");
            let _ = writeln!(out, "  schema = schema{}", ref_name(&s.name));
            if let Some(c) = &t.comment {
                let _ = writeln!(out, "  comment = {}", hcl_str(c));
            }
            // What a table inherits from its schema (character set, collation) or from the
            // server (MySQL's InnoDB) goes unwritten, as Atlas writes it.
            if let Some(v) = t.options.charset.as_ref().filter(|v| s.charset.as_ref() != Some(*v)) {
                let _ = writeln!(out, "  charset = {}", hcl_str(v));
            }
            if let Some(v) = t.options.collate.as_ref().filter(|v| s.collate.as_ref() != Some(*v)) {
                let _ = writeln!(out, "  collate = {}", hcl_str(v));
            }
            if t.options.unlogged {
                out.push_str("  unlogged = true\n");
            }
            if !t.options.storage_params.is_empty() {
                out.push_str("  storage_params = {\n");
                for p in &t.options.storage_params {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    let key = if is_ident(k) && !k.contains('-') { k.to_string() } else { hcl_str(k) };
                    let _ = writeln!(out, "    {key} = {}", hcl_str(v));
                }
                out.push_str("  }\n");
            }
            match t.options.replica_identity.as_deref().map(|r| r.strip_prefix("INDEX ").ok_or(r)) {
                Some(Ok(i)) => {
                    let _ = writeln!(out, "  replica_identity = index{}", ref_name(i));
                }
                Some(Err(kw)) => {
                    let _ = writeln!(out, "  replica_identity = {kw}");
                }
                None => {}
            }
            if let Some(v) = t.options.engine.as_ref().filter(|v| !v.eq_ignore_ascii_case("InnoDB")) {
                let _ = writeln!(out, "  engine = {}", if is_ident(v) { v.clone() } else { hcl_str(v) });
            }
            if let Some(v) = t.options.auto_increment {
                let _ = writeln!(out, "  auto_increment = {v}");
            }
            if t.options.without_rowid {
                out.push_str("  without_rowid = true\n");
            }
            if t.options.strict {
                out.push_str("  strict = true\n");
            }
            if let Some(of) = &t.partition_of {
                let r = if of.schema == s.name { format!("table{}", ref_name(&of.table)) } else { format!("table{}{}", ref_name(&of.schema), ref_name(&of.table)) };
                let _ = writeln!(out, "  partition_of = {r}");
                let _ = writeln!(out, "  partition_bound = {}", hcl_str(&of.bound));
            }
            for c in &t.columns {
                let _ = writeln!(out, "  column {} {{", hcl_str(&c.name));
                let _ = writeln!(out, "    null = {}", c.null);
                let (ty, unsigned) = type_expr(realm, dialect, &c.ty, &enum_count);
                let _ = writeln!(out, "    type = {ty}");
                if unsigned {
                    out.push_str("    unsigned = true\n");
                }
                if let Some(d) = &c.default {
                    let _ = writeln!(out, "    default = {}", default_expr(d));
                }
                if c.auto_increment {
                    out.push_str("    auto_increment = true\n");
                }
                if let Some(u) = &c.on_update {
                    let _ = writeln!(out, "    on_update = sql({})", hcl_str(u));
                }
                if let Some(v) = &c.charset {
                    let _ = writeln!(out, "    charset = {}", hcl_str(v));
                }
                if let Some(v) = &c.collate {
                    let _ = writeln!(out, "    collate = {}", hcl_str(v));
                }
                if let Some(v) = &c.comment {
                    let _ = writeln!(out, "    comment = {}", hcl_str(v));
                }
                if let Some(g) = &c.generated {
                    let _ = writeln!(
                        out,
                        "    as {{\n      expr = {}\n      type = {}\n    }}",
                        hcl_str(&g.expr),
                        if g.stored { "STORED" } else { "VIRTUAL" }
                    );
                }
                if let Some(id) = &c.identity {
                    let _ = writeln!(
                        out,
                        "    identity {{\n      generated = {}\n      start = {}\n      increment = {}",
                        if id.always { "ALWAYS" } else { "BY_DEFAULT" },
                        id.start,
                        id.increment
                    );
                    if let Some(m) = id.min_value {
                        let _ = writeln!(out, "      min_value = {m}");
                    }
                    if let Some(m) = id.max_value {
                        let _ = writeln!(out, "      max_value = {m}");
                    }
                    out.push_str("    }\n");
                }
                out.push_str("  }\n");
            }
            if let Some(pk) = &t.primary_key {
                // The engine's default name (`users_pkey`, MySQL's `PRIMARY`) goes unwritten.
                match pk.name.as_ref().filter(|n| Some(n.as_str()) != engine::of(dialect).default_primary_key_name(&t.name).as_deref()) {
                    Some(n) => {
                        let _ = writeln!(out, "  primary_key {} {{", hcl_str(n));
                    }
                    None => out.push_str("  primary_key {\n"),
                }
                let _ = writeln!(out, "    columns = [{}]", cols(&pk.columns));
                if !pk.include.is_empty() {
                    let _ = writeln!(out, "    include = [{}]", cols(&pk.include));
                }
                deferrable_attrs(&mut out, pk.deferrable, pk.initially_deferred);
                out.push_str("  }\n");
            }
            for fk in &t.foreign_keys {
                let _ = writeln!(out, "  foreign_key {} {{", hcl_str(&fk.name));
                let _ = writeln!(out, "    columns = [{}]", cols(&fk.columns));
                let tref = if table_count(&fk.ref_table) > 1 {
                    format!("table{}{}", ref_name(&fk.ref_schema), ref_name(&fk.ref_table))
                } else {
                    format!("table{}", ref_name(&fk.ref_table))
                };
                let _ = writeln!(
                    out,
                    "    ref_columns = [{}]",
                    fk.ref_columns.iter().map(|c| format!("{tref}.column{}", ref_name(c))).collect::<Vec<_>>().join(", ")
                );
                let _ = writeln!(out, "    on_update = {}", fk.on_update.hcl());
                let _ = writeln!(out, "    on_delete = {}", fk.on_delete.hcl());
                deferrable_attrs(&mut out, fk.deferrable, fk.initially_deferred);
                out.push_str("  }\n");
            }
            for i in &t.indexes {
                index_block(&mut out, i, dialect);
            }
            for c in &t.checks {
                if c.name.is_empty() {
                    out.push_str("  check {\n");
                } else {
                    let _ = writeln!(out, "  check {} {{", hcl_str(&c.name));
                }
                let _ = writeln!(out, "    expr = {}", hcl_str(&engine::of(dialect).hcl_check_expr(&c.expr)));
                if !c.enforced {
                    out.push_str("    enforced = false\n");
                }
                out.push_str("  }\n");
            }
            if let Some(p) = &t.partition {
                out.push_str("  partition {\n");
                let _ = writeln!(out, "    type = {}", p.kind);
                if p.parts.iter().all(|k| matches!(k, PartKey::Column(_))) {
                    let names: Vec<String> = p.parts.iter().map(|k| match k {
                        PartKey::Column(c) => c.clone(),
                        PartKey::Expr(e) => e.clone(),
                    }).collect();
                    let _ = writeln!(out, "    columns = [{}]", cols(&names));
                } else {
                    for k in &p.parts {
                        match k {
                            PartKey::Column(c) => {
                                let _ = writeln!(out, "    by {{\n      column = column{}\n    }}", ref_name(c));
                            }
                            PartKey::Expr(e) => {
                                let _ = writeln!(out, "    by {{\n      expr = {}\n    }}", hcl_str(e));
                            }
                        }
                    }
                }
                out.push_str("  }\n");
            }
            if !t.row_security.is_off() {
                let _ = writeln!(out, "  row_security {{\n    enabled  = {}\n    enforced = {}\n  }}", t.row_security.enabled, t.row_security.forced);
            }
            out.push_str("}\n");
        }
    }
    objects::encode(&mut out, realm, dialect);
    out.push_str(&types);
    // Policies after every table (Atlas keeps them as top-level blocks that name their table).
    let one_schema = realm.schemas.len() == 1;
    for s in &realm.schemas {
        for t in &s.tables {
            for p in &t.policies {
                let on = if one_schema { format!("table{}", ref_name(&t.name)) } else { format!("table{}{}", ref_name(&s.name), ref_name(&t.name)) };
                let roles: Vec<String> = p.roles.iter().map(|r| if Policy::is_role_keyword(r) { r.clone() } else { hcl_str(r) }).collect();
                let _ = writeln!(out, "policy {} {{", hcl_str(&p.name));
                let _ = writeln!(out, "  on  = {on}");
                let _ = writeln!(out, "  for = {}", p.command);
                let _ = writeln!(out, "  to  = [{}]", roles.join(", "));
                if !p.permissive {
                    out.push_str("  as  = RESTRICTIVE\n");
                }
                if let Some(u) = &p.using {
                    let _ = writeln!(out, "  using = {}", hcl_str(u));
                }
                if let Some(c) = &p.check {
                    let _ = writeln!(out, "  check = {}", hcl_str(c));
                }
                out.push_str("}\n");
            }
        }
    }
    // Schemas close Atlas's part; roles and privileges (schemagate's blocks) follow.
    out.push_str(&schemas);
    permissions::encode(&mut out, realm, dialect);
    super::fmt::layout(&out)
}

/// `deferrable = true` and `initially_deferred = true` when set (keys and foreign keys).
fn deferrable_attrs(out: &mut String, deferrable: bool, initially_deferred: bool) {
    if deferrable {
        out.push_str("    deferrable = true\n");
    }
    if deferrable && initially_deferred {
        out.push_str("    initially_deferred = true\n");
    }
}

/// An `index` (or PostgreSQL `unique`) block at two spaces' indent.
pub(crate) fn index_block(out: &mut String, i: &Index, dialect: Dialect) {
    let kw = match (i.constraint && dialect == Dialect::Postgres, i.is_exclusion()) {
        (true, true) => "exclude",
        (true, false) => "unique",
        (false, _) => "index",
    };
    let _ = writeln!(out, "  {kw} {} {{", hcl_str(&i.name));
    if i.unique && kw == "index" {
        out.push_str("    unique = true\n");
    }
    let simple = i.parts.iter().all(|p| p.column.is_some() && !p.desc && p.prefix.is_none() && p.opclass.is_none() && p.nulls_first.is_none() && p.op.is_none());
    // Attributes before `on` blocks, `type` after `columns` (Atlas's order).
    if simple {
        let names: Vec<String> = i.parts.iter().map(|p| p.column.clone().unwrap_or_default()).collect();
        let _ = writeln!(out, "    columns = [{}]", cols(&names));
    }
    if let Some(m) = &i.method {
        let _ = writeln!(out, "    type = {m}");
    }
    if !simple {
        for p in &i.parts {
            out.push_str("    on {\n");
            if let Some(c) = &p.column {
                let _ = writeln!(out, "      column = column{}", ref_name(c));
            }
            if let Some(e) = &p.expr {
                let _ = writeln!(out, "      expr = {}", hcl_str(e));
            }
            if p.desc {
                out.push_str("      desc = true\n");
            }
            if let Some(n) = p.prefix {
                let _ = writeln!(out, "      prefix = {n}");
            }
            if let Some(o) = &p.opclass {
                let _ = writeln!(out, "      ops = {}", if is_ident(o) { o.clone() } else { format!("sql({})", hcl_str(o)) });
            }
            match p.nulls_first {
                Some(true) => out.push_str("      nulls_first = true\n"),
                Some(false) => out.push_str("      nulls_last = true\n"),
                None => {}
            }
            if let Some(op) = &p.op {
                let _ = writeln!(out, "      op = {}", hcl_str(op));
            }
            out.push_str("    }\n");
        }
    }
    if !i.include.is_empty() {
        let _ = writeln!(out, "    include = [{}]", cols(&i.include));
    }
    if let Some(n) = i.page_per_range {
        let _ = writeln!(out, "    page_per_range = {n}");
    }
    if !i.nulls_distinct {
        out.push_str("    nulls_distinct = false\n");
    }
    deferrable_attrs(out, i.deferrable, i.initially_deferred);
    if let Some(w) = &i.where_clause {
        let _ = writeln!(out, "    where = {}", hcl_str(w));
    }
    if let Some(c) = &i.comment {
        let _ = writeln!(out, "    comment = {}", hcl_str(c));
    }
    out.push_str("  }\n");
}

fn cols(names: &[String]) -> String {
    names.iter().map(|c| format!("column{}", ref_name(c))).collect::<Vec<_>>().join(", ")
}

fn default_expr(d: &ColumnDefault) -> String {
    match d {
        ColumnDefault::Str(s) => hcl_str(s),
        ColumnDefault::Num(n) => n.clone(),
        ColumnDefault::Bool(b) => b.to_string(),
        ColumnDefault::Raw(r) => format!("sql({})", hcl_str(r)),
    }
}

/// The HCL for a canonical type, and whether MySQL's `unsigned = true` goes with it. A named
/// type of the realm (`Schema::named_types`: PostgreSQL's enums, domains, composites) is a
/// reference; the engine spells the rest.
fn type_expr(realm: &Realm, dialect: Dialect, ty: &str, name_count: &dyn Fn(&str) -> usize) -> (String, bool) {
    for s in &realm.schemas {
        for (kind, n) in s.named_types() {
            if crate::schema::type_ref::qualified(&s.name, n) == ty {
                let r = if name_count(n) > 1 { format!("{kind}{}{}", ref_name(&s.name), ref_name(n)) } else { format!("{kind}{}", ref_name(n)) };
                return (r, false);
            }
        }
    }
    let e = engine::of(dialect);
    if let Some((kind, values)) = e.value_list_type(ty) {
        return (format!("{kind}({})", values.iter().map(|v| hcl_str(v)).collect::<Vec<_>>().join(", ")), false);
    }
    e.hcl_type(ty).unwrap_or_else(|| (format!("sql({})", hcl_str(ty)), false))
}
