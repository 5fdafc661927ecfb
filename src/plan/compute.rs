//! From a live target and a desired state to a verified plan: scope, normalize the objects that
//! differ in a disposable database, diff, order, and rehearse on a disposable copy.

use super::Plan;
use crate::devdb::DevDb;
use crate::diff::{self, Change, TableChange};
use crate::schema::*;
use crate::source::{exec_all_dev, inspect_dev};
use anyhow::Result;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dev_url: Option<String>,
    pub exclude: Vec<String>,
    /// Skip rehearsal (only for callers that rehearse elsewhere).
    pub no_rehearse: bool,
    /// The desired realm was read back from a database (SQL sources, URLs): already in the
    /// engine's canonical form, so no normalization round trip is needed.
    pub desired_normalized: bool,
    /// Atlas's `diff { skip { drop_table = true … } }`: change kinds left out of the plan.
    pub skip: std::collections::BTreeSet<String>,
    /// Atlas's `diff { concurrent_index { … } }` (PostgreSQL).
    pub concurrent_index: super::ConcurrentIndex,
    /// Roles whose privileges are managed (`--role`, atlas.hcl `roles`), besides those the
    /// desired state declares with `role` blocks. None at all: privileges are not managed.
    pub roles: Vec<String>,
}

/// Leave out the change kinds a diff policy skips (Atlas's names).
#[allow(clippy::wildcard_enum_match_arm, reason = "the kinds Atlas's diff policy cannot name pass through unchanged")]
fn skip_changes(changes: Vec<Change>, skip: &std::collections::BTreeSet<String>) -> Vec<Change> {
    if skip.is_empty() {
        return changes;
    }
    let s = |k: &str| skip.contains(k);
    changes
        .into_iter()
        .filter_map(|c| match c {
            Change::AddSchema { .. } if s("add_schema") => None,
            Change::DropSchema { .. } if s("drop_schema") => None,
            Change::ModifySchema { .. } if s("modify_schema") => None,
            Change::AddTable { .. } if s("add_table") => None,
            Change::DropTable { .. } if s("drop_table") => None,
            Change::RenameTable { .. } if s("rename_table") => None,
            Change::AddView { .. } if s("add_view") => None,
            Change::DropView { .. } if s("drop_view") => None,
            Change::ModifyView { .. } if s("modify_view") => None,
            Change::AddTrigger { .. } if s("add_trigger") => None,
            Change::DropTrigger { .. } if s("drop_trigger") => None,
            Change::ModifyTrigger { .. } if s("modify_trigger") => None,
            // Atlas says `func` for functions (aggregates too) and `proc` for procedures.
            Change::AddFunction { func, .. } if s(&routine_skip("add", &func)) => None,
            Change::DropFunction { func, .. } if s(&routine_skip("drop", &func)) => None,
            Change::ModifyFunction { to: func, .. } if s(&routine_skip("modify", &func)) => None,
            Change::ModifyTable { schema, table, from, to, changes } => {
                let kept: Vec<TableChange> = changes
                    .into_iter()
                    .filter(|tc| {
                        !match tc {
                            TableChange::AddColumn { .. } => s("add_column"),
                            TableChange::DropColumn { .. } => s("drop_column"),
                            TableChange::ModifyColumn { .. } => s("modify_column"),
                            TableChange::AddIndex { .. } => s("add_index"),
                            TableChange::DropIndex { .. } => s("drop_index"),
                            TableChange::AddForeignKey { .. } => s("add_foreign_key"),
                            TableChange::DropForeignKey { .. } => s("drop_foreign_key"),
                            TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. }
                            | TableChange::AddCheck { .. } | TableChange::DropCheck { .. }
                            | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
                            | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
                            | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. }
                            | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => s("modify_table"),
                        }
                    })
                    .collect();
                (!kept.is_empty()).then_some(Change::ModifyTable { schema, table, from, to, changes: kept })
            }
            other => Some(other),
        })
        .collect()
}

