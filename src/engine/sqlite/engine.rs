//! SQLite behind the planner's interface (`engine::Engine`): which statements each change
//! becomes and in which phase, from the functions of this folder. SQLite has one schema, no
//! types, routines or privileges, and changes a table by rebuilding it (foreign keys included).

use super::{ddl, kinds, objects, traffic};
use crate::diff::Change;
use crate::engine::interface::{Discipline, Engine};
use crate::engine::interface::at;
use crate::engine::wording;
use crate::schema::refs::ObjKey;
use crate::schema::*;
use crate::statement::{Phase, Statement, Traffic};

pub struct Sqlite;

impl Engine for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn render(&self, change: &Change) -> Vec<(Phase, Statement)> {
        let mut out: Vec<(Phase, Statement)> = Vec::new();
        match change {
            // One database, one schema ("main"): nothing to create, change or drop.
            Change::AddSchema { .. } | Change::ModifySchema { .. } | Change::DropSchema { .. } => {}
            Change::AddObject { schema, object } => out.extend(kinds::add(schema, object)),
            Change::DropObject { schema, object, .. } => out.extend(kinds::drop(schema, object)),
            Change::ModifyObject { schema, from, to, .. } => out.extend(kinds::modify(schema, from, to)),
            // No roles, named types, domains or sequences.
            Change::AddRole { .. } => {}
            Change::AddEnum { .. } | Change::ModifyEnum { .. } | Change::DropEnum { .. } => {}
            Change::AddDomain { .. } | Change::ModifyDomain { .. } | Change::DropDomain { .. } => {}
            Change::AddSequence { .. } | Change::ModifySequence { .. } | Change::DropSequence { .. } => {}
            Change::Grant { .. } | Change::Revoke { .. } | Change::DefaultPrivileges { .. } => {}
            Change::RenameTable { schema, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_table(schema, from, to), wording::rename_table(from, to)).rev(ddl::rename_table(schema, to, from))))
            }
            Change::RenameColumn { schema, table, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_column(schema, table, from, to), wording::rename_column(table, from, to)).rev(ddl::rename_column(schema, table, to, from))))
            }
            // SQLite cannot rename an index: it is built again under the new name (no rows are
            // touched).
            Change::RenameIndex { table, from, to, index, .. } => {
                let what = format!("{} (SQLite rebuilds it)", wording::rename_index(table, from, to));
                out.push((Phase::Renames, Statement::new(format!("DROP INDEX {}", ddl::q(from)), what.clone())));
                out.push((Phase::Renames, Statement::new(ddl::create_index(table, index), what)));
            }
            // Foreign keys are part of the table: created with it, changed by its rebuild.
            Change::AddTable { table, .. } => out.extend(at(Phase::CreateTables, ddl::add_table(table))),
            Change::ModifyTable { from, to, changes, .. } => out.extend(at(Phase::ModifyTables, ddl::modify_table(from, to, changes))),
            Change::DropTable { table, .. } => out.push((Phase::DropTables, Statement::new(format!("DROP TABLE {}", ddl::q(&table.name)), wording::drop_table(table)))),
            // Ordered among each other by plan::objects.
            Change::AddView { .. } | Change::DropView { .. } | Change::ModifyView { .. } => {}
            Change::AddFunction { .. } | Change::DropFunction { .. } | Change::ModifyFunction { .. } => {}
            Change::AddTrigger { .. } | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } => {}
        }
        out
    }

    fn traffic(&self, changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
        traffic::of(changes, statements)
    }
    /// SQLite has no lock wait to bound: a writer waits on the database file (busy timeout).
    fn session_limits(&self, _lock_timeout: std::time::Duration, _statement_timeout: std::time::Duration) -> Vec<String> {
        Vec::new()
    }
    /// A SQL script of the plan has no BEGIN: its table copies switch foreign keys off, which
    /// SQLite ignores inside a transaction (apply switches them off before taking the lock).
    fn discipline(&self) -> Discipline {
        Discipline::WriteTransaction
    }
    fn only_schema(&self) -> Option<&'static str> {
        Some("main")
    }
    fn table_ref(&self, _schema: &str, table: &str) -> String {
        crate::engine::quote_ident(Dialect::Sqlite, table)
    }
    fn char_length(&self) -> &'static str {
        "length"
    }

    fn create_realm(&self, realm: &Realm) -> Vec<String> {
        ddl::create_realm(realm)
    }

    fn create_grants(&self, _realm: &Realm) -> Vec<String> {
        vec![]
    }

    /// A changed table is rebuilt (drop + rename), which views and triggers on it do not
    /// survive; a renamed or dropped one takes them along too.
    fn breaks_dependents(&self, change: &Change) -> Vec<ObjKey> {
        let key = |s: &str, t: &str| ObjKey::Table(s.to_string(), t.to_string());
        match change {
            Change::ModifyTable { schema, table, .. } => vec![key(schema, table)],
            Change::RenameTable { schema, from, to } => vec![key(schema, from), key(schema, to)],
            Change::DropTable { schema, table } => vec![key(schema, &table.name)],
            Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. } => vec![],
            Change::AddObject { .. } | Change::DropObject { .. } | Change::ModifyObject { .. } => vec![],
            Change::AddEnum { .. } | Change::DropEnum { .. } | Change::ModifyEnum { .. } | Change::AddDomain { .. } | Change::DropDomain { .. } | Change::ModifyDomain { .. } => vec![],
            Change::AddSequence { .. } | Change::DropSequence { .. } | Change::ModifySequence { .. } => vec![],
            Change::RenameColumn { .. } | Change::RenameIndex { .. } => vec![],
            Change::AddView { .. } | Change::DropView { .. } | Change::ModifyView { .. } => vec![],
            Change::AddFunction { .. } | Change::DropFunction { .. } | Change::ModifyFunction { .. } => vec![],
            Change::AddTrigger { .. } | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } => vec![],
            Change::Grant { .. } | Change::Revoke { .. } | Change::DefaultPrivileges { .. } | Change::AddRole { .. } | Change::AddTable { .. } => vec![],
        }
    }

    fn rebuilds_tables(&self) -> bool {
        true
    }
    fn canonical_type(&self, raw: &str) -> String {
        super::types::canonical_type(raw)
    }
    fn default_table_engine(&self) -> Option<&'static str> {
        None
    }

    fn default_primary_key_name(&self, _table: &str) -> Option<String> {
        None
    }

    fn hcl_type(&self, ty: &str) -> Option<(String, bool)> {
        super::types::hcl_type(ty).map(|h| (h, false))
    }
    fn trigger_def(&self, _schema: &str, t: &Trigger) -> String {
        super::objects::trigger_def(t)
    }
    fn default_sql(&self, d: &crate::schema::ColumnDefault) -> String {
        super::ddl::default_sql(d)
    }
    fn dir_lock_sql(&self, schema: &str) -> crate::engine::DirLockSql {
        super::bookkeeping::dir_locks(schema)
    }
    fn revision_probe(&self) -> crate::engine::RevisionProbe {
        super::bookkeeping::revision_probe()
    }
    fn lossy(&self, old: &str, new: &str) -> Option<crate::lint::lossy::Lossy> {
        super::lossy::classify(old, new)
    }
    /// SQLite has no CREATE OR REPLACE VIEW: a changed view is dropped and created.
    fn view_replaceable(&self, _from: &View, _to: &View) -> bool {
        false
    }
    fn function_replaceable(&self, _from: &Function, _to: &Function) -> bool {
        false
    }
    fn create_view(&self, _schema: &str, v: &View) -> Vec<String> {
        objects::create_view(v)
    }
    /// Never reached (`view_replaceable` is false); a drop comes first, so a create is right.
    fn replace_view(&self, _schema: &str, _from: &View, to: &View) -> Vec<String> {
        objects::create_view(to)
    }
    fn drop_view(&self, _schema: &str, v: &View) -> String {
        objects::drop_view(v)
    }
    /// SQLite has no stored routines (application-defined functions live in the program).
    fn create_function(&self, _schema: &str, _f: &Function) -> Vec<String> {
        vec![]
    }
    fn replace_function(&self, _schema: &str, _from: &Function, _to: &Function) -> Vec<String> {
        vec![]
    }
    fn drop_function(&self, _schema: &str, _f: &Function) -> Vec<String> {
        vec![]
    }
    /// The stored statement is the definition.
    fn create_trigger(&self, _schema: &str, t: &Trigger) -> Vec<String> {
        vec![t.def.clone()]
    }
    fn drop_trigger(&self, _schema: &str, t: &Trigger) -> String {
        format!("DROP TRIGGER {}", ddl::q(&t.name))
    }
}
