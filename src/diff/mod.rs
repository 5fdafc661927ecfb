//! Realm × Realm → changes. Everything is matched by name through maps (no quadratic scans);
//! modified indexes, keys and checks become drop + add, columns know what changed.

pub mod grants;
pub mod renames;

use crate::schema::*;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    AddSchema { schema: Schema },
    DropSchema { schema: String },
    /// Comment or MySQL character set of a schema.
    ModifySchema { from: Schema, to: Schema },
    /// An object of a kind handled generically (`schema::kinds`): the engines render it.
    /// `users` are the tables of the current schema with a column of it, when it is a type:
    /// PostgreSQL refuses to retype a composite's field or drop the type only while a column
    /// uses it, so the rehearsal copies them (and apply looks for sessions on them).
    AddObject { schema: String, object: Object },
    DropObject { schema: String, object: Object, users: Vec<(String, String)> },
    ModifyObject { schema: String, from: Object, to: Object, users: Vec<(String, String)> },
    AddEnum { schema: String, value: EnumType },
    DropEnum { schema: String, name: String },
    /// Values or comment of a PostgreSQL enum changed. `users` are the columns of the current
    /// schema typed with it, which a recreation must convert.
    ModifyEnum { schema: String, from: EnumType, to: EnumType, users: Vec<EnumUser> },
    AddDomain { schema: String, value: Domain },
    DropDomain { schema: String, name: String },
    ModifyDomain { schema: String, from: Domain, to: Domain },
    AddSequence { schema: String, value: Sequence },
    DropSequence { schema: String, name: String },
    ModifySequence { schema: String, from: Sequence, to: Sequence },
    /// A declared rename (`renamed_from`): ALTER TABLE … RENAME TO, never drop + create.
    RenameTable { schema: String, from: String, to: String },
    RenameColumn { schema: String, table: String, from: String, to: String },
    /// `index` is the renamed index as desired (SQLite, which cannot rename one, recreates it).
    RenameIndex { schema: String, table: String, from: String, to: String, index: Index },
    AddView { schema: String, view: View },
    DropView { schema: String, view: View },
    /// Definition, options or comment changed; the planner decides between CREATE OR REPLACE
    /// and a drop + create (see `plan::objects::expand`).
    ModifyView { schema: String, from: View, to: View },
    AddFunction { schema: String, func: Function },
    DropFunction { schema: String, func: Function },
    ModifyFunction { schema: String, from: Function, to: Function },
    AddTrigger { schema: String, trigger: Trigger },
    DropTrigger { schema: String, trigger: Trigger },
    ModifyTrigger { schema: String, from: Trigger, to: Trigger },
    /// PostgreSQL GRANT of privileges to one role (WITH GRANT OPTION when `grant.grantable`).
    Grant { schema: String, on: GrantOn, grant: Grant },
    /// PostgreSQL REVOKE (`option_only`: REVOKE GRANT OPTION FOR).
    Revoke { schema: String, on: GrantOn, grant: Grant, option_only: bool },
    /// ALTER DEFAULT PRIVILEGES … GRANT or REVOKE.
    DefaultPrivileges { schema: String, value: DefaultPrivilege, revoke: bool, option_only: bool },
    /// A declared role the server does not have: CREATE ROLE (NOLOGIN). Roles are never dropped.
    AddRole { name: String },
    AddTable { schema: String, table: Table },
    DropTable { schema: String, table: Table },
    ModifyTable { schema: String, table: String, from: Box<Table>, to: Box<Table>, changes: Vec<TableChange> },
}

/// A column typed with an enum (or an array of it).
#[derive(Debug, Clone, Serialize)]
pub struct EnumUser {
    pub schema: String,
    pub table: String,
    pub column: String,
    pub array: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableChange {
    AddColumn { column: Column },
    DropColumn { column: Column },
    ModifyColumn { from: Column, to: Column, what: Vec<&'static str> },
    AddIndex { index: Index },
    DropIndex { index: Index },
    AddPrimaryKey { key: PrimaryKey },
    DropPrimaryKey { key: PrimaryKey },
    AddForeignKey { fk: ForeignKey },
    DropForeignKey { fk: ForeignKey },
    AddCheck { check: Check },
    DropCheck { check: Check },
    ModifyComment { from: Option<String>, to: Option<String> },
    ModifyOptions { from: TableOptions, to: TableOptions },
    /// PostgreSQL: the table becomes a partition, stops being one, or gets another bound
    /// (DETACH / ATTACH PARTITION; rows stay in the table).
    ModifyPartitionOf { from: Option<PartitionOf>, to: Option<PartitionOf> },
    /// PostgreSQL: the partition key of a partitioned table changes. No statement can do that
    /// in place; the planner refuses it with the way to do it.
    ModifyPartitionKey { from: Option<PartitionKey>, to: Option<PartitionKey> },
    /// PostgreSQL ENABLE/DISABLE and FORCE/NO FORCE ROW LEVEL SECURITY.
    ModifyRowSecurity { from: RowSecurity, to: RowSecurity },
    AddPolicy { policy: Policy },
    DropPolicy { policy: Policy },
    /// Roles, USING or WITH CHECK changed: ALTER POLICY in place. (A different command or
    /// PERMISSIVE/RESTRICTIVE is a drop and an add: PostgreSQL cannot alter those.)
    ModifyPolicy { from: Policy, to: Policy },
}

impl TableChange {
    /// The column, index, constraint or policy a table change is about, where it has one.
    pub fn object_name(&self) -> Option<&str> {
        match self {
            TableChange::AddColumn { column } | TableChange::DropColumn { column } => Some(&column.name),
            TableChange::ModifyColumn { to, .. } => Some(&to.name),
            TableChange::AddIndex { index } | TableChange::DropIndex { index } => Some(&index.name),
            TableChange::AddForeignKey { fk } | TableChange::DropForeignKey { fk } => Some(&fk.name),
            TableChange::AddCheck { check } | TableChange::DropCheck { check } => Some(&check.name),
            TableChange::AddPolicy { policy } | TableChange::DropPolicy { policy } => Some(&policy.name),
            TableChange::ModifyPolicy { to, .. } => Some(&to.name),
            TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. } | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. } => None,
            TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. } => None,
        }
    }
}