/// A foreign key of `from` whose action the engine holds the same as the desired key's takes
/// the desired spelling, so the diff (which knows no engine) sees no change: MySQL 8 reports
/// NO ACTION where MariaDB reports RESTRICT for a key that names none.
pub(super) fn align_ref_actions(dialect: Dialect, from: &mut Realm, to: &Realm) {
    let e = crate::engine::of(dialect);
    for s in &mut from.schemas {
        let Some(ts) = to.schema(&s.name) else { continue };
        for t in &mut s.tables {
            let Some(tt) = ts.tables.iter().find(|x| x.name == t.name) else { continue };
            for fk in &mut t.foreign_keys {
                let Some(want) = tt.foreign_keys.iter().find(|x| x.name == fk.name) else { continue };
                if e.same_ref_action(fk.on_update, want.on_update) {
                    fk.on_update = want.on_update;
                }
                if e.same_ref_action(fk.on_delete, want.on_delete) {
                    fk.on_delete = want.on_delete;
                }
            }
        }
    }
}

fn routine_skip(action: &str, f: &Function) -> String {
    format!("{action}_{}", if f.kind == RoutineKind::Procedure { "proc" } else { "func" })
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub plan: Plan,
    /// None when no rehearsal ran (empty plan); Some(false) with a residual otherwise.
    pub verified: Option<bool>,
    pub residual: Vec<Change>,
    pub current: Realm,
    pub desired: Realm,
    /// Tables normalized through the disposable database.
    pub normalized: usize,
}

/// Plan from `current` (inspected from the target) to `desired` (offline-canonical).
pub async fn compute(dialect: Dialect, mut current: Realm, mut desired: Realm, opts: &Options) -> Result<Outcome> {
    current.exclude(&opts.exclude);
    desired.exclude(&opts.exclude);
    for kept in crate::schema::type_ref::keep_referenced_types(&current, &mut desired) {
        eprintln!("note: {kept} is used by the desired columns but not declared; kept as the target has it");
    }
    manage_privileges(dialect, &mut current, &mut desired, opts)?;
    current.sort();
    desired.sort();
    align_ref_actions(dialect, &mut current, &desired);
    if let Some(m) = diff::renames::missing(&current, &desired).into_iter().next() {
        let at = m.pos.map(|p| format!("{}:{}:{}: ", p.file, p.line, p.col)).unwrap_or_default();
        anyhow::bail!("{at}{}\n  hint: fix the old name, or remove `renamed_from` once the rename has been applied everywhere", m.what);
    }
    let first = {
        let _t = crate::timings::stage("diff");
        diff::diff(&current, &desired)
    };
    let mut normalized = 0;
    if !first.is_empty() && !opts.desired_normalized {
        let _t = crate::timings::stage("normalize (disposable database)");
        normalized = normalize(dialect, &current, &mut desired, &first, opts).await?;
    }
    let mut plan = {
        let _t = crate::timings::stage("diff and plan");
        let changes = skip_changes(diff::diff(&current, &desired), &opts.skip);
        refuse_partition_key_changes(&changes)?;
        refuse_column_changes(dialect, &changes)?;
        super::build_with(&current, &desired, changes, dialect, opts.concurrent_index)
    };
    let (verified, residual) = if plan.is_empty() || opts.no_rehearse {
        (None, vec![])
    } else {
        let _t = crate::timings::stage("rehearse (disposable database)");
        let (residual, weakened) = rehearse(dialect, &current, &desired, &plan, opts).await?;
        // Online forms the disposable server refused are weakened the same way in the plan:
        // it asks only for what a server of this engine accepted.
        if !weakened.is_empty() {
            let e = crate::engine::of(dialect);
            for (i, steps) in weakened {
                for _ in 0..steps {
                    if let Some(w) = e.weaken(&plan.statements[i].sql) {
                        plan.statements[i].sql = w;
                    }
                }
            }
            plan.refresh();
        }
        // What the diff policy skips is expected to remain.
        let residual = skip_changes(residual, &opts.skip);
        (Some(residual.is_empty()), residual)
    };
    Ok(Outcome { plan, verified, residual, current, desired, normalized })
}

