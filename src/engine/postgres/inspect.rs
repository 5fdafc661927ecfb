//! PostgreSQL inspection from pg_catalog: a handful of set queries for all requested schemas at
//! once (never one query per table), run concurrently over the pool.

use super::types;
use crate::engine::sql_text::matching_paren;
use crate::engine::{is_number, unquote_literal, InspectOptions};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{PgPool, Row};
use std::collections::HashMap;

/// Schemas owned by extensions and the system are never user schemas.
const SCHEMA_FILTER: &str = "n.nspname NOT IN ('pg_catalog','information_schema','pg_toast') \
    AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%' \
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid='pg_namespace'::regclass AND d.objid=n.oid AND d.deptype='e')";

/// Objects created by an extension (pg_depend deptype 'e') are the extension's, not the user's.
pub(super) fn not_ext(classid: &str, oid: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid='{classid}'::regclass AND e.objid={oid} AND e.deptype='e')")
}

/// The schemas an inspection with `wanted` reads, with their comments: those named, or without
/// names every user schema except schemagate's own `schemagate` (the revision table), which
/// only appears when asked for by name.
async fn schemas(pool: &PgPool, wanted: &[String]) -> Result<Vec<(String, Option<String>)>> {
    let q = format!(
        "SELECT n.nspname::text, obj_description(n.oid,'pg_namespace') FROM pg_namespace n WHERE {SCHEMA_FILTER} \
         AND ((cardinality($1::text[]) = 0 AND n.nspname <> 'schemagate') OR n.nspname = ANY($1)) ORDER BY 1"
    );
    sqlx::query_as(&q).bind(wanted).fetch_all(pool).await.context("listing schemas")
}

/// The user schemas a full inspection reads (one quick query).
pub async fn schema_names(pool: &PgPool) -> Result<Vec<String>> {
    Ok(schemas(pool, &[]).await?.into_iter().map(|s| s.0).collect())
}

pub async fn inspect(pool: &PgPool, opts: &InspectOptions) -> Result<Realm> {
    let schemas = schemas(pool, &opts.schemas).await?;
    let names: Vec<String> = schemas.iter().map(|s| s.0.clone()).collect();

    let objects = super::kinds::inspect(pool, &names).await?;
    // One batch: the pool runs them four at a time, the biggest (columns, indexes) first.
    let (columns, indexes, constraints, tables, enums, domains, sequences, skipped, policies, views, functions, triggers, acl, default_privileges, roles) = tokio::try_join!(
        columns(pool, &names),
        indexes(pool, &names),
        constraints(pool, &names),
        tables(pool, &names),
        enums(pool, &names),
        domains(pool, &names),
        sequences(pool, &names),
        skipped(pool, &names),
        policies(pool, &names),
        super::objects_inspect::views(pool, &names),
        super::objects_inspect::functions(pool, &names),
        super::objects_inspect::triggers(pool, &names),
        super::privileges::acls(pool, &names),
        super::privileges::default_privileges(pool, &names),
        async { sqlx::query_scalar::<_, String>("SELECT rolname::text FROM pg_roles ORDER BY 1").fetch_all(pool).await.context("listing roles") },
    )?;

    let mut realm = Realm::default();
    let mut by_name: HashMap<String, Schema> = HashMap::new();
    for (name, comment) in schemas {
        by_name.insert(name.clone(), Schema { name, comment, ..Default::default() });
    }
    let mut tmap: HashMap<(String, String), Table> = HashMap::new();
    for (schema, t) in tables {
        tmap.insert((schema, t.name.clone()), t);
    }
    for (schema, table, c) in columns {
        if let Some(t) = tmap.get_mut(&(schema, table)) {
            t.columns.push(c);
        }
    }
    let mut vmap: HashMap<(String, String), View> = views.into_iter().map(|(s, v)| ((s, v.name.clone()), v)).collect();
    for (schema, table, i) in indexes {
        let key = (schema, table);
        if let Some(t) = tmap.get_mut(&key) {
            t.indexes.push(i);
        } else if let Some(v) = vmap.get_mut(&key) {
            v.indexes.push(i);
        }
    }
    for (schema, table, c) in constraints {
        if let Some(t) = tmap.get_mut(&(schema, table)) {
            match c {
                Constraint::Pk(pk) => t.primary_key = Some(pk),
                Constraint::Fk(fk) => t.foreign_keys.push(fk),
                Constraint::Check(ck) => t.checks.push(ck),
            }
        }
    }
    for (schema, table, p) in policies {
        if let Some(t) = tmap.get_mut(&(schema, table)) {
            t.policies.push(p);
        }
    }
    // Sequences owned by a serial column turn the column back into `serial` (as written), and are
    // not listed on their own: they live and die with the column.
    let mut seqs_by_schema: HashMap<String, Vec<Sequence>> = HashMap::new();
    for (schema, s) in sequences {
        if let Some((tname, cname)) = &s.owned_by {
            if let Some(t) = tmap.get_mut(&(schema.clone(), tname.clone())) {
                if let Some(c) = t.columns.iter_mut().find(|c| &c.name == cname) {
                    if let Some(serial) = serial_type(&schema, tname, cname, &s, c) {
                        c.ty = serial.to_string();
                        c.default = None;
                        continue;
                    }
                }
            }
        }
        seqs_by_schema.entry(schema).or_default().push(s);
    }
    for ((schema, _), t) in tmap {
        if let Some(s) = by_name.get_mut(&schema) {
            s.tables.push(t);
        }
    }
    for ((schema, _), v) in vmap {
        if let Some(s) = by_name.get_mut(&schema) {
            s.views.push(v);
        }
    }
    for (schema, f) in functions {
        if let Some(s) = by_name.get_mut(&schema) {
            s.functions.push(f);
        }
    }
    for (schema, t) in triggers {
        if let Some(s) = by_name.get_mut(&schema) {
            s.triggers.push(t);
        }
    }
    for (schema, e) in enums {
        if let Some(s) = by_name.get_mut(&schema) {
            s.enums.push(e);
        }
    }
    for (schema, d) in domains {
        if let Some(s) = by_name.get_mut(&schema) {
            s.domains.push(d);
        }
    }
    for (schema, o) in objects {
        if let Some(s) = by_name.get_mut(&schema) {
            s.objects.push(o);
        }
    }
    for (schema, seqs) in seqs_by_schema {
        if let Some(s) = by_name.get_mut(&schema) {
            s.sequences = seqs;
        }
    }
    for (schema, d) in default_privileges {
        if let Some(s) = by_name.get_mut(&schema) {
            s.default_privileges.push(d);
        }
    }
    realm.schemas = by_name.into_values().collect();
    if !acl.is_empty() {
        super::privileges::attach(&mut realm, &acl);
    }
    realm.server_roles = roles;
    realm.skipped = skipped;
    Ok(realm)
}

