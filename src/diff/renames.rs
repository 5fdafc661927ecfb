//! Declared renames (`renamed_from = "old"` in HCL, `-- schemagate:renamed_from old` or sqldef's
//! `-- @renamed from=old` in SQL): the current realm is first turned into what it will be after
//! the RENAME statements — tables and columns renamed, and every reference to them (foreign
//! keys, keys, index parts, expressions) following, as the database itself does — so the rest
//! of the diff compares like with like and plans no drop + add.

use super::Change;
use crate::schema::*;

/// A rename the desired state asks for whose old name is nowhere: (what, position).
#[derive(Debug)]
pub struct Missing {
    pub what: String,
    pub pos: Option<Pos>,
}

/// `from` with the declared renames applied, and the rename changes (tables first).
pub fn apply(from: &Realm, to: &Realm) -> Option<(Realm, Vec<Change>)> {
    let declared = to.schemas.iter().any(|s| s.tables.iter().any(|t| t.renamed_from.is_some() || t.columns.iter().any(|c| c.renamed_from.is_some()) || t.indexes.iter().any(|i| i.renamed_from.is_some())));
    if !declared {
        return None;
    }
    let mut cur = from.clone();
    let mut out = Vec::new();
    for ds in &to.schemas {
        for dt in &ds.tables {
            let Some(old) = &dt.renamed_from else { continue };
            let Some(cs) = cur.schemas.iter_mut().find(|s| s.name == ds.name) else { continue };
            let exists = |n: &str| cs.tables.iter().any(|t| t.name == n);
            // Idempotent: once applied, the new name exists and the old one is gone.
            if exists(&dt.name) || !exists(old) || ds.tables.iter().any(|t| &t.name == old) {
                continue;
            }
            for t in cs.tables.iter_mut() {
                if &t.name == old {
                    t.name = dt.name.clone();
                }
                for fk in t.foreign_keys.iter_mut().filter(|fk| fk.ref_schema == ds.name && &fk.ref_table == old) {
                    fk.ref_table = dt.name.clone();
                }
                if let Some(of) = t.partition_of.as_mut().filter(|of| of.schema == ds.name && &of.table == old) {
                    of.table = dt.name.clone();
                }
            }
            for q in cs.sequences.iter_mut() {
                if let Some((tn, _)) = q.owned_by.as_mut().filter(|(tn, _)| tn == old) {
                    *tn = dt.name.clone();
                }
            }
            out.push(Change::RenameTable { schema: ds.name.clone(), from: old.clone(), to: dt.name.clone() });
        }
    }
    for ds in &to.schemas {
        for dt in &ds.tables {
            for dc in &dt.columns {
                let Some(old) = &dc.renamed_from else { continue };
                let Some(cs) = cur.schemas.iter_mut().find(|s| s.name == ds.name) else { continue };
                let Some(ct) = cs.tables.iter_mut().find(|t| t.name == dt.name) else { continue };
                if ct.column(&dc.name).is_some() || ct.column(old).is_none() || dt.column(old).is_some() {
                    continue;
                }
                rename_column_in(ct, old, &dc.name);
                for t in cs.tables.iter_mut() {
                    for fk in t.foreign_keys.iter_mut().filter(|fk| fk.ref_schema == ds.name && fk.ref_table == dt.name) {
                        rename_in(&mut fk.ref_columns, old, &dc.name);
                    }
                }
                for q in cs.sequences.iter_mut() {
                    if let Some((tn, cn)) = q.owned_by.as_mut() {
                        if tn == &dt.name && cn == old {
                            *cn = dc.name.clone();
                        }
                    }
                }
                out.push(Change::RenameColumn { schema: ds.name.clone(), table: dt.name.clone(), from: old.clone(), to: dc.name.clone() });
            }
        }
    }
    // Indexes, in their table as it is after the table and column renames.
    for ds in &to.schemas {
        for dt in &ds.tables {
            for di in &dt.indexes {
                let Some(old) = &di.renamed_from else { continue };
                let Some(cs) = cur.schemas.iter_mut().find(|s| s.name == ds.name) else { continue };
                let Some(ct) = cs.tables.iter_mut().find(|t| t.name == dt.name) else { continue };
                let has = |t: &Table, n: &str| t.indexes.iter().any(|i| i.name == n);
                if has(ct, &di.name) || !has(ct, old) || has(dt, old) {
                    continue;
                }
                for i in ct.indexes.iter_mut().filter(|i| &i.name == old) {
                    i.name = di.name.clone();
                }
                out.push(Change::RenameIndex { schema: ds.name.clone(), table: dt.name.clone(), from: old.clone(), to: di.name.clone(), index: di.clone() });
            }
        }
    }
    (!out.is_empty()).then_some((cur, out))
}

