//! SQLite inspection: each pragma is joined against sqlite_schema so one query covers every table.
//! What pragmas do not expose (CHECK constraints, constraint names, AUTOINCREMENT, WITHOUT ROWID,
//! STRICT, index expressions and predicates) is read from the stored CREATE statements.

use super::types::canonical_type;
use crate::engine::postgres::inspect::split_top_level;
use crate::engine::sql_text::matching_paren;
use crate::engine::{is_number, unquote_literal, InspectOptions};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::Row;
use std::collections::HashMap;

/// Ordinary tables: not SQLite's own, not schemagate's, and not virtual tables (FTS, R*Tree…)
/// or the shadow tables that hold their data: those are reported unmanaged and left alone, never
/// read as plain tables (a plan would rebuild or drop them).
const USER_TABLES: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE 'schemagate\\_%' ESCAPE '\\' \
     AND m.name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('virtual', 'shadow'))";

pub async fn inspect(pool: &mut sqlx::SqliteConnection, _opts: &InspectOptions) -> Result<Realm> {
    let tables = sqlx::query(&format!("SELECT m.name, m.sql FROM sqlite_schema m WHERE {USER_TABLES} ORDER BY m.name"))
        .fetch_all(&mut *pool)
        .await
        .context("inspecting tables")?;
    let cols = sqlx::query(&format!(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden FROM sqlite_schema m \
         JOIN pragma_table_xinfo(m.name) p WHERE {USER_TABLES} ORDER BY m.name, p.cid"
    ))
    .fetch_all(&mut *pool)
    .await
    .context("inspecting columns")?;
    let idx = sqlx::query(&format!(
        "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, i.name, i.desc, i.key, s.sql FROM sqlite_schema m \
         JOIN pragma_index_list(m.name) l JOIN pragma_index_xinfo(l.name) i \
         LEFT JOIN sqlite_schema s ON s.type='index' AND s.name=l.name \
         WHERE {USER_TABLES} AND l.origin <> 'pk' ORDER BY m.name, l.name, i.seqno"
    ))
    .fetch_all(&mut *pool)
    .await
    .context("inspecting indexes")?;
    let fks = sqlx::query(&format!(
        "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete FROM sqlite_schema m \
         JOIN pragma_foreign_key_list(m.name) f WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
    ))
    .fetch_all(&mut *pool)
    .await
    .context("inspecting foreign keys")?;
    let objects = sqlx::query("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('view','trigger') ORDER BY name")
        .fetch_all(&mut *pool)
        .await
        .context("inspecting views and triggers")?;

    let mut schema = Schema { name: "main".into(), ..Default::default() };
    let mut tmap: HashMap<String, (Table, String)> = HashMap::new();
    for r in tables {
        let name: String = r.get(0);
        let sql: String = r.get::<Option<String>, _>(1).unwrap_or_default();
        let mut t = Table { name: name.clone(), ..Default::default() };
        let tail = sql.rsplit(')').next().unwrap_or("").to_ascii_lowercase();
        t.options.without_rowid = tail.contains("without rowid");
        t.options.strict = tail.contains("strict");
        tmap.insert(name, (t, sql));
    }
    let mut pks: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for r in cols {
        let tname: String = r.get(0);
        let Some((t, sql)) = tmap.get_mut(&tname) else { continue };
        let hidden: i64 = r.get(6);
        let name: String = r.get(1);
        let pk: i64 = r.get(5);
        let mut c = Column {
            ty: canonical_type(&r.get::<String, _>(2)),
            null: r.get::<i64, _>(3) == 0,
            ..Default::default()
        };
        let def = column_definition(sql, &name);
        if hidden == 2 || hidden == 3 {
            if let Some(expr) = def.as_deref().and_then(generated_expr) {
                c.generated = Some(Generated { expr, stored: hidden == 3 });
            }
        }
        c.default = r.get::<Option<String>, _>(4).map(|d| parse_default(&d));
        if pk > 0 {
            pks.entry(tname.clone()).or_default().push((pk, name.clone()));
            if def.as_deref().is_some_and(|d| d.to_ascii_lowercase().contains("autoincrement")) {
                c.auto_increment = true;
            }
            // INTEGER PRIMARY KEY is the rowid and never NULL, whatever pragma says.
            if c.ty == "integer" && !t.options.without_rowid {
                c.null = false;
            }
        }
        c.name = name;
        t.columns.push(c);
    }
    for (tname, mut cols) in pks {
        cols.sort();
        if let Some((t, sql)) = tmap.get_mut(&tname) {
            t.primary_key = Some(PrimaryKey { name: constraint_name(sql, "primary key"), columns: cols.into_iter().map(|c| c.1).collect(), ..Default::default() });
        }
    }
    for r in idx {
        let tname: String = r.get(0);
        let Some((t, _)) = tmap.get_mut(&tname) else { continue };
        let key: i64 = r.get(7);
        if key == 0 {
            continue; // auxiliary columns (rowid) of the index
        }
        let iname: String = r.get(1);
        let col: Option<String> = r.get(5);
        let isql: Option<String> = r.get(8);
        let pos = t.indexes.iter().position(|i| i.name == iname);
        let i = match pos {
            Some(p) => &mut t.indexes[p],
            None => {
                let origin: String = r.get(3);
                let (exprs, where_clause) = isql.as_deref().map(index_sql_parts).unwrap_or_default();
                t.indexes.push(Index {
                    name: iname.clone(),
                    unique: r.get::<i64, _>(2) == 1,
                    nulls_distinct: true,
                    page_per_range: None,
                    constraint: origin == "u",
                    // SQLite accepts DEFERRABLE on foreign keys only.
                    deferrable: false,
                    initially_deferred: false,
                    where_clause,
                    // Parts are filled below; remember expression texts by position.
                    comment: None,
                    parts: Vec::new(),
                    method: None,
                    include: exprs,
                    renamed_from: None,
                    pos: None,
                });
                t.indexes.last_mut().unwrap()
            }
        };
        let n = i.parts.len();
        let mut part = IndexPart { desc: r.get::<i64, _>(6) == 1, ..Default::default() };
        match col {
            Some(c) => part.column = Some(c),
            None => part.expr = i.include.get(n).cloned(),
        }
        i.parts.push(part);
    }
    for (t, _) in tmap.values_mut() {
        for i in &mut t.indexes {
            i.include.clear(); // was scratch space for expression texts; SQLite has no INCLUDE
        }
    }
    let mut fk_rows: HashMap<(String, i64), ForeignKey> = HashMap::new();
    let mut fk_order: Vec<(String, i64)> = Vec::new();
    for r in fks {
        let tname: String = r.get(0);
        let id: i64 = r.get(1);
        let key = (tname.clone(), id);
        let to: Option<String> = r.get(4);
        let e = fk_rows.entry(key.clone()).or_insert_with(|| {
            fk_order.push(key.clone());
            ForeignKey {
                ref_schema: "main".into(),
                ref_table: r.get(2),
                on_update: RefAction::parse(&r.get::<String, _>(5)).unwrap_or_default(),
                on_delete: RefAction::parse(&r.get::<String, _>(6)).unwrap_or_default(),
                ..Default::default()
            }
        });
        e.columns.push(r.get(3));
        e.ref_columns.push(to.unwrap_or_default());
    }
    for key in fk_order {
        let mut fk = fk_rows.remove(&key).unwrap();
        if let Some((t, sql)) = tmap.get_mut(&key.0) {
            fk.name = fk_name(sql, &fk.columns).unwrap_or_else(|| format!("{}_{}_fkey", t.name, fk.columns.join("_")));
            t.foreign_keys.push(fk);
        }
    }
    for (t, sql) in tmap.values_mut() {
        t.checks = checks(sql);
    }
    schema.tables = tmap.into_values().map(|(t, _)| t).collect();
    for r in objects {
        let (kind, name, table, sql): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        if kind == "view" {
            schema.views.push(super::objects::view_from_sql(&name, &sql));
        } else {
            schema.triggers.push(super::objects::trigger_from_sql(&name, &table, &sql));
        }
    }
    let virtual_tables = sqlx::query("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'virtual' ORDER BY name").fetch_all(&mut *pool).await.context("listing virtual tables")?;
    let skipped = virtual_tables.into_iter().map(|r| Skipped { kind: "virtual table".into(), schema: "main".into(), name: r.get(0) }).collect();
    Ok(Realm { schemas: vec![schema], skipped, ..Default::default() })
}