/// `serial` is a macro: an integer column defaulting to nextval of a sequence it owns, named
/// `<table>_<column>_seq`, with default sequence options.
fn serial_type(schema: &str, table: &str, col: &str, s: &Sequence, c: &Column) -> Option<&'static str> {
    let expected_name = types::serial_sequence_name(table, col);
    if s.name != expected_name || s.start != 1 || s.increment != 1 || s.min_value != 1 || s.cache != 1 || s.cycle {
        return None;
    }
    let Some(ColumnDefault::Raw(d)) = &c.default else { return None };
    let q1 = format!("nextval('{}'::regclass)", types::regclass_text(schema, &s.name));
    if d != &q1 {
        return None;
    }
    match (c.ty.as_str(), s.ty.as_str(), s.max_value) {
        ("integer", "integer", 2147483647) => Some("serial"),
        ("bigint", "bigint", 9223372036854775807) => Some("bigserial"),
        ("smallint", "smallint", 32767) => Some("smallserial"),
        _ => None,
    }
}

async fn tables(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Table)>> {
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, obj_description(c.oid,'pg_class'), \
           CASE WHEN c.relkind='p' THEN pg_get_partkeydef(c.oid) END, \
           CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, \
           pn.nspname::text, pc.relname::text, c.relrowsecurity, c.relforcerowsecurity, \
           c.relpersistence = 'u', COALESCE(c.reloptions, '{{}}')::text[], \
           ARRAY(SELECT 'toast.' || o FROM pg_class tc, unnest(tc.reloptions) o WHERE tc.oid = c.reltoastrelid)::text[], \
           c.relreplident::text, \
           (SELECT ic.relname::text FROM pg_index ri JOIN pg_class ic ON ic.oid = ri.indexrelid WHERE ri.indrelid = c.oid AND ri.indisreplident) \
         FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace \
         LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid=c.oid \
         LEFT JOIN pg_class pc ON pc.oid=i.inhparent LEFT JOIN pg_namespace pn ON pn.oid=pc.relnamespace \
         WHERE c.relkind IN ('r','p') AND n.nspname = ANY($1) AND {}",
        not_ext("pg_class", "c.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting tables")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let schema: String = r.get(0);
        let mut t = Table { name: r.get(1), comment: r.get(2), ..Default::default() };
        if let Some(def) = r.get::<Option<String>, _>(3) {
            t.partition = Some(parse_partkey(&def));
        }
        if let (Some(bound), Some(ps), Some(pt)) =
            (r.get::<Option<String>, _>(4), r.get::<Option<String>, _>(5), r.get::<Option<String>, _>(6))
        {
            t.partition_of = Some(PartitionOf { schema: ps, table: pt, bound });
        }
        t.row_security = RowSecurity { enabled: r.get(7), forced: r.get(8) };
        t.options.unlogged = r.get(9);
        let mut params: Vec<String> = r.get(10);
        params.extend(r.get::<Vec<String>, _>(11));
        params.sort();
        t.options.storage_params = params;
        t.options.replica_identity = match r.get::<String, _>(12).as_str() {
            "f" => Some("FULL".into()),
            "n" => Some("NOTHING".into()),
            "i" => r.get::<Option<String>, _>(13).map(|i| format!("INDEX {i}")),
            _ => None,
        };
        out.push((schema, t));
    }
    Ok(out)
}

