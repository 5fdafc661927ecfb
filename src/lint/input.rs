//! The lint input document (documented in docs/policies.md): one entry per change with its kind,
//! names, old and new definitions, the SQL it produced and where the desired object is declared;
//! plus facts from the target, the overrides' sources and the PR labels.

use crate::diff::{Change, TableChange};
use crate::plan::Plan;
use crate::statement::Statement;
use crate::schema::*;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// `character varying(255)` → ("character varying", Some(255)).
fn type_parts(ty: &str) -> (String, Option<i64>) {
    let t = ty.trim();
    match (t.find('('), t.find(')')) {
        (Some(o), Some(c)) if c > o => {
            let base = format!("{}{}", &t[..o], &t[c + 1..]).trim().to_string();
            let len = t[o + 1..c].split(',').next().and_then(|n| n.trim().parse().ok());
            let lengthy = ["character varying", "varchar", "character", "char", "nvarchar", "varbinary", "binary", "bit varying", "bit"];
            (base.clone(), if lengthy.contains(&base.as_str()) { len } else { None })
        }
        _ => (t.to_string(), None),
    }
}

fn default_text(d: &Dialect, v: &Option<ColumnDefault>) -> Json {
    match v {
        None => Json::Null,
        Some(d2) => Json::String(crate::engine::of(*d).default_sql(d2)),
    }
}

pub fn column(d: Dialect, c: &Column) -> Json {
    let (base, len) = type_parts(&c.ty);
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("type".into(), json!(base));
    m.insert("full_type".into(), json!(c.ty));
    if let Some(l) = len {
        m.insert("length".into(), json!(l));
    }
    m.insert("null".into(), json!(c.null));
    let dflt = default_text(&d, &c.default);
    if !dflt.is_null() {
        m.insert("default".into(), dflt);
    }
    if let Some(g) = &c.generated {
        m.insert("generated".into(), json!(g.expr));
    }
    if c.identity.is_some() {
        m.insert("identity".into(), json!(true));
    }
    if c.auto_increment {
        m.insert("auto_increment".into(), json!(true));
    }
    Json::Object(m)
}

fn index(i: &Index) -> Json {
    json!({
        "name": i.name,
        "unique": i.unique,
        "columns": i.parts.iter().filter_map(|p| p.column.clone()).collect::<Vec<_>>(),
        "expressions": i.parts.iter().filter_map(|p| p.expr.clone()).collect::<Vec<_>>(),
        "method": i.method,
        "where": i.where_clause,
    })
}

/// Where the desired object is declared: the column, index, … if it still exists, else its table.
fn source(desired: &Realm, schema: &str, table: &str, part: Option<(&str, &str)>) -> Json {
    let Some(t) = desired.table(schema, table) else { return Json::Null };
    let pos = match part {
        Some(("column", n)) => t.column(n).and_then(|c| c.pos.clone()),
        Some(("index", n)) => t.indexes.iter().find(|i| i.name == n).and_then(|i| i.pos.clone()),
        Some(("check", n)) => t.checks.iter().find(|c| c.name == n).and_then(|c| c.pos.clone()),
        Some(("fk", n)) => t.foreign_keys.iter().find(|c| c.name == n).and_then(|c| c.pos.clone()),
        Some(("policy", n)) => t.policies.iter().find(|p| p.name == n).and_then(|p| p.pos.clone()),
        _ => None,
    }
    .or_else(|| t.pos.clone());
    pos.map(|p| json!({"file": p.file, "line": p.line, "col": p.col})).unwrap_or(Json::Null)
}