/// Scope privileges to the managed roles — declared ones, `opts.roles`, and every role a desired
/// grant names (a grant that is written down is never ignored) — and check that each of those
/// exists on the target or is declared (then the plan creates it, on PostgreSQL).
fn manage_privileges(dialect: Dialect, current: &mut Realm, desired: &mut Realm, opts: &Options) -> Result<()> {
    let mut managed: BTreeSet<String> = opts.roles.iter().cloned().collect();
    managed.extend(desired.roles.iter().cloned());
    managed.extend(desired.granted_roles());
    // Once privileges are managed at all, what everyone may do is part of them (the defaults
    // PostgreSQL gives PUBLIC on routines and the public schema are not listed).
    if !managed.is_empty() {
        managed.insert("PUBLIC".into());
    }
    current.scope_grants(&managed);
    desired.scope_grants(&managed);
    if !managed.is_empty() {
        // PostgreSQL roles that are declared are created by the plan; MySQL accounts never are.
        let declared: &[String] = if dialect == Dialect::Postgres { &desired.roles } else { &[] };
        let known: BTreeSet<&String> = current.server_roles.iter().chain(declared.iter()).collect();
        if let Some(missing) = desired.granted_roles().into_iter().find(|r| !known.contains(r)) {
            let hint = if dialect == Dialect::Postgres {
                format!("create the role (roles are cluster-wide), or declare `role \"{missing}\" {{}}` so that schemagate creates it")
            } else {
                "create the account first (schemagate manages privileges, not accounts); MySQL grantees are written user@host".to_string()
            };
            anyhow::bail!("the desired state grants privileges to \"{missing}\", which does not exist on the target\n  hint: {hint}");
        }
    }
    Ok(())
}

/// Names of the tables a change list touches (`Change::tables`).
fn touched(changes: &[Change]) -> BTreeSet<(String, String)> {
    changes.iter().flat_map(|c| c.tables()).map(|(s, t)| (s.to_string(), t.to_string())).collect()
}

/// Tables whose every change leaves foreign keys alone — a column, index or check added, a check
/// dropped, the comment changed: rehearsing them needs neither the tables they reference nor
/// those that reference them (a copy leaves out foreign keys to tables it does not hold, on both
/// sides of the comparison; see `subset`), which keeps a rehearsal of "a column added to ten
/// tables" at ten tables. Not tables with row-level security policies: a policy's subquery may
/// read the tables the foreign keys lead to. SQLite rebuilds tables for many changes, and its
/// copies are in memory: it always gets the neighbours.
#[allow(clippy::wildcard_enum_match_arm, reason = "every change but the listed ones touches its tables (touched() is exhaustive)")]
fn fk_neutral(changes: &[Change], dialect: Dialect) -> BTreeSet<(String, String)> {
    if dialect == Dialect::Sqlite {
        return BTreeSet::new();
    }
    let mut neutral = BTreeSet::new();
    let mut linked = BTreeSet::new();
    for c in changes {
        match c {
            Change::ModifyTable { schema, table, from, to, changes }
                if from.policies.is_empty()
                    && to.policies.is_empty()
                    && changes.iter().all(|tc| {
                        matches!(
                            tc,
                            TableChange::AddColumn { .. } | TableChange::AddIndex { .. } | TableChange::AddCheck { .. } | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. }
                        )
                    }) =>
            {
                neutral.insert((schema.clone(), table.clone()));
            }
            other => linked.extend(touched(std::slice::from_ref(other))),
        }
    }
    &neutral - &linked
}

/// Add the tables that the tables of `set` reference directly (foreign keys, partition parents).
/// One level is enough: a referenced table only has to exist with its key; its own foreign keys
/// are left out of the subset (see `subset`), so the cost follows the change, not the FK chain.
fn fk_targets(realm: &Realm, set: &mut BTreeSet<(String, String)>, except: &BTreeSet<(String, String)>) {
    let mut added = Vec::new();
    for (s, t) in set.difference(except) {
        if let Some(tab) = realm.table(s, t) {
            for fk in &tab.foreign_keys {
                added.push((fk.ref_schema.clone(), fk.ref_table.clone()));
            }
            if let Some(of) = &tab.partition_of {
                added.push((of.schema.clone(), of.table.clone()));
            }
        }
    }
    set.extend(added.into_iter().filter(|k| realm.table(&k.0, &k.1).is_some()));
}

