//! Atlas HCL → model. The tree comes from hcl-edit so every block and attribute has a span;
//! expressions are converted to `hcl::Expression` and pattern-matched (types, references,
//! `sql()`), or evaluated (strings, numbers, `var.x`, `local.x`, templates).

use crate::engine;
use crate::error::{LineIndex, SourceError};
use crate::source::sql;
use crate::schema::{self, *};
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::edit::Span;
use hcl::eval::{Context, Evaluate};
use hcl::{Expression, TraversalOperator, Value};
use std::collections::HashMap;
use std::path::Path;

mod kinds;
mod objects;
mod permissions;

/// One source file's text.
#[derive(Debug, Clone)]
pub struct HclFile {
    pub path: String,
    pub src: String,
}

/// Read `*.hcl` files from files and directories (directories: in name order, not recursive),
/// as `--to file://…` arguments name them.
pub fn read_sources(paths: &[String]) -> anyhow::Result<Vec<HclFile>> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.strip_prefix("file://").unwrap_or(p);
        let path = Path::new(p);
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| anyhow::anyhow!("cannot read directory {p}: {e}"))?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|e| e.extension().is_some_and(|x| x == "hcl") && e.file_name().is_some_and(|n| n != "atlas.hcl"))
                .collect();
            entries.sort();
            for e in entries {
                let src = std::fs::read_to_string(&e).map_err(|err| anyhow::anyhow!("cannot read {}: {err}", e.display()))?;
                out.push(HclFile { path: e.display().to_string(), src });
            }
        } else {
            let src = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {p}: {e}"))?;
            out.push(HclFile { path: p.to_string(), src });
        }
    }
    Ok(out)
}

type R<T> = Result<T, SourceError>;

struct File<'a> {
    path: &'a str,
    lines: LineIndex<'a>,
}

impl File<'_> {
    fn err(&self, span: Option<std::ops::Range<usize>>, msg: impl Into<String>, hint: Option<String>) -> SourceError {
        let (line, col) = span.map(|s| self.lines.pos(s.start)).unwrap_or((1, 1));
        SourceError {
            declared_at: false,
            file: self.path.to_string(),
            line,
            col,
            msg: msg.into(),
            snippet: Some(self.lines.line_text(line).to_string()),
            hint,
        }
    }
    /// nolint directives in the comment lines right above a block and on its opening line.
    fn nolint(&self, span: Option<std::ops::Range<usize>>) -> Option<Vec<String>> {
        let (line, _) = self.lines.pos(span?.start);
        let mut codes: Option<Vec<String>> = None;
        let mut add = |text: &str| {
            if let Some(c) = nolint_directive(text) {
                codes.get_or_insert_with(Vec::new).extend(c);
            }
        };
        let own = self.lines.line_text(line);
        if let Some(i) = own.find('#').or_else(|| own.find("//")) {
            add(&own[i..]);
        }
        let mut l = line;
        while l > 1 {
            l -= 1;
            let t = self.lines.line_text(l).trim();
            if t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*') {
                add(t);
            } else {
                break;
            }
        }
        codes
    }

    fn pos(&self, span: Option<std::ops::Range<usize>>) -> Pos {
        let (line, col) = span.map(|s| self.lines.pos(s.start)).unwrap_or((1, 1));
        Pos { file: self.path.to_string(), line, col }
    }
}

/// A foreign key whose referenced columns are resolved once every table is known.
struct PendingFk {
    file: usize,
    schema: String,
    table: String,
    fk_index: usize,
    refs: Vec<(Expression, Option<std::ops::Range<usize>>)>,
}

struct Decoder<'a> {
    dialect: Dialect,
    files: Vec<File<'a>>,
    ctx: Context<'static>,
    realm: Realm,
    pending: Vec<PendingFk>,
    /// Schema block label → schema name (a `name` attribute may override the label).
    schema_names: HashMap<String, String>,
    /// (schema, table) already declared, for duplicate detection without rescanning.
    declared: std::collections::HashSet<(String, String)>,
    /// Every named type the files declare, as (kind, schema, name), read before any is
    /// decoded: a type may use one declared after it (a composite's field of another).
    type_names: Vec<(String, String, String)>,
}