/// `RANGE (payment_date)` / `LIST (lower(name))` → kind and parts.
fn parse_partkey(def: &str) -> PartitionKey {
    let (kind, rest) = def.split_once(' ').unwrap_or((def, ""));
    let inner = rest.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest);
    let parts = split_top_level(inner)
        .into_iter()
        .map(|p| {
            let p = p.trim();
            if is_plain_ident(p) {
                PartKey::Column(p.trim_matches('"').replace("\"\"", "\""))
            } else if p.starts_with('(') && matching_paren(p) == Some(p.len() - 1) {
                // PostgreSQL wraps an expression that is not a function call in parentheses of
                // its own (`((y * 2))`); the key part is what is inside, as Atlas reads it.
                PartKey::Expr(p[1..p.len() - 1].to_string())
            } else {
                PartKey::Expr(p.to_string())
            }
        })
        .collect();
    PartitionKey { kind: kind.to_ascii_uppercase(), parts }
}

/// An identifier as PostgreSQL prints it: bare lower-case or double-quoted.
pub fn is_plain_ident(s: &str) -> bool {
    if s.starts_with('"') && s.ends_with('"') && s.len() >= 2 {
        return !s[1..s.len() - 1].replace("\"\"", "").contains('"');
    }
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// Split on commas that are not inside parentheses or quotes.
pub fn split_top_level(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        if let Some(q) = quote {
            cur.push(ch);
            if ch == q {
                quote = None;
            }
            continue;
        }
        match ch {
            '\'' | '"' => {
                quote = Some(ch);
                cur.push(ch)
            }
            '(' | '[' => {
                depth += 1;
                cur.push(ch)
            }
            ')' | ']' => {
                depth -= 1;
                cur.push(ch)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The SQL that renders a column's type: built-in types through format_type, user types
/// (enums, domains, …, and arrays of them) schema-qualified so the spelling does not depend on
/// the connection's search_path.
pub(super) const TYPE_SQL: &str = "CASE WHEN tn.nspname = 'pg_catalog' OR (et.oid IS NOT NULL AND etn.nspname = 'pg_catalog') \
      THEN format_type(a.atttypid, a.atttypmod) \
      WHEN et.oid IS NOT NULL THEN quote_ident(etn.nspname) || '.' || quote_ident(et.typname) || '[]' \
      ELSE quote_ident(tn.nspname) || '.' || quote_ident(t.typname) END";

async fn columns(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, String, Column)>> {
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, {TYPE_SQL}, a.attnotnull, \
           pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text, \
           CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN co.collname::text END, \
           col_description(c.oid, a.attnum), \
           s.seqstart, s.seqincrement, s.seqmin, s.seqmax \
         FROM pg_attribute a JOIN pg_class c ON c.oid=a.attrelid JOIN pg_namespace n ON n.oid=c.relnamespace \
         JOIN pg_type t ON t.oid=a.atttypid JOIN pg_namespace tn ON tn.oid=t.typnamespace \
         LEFT JOIN pg_type et ON et.oid=t.typelem AND t.typcategory='A' LEFT JOIN pg_namespace etn ON etn.oid=et.typnamespace \
         LEFT JOIN pg_attrdef ad ON ad.adrelid=a.attrelid AND ad.adnum=a.attnum \
         LEFT JOIN pg_collation co ON co.oid=a.attcollation \
         LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.refobjid=c.oid AND dep.refobjsubid=a.attnum AND dep.deptype='i' AND dep.classid='pg_class'::regclass \
         LEFT JOIN pg_sequence s ON s.seqrelid=dep.objid \
         WHERE c.relkind IN ('r','p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY($1) \
         ORDER BY n.nspname, c.relname, a.attnum"
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting columns")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let ty: String = r.get(3);
        let default: Option<String> = r.get(5);
        let identity: String = r.get(6);
        let generated: String = r.get(7);
        let mut c = Column {
            name: r.get(2),
            ty: types::canonical_inspected(&ty),
            null: !r.get::<bool, _>(4),
            collate: r.get(8),
            comment: r.get(9),
            ..Default::default()
        };
        if generated == "s" {
            c.generated = default.map(|e| Generated { expr: e, stored: true });
        } else {
            c.default = default.map(|d| parse_default(&d, &c.ty));
        }
        if !identity.is_empty() {
            let increment = r.get::<Option<i64>, _>(11).unwrap_or(1);
            let (min, max) = (r.get::<Option<i64>, _>(12), r.get::<Option<i64>, _>(13));
            let (dmin, dmax) = types::sequence_bounds(&c.ty, increment);
            c.identity = Some(Identity {
                always: identity == "a",
                start: r.get::<Option<i64>, _>(10).unwrap_or(1),
                increment,
                min_value: min.filter(|m| *m != dmin),
                max_value: max.filter(|m| *m != dmax),
            });
        }
        out.push((r.get(0), r.get(1), c));
    }
    Ok(out)
}

/// Turn a catalog default into the model: `'x'::text` → Str, `42` → Num, `true` → Bool,
/// anything else stays a raw expression.
pub fn parse_default(d: &str, ty: &str) -> ColumnDefault {
    let d = d.trim();
    if d == "true" || d == "false" {
        return ColumnDefault::Bool(d == "true");
    }
    if is_number(d) {
        return ColumnDefault::Num(d.to_string());
    }
    // A literal with a cast: 'x'::character varying, 'G'::mpaa_rating, '-1'::integer.
    if let Some(idx) = literal_end(d) {
        let (lit, rest) = d.split_at(idx);
        // Only a cast to the column's own type makes a plain literal: `'0001-01-01'::timestamp`
        // on a timestamptz column is a conversion and stays raw. As in Atlas, only character
        // and user (enum) types read a literal as a string; `'03:00:00'::interval` or a date
        // stays the expression PostgreSQL keeps.
        if rest.is_empty() || rest.strip_prefix("::").is_some_and(|c| is_type_name(c) && same_type(c, ty) && string_like(ty)) {
            if let Some(v) = unquote_literal(lit, false) {
                return ColumnDefault::Str(v);
            }
        }
    }
    // (-1) and -1::integer are how PostgreSQL keeps negative numbers.
    if let Some(inner) = d.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        if is_number(inner) {
            return ColumnDefault::Num(inner.to_string());
        }
    }
    ColumnDefault::Raw(d.to_string())
}

/// Types whose default literal is a string in HCL: character types and user types (enums).
fn string_like(ty: &str) -> bool {
    let t = ty.trim_end_matches("[]");
    ty.is_empty() || t.contains('.') || t.starts_with("character") || t.starts_with("bpchar") || matches!(t, "text" | "name" | "citext" | "bpchar")
}

/// Whether a cast target names the column's type (ignoring modifiers and schema qualification).
fn same_type(cast: &str, col: &str) -> bool {
    if col.is_empty() {
        return true;
    }
    let base = |t: &str| {
        let t = match (t.find('('), t.find(')')) {
            (Some(o), Some(c)) if c > o => format!("{}{}", &t[..o], &t[c + 1..]),
            _ => t.to_string(),
        };
        let t = t.trim().trim_end_matches("[]");
        let t = t.rsplit('.').next().unwrap_or(t).trim_matches('"').to_string();
        match t.as_str() {
            "bpchar" | "character" => "character".to_string(),
            "varchar" => "character varying".to_string(),
            "timestamp" => "timestamp without time zone".to_string(),
            _ => t,
        }
    };
    let (c, t) = (base(cast), base(col));
    c == t || (c.starts_with("timestamp") && t.starts_with("timestamp") && c.ends_with("without time zone") == t.ends_with("without time zone") && c.contains("time zone") == t.contains("time zone"))
}

/// A bare type name as a cast target: `character varying(20)`, `"public"."mood"`, `text[]`.
fn is_type_name(t: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"^[A-Za-z_"][\w". $]*(\(\d+(,\s*\d+)?\))?( with(out)? time zone)?(\[\])*$"#).unwrap()
    })
    .is_match(t)
}

/// Index just past a leading single-quoted literal.
fn literal_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'\'') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        if b[i] == b'\'' {
            if i + 1 < b.len() && b[i + 1] == b'\'' {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

async fn indexes(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, String, Index)>> {
    // Indexes that back a primary key are the key; those of unique/exclusion constraints are kept
    // as constraints. Indexes attached to a partitioned parent's index are created by it.
    let q = "SELECT n.nspname::text, c.relname::text, ic.relname::text, i.indisunique, am.amname::text, \
           pg_get_expr(i.indpred, i.indrelid), \
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k), \
           ARRAY(SELECT i.indoption[k-1]::int FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
           ARRAY(SELECT COALESCE((SELECT CASE WHEN NOT oc.opcdefault OR a.attoptions IS NOT NULL THEN oc.opcname::text || COALESCE('(' || array_to_string(a.attoptions, ',') || ')', '') END FROM pg_opclass oc WHERE oc.oid = i.indclass[k-1]), '') FROM generate_series(1, i.indnkeyatts) k LEFT JOIN pg_attribute a ON a.attrelid = i.indexrelid AND a.attnum = k ORDER BY k), \
           ARRAY(SELECT i.indkey[k-1]::int FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
           i.indnullsnotdistinct, con.contype::text, obj_description(ic.oid,'pg_class'), \
           (SELECT split_part(o, '=', 2)::int FROM unnest(ic.reloptions) o WHERE o LIKE 'pages_per_range=%'), \
           COALESCE(con.condeferrable, false), COALESCE(con.condeferred, false), \
           ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY AS u(op, n) JOIN pg_operator o ON o.oid = u.op ORDER BY u.n) \
         FROM pg_index i JOIN pg_class ic ON ic.oid=i.indexrelid JOIN pg_class c ON c.oid=i.indrelid \
         JOIN pg_namespace n ON n.oid=c.relnamespace JOIN pg_am am ON am.oid=ic.relam \
         LEFT JOIN pg_constraint con ON con.conindid=i.indexrelid AND con.contype IN ('p','u','x') AND con.conrelid=c.oid \
         WHERE c.relkind IN ('r','p','m') AND n.nspname = ANY($1) \
           AND (con.contype IS NULL OR con.contype IN ('u', 'x')) \
           AND NOT EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid) \
           AND (i.indisvalid OR c.relkind = 'p')";
    let rows = sqlx::query(q).bind(schemas).fetch_all(pool).await.context("inspecting indexes")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let method: String = r.get(4);
        let keys: Vec<String> = r.get(6);
        let include: Vec<String> = r.get(7);
        let options: Vec<i32> = r.get(8);
        let opclasses: Vec<String> = r.get(9);
        let attnums: Vec<i32> = r.get(10);
        let contype: Option<String> = r.get(12);
        // An exclusion constraint's operators, one per key part.
        let exclusion_ops: Vec<String> = r.get(17);
        let mut parts = Vec::with_capacity(keys.len());
        for (k, key) in keys.iter().enumerate() {
            let opt = options.get(k).copied().unwrap_or(0);
            let desc = opt & 1 != 0;
            let nulls_first = opt & 2 != 0;
            let mut p = IndexPart { desc, ..Default::default() };
            // pg_get_indexdef(…, k, true) prints the column (or expression) with a non-default
            // opclass and collation appended; the opclass is kept apart. An opclass with
            // parameters (`tsvector_ops(siglen=8)`) is kept even when it is the default one.
            let mut text = key.clone();
            let oc = opclasses.get(k).cloned().unwrap_or_default();
            if !oc.is_empty() {
                let name = oc.split('(').next().unwrap_or(&oc);
                if let Some(stripped) = text.strip_suffix(&format!(" {name}")) {
                    text = stripped.to_string();
                }
                p.opclass = Some(oc);
            }
            if attnums.get(k).copied().unwrap_or(0) != 0 && is_plain_ident(&text) {
                p.column = Some(text.trim_matches('"').replace("\"\"", "\""));
            } else {
                p.expr = Some(text);
            }
            // Defaults: ASC NULLS LAST, DESC NULLS FIRST.
            if nulls_first != desc {
                p.nulls_first = Some(nulls_first);
            }
            p.op = exclusion_ops.get(k).cloned();
            parts.push(p);
        }
        let idx = Index {
            name: r.get(2),
            unique: r.get(3),
            parts,
            method: if method == "btree" { None } else { Some(method.to_ascii_uppercase()) },
            where_clause: r.get(5),
            include: include.into_iter().map(|s| s.trim_matches('"').replace("\"\"", "\"")).collect(),
            nulls_distinct: !r.get::<bool, _>(11),
            constraint: matches!(contype.as_deref(), Some("u") | Some("x")),
            comment: r.get(13),
            page_per_range: r.get::<Option<i32>, _>(14).and_then(|n| u32::try_from(n).ok()),
            deferrable: r.get(15),
            initially_deferred: r.get(16),
            renamed_from: None,
            pos: None,
        };
        out.push((r.get(0), r.get(1), idx));
    }
    Ok(out)
}