/// Views, routines and triggers a change list names: the views (and the tables their
/// triggers sit on) that normalization or rehearsal must load, with what those views read.
/// Views and tables are added to `views` and `tables`; everything they reference, in any of
/// `realms`, is added too, until closed.
fn object_scope(changes: &[Change], realms: &[&Realm], dialect: Dialect, tables: &mut BTreeSet<(String, String)>, views: &mut BTreeSet<(String, String)>) {
    use crate::schema::refs::{self, ObjKey};
    for c in changes {
        if let Change::AddView { schema, view } | Change::DropView { schema, view } | Change::ModifyView { schema, to: view, .. } = c {
            views.insert((schema.clone(), view.name.clone()));
        }
        if let Change::AddTrigger { schema, trigger } | Change::DropTrigger { schema, trigger } | Change::ModifyTrigger { schema, to: trigger, .. } = c {
            let key = (schema.clone(), trigger.table.clone());
            if realms.iter().any(|r| r.schema(schema).is_some_and(|s| s.views.iter().any(|v| v.name == trigger.table))) {
                views.insert(key);
            } else {
                tables.insert(key);
            }
        }
    }
    if views.is_empty() {
        return;
    }
    let deps: Vec<_> = realms.iter().map(|r| refs::references(r, dialect)).collect();
    loop {
        let before = tables.len() + views.len();
        for d in &deps {
            for (k, used) in d.iter() {
                let ObjKey::View(s, n) = k else { continue };
                if !views.contains(&(s.clone(), n.clone())) {
                    continue;
                }
                for u in used {
                    match u {
                        ObjKey::View(s, n) => {
                            views.insert((s.clone(), n.clone()));
                        }
                        ObjKey::Table(s, n) => {
                            tables.insert((s.clone(), n.clone()));
                        }
                        ObjKey::Function(..) => {}
                    }
                }
            }
        }
        if tables.len() + views.len() == before {
            return;
        }
    }
}

/// Tables whose row types routines of `realm` take or return (`RETURNS SETOF customer`): a
/// routine cannot be created without them. (Bodies are not checked in disposable databases.)
fn signature_tables(realm: &Realm, dialect: Dialect, tables: &mut BTreeSet<(String, String)>) {
    for s in &realm.schemas {
        for f in &s.functions {
            let ids = crate::schema::refs::idents(&f.type_text(), dialect);
            for s2 in &realm.schemas {
                for t in &s2.tables {
                    if ids.contains(&t.name) {
                        tables.insert((s2.name.clone(), t.name.clone()));
                    }
                }
            }
        }
    }
}

fn is_object_change(c: &Change) -> bool {
    c.object().is_some()
}

#[allow(dead_code)]
/// Add the tables that `set` references by foreign key, as found in `realm`, until closed.
fn fk_closure(realm: &Realm, set: &mut BTreeSet<(String, String)>) {
    loop {
        let mut added = Vec::new();
        for (s, t) in set.iter() {
            if let Some(tab) = realm.table(s, t) {
                for fk in &tab.foreign_keys {
                    let k = (fk.ref_schema.clone(), fk.ref_table.clone());
                    if !set.contains(&k) && realm.table(&k.0, &k.1).is_some() {
                        added.push(k);
                    }
                }
                if let Some(of) = &tab.partition_of {
                    let k = (of.schema.clone(), of.table.clone());
                    if !set.contains(&k) && realm.table(&k.0, &k.1).is_some() {
                        added.push(k);
                    }
                }
            }
        }
        if added.is_empty() {
            return;
        }
        set.extend(added);
    }
}

/// A realm holding only `tables` (and every type, domain and sequence, which are cheap and
/// columns may use them). Foreign keys pointing outside the subset are left out.
fn subset(realm: &Realm, tables: &BTreeSet<(String, String)>, views: &BTreeSet<(String, String)>, dialect: Dialect) -> Realm {
    // SQLite resolves foreign key targets case-insensitively.
    let targets = |s: &str, t: &str| tables.contains(&(s.to_string(), t.to_string())) || (dialect == Dialect::Sqlite && tables.iter().any(|(ts, tt)| ts == s && tt.eq_ignore_ascii_case(t)));
    let mut r = Realm { schemas: Vec::with_capacity(realm.schemas.len()), ..Default::default() };
    for s in &realm.schemas {
        let sn = s.name.clone();
        let mut copy = Schema { tables: Vec::new(), ..s.clone() };
        copy.tables = s.tables.iter().filter(|t| tables.contains(&(sn.clone(), t.name.clone()))).cloned().collect();
        for t in &mut copy.tables {
            t.foreign_keys.retain(|fk| targets(&fk.ref_schema, &fk.ref_table));
        }
        // Routines are cheap and anything may call them; views and triggers only where asked.
        copy.views.retain(|v| views.contains(&(sn.clone(), v.name.clone())));
        copy.triggers.retain(|t| tables.contains(&(sn.clone(), t.table.clone())) || views.contains(&(sn.clone(), t.table.clone())));
        r.schemas.push(copy);
    }
    for s in &mut r.schemas {
        let sn = s.name.clone();
        for seq in &mut s.sequences {
            if seq.owned_by.as_ref().is_some_and(|(t, _)| !tables.contains(&(sn.clone(), t.clone()))) {
                seq.owned_by = None;
            }
        }
    }
    r
}