impl Change {
    /// Views, routines and triggers: the change's kind as lint sees it (`add_view`,
    /// `drop_function`, …), its schema, and the object (`view`, `f(integer)`, `table.trigger`).
    pub fn object(&self) -> Option<(&'static str, &str, String)> {
        Some(match self {
            Change::AddView { schema, view } => (if view.materialized { "add_materialized_view" } else { "add_view" }, schema, view.name.clone()),
            Change::DropView { schema, view } => (if view.materialized { "drop_materialized_view" } else { "drop_view" }, schema, view.name.clone()),
            Change::ModifyView { schema, to, .. } => ("modify_view", schema, to.name.clone()),
            Change::AddFunction { schema, func } => ("add_function", schema, func.signature()),
            Change::DropFunction { schema, func } => ("drop_function", schema, func.signature()),
            Change::ModifyFunction { schema, to, .. } => ("modify_function", schema, to.signature()),
            Change::AddTrigger { schema, trigger } => ("add_trigger", schema, format!("{}.{}", trigger.table, trigger.name)),
            Change::DropTrigger { schema, trigger } => ("drop_trigger", schema, format!("{}.{}", trigger.table, trigger.name)),
            Change::ModifyTrigger { schema, to, .. } => ("modify_trigger", schema, format!("{}.{}", to.table, to.name)),
            Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. }
            | Change::AddObject { .. } | Change::DropObject { .. } | Change::ModifyObject { .. } | Change::AddEnum { .. }
            | Change::DropEnum { .. } | Change::ModifyEnum { .. } | Change::AddDomain { .. } | Change::DropDomain { .. }
            | Change::ModifyDomain { .. } | Change::AddSequence { .. } | Change::DropSequence { .. }
            | Change::ModifySequence { .. } | Change::RenameTable { .. } | Change::RenameColumn { .. }
            | Change::RenameIndex { .. } | Change::Grant { .. } | Change::Revoke { .. }
            | Change::DefaultPrivileges { .. } | Change::AddRole { .. } | Change::AddTable { .. }
            | Change::DropTable { .. } | Change::ModifyTable { .. } => return None,
        })
    }

    /// The tables a change creates, alters, renames (both names), drops, or rewrites (the
    /// tables whose columns use a recreated enum, or a changed or dropped generic type), as
    /// (schema, table). The rehearsal copies
    /// these; apply looks for the sessions that hold locks on them.
    pub fn tables(&self) -> Vec<(&str, &str)> {
        match self {
            Change::AddTable { schema, table } | Change::DropTable { schema, table } => vec![(schema, &table.name)],
            Change::ModifyTable { schema, table, .. } | Change::RenameColumn { schema, table, .. } | Change::RenameIndex { schema, table, .. } => vec![(schema, table)],
            Change::RenameTable { schema, from, to } => vec![(schema, from), (schema, to)],
            // Recreating an enum converts the columns that use it.
            Change::ModifyEnum { users, .. } => users.iter().map(|u| (u.schema.as_str(), u.table.as_str())).collect(),
            Change::DropObject { users, .. } | Change::ModifyObject { users, .. } => users.iter().map(|(s, t)| (s.as_str(), t.as_str())).collect(),
            Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. }
            | Change::AddObject { .. } | Change::AddEnum { .. }
            | Change::DropEnum { .. } | Change::AddDomain { .. } | Change::DropDomain { .. }
            | Change::ModifyDomain { .. } | Change::AddSequence { .. } | Change::DropSequence { .. }
            | Change::ModifySequence { .. } | Change::AddView { .. } | Change::DropView { .. }
            | Change::ModifyView { .. } | Change::AddFunction { .. } | Change::DropFunction { .. }
            | Change::ModifyFunction { .. } | Change::AddTrigger { .. } | Change::DropTrigger { .. }
            | Change::ModifyTrigger { .. } | Change::Grant { .. } | Change::Revoke { .. }
            | Change::DefaultPrivileges { .. } | Change::AddRole { .. } => Vec::new(),
        }
    }

    /// True for changes that remove data or objects.
    pub fn destructive(&self) -> bool {
        match self {
            Change::DropSchema { .. } | Change::DropTable { .. } | Change::DropObject { .. } | Change::DropEnum { .. } | Change::DropDomain { .. } | Change::DropSequence { .. } => true,
            Change::ModifyEnum { from, to, .. } => from.values.iter().any(|v| !to.values.contains(v)),
            Change::ModifyObject { from, to, .. } => from.change_loses_data(to),
            Change::ModifyTable { changes, .. } => changes.iter().any(|c| matches!(c, TableChange::DropColumn { .. })),
            Change::AddSchema { .. } | Change::ModifySchema { .. } | Change::AddObject { .. }
            | Change::AddEnum { .. } | Change::AddDomain { .. } | Change::ModifyDomain { .. }
            | Change::AddSequence { .. } | Change::ModifySequence { .. } | Change::RenameTable { .. }
            | Change::RenameColumn { .. } | Change::RenameIndex { .. } | Change::AddView { .. }
            | Change::DropView { .. } | Change::ModifyView { .. } | Change::AddFunction { .. }
            | Change::DropFunction { .. } | Change::ModifyFunction { .. } | Change::AddTrigger { .. }
            | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } | Change::Grant { .. } | Change::Revoke { .. }
            | Change::DefaultPrivileges { .. } | Change::AddRole { .. } | Change::AddTable { .. } => false,
        }
    }
}