enum Constraint {
    Pk(PrimaryKey),
    Fk(ForeignKey),
    Check(Check),
}

async fn constraints(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, String, Constraint)>> {
    // Constraints inherited by partitions from their parent (conparentid) or by inheritance
    // (not conislocal) belong to the parent.
    let q = "SELECT n.nspname::text, c.relname::text, con.conname::text, con.contype::text, \
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid=con.conrelid AND a.attnum=k.n ORDER BY k.o), \
           rn.nspname::text, rc.relname::text, \
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid=con.confrelid AND a.attnum=k.n ORDER BY k.o), \
           con.confupdtype::text, con.confdeltype::text, con.condeferrable, con.condeferred, \
           pg_get_constraintdef(con.oid, true), \
           CASE WHEN con.contype = 'p' THEN ARRAY(SELECT pg_get_indexdef(pi.indexrelid, k, true) FROM generate_series(pi.indnkeyatts + 1, pi.indnatts) k ORDER BY k) ELSE '{}'::text[] END \
         FROM pg_constraint con JOIN pg_class c ON c.oid=con.conrelid JOIN pg_namespace n ON n.oid=c.relnamespace \
         LEFT JOIN pg_index pi ON pi.indexrelid = con.conindid \
         LEFT JOIN pg_class rc ON rc.oid=con.confrelid LEFT JOIN pg_namespace rn ON rn.oid=rc.relnamespace \
         WHERE con.contype IN ('p','f','c') AND n.nspname = ANY($1) AND c.relkind IN ('r','p') \
           AND con.conparentid = 0 AND con.conislocal";
    let rows = sqlx::query(q).bind(schemas).fetch_all(pool).await.context("inspecting constraints")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name: String = r.get(2);
        let kind: String = r.get(3);
        let cols: Vec<String> = r.get(4);
        let c = match kind.as_str() {
            "p" => Constraint::Pk(PrimaryKey {
                name: Some(name),
                columns: cols,
                include: r.get::<Vec<String>, _>(13).into_iter().map(|s| s.trim_matches('"').replace("\"\"", "\"")).collect(),
                deferrable: r.get(10),
                initially_deferred: r.get(11),
            }),
            "f" => Constraint::Fk(ForeignKey {
                name,
                columns: cols,
                ref_schema: r.get::<Option<String>, _>(5).unwrap_or_default(),
                ref_table: r.get::<Option<String>, _>(6).unwrap_or_default(),
                ref_columns: r.get(7),
                on_update: action(&r.get::<String, _>(8)),
                on_delete: action(&r.get::<String, _>(9)),
                deferrable: r.get(10),
                initially_deferred: r.get(11),
                pos: None,
            }),
            _ => {
                let def: String = r.get(12);
                Constraint::Check(Check { name, expr: check_expr(&def), enforced: true, pos: None })
            }
        };
        out.push((r.get(0), r.get(1), c));
    }
    Ok(out)
}