/// A partition key cannot change in place; saying "synced" (or planning something else) would
/// hide the difference, so the plan stops here and says how it is done.
fn refuse_partition_key_changes(changes: &[Change]) -> Result<()> {
    for c in changes {
        let Change::ModifyTable { schema, table, changes: tcs, .. } = c else { continue };
        for tc in tcs {
            if let TableChange::ModifyPartitionKey { from, to } = tc {
                // Atlas's words and spelling (`PARTITION BY RANGE ("a", (b * 2))`): its users'
                // scripts look for them.
                let show = |k: &Option<crate::schema::PartitionKey>| match k {
                    Some(k) => format!(
                        "PARTITION BY {} ({})",
                        k.kind,
                        k.parts.iter().map(|p| match p {
                            crate::schema::PartKey::Column(c) => format!("{c:?}"),
                            crate::schema::PartKey::Expr(e) => crate::engine::sql_text::wrapped(e),
                        }).collect::<Vec<_>>().join(", ")
                    ),
                    None => "no partitioning".into(),
                };
                anyhow::bail!(
                    "partition key of table {table:?} cannot be changed from {} to {} (drop and add is required): PostgreSQL cannot change {schema}.{table}'s partitioning in place, and schemagate does not plan it.\n  \
                     hint: add a new table with the new partitioning (and its partitions) next to the old one, copy the rows, then drop the old table and rename the new one, in separate changes",
                    crate::report::escape::line(&show(from)),
                    crate::report::escape::line(&show(to))
                );
            }
        }
    }
    Ok(())
}

/// A column change the engine cannot make without losing the column's values stops the plan
/// with the engine's reason (see `Engine::column_change_refused`).
fn refuse_column_changes(dialect: Dialect, changes: &[Change]) -> Result<()> {
    let engine = crate::engine::of(dialect);
    for c in changes {
        let Change::ModifyTable { from: table, changes: tcs, .. } = c else { continue };
        for tc in tcs {
            if let TableChange::ModifyColumn { from, to, .. } = tc {
                if let Some(why) = engine.column_change_refused(table, from, to) {
                    anyhow::bail!("{why}");
                }
            }
        }
    }
    Ok(())
}

/// For MySQL, schemas are databases: a disposable database stands in for the (single) schema.
fn dev_names(dialect: Dialect, dev: &DevDb, realm: &Realm) -> Result<Option<(String, String)>> {
    if dialect != Dialect::Mysql {
        return Ok(None);
    }
    let names: Vec<&str> = realm.schemas.iter().map(|s| s.name.as_str()).collect();
    match names.as_slice() {
        [one] => Ok(Some((one.to_string(), dev.database().unwrap_or_default().to_string()))),
        [] => Ok(None),
        _ => anyhow::bail!("MySQL plans over several databases at once are not supported yet; plan each database separately (--schema NAME)"),
    }
}

async fn load_into_dev(dialect: Dialect, dev: &DevDb, realm: &Realm) -> Result<Option<String>> {
    let mut r = realm.clone();
    let map = dev_names(dialect, dev, &r)?;
    if let Some((from, to)) = &map {
        r.rename_schemas(&HashMap::from([(from.clone(), to.clone())]));
    }
    let mut stmts: Vec<(String, String)> = super::create_realm(&r, dialect).into_iter().map(|s| ("desired schema".to_string(), s)).collect();
    // Privileges stay out (see `plan::is_privilege_statement`).
    stmts.retain(|(_, s)| !super::is_privilege_statement(s));
    if dialect == Dialect::Mysql {
        stmts.retain(|(_, s)| !s.starts_with("CREATE DATABASE"));
    }
    if dialect == Dialect::Postgres {
        // `public` exists in every fresh database.
        stmts.retain(|(_, s)| s != "CREATE SCHEMA IF NOT EXISTS \"public\"");
    }
    exec_all_dev(dev, stmts).await?;
    Ok(map.map(|m| m.0))
}