/// Which schemas the comparison covers: those on either side. Declared renames come first, and
/// the rest is compared against the current state as it is after them.
pub fn diff(from: &Realm, to: &Realm) -> Vec<Change> {
    let (renamed, mut out) = match renames::apply(from, to) {
        Some((r, changes)) => (Some(r), changes),
        None => (None, Vec::new()),
    };
    let from = renamed.as_ref().unwrap_or(from);
    let from_s: HashMap<&str, &Schema> = from.schemas.iter().map(|s| (s.name.as_str(), s)).collect();
    let to_s: HashMap<&str, &Schema> = to.schemas.iter().map(|s| (s.name.as_str(), s)).collect();
    for s in &to.schemas {
        match from_s.get(s.name.as_str()) {
            None => {
                out.push(Change::AddSchema { schema: bare(s) });
                schema_objects(from, &Schema { name: s.name.clone(), ..Default::default() }, s, &mut out);
            }
            Some(f) => {
                // Schema attributes the desired state leaves out are not managed: PostgreSQL's
                // `public` comes with a comment, MySQL databases with the server's charset.
                let differs = |a: &Option<String>, b: &Option<String>| b.is_some() && a != b;
                if differs(&f.comment, &s.comment) || differs(&f.charset, &s.charset) || differs(&f.collate, &s.collate) {
                    out.push(Change::ModifySchema { from: bare(f), to: bare(s) });
                }
                schema_objects(from, f, s, &mut out)
            }
        }
    }
    // Privileges, once every object is known on both sides.
    let empty = Schema::default();
    for s in &to.schemas {
        grants::schema(from_s.get(s.name.as_str()).copied().unwrap_or(&empty), s, &mut out);
    }
    for r in &to.roles {
        if !from.roles.contains(r) && !from.server_roles.contains(r) {
            out.push(Change::AddRole { name: r.clone() });
        }
    }
    for s in &from.schemas {
        if !to_s.contains_key(s.name.as_str()) {
            // Everything in the schema goes first, so DROP SCHEMA needs no CASCADE.
            schema_objects(from, s, &Schema { name: s.name.clone(), ..Default::default() }, &mut out);
            out.push(Change::DropSchema { schema: s.name.clone() });
        }
    }
    out
}

/// `to`'s options with MySQL's AUTO_INCREMENT counter as `from` has it, unless `to` asks for a
/// higher one: the counter is state that rows advance, so only a desired start above it is a
/// change (as in Atlas).
fn with_counter(from: &TableOptions, to: &TableOptions) -> TableOptions {
    let keep = match (from.auto_increment, to.auto_increment) {
        (_, None) => true,
        (Some(c), Some(d)) => c >= d,
        (None, Some(_)) => false,
    };
    TableOptions { auto_increment: if keep { from.auto_increment } else { to.auto_increment }, ..to.clone() }
}

/// A schema without its objects (for schema-level changes).
fn bare(s: &Schema) -> Schema {
    Schema { name: s.name.clone(), comment: s.comment.clone(), charset: s.charset.clone(), collate: s.collate.clone(), ..Default::default() }
}