fn rename_in(names: &mut [String], old: &str, new: &str) {
    for n in names.iter_mut().filter(|n| *n == old) {
        *n = new.to_string();
    }
}

/// The column and everything of its table that names it.
fn rename_column_in(t: &mut Table, old: &str, new: &str) {
    for c in t.columns.iter_mut().filter(|c| c.name == old) {
        c.name = new.to_string();
    }
    if let Some(pk) = t.primary_key.as_mut() {
        rename_in(&mut pk.columns, old, new);
    }
    for i in t.indexes.iter_mut() {
        for p in i.parts.iter_mut() {
            if p.column.as_deref() == Some(old) {
                p.column = Some(new.to_string());
            }
            if let Some(e) = p.expr.as_mut() {
                *e = replace_ident(e, old, new);
            }
        }
        rename_in(&mut i.include, old, new);
        if let Some(w) = i.where_clause.as_mut() {
            *w = replace_ident(w, old, new);
        }
    }
    for fk in t.foreign_keys.iter_mut() {
        rename_in(&mut fk.columns, old, new);
    }
    for c in t.checks.iter_mut() {
        c.expr = replace_ident(&c.expr, old, new);
    }
    for p in t.policies.iter_mut() {
        for e in [&mut p.using, &mut p.check].into_iter().flatten() {
            *e = replace_ident(e, old, new);
        }
    }
}

/// `old` as a whole identifier (bare, or double-quoted) replaced by `new` in an expression the
/// database deparsed; string literals are left alone.
fn replace_ident(expr: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let chars: Vec<char> = expr.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let old_chars: Vec<char> = old.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Copy a literal through, with '' escapes.
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            continue;
        }
        if c == '"' {
            let end = (i + 1..chars.len()).find(|&j| chars[j] == '"').unwrap_or(chars.len());
            let inner: String = chars[i + 1..end.min(chars.len())].iter().collect();
            if inner == old {
                out.push_str(&format!("\"{}\"", new.replace('"', "\"\"")));
            } else {
                out.push('"');
                out.push_str(&inner);
                if end < chars.len() {
                    out.push('"');
                }
            }
            i = end + 1;
            continue;
        }
        let starts_word = i == 0 || !word(chars[i - 1]);
        if starts_word && chars[i..].starts_with(&old_chars) && chars.get(i + old_chars.len()).is_none_or(|n| !word(*n)) {
            out.push_str(new);
            i += old_chars.len();
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Renames whose old name exists nowhere (neither old nor new in the current state): the
/// desired state names something that is not there, which is an error rather than an add.
pub fn missing(from: &Realm, to: &Realm) -> Vec<Missing> {
    let mut out = Vec::new();
    for ds in &to.schemas {
        let cs = from.schemas.iter().find(|s| s.name == ds.name);
        for dt in &ds.tables {
            let ct_new = cs.and_then(|s| s.tables.iter().find(|t| t.name == dt.name));
            if let Some(old) = &dt.renamed_from {
                let ct_old = cs.and_then(|s| s.tables.iter().find(|t| &t.name == old));
                if ct_new.is_none() && ct_old.is_none() {
                    out.push(Missing { what: format!("table \"{}\" is renamed_from \"{old}\", but neither exists in schema \"{}\"", dt.name, ds.name), pos: dt.pos.clone() });
                }
            }
            // Columns: in the table as it is now (under its new or its old name).
            let ct = ct_new.or_else(|| dt.renamed_from.as_ref().and_then(|o| cs.and_then(|s| s.tables.iter().find(|t| &t.name == o))));
            let Some(ct) = ct else { continue };
            for dc in &dt.columns {
                if let Some(old) = &dc.renamed_from {
                    if ct.column(&dc.name).is_none() && ct.column(old).is_none() {
                        out.push(Missing { what: format!("column \"{}\".\"{}\" is renamed_from \"{old}\", but neither exists", dt.name, dc.name), pos: dc.pos.clone() });
                    }
                }
            }
            for di in &dt.indexes {
                if let Some(old) = &di.renamed_from {
                    if !ct.indexes.iter().any(|i| i.name == di.name || &i.name == old) {
                        out.push(Missing { what: format!("index \"{}\" of \"{}\" is renamed_from \"{old}\", but neither exists", di.name, dt.name), pos: di.pos.clone() });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_replaced_whole_and_outside_literals() {
        assert_eq!(replace_ident("(username <> 'username') AND (username_x > 0)", "username", "user_name"), "(user_name <> 'username') AND (username_x > 0)");
        assert_eq!(replace_ident("lower(\"UserName\")", "UserName", "Login"), "lower(\"Login\")");
        assert_eq!(replace_ident("a.username = 'it''s username'", "username", "u"), "a.u = 'it''s username'");
    }
}