/// Replace the desired tables that still differ from the current state by what the database
/// makes of them. Only those tables (plus what they reference) are loaded.
async fn normalize(dialect: Dialect, current: &Realm, desired: &mut Realm, changes: &[Change], opts: &Options) -> Result<usize> {
    let mut set: BTreeSet<(String, String)> = touched(changes).into_iter().filter(|(s, t)| desired.table(s, t).is_some()).collect();
    let _ = current;
    let needs_types = changes.iter().any(|c| matches!(c, Change::AddEnum { .. } | Change::AddDomain { .. } | Change::ModifyEnum { .. } | Change::ModifyDomain { .. } | Change::AddObject { .. } | Change::ModifyObject { .. } | Change::AddSequence { .. }));
    let objects = changes.iter().any(is_object_change);
    if set.is_empty() && !needs_types && !objects {
        return Ok(0);
    }
    let wanted = set.clone();
    let mut views = BTreeSet::new();
    object_scope(changes, &[desired], dialect, &mut set, &mut views);
    if objects {
        signature_tables(desired, dialect, &mut set);
    }
    set.retain(|(s, t)| desired.table(s, t).is_some());
    // Every foreign key must be normalized too: the copy of each table needs what it references.
    fk_targets(desired, &mut set, &BTreeSet::new());
    let dev = DevDb::open(dialect, opts.dev_url.as_deref()).await?;
    let result = async {
        let part = subset(desired, &set, &views, dialect);
        let name = load_into_dev(dialect, &dev, &part).await?;
        inspect_dev(&dev, name.as_deref()).await
    }
    .await;
    dev.close().await;
    let got = result?;
    for (s, t) in &wanted {
        if let Some(norm) = got.table(s, t) {
            let schema = desired.schemas.iter_mut().find(|x| &x.name == s).unwrap();
            let slot = schema.tables.iter_mut().find(|x| &x.name == t).unwrap();
            let old = std::mem::replace(slot, norm.clone());
            keep_positions(&old, slot);
        }
    }
    for s in &got.schemas {
        if let Some(ds) = desired.schemas.iter_mut().find(|x| x.name == s.name) {
            for d in &mut ds.domains {
                if let Some(n) = s.domains.iter().find(|x| x.name == d.name) {
                    *d = n.clone();
                }
            }
            // Views, routines and triggers as the database spells them (positions kept).
            // Grants are the desired state's own (disposable databases hold none).
            for v in &mut ds.views {
                if let Some(n) = s.views.iter().find(|x| x.name == v.name) {
                    let (pos, grants) = (v.pos.take(), std::mem::take(&mut v.grants));
                    *v = View { pos, grants, ..n.clone() };
                }
            }
            for f in &mut ds.functions {
                // The database respells argument types (int → integer): a routine is found by
                // its signature, or else as the only one of its name, kind and arity.
                let found = s.functions.iter().find(|x| x.signature() == f.signature()).or_else(|| {
                    let mut same = s.functions.iter().filter(|x| x.name == f.name && x.kind == f.kind && x.args.len() == f.args.len());
                    match (same.next(), same.next()) {
                        (Some(x), None) => Some(x),
                        _ => None,
                    }
                });
                if let Some(n) = found {
                    let (pos, grants) = (f.pos.take(), std::mem::take(&mut f.grants));
                    *f = Function { pos, grants, ..n.clone() };
                }
            }
            for t in &mut ds.triggers {
                if let Some(n) = s.triggers.iter().find(|x| x.name == t.name && x.table == t.table) {
                    let pos = t.pos.take();
                    *t = Trigger { pos, ..n.clone() };
                }
            }
            if dialect == Dialect::Mysql && ds.charset.is_none() {
                // The server's default character set is what a new database gets.
            }
        }
    }
    desired.sort();
    Ok(wanted.len())
}