/// Columns of `realm` typed with the enum `schema.name`.
fn enum_users(realm: &Realm, schema: &str, name: &str) -> Vec<EnumUser> {
    let q = crate::schema::type_ref::qualified(schema, name);
    let mut out = Vec::new();
    for s in &realm.schemas {
        for t in &s.tables {
            for c in &t.columns {
                let array = c.ty == format!("{q}[]");
                if c.ty == q || array {
                    out.push(EnumUser { schema: s.name.clone(), table: t.name.clone(), column: c.name.clone(), array, default: c.default.clone() });
                }
            }
        }
        for d in &s.domains {
            if d.ty == q {
                // A domain over the enum: its columns follow the domain; not converted here.
            }
        }
    }
    out
}

fn schema_objects(realm: &Realm, from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let sn = to.name.clone();
    // Drops of generic objects first and additions after the enums and domains: a composite
    // type may use either, and goes before them when dropped.
    let (mut drops, mut adds) = (Vec::new(), Vec::new());
    kinds(realm, &sn, from, to, &mut drops, &mut adds);
    out.append(&mut drops);
    // Enums
    let fe: HashMap<&str, &EnumType> = from.enums.iter().map(|e| (e.name.as_str(), e)).collect();
    for e in &to.enums {
        match fe.get(e.name.as_str()) {
            None => out.push(Change::AddEnum { schema: sn.clone(), value: e.clone() }),
            Some(old) if *old != e => {
                out.push(Change::ModifyEnum { schema: sn.clone(), from: (*old).clone(), to: e.clone(), users: enum_users(realm, &sn, &e.name) });
            }
            _ => {}
        }
    }
    let te: HashMap<&str, ()> = to.enums.iter().map(|e| (e.name.as_str(), ())).collect();
    for e in &from.enums {
        if !te.contains_key(e.name.as_str()) {
            out.push(Change::DropEnum { schema: sn.clone(), name: e.name.clone() });
        }
    }
    let fd: HashMap<&str, &Domain> = from.domains.iter().map(|d| (d.name.as_str(), d)).collect();
    for d in &to.domains {
        match fd.get(d.name.as_str()) {
            None => out.push(Change::AddDomain { schema: sn.clone(), value: d.clone() }),
            Some(old) if *old != d => out.push(Change::ModifyDomain { schema: sn.clone(), from: (*old).clone(), to: d.clone() }),
            _ => {}
        }
    }
    for d in &from.domains {
        if !to.domains.iter().any(|x| x.name == d.name) {
            out.push(Change::DropDomain { schema: sn.clone(), name: d.name.clone() });
        }
    }
    let fq: HashMap<&str, &Sequence> = from.sequences.iter().map(|d| (d.name.as_str(), d)).collect();
    for q in &to.sequences {
        match fq.get(q.name.as_str()) {
            None => out.push(Change::AddSequence { schema: sn.clone(), value: q.clone() }),
            Some(old) if *old != q => out.push(Change::ModifySequence { schema: sn.clone(), from: (*old).clone(), to: q.clone() }),
            _ => {}
        }
    }
    for q in &from.sequences {
        if !to.sequences.iter().any(|x| x.name == q.name) {
            out.push(Change::DropSequence { schema: sn.clone(), name: q.name.clone() });
        }
    }
    out.append(&mut adds);
    let ft: HashMap<&str, &Table> = from.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let tt: HashMap<&str, &Table> = to.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in &to.tables {
        match ft.get(t.name.as_str()) {
            None => out.push(Change::AddTable { schema: sn.clone(), table: t.clone() }),
            // Most tables of a large schema are unchanged: comparing is cheaper than indexing
            // their columns and keys to diff them.
            Some(old) if *old == t => {}
            Some(old) => {
                let mut changes = table(old, t);
                if let Some(of) = t.partition_of.as_ref().filter(|of| of.schema == sn) {
                    inherited_by_partition(&mut changes, ft.get(of.table.as_str()).copied(), tt.get(of.table.as_str()).copied());
                }
                if !changes.is_empty() {
                    out.push(Change::ModifyTable { schema: sn.clone(), table: t.name.clone(), from: Box::new((*old).clone()), to: Box::new(t.clone()), changes });
                }
            }
        }
    }
    // Partitions go before the tables they belong to: dropping a partitioned table drops its
    // partitions with it, so a later DROP of a partition would fail on a table that is gone.
    let dropped = from.tables.iter().filter(|t| !tt.contains_key(t.name.as_str()));
    let (partitions, others): (Vec<&Table>, Vec<&Table>) = dropped.partition(|t| t.partition_of.is_some());
    for t in partitions.into_iter().chain(others) {
        out.push(Change::DropTable { schema: sn.clone(), table: t.clone() });
    }
    objects(from, to, out);
}

