//! Which objects a piece of SQL (a view's query, a routine's body, a trigger) names. The order
//! of CREATE/DROP statements for views, routines and triggers, and the part of a schema that a
//! rehearsal must load, follow these references.
//!
//! This reads identifiers, not a parse tree: an identifier that happens to equal an object's
//! name counts as a reference. Over-counting only adds an ordering edge or loads one more object
//! into a disposable database; it never drops anything.

use super::{Dialect, Realm};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Identifiers in `sql`, outside string literals and comments. Unquoted identifiers are folded
/// to lower case where the engine folds them (PostgreSQL); quoted ones are kept as written.
/// `a.b` yields both `a` and `b`.
pub fn idents(sql: &str, dialect: Dialect) -> HashSet<String> {
    let mut out = HashSet::new();
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && dialect == Dialect::Mysql {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                let start = i + 1;
                let mut j = start;
                let mut s = Vec::new();
                while j < b.len() {
                    if b[j] == close {
                        if b.get(j + 1) == Some(&close) && close != b']' {
                            s.push(close);
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    s.push(b[j]);
                    j += 1;
                }
                out.insert(String::from_utf8_lossy(&s).into_owned());
                i = j + 1;
            }
            b'$' if dialect == Dialect::Postgres => {
                // A dollar-quote tag ($$ or $tag$) is not an identifier: skip the tag itself
                // (bodies are scanned too: they name what the routine uses).
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                i = if b.get(j) == Some(&b'$') { j + 1 } else { i + 1 };
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                    i += 1;
                }
                let word = String::from_utf8_lossy(&b[start..i]).into_owned();
                // MySQL and SQLite compare table names case-insensitively in practice; keep
                // both spellings so either matches.
                out.insert(word.to_lowercase());
                if dialect != Dialect::Postgres {
                    out.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// What an object is, for ordering: tables, views and routines share one namespace of
/// references, as they do in SQL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjKey {
    Table(String, String),
    View(String, String),
    /// Schema and signature (`f(integer)`): overloads are distinct objects.
    Function(String, String),
}

/// An object with the name it is referenced by and the SQL whose references count.
#[derive(Debug, Clone)]
pub struct Obj {
    pub key: ObjKey,
    pub name: String,
    pub text: String,
}

impl Obj {
    pub fn table(schema: &str, t: &super::Table) -> Obj {
        Obj { key: ObjKey::Table(schema.into(), t.name.clone()), name: t.name.clone(), text: String::new() }
    }
    pub fn view(schema: &str, v: &super::View) -> Obj {
        Obj { key: ObjKey::View(schema.into(), v.name.clone()), name: v.name.clone(), text: v.def.clone() }
    }
    pub fn function(schema: &str, f: &super::Function) -> Obj {
        let mut text = f.body.clone();
        for (_, v) in &f.aggregate {
            text.push(' ');
            text.push_str(v);
        }
        text.push(' ');
        text.push_str(&f.type_text());
        Obj { key: ObjKey::Function(schema.into(), f.signature()), name: f.name.clone(), text }
    }
}

/// For each object, the others of `objs` its text names.
pub fn dependencies(objs: &[Obj], dialect: Dialect) -> BTreeMap<ObjKey, BTreeSet<ObjKey>> {
    // Name → the objects it may denote (a name can be a table in one schema, a view in another).
    let mut by_name: BTreeMap<&str, Vec<&ObjKey>> = BTreeMap::new();
    for o in objs {
        by_name.entry(o.name.as_str()).or_default().push(&o.key);
    }
    let mut out = BTreeMap::new();
    for o in objs {
        let mut deps = BTreeSet::new();
        if !o.text.is_empty() {
            for id in idents(&o.text, dialect) {
                if let Some(keys) = by_name.get(id.as_str()) {
                    deps.extend(keys.iter().filter(|k| ***k != o.key).map(|k| (*k).clone()));
                }
            }
        }
        out.insert(o.key.clone(), deps);
    }
    out
}

/// Every table, view and routine of `realm`, for [`dependencies`].
pub fn realm_objects(realm: &Realm) -> Vec<Obj> {
    let mut out = Vec::new();
    for s in &realm.schemas {
        out.extend(s.tables.iter().map(|t| Obj::table(&s.name, t)));
        out.extend(s.views.iter().map(|v| Obj::view(&s.name, v)));
        out.extend(s.functions.iter().map(|f| Obj::function(&s.name, f)));
    }
    out
}

/// What each view and routine of `realm` references.
pub fn references(realm: &Realm, dialect: Dialect) -> BTreeMap<ObjKey, BTreeSet<ObjKey>> {
    dependencies(&realm_objects(realm), dialect)
}

/// Expressions of a table that run functions: defaults, generated columns, checks, index
/// expressions and predicates, partition keys, policies. Functions named here must exist
/// before the table is created.
pub fn table_expressions(t: &super::Table) -> String {
    let mut text = String::new();
    let mut add = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    for c in &t.columns {
        if let Some(super::ColumnDefault::Raw(r)) = &c.default {
            add(r);
        }
        if let Some(g) = &c.generated {
            add(&g.expr);
        }
    }
    for c in &t.checks {
        add(&c.expr);
    }
    for i in &t.indexes {
        for p in &i.parts {
            if let Some(e) = &p.expr {
                add(e);
            }
        }
        if let Some(w) = &i.where_clause {
            add(w);
        }
    }
    if let Some(pk) = &t.partition {
        for p in &pk.parts {
            if let super::PartKey::Expr(e) = p {
                add(e);
            }
        }
    }
    for p in &t.policies {
        add(p.using.as_deref().unwrap_or_default());
        add(p.check.as_deref().unwrap_or_default());
    }
    text
}

/// `keys` in an order where every object comes after the objects of `keys` it references
/// (by `deps`). Cycles, which identifier matching can invent, are broken in name order.
pub fn topo_order(keys: &BTreeSet<ObjKey>, deps: &BTreeMap<ObjKey, BTreeSet<ObjKey>>) -> Vec<ObjKey> {
    let mut out = Vec::with_capacity(keys.len());
    let mut state: BTreeMap<&ObjKey, u8> = BTreeMap::new(); // 1 = in progress, 2 = done
    fn visit<'a>(k: &'a ObjKey, keys: &'a BTreeSet<ObjKey>, deps: &'a BTreeMap<ObjKey, BTreeSet<ObjKey>>, state: &mut BTreeMap<&'a ObjKey, u8>, out: &mut Vec<ObjKey>) {
        if state.contains_key(k) {
            return;
        }
        state.insert(k, 1);
        if let Some(ds) = deps.get(k) {
            for d in ds {
                if keys.contains(d) {
                    visit(d, keys, deps, state, out);
                }
            }
        }
        state.insert(k, 2);
        out.push(k.clone());
    }
    for k in keys {
        visit(k, keys, deps, &mut state, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_outside_literals_and_comments() {
        let ids = idents("SELECT a.\"Film\" FROM public.film f -- actor\n WHERE x = 'category' /* store */ AND $1 > 0", Dialect::Postgres);
        for want in ["select", "a", "Film", "from", "public", "film", "f", "where", "x", "and"] {
            assert!(ids.contains(want), "{want} missing from {ids:?}");
        }
        for not in ["actor", "category", "store"] {
            assert!(!ids.contains(not), "{not} should not count");
        }
        let my = idents("select `sakila`.`actor`.`first_name` AS `First` from actor where n = 'it\\'s film'", Dialect::Mysql);
        assert!(my.contains("actor") && my.contains("First") && !my.contains("film"));
    }

    #[test]
    fn topological_order_puts_dependencies_first_and_survives_cycles() {
        let v = |n: &str| ObjKey::View("s".into(), n.into());
        let keys: BTreeSet<ObjKey> = [v("a"), v("b"), v("c")].into_iter().collect();
        let mut deps = BTreeMap::new();
        deps.insert(v("a"), [v("c")].into_iter().collect());
        deps.insert(v("c"), [v("b")].into_iter().collect());
        assert_eq!(topo_order(&keys, &deps), vec![v("b"), v("c"), v("a")]);
        deps.insert(v("b"), [v("a")].into_iter().collect());
        assert_eq!(topo_order(&keys, &deps).len(), 3);
    }
}