/// Flatten the plan into lint changes.
pub fn changes(plan: &Plan, desired: &Realm) -> Vec<Json> {
    let d = plan.dialect;
    let mut out: Vec<Json> = Vec::new();
    let mut push = |mut v: Json, stmts: Vec<&Statement>| {
        v["id"] = json!(out.len());
        v["statements"] = json!(stmts.iter().map(|s| &s.sql).collect::<Vec<_>>());
        v["traffic"] = json!(stmts.iter().filter_map(|s| s.traffic.as_ref()).collect::<Vec<_>>());
        out.push(v);
    };
    let by_change = plan.statements_by_change();
    for (ci, c) in plan.changes.iter().enumerate() {
        match c {
            Change::AddSchema { schema } => push(json!({"kind": "add_schema", "schema": schema.name}), by_change[ci].clone()),
            Change::RenameTable { schema, from, to } => push(json!({"kind": "rename_table", "schema": schema, "table": to, "old": {"name": from}, "source": source(desired, schema, to, None)}), by_change[ci].clone()),
            Change::RenameIndex { schema, table, from, to, .. } => push(json!({"kind": "rename_index", "schema": schema, "table": table, "index": to, "old": {"name": from}}), by_change[ci].clone()),
            Change::RenameColumn { schema, table, from, to } => {
                push(json!({"kind": "rename_column", "schema": schema, "table": table, "column": to, "old": {"name": from}, "source": source(desired, schema, table, Some(("column", to)))}), by_change[ci].clone())
            }
            Change::DropSchema { schema } => push(json!({"kind": "drop_schema", "schema": schema, "destructive": true}), by_change[ci].clone()),
            Change::ModifySchema { to, .. } => push(json!({"kind": "modify_schema", "schema": to.name}), by_change[ci].clone()),
            Change::AddObject { schema, object } => push(json!({"kind": format!("add_{}", object.kind()), "schema": schema, "name": object.name(), "new": object}), by_change[ci].clone()),
            Change::DropObject { schema, object, .. } => push(json!({"kind": format!("drop_{}", object.kind()), "schema": schema, "name": object.name(), "old": object, "destructive": true}), by_change[ci].clone()),
            Change::ModifyObject { schema, from, to, .. } => {
                push(json!({"kind": format!("modify_{}", to.kind()), "schema": schema, "name": to.name(), "old": from, "new": to, "destructive": from.change_loses_data(to)}), by_change[ci].clone())
            }
            Change::AddEnum { schema, value } => push(json!({"kind": "add_enum", "schema": schema, "name": value.name, "new": {"values": value.values}}), by_change[ci].clone()),
            Change::DropEnum { schema, name } => push(json!({"kind": "drop_enum", "schema": schema, "name": name, "destructive": true}), by_change[ci].clone()),
            Change::ModifyEnum { schema, from, to, .. } => push(json!({"kind": "modify_enum", "schema": schema, "name": to.name, "old": {"values": from.values}, "new": {"values": to.values}}), by_change[ci].clone()),
            Change::AddDomain { schema, value } => push(json!({"kind": "add_domain", "schema": schema, "name": value.name}), by_change[ci].clone()),
            Change::DropDomain { schema, name } => push(json!({"kind": "drop_domain", "schema": schema, "name": name}), by_change[ci].clone()),
            Change::ModifyDomain { schema, to, .. } => push(json!({"kind": "modify_domain", "schema": schema, "name": to.name}), by_change[ci].clone()),
            Change::AddSequence { schema, value } => push(json!({"kind": "add_sequence", "schema": schema, "name": value.name}), by_change[ci].clone()),
            Change::DropSequence { schema, name } => push(json!({"kind": "drop_sequence", "schema": schema, "name": name}), by_change[ci].clone()),
            Change::ModifySequence { schema, to, .. } => push(json!({"kind": "modify_sequence", "schema": schema, "name": to.name}), by_change[ci].clone()),
            Change::AddView { .. }
            | Change::DropView { .. }
            | Change::ModifyView { .. }
            | Change::AddFunction { .. }
            | Change::DropFunction { .. }
            | Change::ModifyFunction { .. }
            | Change::AddTrigger { .. }
            | Change::DropTrigger { .. }
            | Change::ModifyTrigger { .. } => {
                let (kind, schema, name) = c.object().expect("object change");
                // A view, routine or trigger dropped to be created again (around a change it
                // depends on) is not lost.
                let add = kind.replacen("drop_", "add_", 1);
                let replaced = kind.starts_with("drop_") && plan.changes.iter().any(|x| x.object().is_some_and(|(k, s, n)| k == add && s == schema && n == name));
                push(json!({"kind": kind, "schema": schema, "name": name, "replaced": replaced}), by_change[ci].clone())
            }
            Change::Grant { schema, on, grant } => push(json!({"kind": "grant", "schema": schema, "object": on.label(schema), "grantee": grant.grantee, "privileges": grant.privileges, "grantable": grant.grantable}), by_change[ci].clone()),
            Change::Revoke { schema, on, grant, option_only } => {
                push(json!({"kind": "revoke", "schema": schema, "object": on.label(schema), "grantee": grant.grantee, "privileges": grant.privileges, "option_only": option_only}), by_change[ci].clone())
            }
            Change::DefaultPrivileges { schema, value, revoke, option_only } => push(
                json!({"kind": if *revoke { "revoke_default_privileges" } else { "grant_default_privileges" }, "schema": schema, "owner": value.owner, "on": value.on, "grantee": value.grantee, "privileges": value.privileges, "option_only": option_only}),
                by_change[ci].clone(),
            ),
            Change::AddRole { name } => push(json!({"kind": "add_role", "schema": "", "name": name}), by_change[ci].clone()),
            Change::AddTable { schema, table } => push(
                json!({"kind": "add_table", "schema": schema, "table": table.name, "new": {"columns": table.columns.iter().map(|c| column(d, c)).collect::<Vec<_>>()}, "source": source(desired, schema, &table.name, None)}),
                by_change[ci].clone(),
            ),
            Change::DropTable { schema, table } => push(json!({"kind": "drop_table", "schema": schema, "table": table.name, "destructive": true, "source": source(desired, schema, &table.name, None)}), by_change[ci].clone()),
            Change::ModifyTable { schema, table, from, changes, .. } => {
                // An index or foreign key dropped and added under the same name is one modification.
                let re_added = |name: &str| changes.iter().any(|x| matches!(x, TableChange::AddIndex { index } if index.name == name));
                let fk_re_added = |name: &str| changes.iter().any(|x| matches!(x, TableChange::AddForeignKey { fk } if fk.name == name));
                for tc in changes {
                    let base = |kind: &str| json!({"kind": kind, "schema": schema, "table": table});
                    let v = match tc {
                        TableChange::AddColumn { column: col } => {
                            let mut v = base("add_column");
                            v["column"] = json!(col.name);
                            v["new"] = column(d, col);
                            v["source"] = source(desired, schema, table, Some(("column", &col.name)));
                            v
                        }
                        TableChange::DropColumn { column: col } => {
                            let mut v = base("drop_column");
                            v["column"] = json!(col.name);
                            v["old"] = column(d, col);
                            v["destructive"] = json!(true);
                            v["source"] = source(desired, schema, table, None);
                            v
                        }
                        TableChange::ModifyColumn { from: a, to: b, what } => {
                            let mut v = base("modify_column");
                            v["column"] = json!(b.name);
                            v["old"] = column(d, a);
                            v["new"] = column(d, b);
                            v["changed"] = json!(what);
                            if what.contains(&"type") {
                                if let Some(l) = super::lossy::classify(d, &a.ty, &b.ty) {
                                    v["lossy"] = json!({"reason": l.reason, "probe": l.probe});
                                }
                            }
                            v["source"] = source(desired, schema, table, Some(("column", &b.name)));
                            v
                        }
                        TableChange::AddIndex { index: i } => {
                            let old = from.indexes.iter().find(|x| x.name == i.name && changes.iter().any(|y| matches!(y, TableChange::DropIndex { index } if index.name == i.name)));
                            let mut v = base(if old.is_some() { "modify_index" } else { "add_index" });
                            v["index"] = json!(i.name);
                            v["new"] = index(i);
                            if let Some(o) = old {
                                v["old"] = index(o);
                            }
                            v["source"] = source(desired, schema, table, Some(("index", &i.name)));
                            v
                        }
                        TableChange::DropIndex { index: i } => {
                            let mut v = base("drop_index");
                            v["index"] = json!(i.name);
                            v["old"] = index(i);
                            if re_added(&i.name) {
                                v["replaced"] = json!(true);
                            }
                            v["source"] = source(desired, schema, table, None);
                            v
                        }
                        TableChange::AddForeignKey { fk } => {
                            let mut v = base("add_foreign_key");
                            v["constraint"] = json!(fk.name);
                            v["new"] = json!({"columns": fk.columns, "ref_table": fk.ref_table, "ref_columns": fk.ref_columns});
                            v["source"] = source(desired, schema, table, Some(("fk", &fk.name)));
                            v
                        }
                        TableChange::DropForeignKey { fk } => {
                            let mut v = base("drop_foreign_key");
                            v["constraint"] = json!(fk.name);
                            v["old"] = json!({"columns": fk.columns, "ref_table": fk.ref_table, "ref_columns": fk.ref_columns});
                            if fk_re_added(&fk.name) {
                                v["replaced"] = json!(true);
                            }
                            v["source"] = source(desired, schema, table, None);
                            v
                        }
                        TableChange::AddCheck { check } => {
                            let mut v = base("add_check");
                            v["constraint"] = json!(check.name);
                            v["new"] = json!({"expr": check.expr});
                            v["source"] = source(desired, schema, table, Some(("check", &check.name)));
                            v
                        }
                        TableChange::DropCheck { check } => {
                            let mut v = base("drop_check");
                            v["constraint"] = json!(check.name);
                            v["old"] = json!({"expr": check.expr});
                            if changes.iter().any(|x| matches!(x, TableChange::AddCheck { check: c } if c.name == check.name)) {
                                v["replaced"] = json!(true);
                            }
                            v
                        }
                        TableChange::AddPrimaryKey { key } => {
                            let mut v = base("add_primary_key");
                            v["new"] = json!({"columns": key.columns});
                            v
                        }
                        TableChange::DropPrimaryKey { key } => {
                            let mut v = base("drop_primary_key");
                            v["old"] = json!({"columns": key.columns});
                            // Replaced by another key (or only renamed): the table keeps one.
                            if changes.iter().any(|x| matches!(x, TableChange::AddPrimaryKey { .. })) {
                                v["replaced"] = json!(true);
                            }
                            v
                        }
                        TableChange::ModifyComment { .. } => base("modify_comment"),
                        TableChange::ModifyOptions { .. } => base("modify_options"),
                        TableChange::ModifyPartitionOf { from: a, to: b } => {
                            let mut v = base("modify_partition_of");
                            v["old"] = json!(a);
                            v["new"] = json!(b);
                            v
                        }
                        TableChange::ModifyPartitionKey { from: a, to: b } => {
                            let mut v = base("modify_partition_key");
                            v["old"] = json!(a);
                            v["new"] = json!(b);
                            v
                        }
                        TableChange::ModifyRowSecurity { from: a, to: b } => {
                            let mut v = base("modify_row_security");
                            v["old"] = json!(a);
                            v["new"] = json!(b);
                            // Policies the table has before and after: disabling RLS on a table
                            // with policies makes them all void.
                            v["policies"] = json!(from.policies.iter().map(|p| &p.name).collect::<Vec<_>>());
                            v["source"] = source(desired, schema, table, None);
                            v
                        }
                        TableChange::AddPolicy { policy: p } => {
                            let mut v = base("add_policy");
                            v["policy"] = json!(p.name);
                            v["new"] = json!(p);
                            v["source"] = source(desired, schema, table, Some(("policy", &p.name)));
                            v
                        }
                        TableChange::DropPolicy { policy: p } => {
                            let mut v = base("drop_policy");
                            v["policy"] = json!(p.name);
                            v["old"] = json!(p);
                            if changes.iter().any(|x| matches!(x, TableChange::AddPolicy { policy } if policy.name == p.name)) {
                                v["replaced"] = json!(true);
                            }
                            v["source"] = source(desired, schema, table, None);
                            v
                        }
                        TableChange::ModifyPolicy { from: a, to: b } => {
                            let mut v = base("modify_policy");
                            v["policy"] = json!(b.name);
                            v["old"] = json!(a);
                            v["new"] = json!(b);
                            v["source"] = source(desired, schema, table, Some(("policy", &b.name)));
                            v
                        }
                    };
                    let name = ["column", "index", "constraint", "policy"].iter().find_map(|k| v[*k].as_str()).map(String::from);
                    push(v, plan.naming(&by_change[ci], name.as_deref()));
                }
            }
        }
    }
    out
}