/// Objects of the generic kinds, matched by (kind, name): drops into `drops`, additions and
/// changes into `adds`, each in an order the database can follow (`kinds::creation_order`).
fn kinds(realm: &Realm, sn: &str, from: &Schema, to: &Schema, drops: &mut Vec<Change>, adds: &mut Vec<Change>) {
    let old: HashMap<(&str, &str), &Object> = from.objects.iter().map(|o| (o.key(), o)).collect();
    let new: HashMap<(&str, &str), &Object> = to.objects.iter().map(|o| (o.key(), o)).collect();
    for o in creation_order(sn, &to.objects) {
        match old.get(&o.key()) {
            None => adds.push(Change::AddObject { schema: sn.to_string(), object: o.clone() }),
            Some(was) if *was != o => adds.push(Change::ModifyObject { schema: sn.to_string(), from: (*was).clone(), to: o.clone(), users: type_users(realm, sn, o) }),
            Some(_) => {}
        }
    }
    // Users before the types they use.
    for o in creation_order(sn, &from.objects).into_iter().rev() {
        if !new.contains_key(&o.key()) {
            drops.push(Change::DropObject { schema: sn.to_string(), object: o.clone(), users: type_users(realm, sn, o) });
        }
    }
}

/// Tables of `realm` with a column of `o` (or an array of it), when `o` is a type of `schema`.
fn type_users(realm: &Realm, schema: &str, o: &Object) -> Vec<(String, String)> {
    if !o.is_type() {
        return Vec::new();
    }
    let q = crate::schema::type_ref::qualified(schema, o.name());
    let mut out = Vec::new();
    for s in &realm.schemas {
        for t in s.tables.iter().filter(|t| t.columns.iter().any(|c| c.ty.trim_end_matches("[]") == q)) {
            out.push((s.name.clone(), t.name.clone()));
        }
    }
    out
}

/// Views, routines (by signature: overloads are distinct) and triggers (by table and name).
fn objects(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    let sn = to.name.clone();
    let fv: HashMap<&str, &View> = from.views.iter().map(|v| (v.name.as_str(), v)).collect();
    let tv: HashMap<&str, &View> = to.views.iter().map(|v| (v.name.as_str(), v)).collect();
    for v in &to.views {
        match fv.get(v.name.as_str()) {
            None => out.push(Change::AddView { schema: sn.clone(), view: v.clone() }),
            Some(old) if *old != v => out.push(Change::ModifyView { schema: sn.clone(), from: (*old).clone(), to: v.clone() }),
            _ => {}
        }
    }
    for v in &from.views {
        if !tv.contains_key(v.name.as_str()) {
            out.push(Change::DropView { schema: sn.clone(), view: v.clone() });
        }
    }
    let ff: HashMap<String, &Function> = from.functions.iter().map(|f| (f.signature(), f)).collect();
    let tf: HashMap<String, &Function> = to.functions.iter().map(|f| (f.signature(), f)).collect();
    for f in &to.functions {
        match ff.get(&f.signature()) {
            None => out.push(Change::AddFunction { schema: sn.clone(), func: f.clone() }),
            Some(old) if *old != f => out.push(Change::ModifyFunction { schema: sn.clone(), from: (*old).clone(), to: f.clone() }),
            _ => {}
        }
    }
    for f in &from.functions {
        if !tf.contains_key(&f.signature()) {
            out.push(Change::DropFunction { schema: sn.clone(), func: f.clone() });
        }
    }
    let ft: HashMap<(&str, &str), &Trigger> = from.triggers.iter().map(|t| ((t.table.as_str(), t.name.as_str()), t)).collect();
    let tt: HashMap<(&str, &str), &Trigger> = to.triggers.iter().map(|t| ((t.table.as_str(), t.name.as_str()), t)).collect();
    for t in &to.triggers {
        match ft.get(&(t.table.as_str(), t.name.as_str())) {
            None => out.push(Change::AddTrigger { schema: sn.clone(), trigger: t.clone() }),
            Some(old) if *old != t => out.push(Change::ModifyTrigger { schema: sn.clone(), from: (*old).clone(), to: t.clone() }),
            _ => {}
        }
    }
    for t in &from.triggers {
        if !tt.contains_key(&(t.table.as_str(), t.name.as_str())) {
            out.push(Change::DropTrigger { schema: sn.clone(), trigger: t.clone() });
        }
    }
}

/// Column changes a partition only inherits from its partitioned table: PostgreSQL makes them
/// on the parent and refuses them on a partition ("cannot add column to a partition"), so they
/// are planned once, on the parent.
fn inherited_by_partition(changes: &mut Vec<TableChange>, parent_from: Option<&Table>, parent_to: Option<&Table>) {
    let (Some(pf), Some(pt)) = (parent_from, parent_to) else { return };
    changes.retain(|c| match c {
        TableChange::AddColumn { column } => pt.column(&column.name).is_none(),
        TableChange::DropColumn { column } => !(pf.column(&column.name).is_some() && pt.column(&column.name).is_none()),
        TableChange::ModifyColumn { to, .. } => !(pt.column(&to.name) == Some(to) && pf.column(&to.name) != Some(to)),
        TableChange::AddIndex { .. } | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. }
        | TableChange::DropPrimaryKey { .. } | TableChange::AddForeignKey { .. } | TableChange::DropForeignKey { .. }
        | TableChange::AddCheck { .. } | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. }
        | TableChange::ModifyOptions { .. } | TableChange::ModifyPartitionOf { .. }
        | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. }
        | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => true,
    });
}