/// `CHECK ((price > 0))` → `(price > 0)`; keeps NO INHERIT / NOT VALID out of the expression.
pub fn check_expr(def: &str) -> String {
    let d = def.trim();
    let d = d.strip_prefix("CHECK ").unwrap_or(d);
    let d = d.strip_suffix(" NOT VALID").unwrap_or(d);
    let d = d.strip_suffix(" NO INHERIT").unwrap_or(d);
    // Remove exactly one pair of wrapping parentheses that PostgreSQL adds around the expression.
    if d.starts_with('(') && d.ends_with(')') && matching_paren(d) == Some(d.len() - 1) {
        d[1..d.len() - 1].to_string()
    } else {
        d.to_string()
    }
}

fn action(c: &str) -> RefAction {
    match c {
        "r" => RefAction::Restrict,
        "c" => RefAction::Cascade,
        "n" => RefAction::SetNull,
        "d" => RefAction::SetDefault,
        _ => RefAction::NoAction,
    }
}

async fn enums(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, EnumType)>> {
    let q = format!(
        "SELECT n.nspname::text, t.typname::text, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid=t.oid ORDER BY e.enumsortorder), \
           obj_description(t.oid,'pg_type') \
         FROM pg_type t JOIN pg_namespace n ON n.oid=t.typnamespace WHERE t.typtype='e' AND n.nspname = ANY($1) AND {}",
        not_ext("pg_type", "t.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting enum types")?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get(0), EnumType { name: r.get(1), values: r.get(2), comment: r.get(3) }))
        .collect())
}