/// Override sources for the policies.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Object path ("schema.table", "schema.table.column") → codes or analyzer names (empty: all).
    pub nolint: BTreeMap<String, Vec<String>>,
    pub labels: Vec<String>,
    pub allow_destructive_label: Option<String>,
    /// `--allow-destructive` / the Action's `allow-destructive` input: this run only.
    pub allow_destructive: bool,
    /// atlas.hcl `lint { destructive { error = false } … }`: per analyzer, whether its findings
    /// deny (`error = true`) or only warn (`error = false`).
    pub analyzers: Json,
}

pub fn document(plan: &Plan, desired: &Realm, facts: &super::facts::Facts, ov: &Overrides) -> Json {
    json!({
        "engine": plan.dialect.name(),
        // `statements`: the SQL; `steps`: each statement with its change and traffic facts.
        "plan": {"hash": plan.hash, "statements": plan.statements.iter().map(|s| &s.sql).collect::<Vec<_>>(), "steps": plan.statements},
        "changes": changes(plan, desired),
        "facts": facts,
        "labels": ov.labels,
        "overrides": {
            "nolint": ov.nolint,
            "allow_destructive_label": ov.allow_destructive_label,
            "allow_destructive": ov.allow_destructive,
            "analyzers": ov.analyzers,
        },
    })
}
