//! `view`, `materialized`, `function`, `procedure`, `aggregate` and `trigger` blocks, in Atlas's
//! spelling. Definitions are kept as written; the planner normalizes them through a disposable
//! database, so `as = "select 1"` and the catalog's `SELECT 1` compare equal.

use super::*;

const VIEW_ATTRS: &[&str] = &["schema", "as", "check_option", "security", "security_barrier", "comment", "depends_on"];
const FUNC_ATTRS: &[&str] = &["schema", "lang", "return", "return_set", "as", "volatility", "strict", "security", "leakproof", "parallel", "config", "deterministic", "data_access", "comment", "depends_on"];
const AGG_ATTRS: &[&str] = &["schema", "state_type", "state_func", "final_func", "initial_value", "combine_func", "sort_op", "parallel", "comment", "depends_on"];
const TRIGGER_ATTRS: &[&str] = &["on", "foreach", "when", "as", "comment", "depends_on"];

impl Decoder<'_> {
    /// All object blocks of one file (after the tables, which triggers and indexes refer to).
    pub(super) fn objects(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body) {
            match b.ident.as_str() {
                "view" | "materialized" => {
                    if b.ident.as_str() == "materialized" && self.dialect != Dialect::Postgres {
                        return Err(self.files[fi].err(b.span(), format!("materialized views exist only on PostgreSQL, not {}", self.dialect.name()), None));
                    }
                    self.view(fi, b)?
                }
                "function" | "procedure" | "aggregate" => {
                    if self.dialect == Dialect::Sqlite {
                        return Err(self.files[fi].err(b.span(), format!("SQLite has no stored {}s", b.ident.as_str()), Some("keep the logic in a view or trigger, or in the application".into())));
                    }
                    if b.ident.as_str() == "aggregate" && self.dialect != Dialect::Postgres {
                        return Err(self.files[fi].err(b.span(), "aggregates exist only on PostgreSQL", None));
                    }
                    self.routine(fi, b)?
                }
                "trigger" => self.trigger(fi, b)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn object_schema(&self, fi: usize, b: &Block, schema: Option<String>) -> R<String> {
        match schema {
            Some(s) => Ok(s),
            None => self.default_schema(fi, b.span()),
        }
    }

    /// `type = integer`, `type = sql("SETOF film")`: canonical unless given as sql() text.
    fn routine_type(&self, fi: usize, a: &Attribute) -> R<String> {
        let e: Expression = a.value.clone().into();
        if let Expression::FuncCall(f) = &e {
            if f.name.name.as_str() == "sql" {
                return self.sql_arg(fi, a, f);
            }
        }
        self.column_type(fi, a)
    }

    /// `function.f` / `function.s.f` / a string → the name as SQL would write it.
    fn routine_ref(&self, fi: usize, a: &Attribute) -> R<String> {
        let e: Expression = a.value.clone().into();
        match path_of(&e).as_deref() {
            Some([k, n]) if k == "function" => Ok(n.clone()),
            Some([k, s, n]) if k == "function" => Ok(format!("{s}.{n}")),
            _ => self.string(fi, a),
        }
    }

    fn view(&mut self, fi: usize, b: &Block) -> R<()> {
        let name = self.one_label(fi, b)?;
        let kind = b.ident.as_str();
        let mut v = View { name: name.clone(), materialized: kind == "materialized", pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
        let mut schema = None;
        let mut has_as = false;
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "schema" => schema = Some(self.schema_ref(fi, a)?),
                "as" => {
                    has_as = true;
                    let q = self.string(fi, a)?;
                    v.def = self.fragment(fi, a, q, crate::source::sql::Fragment::Query)?.trim().trim_end_matches(';').trim_end().to_string();
                }
                "check_option" if !v.materialized => v.check_option = Some(self.constant(fi, a)?.to_ascii_uppercase()),
                "security" if !v.materialized => v.security = Some(self.constant(fi, a)?.to_ascii_uppercase()).filter(|s| s != "DEFINER"),
                "security_barrier" if self.dialect == Dialect::Postgres && !v.materialized => v.barrier = self.boolean(fi, a)?,
                "comment" => v.comment = Some(self.string(fi, a)?),
                "depends_on" => {}
                _ => return Err(self.unknown(fi, a, kind, VIEW_ATTRS)),
            }
        }
        if !has_as {
            return Err(self.files[fi].err(b.span(), format!("{kind} \"{name}\" needs `as`, its query"), Some("e.g. as = \"SELECT id, name FROM users WHERE active\"".into())));
        }
        // Columns are what the query yields: read for Atlas compatibility and for the indexes
        // of a materialized view, never compared.
        let mut as_table = Table { name: name.clone(), ..Default::default() };
        for cb in blocks(&b.body).filter(|c| c.ident.as_str() == "column") {
            let cname = self.one_label(fi, cb)?;
            let ty = match cb.body.get_attribute("type") {
                Some(a) => self.column_type(fi, a)?,
                None => String::new(),
            };
            as_table.columns.push(Column { name: cname.clone(), ty: ty.clone(), ..Default::default() });
            v.columns.push(ViewColumn { name: cname, ty });
        }
        for cb in blocks(&b.body) {
            match cb.ident.as_str() {
                "column" => {}
                "index" if v.materialized => {
                    let i = self.index(fi, cb, &as_table)?;
                    if v.indexes.iter().any(|x| x.name == i.name) {
                        return Err(self.files[fi].err(cb.span(), format!("duplicate index \"{}\" in materialized view \"{name}\"", i.name), None));
                    }
                    v.indexes.push(i);
                }
                _ => return Err(self.unknown_block(fi, cb, kind, if v.materialized { &["column", "index"] } else { &["column"] })),
            }
        }
        let schema = self.object_schema(fi, b, schema)?;
        let s = self.schema_mut(&schema);
        if s.views.iter().any(|x| x.name == name) || s.tables.iter().any(|t| t.name == name) {
            return Err(self.files[fi].err(b.span(), format!("\"{name}\" is declared twice in schema \"{schema}\" (views and tables share one namespace)"), None));
        }
        s.views.push(v);
        Ok(())
    }

    fn routine(&mut self, fi: usize, b: &Block) -> R<()> {
        let name = self.one_label(fi, b)?;
        let kind_s = b.ident.as_str();
        let kind = match kind_s {
            "procedure" => RoutineKind::Procedure,
            "aggregate" => RoutineKind::Aggregate,
            _ => RoutineKind::Function,
        };
        let mut f = Function { name: name.clone(), kind, lang: "sql".into(), pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
        // MySQL routines run with their definer's rights unless told otherwise.
        f.security_definer = self.dialect == Dialect::Mysql;
        let mut schema = None;
        let mut has_as = false;
        let mut agg: HashMap<&'static str, String> = HashMap::new();
        for a in attrs(&b.body) {
            match (a.key.as_str(), kind) {
                ("schema", _) => schema = Some(self.schema_ref(fi, a)?),
                ("comment", _) => f.comment = Some(self.string(fi, a)?),
                ("depends_on", _) => {}
                ("parallel", _) if self.dialect == Dialect::Postgres => f.parallel = Some(self.constant(fi, a)?.to_ascii_uppercase()).filter(|p| p != "UNSAFE"),
                ("state_type", RoutineKind::Aggregate) => {
                    agg.insert("STYPE", self.routine_type(fi, a)?);
                }
                ("state_func", RoutineKind::Aggregate) => {
                    agg.insert("SFUNC", self.routine_ref(fi, a)?);
                }
                ("final_func", RoutineKind::Aggregate) => {
                    agg.insert("FINALFUNC", self.routine_ref(fi, a)?);
                }
                ("combine_func", RoutineKind::Aggregate) => {
                    agg.insert("COMBINEFUNC", self.routine_ref(fi, a)?);
                }
                ("initial_value", RoutineKind::Aggregate) => {
                    agg.insert("INITCOND", self.string(fi, a)?);
                }
                ("sort_op", RoutineKind::Aggregate) => {
                    agg.insert("SORTOP", self.string(fi, a)?);
                }
                (_, RoutineKind::Aggregate) => return Err(self.unknown(fi, a, kind_s, AGG_ATTRS)),
                ("lang", _) => f.lang = self.constant(fi, a)?.to_ascii_lowercase(),
                ("return", RoutineKind::Function) => f.returns = Some(self.routine_type(fi, a)?),
                ("return_set", RoutineKind::Function) => f.returns = Some(format!("SETOF {}", self.routine_type(fi, a)?)),
                ("as", _) => {
                    has_as = true;
                    f.body = self.string(fi, a)?;
                }
                ("security", _) => f.security_definer = self.constant(fi, a)?.eq_ignore_ascii_case("DEFINER"),
                ("volatility", RoutineKind::Function) if self.dialect == Dialect::Postgres => {
                    f.volatility = Some(self.constant(fi, a)?.to_ascii_uppercase()).filter(|v| v != "VOLATILE");
                }
                ("strict", RoutineKind::Function) if self.dialect == Dialect::Postgres => f.strict = self.boolean(fi, a)?,
                ("leakproof", RoutineKind::Function) if self.dialect == Dialect::Postgres => f.leakproof = self.boolean(fi, a)?,
                ("config", _) if self.dialect == Dialect::Postgres => match self.eval(fi, a)? {
                    Value::Array(items) => {
                        for it in items {
                            match it {
                                Value::String(s) if s.contains('=') => f.config.push(s),
                                _ => return Err(self.files[fi].err(a.value.span(), "`config` lists settings as \"name=value\" strings", Some("e.g. config = [\"search_path=public, pg_temp\"]".into()))),
                            }
                        }
                    }
                    _ => return Err(self.files[fi].err(a.value.span(), "`config` must be a list of \"name=value\" strings", None)),
                },
                ("deterministic", RoutineKind::Function) if self.dialect == Dialect::Mysql => f.deterministic = self.boolean(fi, a)?,
                ("data_access", _) if self.dialect == Dialect::Mysql => {
                    f.data_access = Some(self.constant(fi, a)?.to_ascii_uppercase().replace('_', " ")).filter(|d| d != "CONTAINS SQL");
                }
                _ => return Err(self.unknown(fi, a, kind_s, FUNC_ATTRS)),
            }
        }
        for cb in blocks(&b.body) {
            if cb.ident.as_str() != "arg" {
                return Err(self.unknown_block(fi, cb, kind_s, &["arg"]));
            }
            let mut arg = FuncArg { name: label_strs(cb).into_iter().next(), ..Default::default() };
            let mut has_type = false;
            for a in attrs(&cb.body) {
                match a.key.as_str() {
                    "type" => {
                        has_type = true;
                        arg.ty = self.routine_type(fi, a)?
                    }
                    "mode" => arg.mode = Some(self.constant(fi, a)?.to_ascii_uppercase()).filter(|m| m != "IN"),
                    "default" => {
                        arg.default = Some(match self.default_value(fi, a)? {
                            ColumnDefault::Str(s) => engine::quote_literal(self.dialect, &s),
                            ColumnDefault::Num(n) => n,
                            ColumnDefault::Bool(b) => b.to_string(),
                            ColumnDefault::Raw(r) => r,
                        })
                    }
                    _ => return Err(self.unknown(fi, a, "arg", &["type", "mode", "default"])),
                }
            }
            if !has_type {
                return Err(self.files[fi].err(cb.span(), "arg needs `type`", Some("e.g. arg \"id\" { type = integer }".into())));
            }
            f.args.push(arg);
        }
        if kind == RoutineKind::Aggregate {
            f.lang = String::new();
            for k in ["SFUNC", "STYPE"] {
                if !agg.contains_key(k) {
                    return Err(self.files[fi].err(b.span(), format!("aggregate \"{name}\" needs `{}`", if k == "SFUNC" { "state_func" } else { "state_type" }), None));
                }
            }
            // In CREATE AGGREGATE's order, as inspection lists them.
            for k in ["SFUNC", "STYPE", "FINALFUNC", "INITCOND", "COMBINEFUNC", "SORTOP"] {
                if let Some(v) = agg.remove(k) {
                    f.aggregate.push((k.to_string(), v));
                }
            }
        } else if !has_as {
            return Err(self.files[fi].err(b.span(), format!("{kind_s} \"{name}\" needs `as`, its body"), None));
        }
        if kind == RoutineKind::Function && f.returns.is_none() {
            return Err(self.files[fi].err(b.span(), format!("function \"{name}\" needs `return` (or `return_set`)"), Some("e.g. return = integer; a trigger function returns trigger".into())));
        }
        // SQL-standard bodies (BEGIN ATOMIC … END, RETURN …) are SQL, not a string.
        if self.dialect == Dialect::Postgres && f.lang == "sql" {
            let t = f.body.trim_start().to_ascii_uppercase();
            if t.starts_with("BEGIN ATOMIC") || t.starts_with("RETURN ") || t.starts_with("RETURN(") {
                f.sql_body = true;
                f.body = f.body.trim().to_string();
            }
        }
        let schema = self.object_schema(fi, b, schema)?;
        let sig = f.signature();
        let s = self.schema_mut(&schema);
        if s.functions.iter().any(|x| x.signature() == sig) {
            return Err(self.files[fi].err(b.span(), format!("duplicate {kind_s} {sig} in schema \"{schema}\""), None));
        }
        s.functions.push(f);
        Ok(())
    }

    fn trigger(&mut self, fi: usize, b: &Block) -> R<()> {
        let name = self.one_label(fi, b)?;
        let mut t = Trigger { name: name.clone(), for_each_row: true, pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
        let mut on = None;
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "on" => on = Some((path_of(&a.value.clone().into()).unwrap_or_default(), a.value.span())),
                "foreach" => {
                    t.for_each_row = match self.constant(fi, a)?.to_ascii_uppercase().as_str() {
                        "ROW" => true,
                        "STATEMENT" => false,
                        other => return Err(self.files[fi].err(a.value.span(), format!("`foreach` is ROW or STATEMENT, not {other}"), None)),
                    }
                }
                "when" => t.when_clause = Some(self.expr(fi, a)?),
                "as" => t.body = Some(self.string(fi, a)?.trim().to_string()),
                "comment" if self.dialect == Dialect::Postgres => t.comment = Some(self.string(fi, a)?),
                "depends_on" => {}
                _ => return Err(self.unknown(fi, a, "trigger", TRIGGER_ATTRS)),
            }
        }
        for cb in blocks(&b.body) {
            let timing = match cb.ident.as_str() {
                "before" => "BEFORE",
                "after" => "AFTER",
                "instead_of" => "INSTEAD OF",
                "execute" if self.dialect == Dialect::Postgres => {
                    for a in attrs(&cb.body) {
                        match a.key.as_str() {
                            "function" => t.function = Some(self.routine_ref(fi, a)?),
                            "args" => match self.eval(fi, a)? {
                                Value::Array(items) => {
                                    t.args = items.into_iter().map(|v| match v {
                                        Value::String(s) => s,
                                        other => other.to_string(),
                                    }).collect()
                                }
                                _ => return Err(self.files[fi].err(a.value.span(), "`args` is a list of SQL literals, e.g. [\"'title'\"]", None)),
                            },
                            _ => return Err(self.unknown(fi, a, "execute", &["function", "args"])),
                        }
                    }
                    continue;
                }
                _ => return Err(self.unknown_block(fi, cb, "trigger", &["before", "after", "instead_of", "execute"])),
            };
            if !t.timing.is_empty() {
                return Err(self.files[fi].err(cb.span(), format!("trigger \"{name}\" has two timing blocks"), Some("one of before, after or instead_of".into())));
            }
            t.timing = timing.to_string();
            for a in attrs(&cb.body) {
                let ev = a.key.as_str().to_ascii_uppercase();
                match ev.as_str() {
                    "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE" => {
                        if self.boolean(fi, a)? {
                            t.events.push(ev);
                        }
                    }
                    "UPDATE_OF" => {
                        let e: Expression = a.value.clone().into();
                        let Expression::Array(items) = &e else {
                            return Err(self.files[fi].err(a.value.span(), "`update_of` lists columns, e.g. [table.t.column.c]", None));
                        };
                        for it in items {
                            match path_of(it).as_deref() {
                                Some([.., c, col]) if c == "column" => t.update_of.push(col.clone()),
                                _ => return Err(self.files[fi].err(a.value.span(), "`update_of` lists columns, e.g. [table.t.column.c]", None)),
                            }
                        }
                    }
                    _ => return Err(self.unknown(fi, a, cb.ident.as_str(), &["insert", "update", "delete", "truncate", "update_of"])),
                }
            }
        }
        if !t.update_of.is_empty() && !t.events.iter().any(|e| e == "UPDATE") {
            t.events.push("UPDATE".into());
        }
        // Events in the order the catalogs print them.
        let order = |e: &String| ["INSERT", "UPDATE", "DELETE", "TRUNCATE"].iter().position(|x| x == e);
        t.events.sort_by_key(order);
        if t.timing.is_empty() || t.events.is_empty() {
            return Err(self.files[fi].err(b.span(), format!("trigger \"{name}\" needs a timing block with events"), Some("e.g. before { update = true }".into())));
        }
        let (path, span) = on.ok_or_else(|| self.files[fi].err(b.span(), format!("trigger \"{name}\" needs `on`"), Some("e.g. on = table.users".into())))?;
        let (schema, table) = match path.as_slice() {
            [k, tn] if k == "table" || k == "view" => (self.default_schema(fi, span.clone())?, tn.clone()),
            [k, s, tn] if k == "table" || k == "view" => (self.schema_names.get(s).cloned().unwrap_or(s.clone()), tn.clone()),
            _ => return Err(self.files[fi].err(span, "`on` must reference a table or view, e.g. table.users", None)),
        };
        let exists = self.realm.schema(&schema).is_some_and(|s| s.tables.iter().any(|x| x.name == table) || s.views.iter().any(|x| x.name == table));
        if !exists {
            return Err(self.files[fi].err(span, format!("trigger \"{name}\": no table or view \"{table}\" in schema \"{schema}\""), None));
        }
        t.table = table;
        match self.dialect {
            Dialect::Postgres => {
                if t.function.is_none() {
                    return Err(self.files[fi].err(b.span(), format!("trigger \"{name}\" needs `execute {{ function = function.f }}`"), None));
                }
                t.def = engine::of(self.dialect).trigger_def(&schema, &t);
            }
            Dialect::Mysql | Dialect::Sqlite => {
                if t.body.is_none() {
                    return Err(self.files[fi].err(b.span(), format!("trigger \"{name}\" needs `as`, its body"), Some("e.g. as = \"BEGIN … END\"".into())));
                }
                if t.events.len() != 1 && self.dialect == Dialect::Mysql {
                    return Err(self.files[fi].err(b.span(), "a MySQL trigger fires on one event; declare one trigger per event", None));
                }
                t.def = engine::of(self.dialect).trigger_def(&schema, &t);
            }
        }
        let s = self.schema_mut(&schema);
        if s.triggers.iter().any(|x| x.name == name && x.table == t.table) {
            return Err(self.files[fi].err(b.span(), format!("duplicate trigger \"{name}\" on \"{}\"", t.table), None));
        }
        s.triggers.push(t);
        Ok(())
    }
}