/// Positions in the source (lint findings point at them), declared renames and grants survive
/// normalization.
fn keep_positions(from: &Table, to: &mut Table) {
    to.pos = from.pos.clone();
    to.renamed_from = from.renamed_from.clone();
    to.grants = from.grants.clone();
    for c in &mut to.columns {
        c.pos = from.column(&c.name).and_then(|x| x.pos.clone());
        c.renamed_from = from.column(&c.name).and_then(|x| x.renamed_from.clone());
        c.grants = from.column(&c.name).map(|x| x.grants.clone()).unwrap_or_default();
    }
    for i in &mut to.indexes {
        let was = from.indexes.iter().find(|x| x.name == i.name);
        i.pos = was.and_then(|x| x.pos.clone());
        i.renamed_from = was.and_then(|x| x.renamed_from.clone());
    }
    for f in &mut to.foreign_keys {
        f.pos = from.foreign_keys.iter().find(|x| x.name == f.name).and_then(|x| x.pos.clone());
    }
    for c in &mut to.checks {
        c.pos = from.checks.iter().find(|x| x.name == c.name).and_then(|x| x.pos.clone());
    }
    for p in &mut to.policies {
        p.pos = from.policies.iter().find(|x| x.name == p.name).and_then(|x| x.pos.clone());
    }
}