/// Decode Atlas HCL files into a realm for `dialect`. `vars` are `--var k=v` values.
pub fn decode_files(files: &[HclFile], dialect: Dialect, vars: &HashMap<String, String>) -> R<Realm> {
    let mut bodies = Vec::with_capacity(files.len());
    let mut fs = Vec::with_capacity(files.len());
    for f in files {
        let lines = LineIndex::new(&f.src);
        crate::limits::check(&f.path, &f.src, crate::limits::Syntax::Hcl)?;
        match hcl::edit::parser::parse_body(&f.src) {
            Ok(b) => bodies.push(b),
            Err(e) => {
                let loc = e.location();
                return Err(SourceError {
                    declared_at: false,
                    file: f.path.clone(),
                    line: loc.line(),
                    col: loc.column(),
                    msg: format!("HCL syntax error: {}", e.message()),
                    snippet: Some(e.line().to_string()),
                    hint: Some("a block's attributes go on their own lines: `column \"id\" {` then `type = int` on the next line".into()),
                });
            }
        }
        fs.push(File { path: &f.path, lines });
    }
    let mut d = Decoder {
        dialect,
        files: fs,
        ctx: Context::new(),
        realm: Realm::default(),
        pending: Vec::new(),
        schema_names: HashMap::new(),
        declared: Default::default(),
        type_names: Vec::new(),
    };
    d.variables(&bodies, vars)?;
    for (i, b) in bodies.iter().enumerate() {
        d.schemas(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.type_names(i, b);
    }
    for (i, b) in bodies.iter().enumerate() {
        d.types(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.tables(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.objects(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.policies(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.roles(i, b)?;
    }
    for (i, b) in bodies.iter().enumerate() {
        d.permissions(i, b)?;
    }
    d.resolve_fks()?;
    crate::schema::type_ref::qualify_bare_user_types(&mut d.realm);
    let mut realm = d.realm;
    realm.sort();
    Ok(realm)
}

fn attrs(body: &Body) -> impl Iterator<Item = &Attribute> {
    body.iter().filter_map(|s| match s {
        Structure::Attribute(a) => Some(a),
        _ => None,
    })
}

fn blocks(body: &Body) -> impl Iterator<Item = &Block> {
    body.iter().filter_map(|s| match s {
        Structure::Block(b) => Some(b),
        _ => None,
    })
}

fn label_strs(b: &Block) -> Vec<String> {
    b.labels.iter().map(|l| l.as_str().to_string()).collect()
}

/// A traversal `a.b.c` as its names, or None if it is not a plain attribute path.
/// A reference kind a column type may use: `enum`, `domain`, or a generic kind's block (only
/// those that are types resolve, see `Decoder::user_type`).
fn type_kind(kind: &str) -> bool {
    kind == "enum" || kind == "domain" || kinds::BLOCKS.contains(&kind)
}

fn path_of(e: &Expression) -> Option<Vec<String>> {
    match e {
        Expression::Variable(v) => Some(vec![v.as_str().to_string()]),
        Expression::Traversal(t) => {
            let mut out = path_of(&t.expr)?;
            for op in &t.operators {
                match op {
                    TraversalOperator::GetAttr(id) => out.push(id.as_str().to_string()),
                    TraversalOperator::Index(Expression::String(s)) => out.push(s.clone()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

impl Decoder<'_> {
    fn variables(&mut self, bodies: &[Body], given: &HashMap<String, String>) -> R<()> {
        let mut vars = hcl::Map::new();
        for (fi, body) in bodies.iter().enumerate() {
            for b in blocks(body).filter(|b| b.ident.as_str() == "variable") {
                let f = &self.files[fi];
                let name = label_strs(b).into_iter().next().ok_or_else(|| f.err(b.span(), "variable block needs a name label", None))?;
                let value = if let Some(v) = given.get(&name) {
                    Value::String(v.clone())
                } else if let Some(def) = b.body.get_attribute("default") {
                    let e: Expression = def.value.clone().into();
                    e.evaluate(&Context::new()).map_err(|err| f.err(def.value.span(), format!("cannot evaluate default of variable {name}: {err}"), None))?
                } else {
                    return Err(f.err(
                        b.span(),
                        format!("missing value for required variable \"{name}\": it has no default"),
                        Some(format!("pass it with --var {name}=VALUE, set `{name} = …` in the atlas.hcl env, or add `default = …`")),
                    )
                    .missing_input());
                };
                vars.insert(name, value);
            }
        }
        self.ctx.declare_var("var", Value::Object(vars));
        let mut locals = hcl::Map::new();
        for (fi, body) in bodies.iter().enumerate() {
            for b in blocks(body).filter(|b| b.ident.as_str() == "locals") {
                for a in attrs(&b.body) {
                    let e: Expression = a.value.clone().into();
                    let v = e
                        .evaluate(&self.ctx)
                        .map_err(|err| self.files[fi].err(a.value.span(), format!("cannot evaluate local.{}: {err}", a.key.as_str()), None))?;
                    locals.insert(a.key.as_str().to_string(), v);
                }
            }
        }
        self.ctx.declare_var("local", Value::Object(locals));
        Ok(())
    }

    fn eval(&self, fi: usize, a: &Attribute) -> R<Value> {
        let e: Expression = a.value.clone().into();
        e.evaluate(&self.ctx).map_err(|err| {
            self.files[fi].err(a.value.span(), format!("cannot evaluate `{}`: {err}", a.key.as_str()), Some("only var.*, local.* and literals are known here".into()))
        })
    }

    fn string(&self, fi: usize, a: &Attribute) -> R<String> {
        match self.eval(fi, a)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(self.files[fi].err(a.value.span(), format!("`{}` must be a string, found {}", a.key.as_str(), kind_of(&other)), None)),
        }
    }

    fn boolean(&self, fi: usize, a: &Attribute) -> R<bool> {
        match self.eval(fi, a)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.files[fi].err(a.value.span(), format!("`{}` must be true or false, found {}", a.key.as_str(), kind_of(&other)), None)),
        }
    }

    fn int(&self, fi: usize, a: &Attribute) -> R<i64> {
        match self.eval(fi, a)? {
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap()),
            other => Err(self.files[fi].err(a.value.span(), format!("`{}` must be a whole number, found {}", a.key.as_str(), kind_of(&other)), None)),
        }
    }

    /// A bare constant (`CASCADE`, `GIN`, `ALWAYS`) or a string.
    fn constant(&self, fi: usize, a: &Attribute) -> R<String> {
        let e: Expression = a.value.clone().into();
        match &e {
            Expression::Variable(v) => Ok(v.as_str().to_string()),
            Expression::FuncCall(f) if f.name.name.as_str() == "sql" => self.sql_arg(fi, a, f),
            _ => self.string(fi, a),
        }
    }

    /// An attribute holding one SQL fragment (see [`sql::check_fragment`]): pull-request text
    /// that schemagate places inside its own statements, so it must be exactly one expression
    /// or query. Refused with the attribute's position, never executed.
    fn fragment(&self, fi: usize, a: &Attribute, text: String, kind: sql::Fragment) -> R<String> {
        match sql::check_fragment(&text, kind, self.dialect == Dialect::Mysql) {
            Ok(()) => Ok(text),
            Err(why) => Err(self.files[fi].err(
                a.value.span(),
                format!("`{}`: {why}", a.key.as_str()),
                Some(match kind {
                    sql::Fragment::Expression => "write one SQL expression here, e.g. sql(\"now()\") or \"price > 0\"".into(),
                    sql::Fragment::Query => "write one SELECT query; other statements belong in their own blocks".into(),
                }),
            )),
        }
    }

    /// A string attribute that is one SQL expression.
    fn expr(&self, fi: usize, a: &Attribute) -> R<String> {
        let s = self.string(fi, a)?;
        self.fragment(fi, a, s, sql::Fragment::Expression)
    }

    fn sql_arg(&self, fi: usize, a: &Attribute, f: &hcl::expr::FuncCall) -> R<String> {
        match f.args.as_slice() {
            [arg] => match arg.evaluate(&self.ctx) {
                Ok(Value::String(s)) => self.fragment(fi, a, s, sql::Fragment::Expression),
                _ => Err(self.files[fi].err(a.value.span(), "sql() takes one string argument", Some("e.g. sql(\"now()\")".into()))),
            },
            _ => Err(self.files[fi].err(a.value.span(), "sql() takes one string argument", Some("e.g. sql(\"now()\")".into()))),
        }
    }

    fn unknown(&self, fi: usize, a: &Attribute, block: &str, allowed: &[&str]) -> SourceError {
        let key = a.key.as_str();
        if allowed.contains(&key) {
            // A real attribute, of another engine (charset on PostgreSQL, identity on MySQL…).
            return self.files[fi].err(
                a.span(),
                format!("attribute `{key}` of {block} blocks does not apply to {}", self.dialect.name()),
                Some("remove it, or check that the target URL / --dev-url is the engine this schema is written for".into()),
            );
        }
        let near = allowed.iter().find(|k| edit_distance(k, key) <= 2);
        self.files[fi].err(
            a.span(),
            format!("unknown attribute `{key}` in {block} block"),
            Some(match near {
                Some(k) => format!("did you mean `{k}`? allowed: {}", allowed.join(", ")),
                None => format!("allowed: {}", allowed.join(", ")),
            }),
        )
    }

    fn unknown_block(&self, fi: usize, b: &Block, parent: &str, allowed: &[&str]) -> SourceError {
        self.files[fi].err(
            b.span(),
            format!("unknown block `{}` in {parent}", b.ident.as_str()),
            Some(format!("allowed blocks: {}", allowed.join(", "))),
        )
    }

    fn one_label(&self, fi: usize, b: &Block) -> R<String> {
        let l = label_strs(b);
        match l.as_slice() {
            [n] => Ok(n.clone()),
            _ => Err(self.files[fi].err(b.span(), format!("{} block needs exactly one name label, e.g. {} \"name\" {{", b.ident.as_str(), b.ident.as_str()), None)),
        }
    }

    /// `schema = schema.x` → schema name.
    fn schema_ref(&self, fi: usize, a: &Attribute) -> R<String> {
        let e: Expression = a.value.clone().into();
        match path_of(&e).as_deref() {
            Some([kind, name]) if kind == "schema" => self.schema_names.get(name).cloned().ok_or_else(|| {
                self.files[fi].err(a.value.span(), format!("unresolved reference schema.{name}: no schema \"{name}\" block"), Some(format!("add `schema \"{name}\" {{}}`")))
            }),
            _ => Err(self.files[fi].err(a.value.span(), "`schema` must reference a schema block, e.g. schema = schema.public", None)),
        }
    }

    fn default_schema(&self, fi: usize, span: Option<std::ops::Range<usize>>) -> R<String> {
        if self.dialect == Dialect::Sqlite {
            return Ok("main".into());
        }
        match self.realm.schemas.as_slice() {
            [only] => Ok(only.name.clone()),
            _ => Err(self.files[fi].err(span, "missing `schema` attribute", Some("add e.g. `schema = schema.public`".into()))),
        }
    }

    fn schemas(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body).filter(|b| b.ident.as_str() == "schema") {
            let label = self.one_label(fi, b)?;
            let mut s = Schema { name: label.clone(), pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
            for a in attrs(&b.body) {
                match a.key.as_str() {
                    "name" => s.name = self.string(fi, a)?,
                    "comment" => s.comment = Some(self.string(fi, a)?),
                    "charset" if self.dialect == Dialect::Mysql => s.charset = Some(self.constant(fi, a)?),
                    "collate" | "collation" if self.dialect == Dialect::Mysql => s.collate = Some(self.constant(fi, a)?),
                    _ => return Err(self.unknown(fi, a, "schema", &["name", "comment", "charset", "collate"])),
                }
            }
            if let Some(bb) = blocks(&b.body).next() {
                return Err(self.unknown_block(fi, bb, "schema", &[]));
            }
            if self.schema_names.contains_key(&label) {
                return Err(self.files[fi].err(b.span(), format!("duplicate schema \"{label}\""), Some("each schema is declared once; merge the blocks".into())));
            }
            if self.dialect == Dialect::Sqlite && s.name != "main" {
                return Err(self.files[fi].err(b.span(), format!("SQLite has one schema, \"main\"; found \"{}\"", s.name), Some("rename it to schema \"main\" {}".into())));
            }
            if let Some(codes) = self.files[fi].nolint(b.span()) {
                self.realm.nolint.insert(s.name.clone(), codes);
            }
            self.schema_names.insert(label, s.name.clone());
            self.realm.schemas.push(s);
        }
        Ok(())
    }

    fn schema_mut(&mut self, name: &str) -> &mut Schema {
        if !self.realm.schemas.iter().any(|s| s.name == name) {
            self.realm.schemas.push(Schema { name: name.to_string(), ..Default::default() });
        }
        self.realm.schemas.iter_mut().find(|s| s.name == name).unwrap()
    }

    /// The named types a file declares (`type_names`). A block that does not decode is skipped
    /// here: `types` reports it.
    fn type_names(&mut self, fi: usize, body: &Body) {
        for b in blocks(body).filter(|b| matches!(b.ident.as_str(), "enum" | "domain") || kinds::TYPE_BLOCKS.contains(&b.ident.as_str())) {
            let Ok(name) = self.one_label(fi, b) else { continue };
            let schema = match b.body.get_attribute("schema") {
                Some(a) => self.schema_ref(fi, a),
                None => self.default_schema(fi, b.span()),
            };
            if let Ok(schema) = schema {
                self.type_names.push((b.ident.to_string(), schema, name));
            }
        }
    }

    /// enum, domain and sequence blocks (PostgreSQL).
    fn types(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body) {
            match b.ident.as_str() {
                "enum" => {
                    let name = self.one_label(fi, b)?;
                    let mut schema = None;
                    let mut e = EnumType { name: name.clone(), ..Default::default() };
                    for a in attrs(&b.body) {
                        match a.key.as_str() {
                            "schema" => schema = Some(self.schema_ref(fi, a)?),
                            "values" => match self.eval(fi, a)? {
                                Value::Array(vs) => {
                                    for v in vs {
                                        match v {
                                            Value::String(s) => e.values.push(s),
                                            other => return Err(self.files[fi].err(a.value.span(), format!("enum values must be strings, found {}", kind_of(&other)), None)),
                                        }
                                    }
                                }
                                other => return Err(self.files[fi].err(a.value.span(), format!("`values` must be a list of strings, found {}", kind_of(&other)), None)),
                            },
                            "comment" => e.comment = Some(self.string(fi, a)?),
                            _ => return Err(self.unknown(fi, a, "enum", &["schema", "values", "comment"])),
                        }
                    }
                    let schema = match schema {
                        Some(s) => s,
                        None => self.default_schema(fi, b.span())?,
                    };
                    let s = self.schema_mut(&schema);
                    if s.enums.iter().any(|x| x.name == name) {
                        return Err(self.files[fi].err(b.span(), format!("duplicate enum \"{name}\""), None));
                    }
                    if let Some(codes) = self.files[fi].nolint(b.span()) {
                        self.realm.nolint.insert(format!("{schema}.{name}"), codes);
                    }
                    self.schema_mut(&schema).enums.push(e);
                }
                "domain" => {
                    let name = self.one_label(fi, b)?;
                    let mut schema = None;
                    let mut d = Domain { name: name.clone(), null: true, ..Default::default() };
                    let mut null_given = false;
                    for a in attrs(&b.body) {
                        match a.key.as_str() {
                            "schema" => schema = Some(self.schema_ref(fi, a)?),
                            "type" => d.ty = self.column_type(fi, a)?,
                            "null" => {
                                null_given = true;
                                d.null = self.boolean(fi, a)?
                            }
                            "default" => d.default = Some(self.default_value(fi, a)?),
                            _ => return Err(self.unknown(fi, a, "domain", &["schema", "type", "null", "default", "check"])),
                        }
                    }
                    let _ = null_given;
                    for cb in blocks(&b.body) {
                        if cb.ident.as_str() != "check" {
                            return Err(self.unknown_block(fi, cb, "domain", &["check"]));
                        }
                        let cname = label_strs(cb).into_iter().next().unwrap_or_default();
                        let expr = cb.body.get_attribute("expr").ok_or_else(|| self.files[fi].err(cb.span(), "check needs `expr`", None))?;
                        d.checks.push(DomainCheck { name: cname, expr: self.expr(fi, expr)? });
                    }
                    let schema = match schema {
                        Some(s) => s,
                        None => self.default_schema(fi, b.span())?,
                    };
                    self.schema_mut(&schema).domains.push(d);
                }
                "sequence" => {
                    let name = self.one_label(fi, b)?;
                    let mut schema = None;
                    let mut s = Sequence { name, ty: "bigint".into(), start: 1, increment: 1, min_value: 1, max_value: i64::MAX, cache: 1, ..Default::default() };
                    let mut max_given = false;
                    for a in attrs(&b.body) {
                        match a.key.as_str() {
                            "schema" => schema = Some(self.schema_ref(fi, a)?),
                            "type" => s.ty = self.column_type(fi, a)?,
                            "start" => s.start = self.int(fi, a)?,
                            "increment" => s.increment = self.int(fi, a)?,
                            "min_value" => s.min_value = self.int(fi, a)?,
                            "max_value" => {
                                max_given = true;
                                s.max_value = self.int(fi, a)?
                            }
                            "cache" => s.cache = self.int(fi, a)?,
                            "cycle" => s.cycle = self.boolean(fi, a)?,
                            "owner" => {
                                let e: Expression = a.value.clone().into();
                                match path_of(&e).as_deref() {
                                    Some([t, tn, c, cn]) if t == "table" && c == "column" => s.owned_by = Some((tn.clone(), cn.clone())),
                                    _ => return Err(self.files[fi].err(a.value.span(), "`owner` must reference a column, e.g. table.users.column.id", None)),
                                }
                            }
                            _ => return Err(self.unknown(fi, a, "sequence", &["schema", "type", "start", "increment", "min_value", "max_value", "cache", "cycle", "owner"])),
                        }
                    }
                    if !max_given {
                        s.max_value = match s.ty.as_str() {
                            "integer" => i32::MAX as i64,
                            "smallint" => i16::MAX as i64,
                            _ => i64::MAX,
                        };
                    }
                    let schema = match schema {
                        Some(x) => x,
                        None => self.default_schema(fi, b.span())?,
                    };
                    self.schema_mut(&schema).sequences.push(s);
                }
                "schema" | "table" | "variable" | "locals" => {}
                "policy" if self.dialect == Dialect::Postgres => {} // after the tables: see `policies`
                "policy" => return Err(self.files[fi].err(b.span(), format!("row-level security policies exist only on PostgreSQL, not {}", self.dialect.name()), None)),
                kind if kinds::BLOCKS.contains(&kind) => self.kind(fi, b)?,
                // After the tables: see `objects`.
                "view" | "materialized" | "function" | "procedure" | "trigger" | "aggregate" => {}
                // After everything they name: see `roles` and `permissions`.
                "role" | "permission" | "default_privileges" => {}
                // atlas.hcl given as the desired state.
                "env" | "lint" | "diff" => {
                    return Err(self.files[fi].err(b.span(), format!("`{}` is a block of the project file: cannot parse project file as a schema", b.ident.as_str()), Some("pass atlas.hcl with -c file://atlas.hcl --env NAME, and the schema with --to file://schema.hcl".into())));
                }
                other => {
                    return Err(self.files[fi].err(b.span(), format!("unknown block `{other}`"), Some("top-level blocks: schema, table, view, materialized, function, procedure, aggregate, trigger, policy, role, permission, default_privileges, enum, domain, sequence, extension, variable, locals".into())));
                }
            }
        }
        Ok(())
    }

    /// A column `type` expression → canonical type for the dialect.
    fn column_type(&self, fi: usize, a: &Attribute) -> R<String> {
        Ok(self.canonical_type(&self.raw_type(fi, a)?))
    }

    /// The type as written (`sql()` text, `varchar(255)`, a qualified user type).
    fn raw_type(&self, fi: usize, a: &Attribute) -> R<String> {
        let f = &self.files[fi];
        let e: Expression = a.value.clone().into();
        let raw = match &e {
            Expression::Variable(v) => v.as_str().to_string(),
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if name == "sql" {
                    return self.sql_arg(fi, a, call);
                }
                let mut args = Vec::new();
                for arg in &call.args {
                    match arg.evaluate(&self.ctx) {
                        Ok(Value::Number(n)) => args.push(n.to_string()),
                        Ok(Value::String(s)) if name.eq_ignore_ascii_case("enum") || name.eq_ignore_ascii_case("set") => {
                            args.push(engine::quote_literal(Dialect::Mysql, &s))
                        }
                        _ => return Err(f.err(a.value.span(), format!("unexpected argument in type {name}(…)"), Some("type arguments are numbers (varchar(255)) or, for enum/set, strings".into()))),
                    }
                }
                format!("{name}({})", args.join(","))
            }
            Expression::String(s) => s.clone(),
            Expression::Traversal(_) => match path_of(&e).as_deref() {
                Some([kind, name]) if type_kind(kind) => return self.user_type(fi, a, kind, None, name),
                Some([kind, schema, name]) if type_kind(kind) => return self.user_type(fi, a, kind, Some(schema), name),
                _ => return Err(f.err(a.value.span(), "a column type reference must be enum.<name>, domain.<name> or composite.<name>", None)),
            },
            _ => return Err(f.err(a.value.span(), "invalid column type", Some("write a type such as int, varchar(255), sql(\"int[]\") or enum.status".into()))),
        };
        Ok(raw)
    }

    /// `deferrable = true | false | INITIALLY_IMMEDIATE | INITIALLY_DEFERRED` → (deferrable,
    /// initially deferred); a plain boolean keeps what `initially_deferred` said.
    fn deferrable(&self, fi: usize, a: &Attribute, initially_deferred: bool) -> R<(bool, bool)> {
        if let Ok(b) = self.boolean(fi, a) {
            return Ok((b, b && initially_deferred));
        }
        match self.constant(fi, a)?.to_ascii_uppercase().as_str() {
            "INITIALLY_DEFERRED" => Ok((true, true)),
            "INITIALLY_IMMEDIATE" => Ok((true, false)),
            other => Err(self.files[fi].err(a.value.span(), format!("`deferrable` is true, false, INITIALLY_IMMEDIATE or INITIALLY_DEFERRED, not `{other}`"), None)),
        }
    }

    fn canonical_type(&self, raw: &str) -> String {
        engine::of(self.dialect).canonical_type(raw)
    }

    /// `kind.name` in a column type names a declared type of that kind (`Schema::named_types`).
    fn user_type(&self, fi: usize, a: &Attribute, kind: &str, schema: Option<&String>, name: &str) -> R<String> {
        for s in &self.realm.schemas {
            if schema.is_some_and(|x| x != &s.name) {
                continue;
            }
            if s.named_types().any(|(k, n)| k == kind && n == name) {
                return Ok(crate::schema::type_ref::qualified(&s.name, name));
            }
        }
        // Declared further on (its block is decoded after this one).
        if let Some((_, s, _)) = self.type_names.iter().find(|(k, s, n)| k == kind && n == name && schema.is_none_or(|x| x == s)) {
            return Ok(crate::schema::type_ref::qualified(s, name));
        }
        Err(self.files[fi].err(a.value.span(), format!("unresolved reference {kind}.{name}"), Some(format!("declare it: {kind} \"{name}\" {{ … }}"))))
    }

    fn default_value(&self, fi: usize, a: &Attribute) -> R<schema::ColumnDefault> {
        let e: Expression = a.value.clone().into();
        if let Expression::FuncCall(f) = &e {
            if f.name.name.as_str() == "sql" {
                return Ok(schema::ColumnDefault::Raw(self.sql_arg(fi, a, f)?));
            }
        }
        Ok(match self.eval(fi, a)? {
            Value::String(s) => schema::ColumnDefault::Str(s),
            // A number literal keeps its spelling (`0.0`, `1.50`): the parsed float would print
            // `0`, which is another default text than the one written (and pg_dump's).
            Value::Number(n) => {
                let written = a.value.span().and_then(|s| self.files[fi].lines.slice(s)).map(str::trim).filter(|t| t.parse::<f64>().is_ok() && matches!(e, Expression::Number(_)));
                schema::ColumnDefault::Num(written.map(String::from).unwrap_or_else(|| n.to_string()))
            }
            Value::Bool(b) => schema::ColumnDefault::Bool(b),
            other => return Err(self.files[fi].err(a.value.span(), format!("`default` must be a string, number, bool or sql(\"…\"), found {}", kind_of(&other)), None)),
        })
    }

    /// `[column.a, column.b]` → names, checked against the table's columns.
    fn column_list(&self, fi: usize, a: &Attribute, t: &Table) -> R<Vec<String>> {
        let e: Expression = a.value.clone().into();
        let Expression::Array(items) = &e else {
            return Err(self.files[fi].err(a.value.span(), format!("`{}` must be a list of column references, e.g. [column.id]", a.key.as_str()), None));
        };
        let mut out = Vec::new();
        for it in items {
            out.push(self.local_column(fi, a, it, t)?);
        }
        Ok(out)
    }

    /// A column of the table being decoded: `column.id`, or fully qualified as Atlas also
    /// writes it, `table.users.column.id` / `schema.public.table.users.column.id`.
    fn local_column(&self, fi: usize, a: &Attribute, e: &Expression, t: &Table) -> R<String> {
        let path = path_of(e);
        let name = match path.as_deref() {
            Some([c, name]) if c == "column" => name,
            Some([tk, tn, c, name]) if tk == "table" && c == "column" && tn == &t.name => name,
            Some([sk, _, tk, tn, c, name]) if sk == "schema" && tk == "table" && c == "column" && tn == &t.name => name,
            Some([tk, tn, c, _]) | Some([_, _, tk, tn, c, _]) if tk == "table" && c == "column" => {
                return Err(self.files[fi].err(a.value.span(), format!("this reference names a column of table \"{tn}\", but the block belongs to table \"{}\"", t.name), None));
            }
            _ => return Err(self.files[fi].err(a.value.span(), "expected a column reference such as column.id (or table.users.column.id)", None)),
        };
        if t.column(name).is_none() {
            return Err(self.files[fi].err(a.value.span(), format!("unresolved reference column.{name}: table \"{}\" has no column \"{name}\"", t.name), None));
        }
        Ok(name.clone())
    }

    fn tables(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body).filter(|b| b.ident.as_str() == "table") {
            let labels = label_strs(b);
            let (qualifier, name) = match labels.as_slice() {
                [n] => (None, n.clone()),
                [s, n] => (Some(s.clone()), n.clone()),
                _ => return Err(self.files[fi].err(b.span(), "table block needs a name label: table \"users\" { … } or table \"schema\" \"users\" { … }", None)),
            };
            let mut t = Table { name: name.clone(), pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
            let mut schema = None;
            // Columns first: keys and indexes refer to them.
            for cb in blocks(&b.body).filter(|c| c.ident.as_str() == "column") {
                let c = self.column(fi, cb)?;
                if t.column(&c.name).is_some() {
                    return Err(self.files[fi].err(cb.span(), format!("duplicate column \"{}\" in table \"{name}\"", c.name), None));
                }
                t.columns.push(c);
            }
            const TABLE_ATTRS: &[&str] = &["schema", "comment", "charset", "collate", "engine", "auto_increment", "without_rowid", "strict", "partition_of", "partition_bound", "renamed_from", "unlogged", "storage_params", "replica_identity"];
            let mut replica_index: Option<(String, Option<std::ops::Range<usize>>)> = None;
            let mut partition_of: Option<(Vec<String>, Option<std::ops::Range<usize>>)> = None;
            let mut partition_bound = None;
            for a in attrs(&b.body) {
                match (a.key.as_str(), self.dialect) {
                    ("schema", _) => schema = Some(self.schema_ref(fi, a)?),
                    ("comment", _) => t.comment = Some(self.string(fi, a)?),
                    ("renamed_from", _) => t.renamed_from = Some(self.string(fi, a)?),
                    ("charset", Dialect::Mysql) => t.options.charset = Some(self.constant(fi, a)?),
                    ("collate" | "collation", Dialect::Mysql) => t.options.collate = Some(self.constant(fi, a)?),
                    ("engine", Dialect::Mysql) => t.options.engine = Some(self.constant(fi, a)?),
                    ("auto_increment", Dialect::Mysql) => t.options.auto_increment = Some(self.int(fi, a)? as u64),
                    ("without_rowid", Dialect::Sqlite) => t.options.without_rowid = self.boolean(fi, a)?,
                    ("strict", Dialect::Sqlite) => t.options.strict = self.boolean(fi, a)?,
                    ("partition_of", Dialect::Postgres) => {
                        let e: Expression = a.value.clone().into();
                        partition_of = Some((path_of(&e).unwrap_or_default(), a.value.span()));
                    }
                    ("partition_bound", Dialect::Postgres) => partition_bound = Some(self.string(fi, a)?),
                    ("unlogged", Dialect::Postgres) => t.options.unlogged = self.boolean(fi, a)?,
                    ("storage_params", Dialect::Postgres) => t.options.storage_params = self.storage_params(fi, a)?,
                    ("replica_identity", Dialect::Postgres) => {
                        let e: Expression = a.value.clone().into();
                        match path_of(&e).as_deref() {
                            Some([k, i]) if k == "index" => replica_index = Some((i.clone(), a.value.span())),
                            _ => match self.constant(fi, a)?.to_ascii_uppercase().as_str() {
                                "DEFAULT" => t.options.replica_identity = None,
                                v @ ("FULL" | "NOTHING") => t.options.replica_identity = Some(v.to_string()),
                                other => return Err(self.files[fi].err(a.value.span(), format!("`replica_identity` is DEFAULT, FULL, NOTHING or index.<name>, not {other}"), None)),
                            },
                        }
                    }
                    _ => return Err(self.unknown(fi, a, "table", TABLE_ATTRS)),
                }
            }
            let schema = match (schema, qualifier) {
                (Some(s), _) => s,
                (None, Some(q)) => self.schema_names.get(&q).cloned().unwrap_or(q),
                (None, None) => self.default_schema(fi, b.span())?,
            };
            if let Some((path, span)) = partition_of {
                let parent = match path.as_slice() {
                    [k, t] if k == "table" => (schema.clone(), t.clone()),
                    [k, s, t] if k == "table" => (s.clone(), t.clone()),
                    _ => return Err(self.files[fi].err(span, "`partition_of` must reference a table, e.g. table.payment", None)),
                };
                let bound = partition_bound.ok_or_else(|| self.files[fi].err(b.span(), "`partition_of` needs `partition_bound`, e.g. \"FOR VALUES FROM ('2022-01-01') TO ('2022-02-01')\"", None))?;
                t.partition_of = Some(PartitionOf { schema: parent.0, table: parent.1, bound });
            }
            let mut pending_fks = Vec::new();
            for cb in blocks(&b.body) {
                match cb.ident.as_str() {
                    "column" => {}
                    "primary_key" => {
                        let mut pk = PrimaryKey { name: label_strs(cb).into_iter().next(), ..Default::default() };
                        for a in attrs(&cb.body) {
                            match a.key.as_str() {
                                "columns" => pk.columns = self.column_list(fi, a, &t)?,
                                "include" if self.dialect == Dialect::Postgres => pk.include = self.column_list(fi, a, &t)?,
                                "deferrable" if self.dialect == Dialect::Postgres => (pk.deferrable, pk.initially_deferred) = self.deferrable(fi, a, pk.initially_deferred)?,
                                "initially_deferred" if self.dialect == Dialect::Postgres => pk.initially_deferred = self.boolean(fi, a)?,
                                "comment" => {}
                                _ => return Err(self.unknown(fi, a, "primary_key", if self.dialect == Dialect::Postgres { &["columns", "include", "deferrable", "initially_deferred", "comment"] } else { &["columns", "comment"] })),
                            }
                        }
                        // INITIALLY DEFERRED makes a constraint deferrable (PostgreSQL's reading too).
                        pk.deferrable |= pk.initially_deferred;
                        for on in blocks(&cb.body) {
                            let part = self.index_part(fi, on, &t)?;
                            pk.columns.push(part.column.unwrap_or_default());
                        }
                        if pk.columns.is_empty() {
                            return Err(self.files[fi].err(cb.span(), "primary_key needs `columns`", Some("e.g. columns = [column.id]".into())));
                        }
                        if t.primary_key.is_some() {
                            return Err(self.files[fi].err(cb.span(), format!("table \"{name}\" has two primary_key blocks"), None));
                        }
                        t.primary_key = Some(pk);
                    }
                    "exclude" if self.dialect != Dialect::Postgres => {
                        return Err(self.files[fi].err(cb.span(), format!("exclusion constraints exist only on PostgreSQL, not {}", self.dialect.name()), None));
                    }
                    "index" | "unique" | "exclude" => {
                        let i = self.index(fi, cb, &t)?;
                        if t.indexes.iter().any(|x| x.name == i.name) {
                            return Err(self.files[fi].err(cb.span(), format!("duplicate index \"{}\" in table \"{name}\"", i.name), None));
                        }
                        t.indexes.push(i);
                    }
                    "foreign_key" => {
                        let (fk, refs) = self.foreign_key(fi, cb, &t)?;
                        if t.foreign_keys.iter().any(|x| x.name == fk.name) {
                            return Err(self.files[fi].err(cb.span(), format!("duplicate foreign_key \"{}\" in table \"{name}\"", fk.name), None));
                        }
                        pending_fks.push((t.foreign_keys.len(), refs));
                        t.foreign_keys.push(fk);
                    }
                    "check" => {
                        let mut c = Check { name: label_strs(cb).into_iter().next().unwrap_or_default(), enforced: true, pos: Some(self.files[fi].pos(cb.span())), ..Default::default() };
                        let mut has_expr = false;
                        for a in attrs(&cb.body) {
                            match a.key.as_str() {
                                "expr" => {
                                    has_expr = true;
                                    // `(a > 0)` as Atlas inspects it, or `a > 0`: one expression.
                                    c.expr = engine::sql_text::unwrapped(&self.expr(fi, a)?).to_string()
                                }
                                "enforced" => c.enforced = self.boolean(fi, a)?,
                                "comment" => {}
                                _ => return Err(self.unknown(fi, a, "check", &["expr", "enforced", "comment"])),
                            }
                        }
                        if !has_expr {
                            return Err(self.files[fi].err(cb.span(), "check needs `expr`", Some("e.g. expr = \"price > 0\"".into())));
                        }
                        t.checks.push(c);
                    }
                    "partition" if self.dialect == Dialect::Postgres => t.partition = Some(self.partition(fi, cb, &t)?),
                    "row_security" if self.dialect == Dialect::Postgres => {
                        for a in attrs(&cb.body) {
                            match a.key.as_str() {
                                "enabled" => t.row_security.enabled = self.boolean(fi, a)?,
                                // Atlas spells FORCE as `enforced`.
                                "enforced" => t.row_security.forced = self.boolean(fi, a)?,
                                _ => return Err(self.unknown(fi, a, "row_security", &["enabled", "enforced"])),
                            }
                        }
                    }
                    _ => return Err(self.unknown_block(fi, cb, "table", &["column", "primary_key", "index", "unique", "foreign_key", "check", "partition", "row_security"])),
                }
            }
            if let Some((i, span)) = replica_index {
                if !t.indexes.iter().any(|x| x.name == i && x.unique) {
                    return Err(self.files[fi].err(span, format!("replica_identity: table \"{name}\" has no unique index \"{i}\""), Some("REPLICA IDENTITY USING INDEX needs a unique index of the table".into())));
                }
                t.options.replica_identity = Some(format!("INDEX {i}"));
            }
            let f = &self.files[fi];
            let mut directives: Vec<(String, Vec<String>)> = Vec::new();
            if let Some(codes) = f.nolint(b.span()) {
                directives.push((format!("{schema}.{name}"), codes));
            }
            for cb in blocks(&b.body) {
                let Some(codes) = f.nolint(cb.span()) else { continue };
                let label = label_strs(cb).into_iter().next().unwrap_or_default();
                let path = match cb.ident.as_str() {
                    "column" => format!("{schema}.{name}.{label}"),
                    _ => format!("{schema}.{name} {label}"),
                };
                directives.push((path, codes));
            }
            self.realm.nolint.extend(directives);
            if !self.declared.insert((schema.clone(), name.clone())) {
                return Err(self.files[fi].err(b.span(), format!("duplicate table \"{name}\" in schema \"{schema}\""), Some("each table is declared once".into())));
            }
            // What a file leaves unwritten, filled in as the engine fills it (Atlas writes none
            // of it): a primary key's default name, MySQL's InnoDB, the schema's character set
            // and collation.
            let eng = engine::of(self.dialect);
            let default_pk = eng.default_primary_key_name(&t.name);
            if let Some(pk) = t.primary_key.as_mut().filter(|k| k.name.is_none()) {
                pk.name = default_pk;
            }
            if t.options.engine.is_none() {
                t.options.engine = eng.default_table_engine().map(String::from);
            }
            let target = self.schema_mut(&schema);
            if t.options.charset.is_none() {
                t.options.charset = target.charset.clone();
                if t.options.collate.is_none() {
                    t.options.collate = target.collate.clone();
                }
            }
            target.tables.push(t);
            for (fk_index, refs) in pending_fks {
                self.pending.push(PendingFk { file: fi, schema: schema.clone(), table: name.clone(), fk_index, refs });
            }
        }
        Ok(())
    }

    /// `policy "name" { on = table.t, for = SELECT, to = [PUBLIC, "role"], as = PERMISSIVE,
    /// using = "…", check = "…" }` (Atlas's spelling), attached to its table.
    fn policies(&mut self, fi: usize, body: &Body) -> R<()> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        for b in blocks(body).filter(|b| b.ident.as_str() == "policy") {
            let name = self.one_label(fi, b)?;
            let mut p = Policy { name: name.clone(), command: "ALL".into(), permissive: true, pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
            let mut on = None;
            for a in attrs(&b.body) {
                let e: Expression = a.value.clone().into();
                match a.key.as_str() {
                    "on" => on = Some((path_of(&e).unwrap_or_default(), a.value.span())),
                    "for" => {
                        let v = self.constant(fi, a)?.to_ascii_uppercase();
                        if !["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"].contains(&v.as_str()) {
                            return Err(self.files[fi].err(a.value.span(), format!("policy `for` is ALL, SELECT, INSERT, UPDATE or DELETE, not {v}"), None));
                        }
                        p.command = v;
                    }
                    "as" => {
                        p.permissive = match self.constant(fi, a)?.to_ascii_uppercase().as_str() {
                            "PERMISSIVE" => true,
                            "RESTRICTIVE" => false,
                            other => return Err(self.files[fi].err(a.value.span(), format!("policy `as` is PERMISSIVE or RESTRICTIVE, not {other}"), None)),
                        }
                    }
                    "to" => {
                        let items = match &e {
                            Expression::Array(items) => items.clone(),
                            one => vec![one.clone()],
                        };
                        for item in items {
                            let role = match &item {
                                Expression::String(s) => s.clone(),
                                Expression::Variable(v) => v.as_str().to_ascii_uppercase(),
                                _ => return Err(self.files[fi].err(a.value.span(), "policy `to` lists roles: PUBLIC, CURRENT_USER or role names as strings", Some("e.g. to = [PUBLIC] or to = [\"app_user\"]".into()))),
                            };
                            p.roles.push(role);
                        }
                    }
                    "using" => p.using = Some(self.expr(fi, a)?),
                    "check" => p.check = Some(self.expr(fi, a)?),
                    "comment" => {}
                    _ => return Err(self.unknown(fi, a, "policy", &["on", "for", "to", "as", "using", "check", "comment"])),
                }
            }
            if p.roles.is_empty() {
                p.roles.push("PUBLIC".into());
            }
            let (path, span) = on.ok_or_else(|| self.files[fi].err(b.span(), format!("policy \"{name}\" needs `on`"), Some("e.g. on = table.documents".into())))?;
            let (schema, table) = match path.as_slice() {
                [k, t] if k == "table" => (self.default_schema(fi, span.clone())?, t.clone()),
                [k, s, t] if k == "table" => (self.schema_names.get(s).cloned().unwrap_or(s.clone()), t.clone()),
                _ => return Err(self.files[fi].err(span, "`on` must reference a table, e.g. table.documents", None)),
            };
            let Some(t) = self.realm.schemas.iter_mut().find(|s| s.name == schema).and_then(|s| s.tables.iter_mut().find(|t| t.name == table)) else {
                return Err(self.files[fi].err(span, format!("policy \"{name}\": no table \"{table}\" in schema \"{schema}\""), None));
            };
            if t.policies.iter().any(|x| x.name == name) {
                return Err(self.files[fi].err(b.span(), format!("duplicate policy \"{name}\" on table \"{table}\""), None));
            }
            if let Some(codes) = self.files[fi].nolint(b.span()) {
                self.realm.nolint.insert(format!("{schema}.{table} {name}"), codes);
            }
            t.policies.push(p);
        }
        Ok(())
    }

    /// `storage_params = { fillfactor = 70, "toast.autovacuum_enabled" = false }` → sorted
    /// `name=value` as PostgreSQL keeps them.
    fn storage_params(&self, fi: usize, a: &Attribute) -> R<Vec<String>> {
        let Value::Object(m) = self.eval(fi, a)? else {
            return Err(self.files[fi].err(a.value.span(), "`storage_params` is an object, e.g. { fillfactor = 70 }", None));
        };
        let mut out = Vec::new();
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return Err(self.files[fi].err(a.value.span(), format!("storage parameter `{k}` must be a number, bool or string, found {}", kind_of(&other)), None)),
            };
            out.push(format!("{k}={v}"));
        }
        out.sort();
        Ok(out)
    }

    fn column(&self, fi: usize, b: &Block) -> R<Column> {
        let name = self.one_label(fi, b)?;
        let mut c = Column { name, pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
        let mut has_type = false;
        let mut unsigned = false;
        const ALLOWED: &[&str] = &["type", "null", "default", "comment", "as", "collate", "charset", "unsigned", "auto_increment", "on_update", "renamed_from"];
        for a in attrs(&b.body) {
            match (a.key.as_str(), self.dialect) {
                ("type", _) => {
                    has_type = true;
                    c.ty = self.raw_type(fi, a)?
                }
                ("null", _) => c.null = self.boolean(fi, a)?,
                ("default", _) => c.default = Some(self.default_value(fi, a)?),
                ("comment", _) => c.comment = Some(self.string(fi, a)?),
                ("renamed_from", _) => c.renamed_from = Some(self.string(fi, a)?),
                ("as", _) => {
                    c.generated = Some(Generated { expr: self.expr(fi, a)?, stored: self.dialect == Dialect::Postgres })
                }
                ("collate" | "collation", _) => c.collate = Some(self.constant(fi, a)?),
                ("charset", Dialect::Mysql) => c.charset = Some(self.constant(fi, a)?),
                ("unsigned", Dialect::Mysql) => unsigned = self.boolean(fi, a)?,
                ("auto_increment", Dialect::Mysql | Dialect::Sqlite) => c.auto_increment = self.boolean(fi, a)?,
                ("on_update", Dialect::Mysql) => c.on_update = Some(self.constant(fi, a)?),
                _ => return Err(self.unknown(fi, a, "column", ALLOWED)),
            }
        }
        for cb in blocks(&b.body) {
            match cb.ident.as_str() {
                "identity" if self.dialect == Dialect::Postgres => {
                    let mut id = Identity { always: false, start: 1, increment: 1, min_value: None, max_value: None };
                    for a in attrs(&cb.body) {
                        match a.key.as_str() {
                            "generated" => {
                                id.always = match self.constant(fi, a)?.to_ascii_uppercase().as_str() {
                                    "ALWAYS" => true,
                                    "BY_DEFAULT" | "BY DEFAULT" => false,
                                    other => return Err(self.files[fi].err(a.value.span(), format!("unknown identity generation `{other}`"), Some("ALWAYS or BY_DEFAULT".into()))),
                                }
                            }
                            "start" => id.start = self.int(fi, a)?,
                            "increment" => id.increment = self.int(fi, a)?,
                            "min_value" => id.min_value = Some(self.int(fi, a)?),
                            "max_value" => id.max_value = Some(self.int(fi, a)?),
                            _ => return Err(self.unknown(fi, a, "identity", &["generated", "start", "increment", "min_value", "max_value"])),
                        }
                    }
                    c.identity = Some(id);
                }
                "as" => {
                    let mut g = Generated { expr: String::new(), stored: self.dialect == Dialect::Postgres };
                    for a in attrs(&cb.body) {
                        match a.key.as_str() {
                            "expr" => g.expr = self.expr(fi, a)?,
                            "type" => g.stored = matches!(self.constant(fi, a)?.to_ascii_uppercase().as_str(), "STORED" | "PERSISTENT"),
                            _ => return Err(self.unknown(fi, a, "as", &["expr", "type"])),
                        }
                    }
                    c.generated = Some(g);
                }
                _ => return Err(self.unknown_block(fi, cb, "column", &["identity", "as"])),
            }
        }
        if !has_type {
            return Err(self.files[fi].err(b.span(), format!("column \"{}\" has no `type`", c.name), Some("add e.g. `type = int`".into())));
        }
        // `unsigned` joins the type before canonicalizing: display widths differ when unsigned.
        if unsigned && !c.ty.to_ascii_lowercase().ends_with(" unsigned") {
            c.ty.push_str(" unsigned");
        }
        c.ty = self.canonical_type(&c.ty);
        Ok(c)
    }

    fn index_part(&self, fi: usize, on: &Block, t: &Table) -> R<IndexPart> {
        if on.ident.as_str() != "on" {
            return Err(self.unknown_block(fi, on, "index", &["on"]));
        }
        let mut p = IndexPart::default();
        for a in attrs(&on.body) {
            match a.key.as_str() {
                "column" => {
                    let e: Expression = a.value.clone().into();
                    p.column = Some(self.local_column(fi, a, &e, t)?)
                }
                "expr" => p.expr = Some(self.expr(fi, a)?),
                "desc" => p.desc = self.boolean(fi, a)?,
                "prefix" => p.prefix = Some(self.int(fi, a)? as u32),
                "ops" => p.opclass = Some(self.constant(fi, a)?),
                "nulls_first" => p.nulls_first = if self.boolean(fi, a)? { Some(true) } else { p.nulls_first },
                "nulls_last" => p.nulls_first = if self.boolean(fi, a)? { Some(false) } else { p.nulls_first },
                "op" => p.op = Some(self.string(fi, a)?.trim().to_string()),
                _ => return Err(self.unknown(fi, a, "on", &["column", "expr", "desc", "prefix", "ops", "nulls_first", "nulls_last", "op"])),
            }
        }
        if p.column.is_none() == p.expr.is_none() {
            return Err(self.files[fi].err(on.span(), "an `on` block needs exactly one of `column` or `expr`", None));
        }
        // DESC implies NULLS FIRST in PostgreSQL; only the non-default is kept.
        if p.nulls_first == Some(p.desc) {
            p.nulls_first = None;
        }
        Ok(p)
    }

    fn index(&self, fi: usize, b: &Block, t: &Table) -> R<Index> {
        let name = self.one_label(fi, b)?;
        let exclusion = b.ident.as_str() == "exclude";
        let is_constraint = exclusion || b.ident.as_str() == "unique";
        let mut i = Index { name, unique: is_constraint && !exclusion, nulls_distinct: true, constraint: is_constraint, pos: Some(self.files[fi].pos(b.span())), ..Default::default() };
        let mut has_columns = false;
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "columns" => {
                    has_columns = true;
                    i.parts = self.column_list(fi, a, t)?.into_iter().map(|c| IndexPart { column: Some(c), ..Default::default() }).collect()
                }
                "unique" if !is_constraint => i.unique = self.boolean(fi, a)?,
                "type" => {
                    let m = self.constant(fi, a)?.to_ascii_uppercase();
                    i.method = if m == "BTREE" { None } else { Some(m) };
                }
                "where" => i.where_clause = Some(self.string(fi, a)?),
                "include" => i.include = self.column_list(fi, a, t)?,
                "nulls_distinct" => i.nulls_distinct = self.boolean(fi, a)?,
                "page_per_range" if self.dialect == Dialect::Postgres => {
                    let n = self.int(fi, a)?;
                    i.page_per_range = Some(u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| self.files[fi].err(a.value.span(), "`page_per_range` must be a positive number of pages", None))?);
                }
                "comment" => i.comment = Some(self.string(fi, a)?),
                "renamed_from" => i.renamed_from = Some(self.string(fi, a)?),
                "deferrable" if is_constraint => (i.deferrable, i.initially_deferred) = self.deferrable(fi, a, i.initially_deferred)?,
                "initially_deferred" if is_constraint => i.initially_deferred = self.boolean(fi, a)?,
                _ => {
                    let known: &[&str] = if exclusion {
                        &["type", "where", "include", "deferrable", "initially_deferred", "comment", "renamed_from"]
                    } else if is_constraint {
                        &["columns", "type", "where", "include", "nulls_distinct", "deferrable", "initially_deferred", "comment", "renamed_from"]
                    } else {
                        &["columns", "unique", "type", "where", "include", "nulls_distinct", "page_per_range", "comment", "renamed_from"]
                    };
                    return Err(self.unknown(fi, a, b.ident.as_str(), known));
                }
            }
        }
        i.deferrable |= i.initially_deferred;
        if exclusion && has_columns {
            return Err(self.files[fi].err(b.span(), format!("exclude \"{}\" lists its parts as `on` blocks, each with its operator", i.name), Some("on { column = column.room\n  op = \"=\" }".into())));
        }
        for on in blocks(&b.body) {
            if has_columns {
                return Err(self.files[fi].err(on.span(), "use either `columns` or `on` blocks, not both", None));
            }
            let part = self.index_part(fi, on, t)?;
            if part.op.is_some() != exclusion {
                let msg = if exclusion { "each `on` block of an exclude needs `op` (e.g. op = \"&&\")" } else { "`op` belongs to `exclude` blocks (exclusion constraints)" };
                return Err(self.files[fi].err(on.span(), msg, None));
            }
            i.parts.push(part);
        }
        if i.parts.is_empty() {
            return Err(self.files[fi].err(b.span(), format!("index \"{}\" has no parts", i.name), Some("add `columns = [column.x]` or `on { column = column.x }`".into())));
        }
        Ok(i)
    }

    #[allow(clippy::type_complexity)]
    fn foreign_key(&self, fi: usize, b: &Block, t: &Table) -> R<(ForeignKey, Vec<(Expression, Option<std::ops::Range<usize>>)>)> {
        let name = self.one_label(fi, b)?;
        // An action left unwritten is the engine's default (InnoDB's RESTRICT, which MariaDB
        // reports apart from an explicit NO ACTION; PostgreSQL's and SQLite's NO ACTION).
        let unwritten = engine::of(self.dialect).default_ref_action();
        let mut fk = ForeignKey { name, pos: Some(self.files[fi].pos(b.span())), on_update: unwritten, on_delete: unwritten, ..Default::default() };
        let mut refs = Vec::new();
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "columns" => fk.columns = self.column_list(fi, a, t)?,
                "ref_columns" => {
                    let e: Expression = a.value.clone().into();
                    let Expression::Array(items) = e else {
                        return Err(self.files[fi].err(a.value.span(), "`ref_columns` must be a list such as [table.users.column.id]", None));
                    };
                    refs = items.into_iter().map(|x| (x, a.value.span())).collect();
                }
                "on_update" | "on_delete" => {
                    let v = self.constant(fi, a)?;
                    let act = RefAction::parse(&v).ok_or_else(|| {
                        self.files[fi].err(a.value.span(), format!("unknown referential action `{v}`"), Some("one of NO_ACTION, RESTRICT, CASCADE, SET_NULL, SET_DEFAULT".into()))
                    })?;
                    if a.key.as_str() == "on_update" {
                        fk.on_update = act
                    } else {
                        fk.on_delete = act
                    }
                }
                "deferrable" => (fk.deferrable, fk.initially_deferred) = self.deferrable(fi, a, fk.initially_deferred)?,
                "initially_deferred" => fk.initially_deferred = self.boolean(fi, a)?,
                "comment" => {}
                _ => return Err(self.unknown(fi, a, "foreign_key", &["columns", "ref_columns", "on_update", "on_delete", "deferrable", "initially_deferred", "comment"])),
            }
        }
        fk.deferrable |= fk.initially_deferred;
        if fk.columns.is_empty() || refs.is_empty() {
            return Err(self.files[fi].err(b.span(), format!("foreign_key \"{}\" needs `columns` and `ref_columns`", fk.name), None));
        }
        if fk.columns.len() != refs.len() {
            return Err(self.files[fi].err(b.span(), format!("foreign_key \"{}\" has {} columns but {} ref_columns", fk.name, fk.columns.len(), refs.len()), None));
        }
        // Said here, at the block, rather than as the server's "errno: 150" from the rehearsal.
        if engine::of(self.dialect).refuses_set_null_on_not_null() {
            for (key, action) in [("on_delete", fk.on_delete), ("on_update", fk.on_update)] {
                let not_null = fk.columns.iter().find(|c| action == RefAction::SetNull && t.columns.iter().any(|x| &x.name == *c && !x.null));
                if let Some(c) = not_null {
                    return Err(self.files[fi].err(
                        b.span(),
                        format!("foreign_key \"{}\": foreign key constraint was {c:?} SET NULL, but column {c:?} is NOT NULL", fk.name),
                        Some(format!("make column \"{c}\" nullable (null = true), or choose another {key} action")),
                    ));
                }
            }
        }
        Ok((fk, refs))
    }

    fn partition(&self, fi: usize, b: &Block, t: &Table) -> R<PartitionKey> {
        let mut p = PartitionKey { kind: String::new(), parts: vec![] };
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "type" => p.kind = self.constant(fi, a)?.to_ascii_uppercase(),
                "columns" => p.parts = self.column_list(fi, a, t)?.into_iter().map(PartKey::Column).collect(),
                _ => return Err(self.unknown(fi, a, "partition", &["type", "columns"])),
            }
        }
        for by in blocks(&b.body) {
            if by.ident.as_str() != "by" {
                return Err(self.unknown_block(fi, by, "partition", &["by"]));
            }
            for a in attrs(&by.body) {
                match a.key.as_str() {
                    "column" => {
                        let e: Expression = a.value.clone().into();
                        p.parts.push(PartKey::Column(self.local_column(fi, a, &e, t)?))
                    }
                    "expr" => p.parts.push(PartKey::Expr(self.expr(fi, a)?)),
                    _ => return Err(self.unknown(fi, a, "by", &["column", "expr"])),
                }
            }
        }
        if !matches!(p.kind.as_str(), "RANGE" | "LIST" | "HASH") {
            return Err(self.files[fi].err(b.span(), "partition `type` must be RANGE, LIST or HASH", None));
        }
        Ok(p)
    }

    fn resolve_fks(&mut self) -> R<()> {
        let pending = std::mem::take(&mut self.pending);
        // Table name → schemas holding it, and (schema, table) → position, built once.
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut index: HashMap<(String, String), (usize, usize)> = HashMap::new();
        for (si, s) in self.realm.schemas.iter().enumerate() {
            for (ti, t) in s.tables.iter().enumerate() {
                by_name.entry(t.name.clone()).or_default().push(s.name.clone());
                index.insert((s.name.clone(), t.name.clone()), (si, ti));
            }
        }
        for p in pending {
            let mut resolved = Vec::new();
            for (e, span) in &p.refs {
                let f = &self.files[p.file];
                let path = path_of(e).unwrap_or_default();
                let (schema, table, column) = match path.as_slice() {
                    [c, col] if c == "column" => (p.schema.clone(), p.table.clone(), col.clone()),
                    [t, table, c, col] if t == "table" && c == "column" => {
                        let found: &[String] = by_name.get(table).map(|v| v.as_slice()).unwrap_or(&[]);
                        match found {
                            [one] => (one.clone(), table.clone(), col.clone()),
                            [] => return Err(f.err(span.clone(), format!("unresolved reference table.{table}: no such table"), None)),
                            _ => {
                                if found.iter().any(|s| s == &p.schema) {
                                    (p.schema.clone(), table.clone(), col.clone())
                                } else {
                                    return Err(f.err(span.clone(), format!("table \"{table}\" exists in several schemas"), Some(format!("qualify it: table.<schema>.{table}.column.{col}"))));
                                }
                            }
                        }
                    }
                    [t, schema, table, c, col] if t == "table" && c == "column" => {
                        (self.schema_names.get(schema).cloned().unwrap_or(schema.clone()), table.clone(), col.clone())
                    }
                    // Atlas's fully qualified form: schema.public.table.users.column.id
                    [s, schema, t, table, c, col] if s == "schema" && t == "table" && c == "column" => {
                        (self.schema_names.get(schema).cloned().unwrap_or(schema.clone()), table.clone(), col.clone())
                    }
                    _ => return Err(f.err(span.clone(), "ref_columns entries must reference columns, e.g. table.users.column.id", None)),
                };
                let Some(&(si, ti)) = index.get(&(schema.clone(), table.clone())) else {
                    return Err(f.err(span.clone(), format!("unresolved reference: table \"{schema}.{table}\" not found"), None));
                };
                let t = &self.realm.schemas[si].tables[ti];
                if t.column(&column).is_none() {
                    return Err(f.err(span.clone(), format!("unresolved reference: table \"{table}\" has no column \"{column}\""), None));
                }
                resolved.push((schema, table, column));
            }
            let (si, ti) = index[&(p.schema.clone(), p.table.clone())];
            let fk = &mut self.realm.schemas[si].tables[ti].foreign_keys[p.fk_index];
            fk.ref_schema = resolved[0].0.clone();
            fk.ref_table = resolved[0].1.clone();
            fk.ref_columns = resolved.into_iter().map(|r| r.2).collect();
        }
        Ok(())
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}
