//! Views, routines and triggers in a plan: which of them a change forces to be recreated, and
//! where their statements go among the table statements.
//!
//! Phases (see `super::statements`):
//! 1. `pre`: triggers, then views (dependents first), then routines whose new version has the
//!    same signature but cannot replace the old one, are dropped before any table changes
//!    (PostgreSQL refuses to change a column a view reads; SQLite's table rebuild breaks views
//!    and loses triggers).
//! 2. `before_types`: routines that domain checks and defaults call, before the types;
//!    `early`: routines that table expressions (defaults, checks, index expressions, policies)
//!    of new or changed tables call, before the tables.
//! 3. `late`: the other routines and the views, in dependency order, after the tables; then
//!    the triggers.
//! 4. `post`: routines no longer wanted, after the tables and defaults that used them.

use crate::diff::Change;
use crate::engine::Engine;
use crate::schema::refs::{self, Obj, ObjKey};
use crate::schema::*;
use std::collections::{BTreeMap, BTreeSet};

use super::Statement;

// ---- what a change forces to be recreated ----------------------------------------------------

/// Rewrite object changes so that each is something the engine can do: modifications that
/// cannot happen in place become drop + add, and views, routines and triggers that depend on
/// what changes are dropped and created again around it.
pub fn expand(current: &Realm, desired: &Realm, changes: Vec<Change>, e: &dyn Engine) -> Vec<Change> {
    let d = e.dialect();
    let has_objects = |r: &Realm| r.schemas.iter().any(|s| !s.views.is_empty() || !s.functions.is_empty() || !s.triggers.is_empty());
    if !has_objects(current) && !has_objects(desired) {
        return changes;
    }
    let mut broken: BTreeSet<ObjKey> = changes.iter().flat_map(|c| e.breaks_dependents(c)).collect();
    for c in &changes {
        if let Change::ModifyView { schema, from, to } = c {
            if !e.view_replaceable(from, to) {
                broken.insert(ObjKey::View(schema.clone(), from.name.clone()));
            }
        }
        if let Change::ModifyFunction { schema, from, to } = c {
            if !e.function_replaceable(from, to) {
                broken.insert(ObjKey::Function(schema.clone(), from.signature()));
            }
        }
    }
    // Views of the current schema that read something broken are broken too, transitively.
    let deps = refs::references(current, d);
    loop {
        let more: Vec<ObjKey> = deps
            .iter()
            .filter(|(k, ds)| matches!(k, ObjKey::View(..)) && !broken.contains(k) && ds.iter().any(|x| broken.contains(x)))
            .map(|(k, _)| k.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        broken.extend(more);
    }
    let broken_fn_names: BTreeSet<(String, String)> = broken
        .iter()
        .filter_map(|k| if let ObjKey::Function(s, sig) = k { Some((s.clone(), sig.split('(').next().unwrap_or_default().to_string())) } else { None })
        .collect();

    let mut out = Vec::with_capacity(changes.len());
    let mut handled_views: BTreeSet<(String, String)> = BTreeSet::new();
    let mut handled_triggers: BTreeSet<(String, String, String)> = BTreeSet::new();
    for c in changes {
        #[allow(clippy::wildcard_enum_match_arm, reason = "every change not rewritten here is kept as it is")]
        match c {
            Change::ModifyView { schema, from, to } if broken.contains(&ObjKey::View(schema.clone(), from.name.clone())) => {
                handled_views.insert((schema.clone(), from.name.clone()));
                out.push(Change::DropView { schema: schema.clone(), view: from });
                out.push(Change::AddView { schema, view: to });
            }
            Change::ModifyFunction { schema, from, to } if broken.contains(&ObjKey::Function(schema.clone(), from.signature())) => {
                out.push(Change::DropFunction { schema: schema.clone(), func: from });
                out.push(Change::AddFunction { schema, func: to });
            }
            Change::ModifyTrigger { schema, from, to } => {
                handled_triggers.insert((schema.clone(), from.table.clone(), from.name.clone()));
                out.push(Change::DropTrigger { schema: schema.clone(), trigger: from });
                out.push(Change::AddTrigger { schema, trigger: to });
            }
            other => {
                if let Change::AddView { schema, view } | Change::DropView { schema, view } = &other {
                    handled_views.insert((schema.clone(), view.name.clone()));
                }
                if let Change::AddTrigger { schema, trigger } | Change::DropTrigger { schema, trigger } = &other {
                    handled_triggers.insert((schema.clone(), trigger.table.clone(), trigger.name.clone()));
                }
                out.push(other)
            }
        }
    }
    // Unchanged views that something they read forces out: dropped and created as they are.
    let mut recreated_relations: BTreeSet<(String, String)> = BTreeSet::new();
    for k in &broken {
        match k {
            ObjKey::View(s, n) => {
                recreated_relations.insert((s.clone(), n.clone()));
                if handled_views.contains(&(s.clone(), n.clone())) {
                    continue;
                }
                if let (Some(old), Some(new)) = (find_view(current, s, n), find_view(desired, s, n)) {
                    out.push(Change::DropView { schema: s.clone(), view: old.clone() });
                    out.push(Change::AddView { schema: s.clone(), view: new.clone() });
                }
            }
            ObjKey::Table(s, n) if e.rebuilds_tables() => {
                recreated_relations.insert((s.clone(), n.clone()));
            }
            // A broken routine is recreated by its own change; a table stays unless the engine rebuilds it.
            ObjKey::Table(..) | ObjKey::Function(..) => {}
        }
    }
    // Triggers on recreated relations go with them; triggers that run a recreated routine must
    // let go of it first. Either way they are created again afterwards.
    for s in current.schemas.iter() {
        for t in &s.triggers {
            let key = (s.name.clone(), t.table.clone(), t.name.clone());
            if handled_triggers.contains(&key) {
                continue;
            }
            let on_recreated = recreated_relations.contains(&(s.name.clone(), t.table.clone()));
            let runs_recreated = t.function.as_deref().is_some_and(|f| {
                let (fs, fname) = f.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((s.name.clone(), f.to_string()));
                broken_fn_names.contains(&(fs, fname))
            });
            let body_reads_broken = e.rebuilds_tables() && {
                let ids = refs::idents(t.body.as_deref().unwrap_or(&t.def), d);
                broken.iter().any(|k| matches!(k, ObjKey::Table(_, n) | ObjKey::View(_, n) if ids.contains(n)))
            };
            if on_recreated || runs_recreated || body_reads_broken {
                if let Some(new) = desired.schema(&s.name).and_then(|ds| ds.triggers.iter().find(|x| x.table == t.table && x.name == t.name)) {
                    out.push(Change::DropTrigger { schema: s.name.clone(), trigger: t.clone() });
                    out.push(Change::AddTrigger { schema: s.name.clone(), trigger: new.clone() });
                }
            }
        }
    }
    regrant(desired, out)
}

/// A view or routine that is dropped and created again loses its grants: they are granted
/// anew, in place of whatever GRANT/REVOKE the diff planned for the old object.
fn regrant(desired: &Realm, changes: Vec<Change>) -> Vec<Change> {
    let mut recreated: BTreeSet<(String, GrantOn)> = BTreeSet::new();
    for c in &changes {
        if let Change::DropView { schema, view } = c {
            if changes.iter().any(|x| matches!(x, Change::AddView { schema: s, view: v } if s == schema && v.name == view.name)) {
                recreated.insert((schema.clone(), GrantOn::Table(view.name.clone())));
            }
        }
        if let Change::DropFunction { schema, func } = c {
            if changes.iter().any(|x| matches!(x, Change::AddFunction { schema: s, func: f } if s == schema && f.signature() == func.signature())) {
                recreated.insert((schema.clone(), GrantOn::routine(func)));
            }
        }
    }
    if recreated.is_empty() {
        return changes;
    }
    let mut out: Vec<Change> = changes
        .into_iter()
        .filter(|c| !matches!(c, Change::Grant { schema, on, .. } | Change::Revoke { schema, on, .. } if recreated.contains(&(schema.clone(), on.clone()))))
        .collect();
    for (schema, on) in recreated {
        let Some(s) = desired.schema(&schema) else { continue };
        let grants = match &on {
            GrantOn::Table(n) => s.views.iter().find(|v| &v.name == n).map(|v| v.grants.clone()),
            // Only views and routines are recreated (above).
            GrantOn::Schema | GrantOn::Sequence(_) | GrantOn::Column(..) | GrantOn::Routine(..) => s.functions.iter().find(|f| GrantOn::routine(f) == on).map(|f| f.grants.clone()),
        };
        for g in grants.unwrap_or_default() {
            out.push(Change::Grant { schema: schema.clone(), on: on.clone(), grant: g });
        }
    }
    out
}

fn find_view<'a>(r: &'a Realm, schema: &str, name: &str) -> Option<&'a View> {
    r.schema(schema)?.views.iter().find(|v| v.name == name)
}