/// Replay the plan on a disposable copy of the touched part of the current schema, inspect it,
/// and return what still differs from the desired state (empty = verified).
/// Returns what still differs, and the statements (index, steps) whose online form the
/// disposable server refused and that ran one or more steps weaker.
async fn rehearse(dialect: Dialect, current: &Realm, desired: &Realm, plan: &Plan, opts: &Options) -> Result<(Vec<Change>, Vec<(usize, usize)>)> {
    let engine = crate::engine::of(dialect);
    let mut weakened = Vec::new();
    let mut set = touched(&plan.changes);
    let neutral = fk_neutral(&plan.changes, dialect);
    // Direct referrers of touched tables whose changes can meet a foreign key (a dropped or
    // rebuilt table may be referenced), collected first: inserting while scanning would follow
    // whole FK chains.
    let linked: BTreeSet<(String, String)> = &set - &neutral;
    let mut referrers = Vec::new();
    for s in &current.schemas {
        for t in &s.tables {
            if t.foreign_keys.iter().any(|fk| linked.contains(&(fk.ref_schema.clone(), fk.ref_table.clone()))) {
                referrers.push((s.name.clone(), t.name.clone()));
            }
        }
    }
    set.extend(referrers);
    let mut views = BTreeSet::new();
    object_scope(&plan.changes, &[current, desired], dialect, &mut set, &mut views);
    if plan.changes.iter().any(is_object_change) {
        signature_tables(current, dialect, &mut set);
        signature_tables(desired, dialect, &mut set);
    }
    fk_targets(current, &mut set, &neutral);
    fk_targets(desired, &mut set, &neutral);
    let t = crate::timings::stage("rehearse: open a disposable database");
    let dev = DevDb::open(dialect, opts.dev_url.as_deref()).await?;
    drop(t);
    let result = async {
        let t = crate::timings::stage("rehearse: load the copy");
        let mut cur = subset(current, &set, &views, dialect);
        // Schemas that the plan creates must not exist yet in the copy.
        let created: BTreeSet<&str> = plan.changes.iter().filter_map(|c| if let Change::AddSchema { schema } = c { Some(schema.name.as_str()) } else { None }).collect();
        cur.schemas.retain(|s| !created.contains(s.name.as_str()));
        let name = load_into_dev(dialect, &dev, &cur).await?;
        drop(t);
        let t = crate::timings::stage("rehearse: run the plan");
        // MySQL: the copy lives in a disposable database, so the same plan is generated for
        // the renamed schema rather than rewriting SQL text.
        let statements = match (&name, dev.database()) {
            (Some(n), Some(db)) => {
                let map = HashMap::from([(n.clone(), db.to_string())]);
                let (mut c2, mut d2) = (current.clone(), desired.clone());
                c2.rename_schemas(&map);
                d2.rename_schemas(&map);
                super::build(&c2, &d2, diff::diff(&c2, &d2), dialect).statements
            }
            _ => plan.statements.clone(),
        };
        // In the order apply runs them: the steps before the transaction, the transaction,
        // then what runs after it (CONCURRENTLY, validations).
        let order = |st: &(usize, &super::Statement)| if st.1.before_tx { 0 } else if st.1.no_tx { 2 } else { 1 };
        let mut ordered: Vec<(usize, &super::Statement)> = statements.iter().enumerate().filter(|(_, st)| !super::is_privilege_statement(&st.sql)).collect();
        ordered.sort_by_key(order);
        for (i, st) in ordered {
            let mut sql = st.sql.clone();
            let mut steps = 0;
            loop {
                match dev.execute(&sql).await {
                    Ok(()) => break,
                    Err(e) => match engine.refused_online(&e.to_string()).then(|| engine.weaken(&sql)).flatten() {
                        Some(w) => {
                            sql = w;
                            steps += 1;
                        }
                        None => anyhow::bail!("the plan failed in rehearsal on a disposable copy, nothing was applied:\n  {e}"),
                    },
                }
            }
            if steps > 0 {
                weakened.push((i, steps));
            }
        }
        drop(t);
        let _t = crate::timings::stage("rehearse: inspect the copy");
        inspect_dev(&dev, name.as_deref()).await
    }
    .await;
    let t = crate::timings::stage("rehearse: drop the disposable database");
    dev.close().await;
    drop(t);
    let mut got = result?;
    let mut want = subset(desired, &set, &views, dialect);
    got.schemas.iter_mut().for_each(|s| {
        let sn = s.name.clone();
        s.tables.retain(|t| set.contains(&(sn.clone(), t.name.clone())));
        s.views.retain(|v| views.contains(&(sn.clone(), v.name.clone())));
        s.triggers.retain(|t| set.contains(&(sn.clone(), t.table.clone())) || views.contains(&(sn.clone(), t.table.clone())));
    });
    // Only compare schemas the desired state has; a copy may hold an empty default schema.
    got.schemas.retain(|s| want.schema(&s.name).is_some());
    got.skipped.clear();
    // Privileges were not rehearsed (roles are the target server's).
    got.scope_grants(&BTreeSet::new());
    want.scope_grants(&BTreeSet::new());
    want.sort();
    got.sort();
    align_ref_actions(dialect, &mut got, &want);
    let residual: Vec<Change> = diff::diff(&got, &want)
        .into_iter()
        .filter(|c| !matches!(c, Change::ModifyTable { changes, .. } if changes.iter().all(|tc| matches!(tc, TableChange::ModifyOptions { .. }) && dialect == Dialect::Mysql)))
        .collect();
    Ok((residual, weakened))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modify(table: &str, changes: Vec<TableChange>) -> Change {
        Change::ModifyTable { schema: "public".into(), table: table.into(), from: Box::default(), to: Box::default(), changes }
    }

    fn column(name: &str) -> Column {
        Column { name: name.into(), ty: "integer".into(), ..Default::default() }
    }

    /// Additive changes leave a table's foreign keys alone; a change that can meet one (a column
    /// dropped, a rename elsewhere in the plan) makes the table need its neighbours again, and so
    /// do row-level security policies (their subqueries may read the neighbours).
    #[test]
    fn neutral_tables_are_those_whose_changes_leave_foreign_keys_alone() {
        let with_policy = Table { policies: vec![Policy { name: "own_rows".into(), ..Default::default() }], ..Default::default() };
        let changes = vec![
            modify("added", vec![TableChange::AddColumn { column: column("x") }, TableChange::AddIndex { index: Index::default() }]),
            Change::ModifyTable { schema: "public".into(), table: "policed".into(), from: Box::new(with_policy.clone()), to: Box::new(with_policy), changes: vec![TableChange::AddColumn { column: column("x") }] },
            modify("dropped", vec![TableChange::AddColumn { column: column("x") }, TableChange::DropColumn { column: column("y") }]),
            modify("renamed", vec![TableChange::AddColumn { column: column("x") }]),
            Change::RenameColumn { schema: "public".into(), table: "renamed".into(), from: "a".into(), to: "b".into() },
        ];
        let neutral = fk_neutral(&changes, Dialect::Postgres);
        assert_eq!(neutral, BTreeSet::from([("public".to_string(), "added".to_string())]));
        // SQLite rebuilds tables: its rehearsals always take the neighbours.
        assert!(fk_neutral(&changes, Dialect::Sqlite).is_empty());
    }
}