pub fn parse_default(d: &str) -> ColumnDefault {
    let d = d.trim();
    if is_number(d) {
        return ColumnDefault::Num(d.to_string());
    }
    if let Some(v) = unquote_literal(d, false) {
        return ColumnDefault::Str(v);
    }
    if d.eq_ignore_ascii_case("true") || d.eq_ignore_ascii_case("false") {
        return ColumnDefault::Bool(d.eq_ignore_ascii_case("true"));
    }
    // `DEFAULT (expr)` is stored with its parentheses; the model keeps the bare expression and
    // ddl.rs puts them back.
    if d.starts_with('(') && matching_paren(d) == Some(d.len() - 1) {
        return ColumnDefault::Raw(d[1..d.len() - 1].trim().to_string());
    }
    ColumnDefault::Raw(d.to_string())
}

/// The items between the outer parentheses of a CREATE TABLE.
fn body_items(sql: &str) -> Vec<String> {
    let Some(open) = sql.find('(') else { return vec![] };
    let Some(close) = matching_paren(&sql[open..]) else { return vec![] };
    split_top_level(&sql[open + 1..open + close]).into_iter().map(|s| s.trim().to_string()).collect()
}

/// Unquote an SQLite identifier written as "x", `x`, [x] or bare.
pub fn unquote_ident(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 {
        let (f, l) = (s.as_bytes()[0], s.as_bytes()[s.len() - 1]);
        if (f == b'"' && l == b'"') || (f == b'`' && l == b'`') {
            return s[1..s.len() - 1].replace(&format!("{}{}", f as char, f as char), &(f as char).to_string());
        }
        if f == b'[' && l == b']' {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

/// The first token of an item: an identifier, quoted or not.
fn first_ident(item: &str) -> (String, &str) {
    let item = item.trim_start();
    let b = item.as_bytes();
    if b.is_empty() {
        return (String::new(), item);
    }
    let end = match b[0] {
        b'"' | b'`' => item[1..].find(b[0] as char).map(|i| i + 2).unwrap_or(item.len()),
        b'[' => item.find(']').map(|i| i + 1).unwrap_or(item.len()),
        _ => item.find(|c: char| c.is_whitespace() || c == '(').unwrap_or(item.len()),
    };
    (unquote_ident(&item[..end]), &item[end..])
}

fn column_definition(sql: &str, col: &str) -> Option<String> {
    body_items(sql).into_iter().find(|it| {
        let (name, _) = first_ident(it);
        name == col && !is_table_constraint(it)
    })
}

fn is_table_constraint(item: &str) -> bool {
    let l = item.trim_start().to_ascii_lowercase();
    ["constraint ", "primary key", "unique", "check", "foreign key"].iter().any(|k| l.starts_with(k))
}

fn generated_expr(def: &str) -> Option<String> {
    let l = def.to_ascii_lowercase();
    let at = l.find(" as ").or_else(|| l.find(" as("))?;
    let rest = &def[at + 3..].trim_start();
    let close = matching_paren(rest)?;
    Some(rest[1..close].trim().to_string())
}

/// `CONSTRAINT name <kind>` among the table-level items.
fn constraint_name(sql: &str, kind: &str) -> Option<String> {
    for it in body_items(sql) {
        let l = it.to_ascii_lowercase();
        if l.starts_with("constraint ") {
            let (name, rest) = first_ident(&it["constraint ".len()..]);
            if rest.trim_start().to_ascii_lowercase().starts_with(kind) {
                return Some(name);
            }
        }
    }
    None
}

fn fk_name(sql: &str, cols: &[String]) -> Option<String> {
    for it in body_items(sql) {
        let l = it.to_ascii_lowercase();
        if !l.starts_with("constraint ") {
            continue;
        }
        let (name, rest) = first_ident(&it["constraint ".len()..]);
        let rest = rest.trim_start();
        if !rest.to_ascii_lowercase().starts_with("foreign key") {
            continue;
        }
        let after = rest["foreign key".len()..].trim_start();
        if let Some(close) = matching_paren(after) {
            let these: Vec<String> = split_top_level(&after[1..close]).iter().map(|c| unquote_ident(c)).collect();
            if these == cols {
                return Some(name);
            }
        }
    }
    None
}

fn checks(sql: &str) -> Vec<Check> {
    let mut out = Vec::new();
    for it in body_items(sql) {
        let l = it.to_ascii_lowercase();
        let (name, rest) = if l.starts_with("constraint ") {
            let (n, r) = first_ident(&it["constraint ".len()..]);
            (n, r.trim_start().to_string())
        } else {
            (String::new(), it.clone())
        };
        if rest.to_ascii_lowercase().starts_with("check") {
            let body = rest["check".len()..].trim_start();
            if let Some(close) = matching_paren(body) {
                out.push(Check { name, expr: body[1..close].trim().to_string(), enforced: true, pos: None });
            }
        }
    }
    out
}

/// From `CREATE INDEX i ON t (a, lower(b)) WHERE c > 0`: the part texts and the predicate.
fn index_sql_parts(sql: &str) -> (Vec<String>, Option<String>) {
    let lower = sql.to_ascii_lowercase();
    let Some(on) = lower.find(" on ") else { return (vec![], None) };
    let Some(open) = sql[on..].find('(').map(|i| i + on) else { return (vec![], None) };
    let Some(close) = matching_paren(&sql[open..]).map(|c| c + open) else { return (vec![], None) };
    let parts = split_top_level(&sql[open + 1..close])
        .into_iter()
        .map(|p| {
            let p = p.trim();
            let pl = p.to_ascii_lowercase();
            let p = if pl.ends_with(" desc") { &p[..p.len() - 5] } else if pl.ends_with(" asc") { &p[..p.len() - 4] } else { p };
            let p = p.trim();
            if p.starts_with('(') && matching_paren(p) == Some(p.len() - 1) {
                p[1..p.len() - 1].trim().to_string()
            } else {
                p.to_string()
            }
        })
        .collect();
    let rest = sql[close + 1..].trim();
    let where_clause = if rest.to_ascii_lowercase().starts_with("where ") { Some(rest[6..].trim().to_string()) } else { None };
    (parts, where_clause)
}