/// A name the server made up for a foreign key declared without one: MySQL/MariaDB's
/// `<table>_ibfk_<n>`, PostgreSQL's `<table>_<columns>_fkey[<n>]`.
fn auto_fk_name(table: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(table).and_then(|r| r.strip_prefix('_')) else { return false };
    rest.strip_prefix("ibfk_").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || rest.trim_end_matches(|c: char| c.is_ascii_digit()).ends_with("_fkey")
}

/// Foreign keys the desired state leaves unnamed are matched by what they are, not by the name
/// the server gave them: the target's `posts_ibfk_2` is the desired `posts_ibfk_1` when both say
/// the same thing (the numbers follow the order the keys were added in, which differs between a
/// database grown by migrations and a fresh load). Dropping and re-adding such a key would lock
/// and re-validate the table for nothing. Returns the names kept on each side.
fn same_definition_fks<'a>(table: &str, from: &'a [ForeignKey], to: &'a [ForeignKey], ff: &HashMap<&str, &ForeignKey>, tf: &HashMap<&str, &ForeignKey>) -> (std::collections::HashSet<&'a str>, std::collections::HashSet<&'a str>) {
    let same = |a: &ForeignKey, b: &ForeignKey| ForeignKey { name: String::new(), pos: None, ..a.clone() } == ForeignKey { name: String::new(), pos: None, ..b.clone() };
    let unmatched_from: Vec<&ForeignKey> = from.iter().filter(|f| tf.get(f.name.as_str()).is_none_or(|n| *n != *f)).collect();
    let (mut kept_from, mut kept_to) = (std::collections::HashSet::new(), std::collections::HashSet::new());
    for t in to.iter().filter(|t| ff.get(t.name.as_str()).is_none_or(|o| *o != *t) && auto_fk_name(table, &t.name)) {
        if let Some(f) = unmatched_from.iter().find(|f| !kept_from.contains(f.name.as_str()) && same(f, t)) {
            kept_from.insert(f.name.as_str());
            kept_to.insert(t.name.as_str());
        }
    }
    // A key still to be added under a name a kept key holds would collide: then plan by name.
    let added_names = to.iter().filter(|t| !kept_to.contains(t.name.as_str()) && ff.get(t.name.as_str()).is_none_or(|o| *o != *t));
    if added_names.clone().any(|t| kept_from.contains(t.name.as_str())) {
        return Default::default();
    }
    (kept_from, kept_to)
}

/// Whether an index must be rebuilt. A unique constraint the schema file declares as a plain
/// unique index (`index { unique = true }`, how Atlas wrote constraints for years) is the same
/// index: it is kept as the constraint it is. The other way round (a `unique` block over a
/// plain index) is a change, since the file asks for the constraint.
fn index_changed(from: &Index, to: &Index) -> bool {
    from != to && !(from.constraint && !to.constraint && to.unique && *from == Index { constraint: true, ..to.clone() })
}

/// What sits on a column that becomes generated or is generated anew (another expression or
/// kind): engines that replace such a column (drop and add) lose its indexes and checks with it
/// and build them again, except the ones `changes` adds anyway.
pub struct OnRegenerated<'a> {
    pub indexes: Vec<&'a Index>,
    pub checks: Vec<&'a crate::schema::Check>,
}

pub fn on_regenerated_columns<'a>(to: &'a Table, changes: &[TableChange], dialect: crate::schema::Dialect) -> OnRegenerated<'a> {
    let regenerated: Vec<&str> = changes
        .iter()
        .filter_map(|c| if let TableChange::ModifyColumn { to: col, what, .. } = c { Some((col, what)) } else { None })
        .filter(|(col, what)| what.contains(&"generated") && col.generated.is_some())
        .map(|(col, _)| col.name.as_str())
        .collect();
    // Every modified table passes here: most replace no column, and scan nothing.
    if regenerated.is_empty() {
        return OnRegenerated { indexes: vec![], checks: vec![] };
    }
    let names = |sql: &str| crate::schema::refs::idents(sql, dialect).into_iter().any(|w| regenerated.contains(&w.as_str()));
    let added_index = |n: &str| changes.iter().any(|c| matches!(c, TableChange::AddIndex { index } if index.name == n));
    let added_check = |n: &str| changes.iter().any(|c| matches!(c, TableChange::AddCheck { check } if check.name == n));
    OnRegenerated {
        indexes: to
            .indexes
            .iter()
            .filter(|i| !added_index(&i.name))
            .filter(|i| i.parts.iter().any(|p| p.column.as_deref().is_some_and(|c| regenerated.contains(&c)) || p.expr.as_deref().is_some_and(names)))
            .collect(),
        checks: to.checks.iter().filter(|c| !added_check(&c.name) && names(&c.expr)).collect(),
    }
}