async fn domains(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Domain)>> {
    let q = format!(
        "SELECT n.nspname::text, t.typname::text, \
           CASE WHEN bn.nspname='pg_catalog' THEN format_type(t.typbasetype, t.typtypmod) ELSE quote_ident(bn.nspname)||'.'||quote_ident(bt.typname) END, \
           t.typnotnull, t.typdefault, \
           ARRAY(SELECT con.conname::text FROM pg_constraint con WHERE con.contypid=t.oid AND con.contype='c' ORDER BY con.conname), \
           ARRAY(SELECT pg_get_constraintdef(con.oid, true) FROM pg_constraint con WHERE con.contypid=t.oid AND con.contype='c' ORDER BY con.conname) \
         FROM pg_type t JOIN pg_namespace n ON n.oid=t.typnamespace JOIN pg_type bt ON bt.oid=t.typbasetype JOIN pg_namespace bn ON bn.oid=bt.typnamespace \
         WHERE t.typtype='d' AND n.nspname = ANY($1) AND {}",
        not_ext("pg_type", "t.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting domains")?;
    let mut out = Vec::new();
    for r in rows {
        let ty = types::canonical_inspected(&r.get::<String, _>(2));
        let names: Vec<String> = r.get(5);
        let defs: Vec<String> = r.get(6);
        let default: Option<String> = r.get(4);
        out.push((
            r.get(0),
            Domain {
                name: r.get(1),
                default: default.map(|d| parse_default(&d, &ty)),
                ty,
                null: !r.get::<bool, _>(3),
                checks: names
                    .into_iter()
                    .zip(defs)
                    .map(|(name, def)| DomainCheck { name, expr: check_expr(&def) })
                    .collect(),
            },
        ));
    }
    Ok(out)
}

async fn sequences(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, Sequence)>> {
    // Identity sequences (deptype 'i') are part of their column.
    let q = format!(
        "SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
           oc.relname::text, oa.attname::text \
         FROM pg_sequence s JOIN pg_class c ON c.oid=s.seqrelid JOIN pg_namespace n ON n.oid=c.relnamespace \
         LEFT JOIN pg_depend d ON d.classid='pg_class'::regclass AND d.objid=c.oid AND d.refclassid='pg_class'::regclass AND d.deptype IN ('a','i') \
         LEFT JOIN pg_class oc ON oc.oid=d.refobjid LEFT JOIN pg_attribute oa ON oa.attrelid=d.refobjid AND oa.attnum=d.refobjsubid \
         WHERE n.nspname = ANY($1) AND (d.deptype IS NULL OR d.deptype='a') AND {}",
        not_ext("pg_class", "c.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("inspecting sequences")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let owner: (Option<String>, Option<String>) = (r.get(9), r.get(10));
            (
                r.get(0),
                Sequence {
                    name: r.get(1),
                    ty: r.get(2),
                    start: r.get(3),
                    increment: r.get(4),
                    min_value: r.get(5),
                    max_value: r.get(6),
                    cache: r.get(7),
                    cycle: r.get(8),
                    owned_by: match owner {
                        (Some(t), Some(c)) => Some((t, c)),
                        _ => None,
                    },
                    grants: Vec::new(),
                },
            )
        })
        .collect())
}

