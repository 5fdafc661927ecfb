//! What a statement does, in words (its `-- comment` in the plan): the same for every engine, so
//! written once.

use crate::diff::Change;
use crate::schema::{ForeignKey, Grant, GrantOn, Realm, Schema, Table};

pub fn drop_fk(table: &str, fk: &ForeignKey) -> String {
    format!("drop foreign key \"{}\" of \"{table}\"", fk.name)
}

pub fn add_fk(table: &str, fk: &ForeignKey) -> String {
    format!("add foreign key \"{}\" to \"{table}\"", fk.name)
}

pub fn rename_table(from: &str, to: &str) -> String {
    format!("rename table \"{from}\" to \"{to}\"")
}

pub fn rename_column(table: &str, from: &str, to: &str) -> String {
    format!("rename column \"{from}\" of \"{table}\" to \"{to}\"")
}

pub fn rename_index(table: &str, from: &str, to: &str) -> String {
    format!("rename index \"{from}\" of \"{table}\" to \"{to}\"")
}

pub fn drop_table(table: &Table) -> String {
    format!("drop table \"{}\" (its rows are lost)", table.name)
}

pub fn grant(schema: &str, on: &GrantOn, g: &Grant) -> String {
    format!("grant {} on {} to {}", g.privileges.join(", "), on.label(schema), g.grantee)
}

pub fn revoke(schema: &str, on: &GrantOn, g: &Grant) -> String {
    format!("revoke {} on {} from {}", g.privileges.join(", "), on.label(schema), g.grantee)
}

/// Every grant and default privilege of a realm as changes from nothing (inspect --format sql
/// renders them).
pub fn grant_changes(realm: &Realm) -> Vec<Change> {
    let mut changes = Vec::new();
    let empty = Schema::default();
    for s in &realm.schemas {
        crate::diff::grants::schema(&empty, s, &mut changes);
    }
    changes.retain(|c| matches!(c, Change::Grant { .. } | Change::DefaultPrivileges { .. }));
    changes
}