pub fn table(from: &Table, to: &Table) -> Vec<TableChange> {
    let mut out = Vec::new();
    let fc: HashMap<&str, &Column> = from.columns.iter().map(|c| (c.name.as_str(), c)).collect();
    let tc: HashMap<&str, &Column> = to.columns.iter().map(|c| (c.name.as_str(), c)).collect();
    // Drops of keys and indexes come first so the columns they cover can change.
    let fi: HashMap<&str, &Index> = from.indexes.iter().map(|i| (i.name.as_str(), i)).collect();
    let ti: HashMap<&str, &Index> = to.indexes.iter().map(|i| (i.name.as_str(), i)).collect();
    let ff: HashMap<&str, &ForeignKey> = from.foreign_keys.iter().map(|i| (i.name.as_str(), i)).collect();
    let tf: HashMap<&str, &ForeignKey> = to.foreign_keys.iter().map(|i| (i.name.as_str(), i)).collect();
    let fk_changed = |a: &ForeignKey, b: &ForeignKey| a != b;
    let (kept_from, kept_to) = same_definition_fks(&to.name, &from.foreign_keys, &to.foreign_keys, &ff, &tf);
    for f in &from.foreign_keys {
        if tf.get(f.name.as_str()).is_none_or(|n| fk_changed(f, n)) && !kept_from.contains(f.name.as_str()) {
            out.push(TableChange::DropForeignKey { fk: f.clone() });
        }
    }
    for i in &from.indexes {
        if ti.get(i.name.as_str()).is_none_or(|n| index_changed(i, n)) {
            out.push(TableChange::DropIndex { index: i.clone() });
        }
    }
    let fchk: HashMap<(&str, &str), &Check> = from.checks.iter().map(|c| ((c.name.as_str(), c.expr.as_str()), c)).collect();
    let tchk: HashMap<(&str, &str), &Check> = to.checks.iter().map(|c| ((c.name.as_str(), c.expr.as_str()), c)).collect();
    for c in &from.checks {
        if tchk.get(&(c.name.as_str(), c.expr.as_str())).is_none_or(|n| *n != c) {
            out.push(TableChange::DropCheck { check: c.clone() });
        }
    }
    if from.primary_key != to.primary_key {
        if let Some(pk) = &from.primary_key {
            out.push(TableChange::DropPrimaryKey { key: pk.clone() });
        }
    }
    for c in &to.columns {
        match fc.get(c.name.as_str()) {
            None => out.push(TableChange::AddColumn { column: c.clone() }),
            Some(old) if *old != c => {
                let mut what = Vec::new();
                if old.ty != c.ty {
                    what.push("type");
                }
                if old.null != c.null {
                    what.push("null");
                }
                if old.default != c.default {
                    what.push("default");
                }
                if old.identity != c.identity || old.auto_increment != c.auto_increment {
                    what.push("identity");
                }
                if old.generated != c.generated {
                    what.push("generated");
                }
                if old.collate != c.collate || old.charset != c.charset {
                    what.push("collation");
                }
                if old.comment != c.comment {
                    what.push("comment");
                }
                if old.on_update != c.on_update {
                    what.push("on_update");
                }
                out.push(TableChange::ModifyColumn { from: (*old).clone(), to: c.clone(), what });
            }
            _ => {}
        }
    }
    for c in &from.columns {
        if !tc.contains_key(c.name.as_str()) {
            out.push(TableChange::DropColumn { column: c.clone() });
        }
    }
    if from.primary_key != to.primary_key {
        if let Some(pk) = &to.primary_key {
            out.push(TableChange::AddPrimaryKey { key: pk.clone() });
        }
    }
    for c in &to.checks {
        if fchk.get(&(c.name.as_str(), c.expr.as_str())).is_none_or(|o| *o != c) {
            out.push(TableChange::AddCheck { check: c.clone() });
        }
    }
    for i in &to.indexes {
        if fi.get(i.name.as_str()).is_none_or(|o| index_changed(o, i)) {
            out.push(TableChange::AddIndex { index: i.clone() });
        }
    }
    for f in &to.foreign_keys {
        if ff.get(f.name.as_str()).is_none_or(|o| fk_changed(o, f)) && !kept_to.contains(f.name.as_str()) {
            out.push(TableChange::AddForeignKey { fk: f.clone() });
        }
    }
    if from.comment != to.comment {
        out.push(TableChange::ModifyComment { from: from.comment.clone(), to: to.comment.clone() });
    }
    if from.options != with_counter(&from.options, &to.options) {
        out.push(TableChange::ModifyOptions { from: from.options.clone(), to: to.options.clone() });
    }
    if from.partition_of != to.partition_of {
        out.push(TableChange::ModifyPartitionOf { from: from.partition_of.clone(), to: to.partition_of.clone() });
    }
    if from.partition != to.partition {
        out.push(TableChange::ModifyPartitionKey { from: from.partition.clone(), to: to.partition.clone() });
    }
    policies(from, to, &mut out);
    out
}