/// Row-level security policies; roles by name (`PUBLIC` for everyone), sorted.
async fn policies(pool: &PgPool, schemas: &[String]) -> Result<Vec<(String, String, Policy)>> {
    let rows = sqlx::query(
        "SELECT n.nspname::text, c.relname::text, p.polname::text, \
           CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, \
           p.polpermissive, \
           ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) AS r ORDER BY 1)::text[], \
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = ANY($1)",
    )
    .bind(schemas)
    .fetch_all(pool)
    .await
    .context("inspecting row-level security policies")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let p = Policy { name: r.get(2), command: r.get(3), permissive: r.get(4), roles: r.get(5), using: r.get(6), check: r.get(7), pos: None };
            (r.get(0), r.get(1), p)
        })
        .collect())
}

/// Objects the model does not manage: listed so nothing disappears silently.
async fn skipped(pool: &PgPool, schemas: &[String]) -> Result<Vec<Skipped>> {
    let q = format!(
        "SELECT 'foreign table', n.nspname::text, c.relname::text \
           FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace WHERE c.relkind = 'f' AND n.nspname = ANY($1) AND {} \
         UNION ALL SELECT 'extended statistics', n.nspname::text, s.stxname::text FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid=s.stxnamespace \
           WHERE n.nspname = ANY($1) AND {} \
         UNION ALL SELECT 'operator', n.nspname::text, o.oprname || '(' || format_type(o.oprleft, NULL) || ', ' || format_type(o.oprright, NULL) || ')' \
           FROM pg_operator o JOIN pg_namespace n ON n.oid=o.oprnamespace WHERE n.nspname = ANY($1) AND {} \
         UNION ALL SELECT 'column statistics target', n.nspname::text, c.relname || '.' || a.attname || ' = ' || a.attstattarget \
           FROM pg_attribute a JOIN pg_class c ON c.oid=a.attrelid JOIN pg_namespace n ON n.oid=c.relnamespace \
           WHERE a.attstattarget > 0 AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p') AND n.nspname = ANY($1) \
         UNION ALL SELECT 'unlogged sequence (persistence)', n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace \
           WHERE c.relkind = 'S' AND c.relpersistence = 'u' AND n.nspname = ANY($1) \
         UNION ALL SELECT 'INVALID index (a failed concurrent build; a plan that wants it builds it again)', n.nspname::text, c.relname || '.' || ic.relname \
           FROM pg_index i JOIN pg_class ic ON ic.oid=i.indexrelid JOIN pg_class c ON c.oid=i.indrelid JOIN pg_namespace n ON n.oid=c.relnamespace \
           WHERE NOT i.indisvalid AND c.relkind <> 'p' AND n.nspname = ANY($1) \
         UNION ALL SELECT 'NOT VALID constraint (validity)', n.nspname::text, c.relname || '.' || k.conname FROM pg_constraint k \
           JOIN pg_class c ON c.oid=k.conrelid JOIN pg_namespace n ON n.oid=c.relnamespace WHERE NOT k.convalidated AND n.nspname = ANY($1)",
        not_ext("pg_class", "c.oid"),
        not_ext("pg_statistic_ext", "s.oid"),
        not_ext("pg_operator", "o.oid")
    );
    let rows = sqlx::query(&q).bind(schemas).fetch_all(pool).await.context("listing unmanaged objects")?;
    Ok(rows
        .into_iter()
        .map(|r| Skipped { kind: r.get(0), schema: r.get(1), name: r.get(2) })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_become_literals_where_they_are() {
        assert_eq!(parse_default("'G'::mpaa_rating", ""), ColumnDefault::Str("G".into()));
        assert_eq!(parse_default("'G'::public.mpaa_rating", "public.mpaa_rating"), ColumnDefault::Str("G".into()));
        assert_eq!(parse_default("'x'::bpchar", "character(3)"), ColumnDefault::Str("x".into()));
        // Other types keep the expression PostgreSQL keeps, as Atlas writes them.
        assert_eq!(parse_default("'03:00:00'::interval", "interval"), ColumnDefault::Raw("'03:00:00'::interval".into()));
        assert_eq!(parse_default("'2020-01-01'::date", "date"), ColumnDefault::Raw("'2020-01-01'::date".into()));
        assert_eq!(parse_default("'it''s'::character varying", ""), ColumnDefault::Str("it's".into()));
        assert_eq!(parse_default("0", ""), ColumnDefault::Num("0".into()));
        assert_eq!(parse_default("false", ""), ColumnDefault::Bool(false));
        assert_eq!(parse_default("now()", ""), ColumnDefault::Raw("now()".into()));
        assert_eq!(
            parse_default("nextval('s'::regclass)", ""),
            ColumnDefault::Raw("nextval('s'::regclass)".into())
        );
        assert_eq!(parse_default("'a'::text || 'b'::text", ""), ColumnDefault::Raw("'a'::text || 'b'::text".into()));
        let conversion = "'0001-01-01 00:00:00'::timestamp without time zone";
        assert_eq!(parse_default(conversion, "timestamp with time zone"), ColumnDefault::Raw(conversion.into()));
        assert_eq!(parse_default("'JPN'::bpchar", "character(3)"), ColumnDefault::Str("JPN".into()));
        assert_eq!(parse_default("'x'::character varying", "character varying(50)"), ColumnDefault::Str("x".into()));
        let ts = "'2024-01-01'::timestamp(3) without time zone";
        assert_eq!(parse_default(ts, "timestamp(3) without time zone"), ColumnDefault::Raw(ts.into()));
    }

    #[test]
    fn check_definitions_lose_only_the_wrapper() {
        assert_eq!(check_expr("CHECK ((price > 0))"), "(price > 0)");
        assert_eq!(check_expr("CHECK (a > 0) NOT VALID"), "a > 0");
        assert_eq!(check_expr("CHECK ((a > 0) AND (b > 0))"), "(a > 0) AND (b > 0)");
    }

    #[test]
    fn partition_keys() {
        let k = parse_partkey("RANGE (payment_date)");
        assert_eq!(k.kind, "RANGE");
        assert_eq!(k.parts, vec![PartKey::Column("payment_date".into())]);
        let k = parse_partkey("LIST (lower(name), \"Id\")");
        assert_eq!(k.parts, vec![PartKey::Expr("lower(name)".into()), PartKey::Column("Id".into())]);
        let k = parse_partkey("RANGE (x, floor((x)::double precision), ((y * 2)))");
        assert_eq!(k.parts, vec![PartKey::Column("x".into()), PartKey::Expr("floor((x)::double precision)".into()), PartKey::Expr("(y * 2)".into())]);
    }
}