// ---- statements by phase ---------------------------------------------------------------------

#[derive(Default)]
pub struct Phases {
    pub pre: Vec<Statement>,
    /// Routines that domain checks and defaults call: before the types.
    pub before_types: Vec<Statement>,
    pub early: Vec<Statement>,
    pub late: Vec<Statement>,
    pub post: Vec<Statement>,
}

/// Statements of the change at `index`, all with the same comment.
fn stmts(sqls: Vec<String>, comment: String, index: usize) -> impl Iterator<Item = Statement> {
    sqls.into_iter().map(move |s| Statement { change: Some(index), ..Statement::new(s, comment.clone()) })
}

fn stmt(sql: String, comment: String, index: usize) -> Statement {
    Statement { change: Some(index), ..Statement::new(sql, comment) }
}

/// The object statements of `changes`, by phase.
pub fn phases(changes: &[Change], e: &dyn Engine) -> Phases {
    let d = e.dialect();
    let mut p = Phases::default();
    if !changes.iter().any(is_object_change) {
        return p;
    }
    // Objects created (or replaced) and dropped by this plan, with their dependencies among
    // each other (what else they use exists already, or is a table created in between).
    let mut creates: BTreeMap<ObjKey, (&str, &Change, usize)> = BTreeMap::new();
    let mut drops: BTreeMap<ObjKey, (&str, &Change, usize)> = BTreeMap::new();
    let mut create_objs = Vec::new();
    let mut drop_objs = Vec::new();
    let mut added_sigs = BTreeSet::new();
    for (i, c) in changes.iter().enumerate() {
        match c {
            Change::AddView { schema, view } | Change::ModifyView { schema, to: view, .. } => {
                let o = Obj::view(schema, view);
                creates.insert(o.key.clone(), (schema.as_str(), c, i));
                create_objs.push(o);
            }
            Change::AddFunction { schema, func } | Change::ModifyFunction { schema, to: func, .. } => {
                let o = Obj::function(schema, func);
                added_sigs.insert(o.key.clone());
                creates.insert(o.key.clone(), (schema.as_str(), c, i));
                create_objs.push(o);
            }
            Change::DropView { schema, view } => {
                let o = Obj::view(schema, view);
                drops.insert(o.key.clone(), (schema.as_str(), c, i));
                drop_objs.push(o);
            }
            Change::DropFunction { schema, func } => {
                let o = Obj::function(schema, func);
                drops.insert(o.key.clone(), (schema.as_str(), c, i));
                drop_objs.push(o);
            }
            // Triggers are placed by their own passes below; the rest is not a dependency-ordered object.
            Change::AddTrigger { .. } | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } => {}
            Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. } | Change::AddObject { .. }
            | Change::DropObject { .. } | Change::ModifyObject { .. } | Change::AddEnum { .. } | Change::DropEnum { .. } | Change::ModifyEnum { .. }
            | Change::AddDomain { .. } | Change::DropDomain { .. } | Change::ModifyDomain { .. } | Change::AddSequence { .. }
            | Change::DropSequence { .. } | Change::ModifySequence { .. } | Change::RenameTable { .. }
            | Change::RenameColumn { .. } | Change::RenameIndex { .. } | Change::Grant { .. } | Change::Revoke { .. }
            | Change::DefaultPrivileges { .. } | Change::AddRole { .. } | Change::AddTable { .. } | Change::DropTable { .. }
            | Change::ModifyTable { .. } => {}
        }
    }

    // 1. pre: triggers, views (dependents first), routines replaced by a same-signature one.
    for (i, c) in changes.iter().enumerate() {
        if let Change::DropTrigger { schema, trigger } = c {
            p.pre.push(stmt(e.drop_trigger(schema, trigger), format!("drop trigger \"{}\" of \"{}\"", trigger.name, trigger.table), i));
        }
    }
    let drop_deps = refs::dependencies(&drop_objs, d);
    let drop_keys: BTreeSet<ObjKey> = drops.keys().cloned().collect();
    let drop_order: Vec<ObjKey> = refs::topo_order(&drop_keys, &drop_deps).into_iter().rev().collect();
    for k in &drop_order {
        let (schema, c, i) = drops[k];
        if let Change::DropView { view, .. } = c {
            p.pre.push(stmt(e.drop_view(schema, view), format!("drop view \"{}\"", view.name), i));
        }
        if let Change::DropFunction { func, .. } = c {
            if added_sigs.contains(k) {
                p.pre.extend(stmts(e.drop_function(schema, func), format!("drop {} \"{}\" (created again below)", func.kind.sql().to_ascii_lowercase(), func.signature()), i))
            }
        }
    }

    // 2. early: routines that the expressions of new or changed tables call.
    let mut table_text = String::new();
    for c in changes {
        if let Change::AddTable { table, .. } = c {
            table_text.push_str(&refs::table_expressions(table));
        }
        if let Change::ModifyTable { to, .. } = c {
            table_text.push_str(&refs::table_expressions(to));
        }
    }
    let mut domain_text = String::new();
    for c in changes {
        if let Change::AddDomain { value, .. } | Change::ModifyDomain { to: value, .. } = c {
            for ck in &value.checks {
                domain_text.push_str(&ck.expr);
                domain_text.push('\n');
            }
            if let Some(ColumnDefault::Raw(r)) = &value.default {
                domain_text.push_str(r);
            }
        }
    }
    let create_deps = refs::dependencies(&create_objs, d);
    // Routines named in `text`, with the routines those call, transitively.
    let called_by = |text: &str| {
        let used = refs::idents(text, d);
        let mut set: BTreeSet<ObjKey> = create_objs.iter().filter(|o| matches!(o.key, ObjKey::Function(..)) && used.contains(&o.name)).map(|o| o.key.clone()).collect();
        loop {
            let more: Vec<ObjKey> = set.iter().flat_map(|k| create_deps.get(k).into_iter().flatten()).filter(|k| matches!(k, ObjKey::Function(..)) && !set.contains(*k)).cloned().collect();
            if more.is_empty() {
                return set;
            }
            set.extend(more);
        }
    };
    let before_types = called_by(&domain_text);
    let early = called_by(&table_text);
    let create_keys: BTreeSet<ObjKey> = creates.keys().cloned().collect();
    for k in refs::topo_order(&create_keys, &create_deps) {
        let (schema, c, i) = creates[&k];
        let out = if before_types.contains(&k) {
            &mut p.before_types
        } else if early.contains(&k) {
            &mut p.early
        } else {
            &mut p.late
        };
        // `creates` holds these four kinds only (the classification above).
        if let Change::AddView { view, .. } = c {
            out.extend(stmts(e.create_view(schema, view), format!("create view \"{}\"", view.name), i));
        } else if let Change::ModifyView { from, to, .. } = c {
            out.extend(stmts(e.replace_view(schema, from, to), format!("replace view \"{}\"", to.name), i));
        } else if let Change::AddFunction { func, .. } = c {
            out.extend(stmts(e.create_function(schema, func), format!("create {} \"{}\"", func.kind.sql().to_ascii_lowercase(), func.signature()), i));
        } else if let Change::ModifyFunction { from, to, .. } = c {
            out.extend(stmts(e.replace_function(schema, from, to), format!("replace {} \"{}\"", to.kind.sql().to_ascii_lowercase(), to.signature()), i));
        }
    }
    // 3. triggers, once their tables, views and routines exist.
    for (i, c) in changes.iter().enumerate() {
        if let Change::AddTrigger { schema, trigger } = c {
            p.late.extend(stmts(e.create_trigger(schema, trigger), format!("create trigger \"{}\" on \"{}\"", trigger.name, trigger.table), i));
        }
    }

    // 4. post: routines that go away, after what used them.
    for k in &drop_order {
        let (schema, c, i) = drops[k];
        if let Change::DropFunction { func, .. } = c {
            if !added_sigs.contains(k) {
                p.post.extend(stmts(e.drop_function(schema, func), format!("drop {} \"{}\"", func.kind.sql().to_ascii_lowercase(), func.signature()), i));
            }
        }
    }
    p
}