fn policies(from: &Table, to: &Table, out: &mut Vec<TableChange>) {
    let fp: HashMap<&str, &Policy> = from.policies.iter().map(|p| (p.name.as_str(), p)).collect();
    let tp: HashMap<&str, &Policy> = to.policies.iter().map(|p| (p.name.as_str(), p)).collect();
    // ALTER POLICY sets roles and expressions but cannot change the command or kind, nor remove
    // a USING or WITH CHECK clause.
    let alterable = |a: &Policy, b: &Policy| a.command == b.command && a.permissive == b.permissive && (a.using.is_none() || b.using.is_some()) && (a.check.is_none() || b.check.is_some());
    for p in &from.policies {
        match tp.get(p.name.as_str()) {
            None => out.push(TableChange::DropPolicy { policy: p.clone() }),
            Some(n) if *n != p && !alterable(p, n) => out.push(TableChange::DropPolicy { policy: p.clone() }),
            _ => {}
        }
    }
    if from.row_security != to.row_security {
        out.push(TableChange::ModifyRowSecurity { from: from.row_security, to: to.row_security });
    }
    for p in &to.policies {
        match fp.get(p.name.as_str()) {
            None => out.push(TableChange::AddPolicy { policy: p.clone() }),
            Some(o) if *o != p && alterable(o, p) => out.push(TableChange::ModifyPolicy { from: (*o).clone(), to: p.clone() }),
            Some(o) if *o != p => out.push(TableChange::AddPolicy { policy: p.clone() }),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(name: &str, constraint: bool) -> Index {
        Index { name: name.into(), unique: true, constraint, parts: vec![IndexPart { column: Some("a".into()), ..Default::default() }], ..Default::default() }
    }

    #[test]
    fn a_unique_constraint_declared_as_a_unique_index_is_kept() {
        let t = |i: Index| Table { name: "t".into(), columns: vec![Column { name: "a".into(), ty: "integer".into(), ..Default::default() }], indexes: vec![i], ..Default::default() };
        assert!(table(&t(unique("t_a_key", true)), &t(unique("t_a_key", false))).is_empty());
        // The file asking for the constraint over a plain index is a change.
        assert_eq!(table(&t(unique("t_a_key", false)), &t(unique("t_a_key", true))).len(), 2);
        // So is any other difference.
        let mut partial = unique("t_a_key", false);
        partial.where_clause = Some("a > 0".into());
        assert_eq!(table(&t(unique("t_a_key", true)), &t(partial)).len(), 2);
    }

    #[test]
    fn the_tables_a_change_touches() {
        let renamed = Change::RenameTable { schema: "s".into(), from: "a".into(), to: "b".into() };
        assert_eq!(renamed.tables(), vec![("s", "a"), ("s", "b")]);
        // A recreated enum rewrites the tables whose columns use it: they are locked too.
        let users = ["t1", "t2"].map(|t| EnumUser { schema: "s".into(), table: t.into(), column: "c".into(), array: false, default: None }).to_vec();
        let e = |values: &[&str]| EnumType { name: "e".into(), values: values.iter().map(|v| v.to_string()).collect(), comment: None };
        let recreated = Change::ModifyEnum { schema: "s".into(), from: e(&["a", "b"]), to: e(&["b"]), users };
        assert_eq!(recreated.tables(), vec![("s", "t1"), ("s", "t2")]);
        assert!(Change::AddRole { name: "r".into() }.tables().is_empty());
    }

    #[test]
    fn a_changed_composite_touches_the_tables_whose_columns_use_it() {
        let c = |fields: &[&str]| Object::Composite(Composite { name: "address".into(), fields: fields.iter().map(|f| CompositeField { name: f.to_string(), ty: "text".into(), collate: None }).collect(), comment: None });
        let col = |ty: &str| Column { name: "at".into(), ty: ty.into(), ..Default::default() };
        let table = |n: &str, ty: &str| Table { name: n.into(), columns: vec![col(ty)], ..Default::default() };
        let schema = |o: Object| Schema { name: "public".into(), objects: vec![o], tables: vec![table("shops", "public.address"), table("stops", "public.address[]"), table("other", "text")], ..Default::default() };
        let (from, to) = (Realm { schemas: vec![schema(c(&["street", "zip"]))], ..Default::default() }, Realm { schemas: vec![schema(c(&["street"]))], ..Default::default() });
        let changes = diff(&from, &to);
        let [m @ Change::ModifyObject { .. }] = changes.as_slice() else { panic!("{changes:?}") };
        assert_eq!(m.tables(), vec![("public", "shops"), ("public", "stops")]);
    }
}