fn is_object_change(c: &Change) -> bool {
    c.object().is_some()
}

/// A realm's views, routines and triggers as CREATE statements in dependency order, split into
/// what must exist before the tables (routines their expressions call) and what comes after.
pub fn create_objects(realm: &Realm, e: &dyn Engine) -> (Vec<String>, Vec<String>) {
    if realm.schemas.iter().all(|s| s.views.is_empty() && s.functions.is_empty() && s.triggers.is_empty()) {
        return (vec![], vec![]);
    }
    let mut changes = Vec::new();
    for s in &realm.schemas {
        for t in &s.tables {
            changes.push(Change::AddTable { schema: s.name.clone(), table: Table { name: t.name.clone(), columns: t.columns.clone(), checks: t.checks.clone(), indexes: t.indexes.clone(), partition: t.partition.clone(), policies: t.policies.clone(), ..Default::default() } });
        }
        changes.extend(s.functions.iter().map(|f| Change::AddFunction { schema: s.name.clone(), func: f.clone() }));
        changes.extend(s.views.iter().map(|v| Change::AddView { schema: s.name.clone(), view: v.clone() }));
        changes.extend(s.triggers.iter().map(|t| Change::AddTrigger { schema: s.name.clone(), trigger: t.clone() }));
        changes.extend(s.domains.iter().map(|x| Change::AddDomain { schema: s.name.clone(), value: x.clone() }));
    }
    let p = phases(&changes, e);
    (p.before_types.into_iter().chain(p.early).map(|s| s.sql).collect(), p.late.into_iter().map(|s| s.sql).collect())
}
