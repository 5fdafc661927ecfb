//! MySQL and MariaDB behind the planner's interface (`engine::Engine`): which statements each
//! change becomes and in which phase, from the functions of this folder.

use super::{ddl, kinds, objects_ddl, online, privileges, traffic};
use crate::diff::{Change, TableChange};
use crate::engine::interface::{Discipline, Engine, Online};
use crate::engine::interface::at;
use crate::engine::wording;
use crate::schema::refs::ObjKey;
use crate::schema::*;
use crate::statement::{Phase, Statement, Traffic};

pub struct Mysql;

fn drop_fk(schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let t = ddl::qn(schema, table);
    Statement::new(format!("ALTER TABLE {t} DROP FOREIGN KEY {}", ddl::q(&fk.name)), wording::drop_fk(table, fk)).rev(format!("ALTER TABLE {t} ADD {}", ddl::fk_def(fk)))
}

fn add_fk(schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let t = ddl::qn(schema, table);
    Statement::new(format!("ALTER TABLE {t} ADD {}", ddl::fk_def(fk)), wording::add_fk(table, fk)).rev(format!("ALTER TABLE {t} DROP FOREIGN KEY {}", ddl::q(&fk.name)))
}

impl Engine for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn render(&self, change: &Change) -> Vec<(Phase, Statement)> {
        let mut out: Vec<(Phase, Statement)> = Vec::new();
        match change {
            Change::AddSchema { schema } => out.extend(at(Phase::Schemas, ddl::add_schema(schema))),
            Change::ModifySchema { to, .. } => out.extend(at(Phase::ModifySchemas, ddl::modify_schema(to))),
            Change::DropSchema { schema } => out.push((Phase::DropSchemas, Statement::new(format!("DROP DATABASE {}", ddl::q(schema)), format!("drop schema \"{schema}\"")))),
            // Accounts belong to the server: a plan never creates one (grants name existing ones).
            Change::AddRole { .. } => {}
            Change::AddObject { schema, object } => out.extend(kinds::add(schema, object)),
            Change::DropObject { schema, object, .. } => out.extend(kinds::drop(schema, object)),
            Change::ModifyObject { schema, from, to, .. } => out.extend(kinds::modify(schema, from, to)),
            // MySQL has no named types, domains or sequences (an enum is a column type); the diff
            // never produces these for it.
            Change::AddEnum { .. } | Change::ModifyEnum { .. } | Change::DropEnum { .. } => {}
            Change::AddDomain { .. } | Change::ModifyDomain { .. } | Change::DropDomain { .. } => {}
            Change::AddSequence { .. } | Change::ModifySequence { .. } | Change::DropSequence { .. } => {}
            Change::RenameTable { schema, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_table(schema, from, to), wording::rename_table(from, to)).rev(ddl::rename_table(schema, to, from))))
            }
            Change::RenameColumn { schema, table, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_column(schema, table, from, to), wording::rename_column(table, from, to)).rev(ddl::rename_column(schema, table, to, from))))
            }
            Change::RenameIndex { schema, table, from, to, .. } => {
                let t = ddl::qn(schema, table);
                out.push((
                    Phase::Renames,
                    Statement::new(format!("ALTER TABLE {t} RENAME INDEX {} TO {}", ddl::q(from), ddl::q(to)), wording::rename_index(table, from, to)).rev(format!("ALTER TABLE {t} RENAME INDEX {} TO {}", ddl::q(to), ddl::q(from))),
                ))
            }
            Change::AddTable { schema, table } => {
                out.extend(at(Phase::CreateTables, ddl::add_table(schema, table)));
                out.extend(at(Phase::AddForeignKeys, table.foreign_keys.iter().map(|fk| add_fk(schema, &table.name, fk))));
            }
            Change::ModifyTable { schema, table, from, to, changes } => {
                for tc in changes {
                    if let TableChange::DropForeignKey { fk } = tc {
                        out.push((Phase::DropForeignKeys, drop_fk(schema, table, fk)));
                    }
                }
                out.extend(at(Phase::ModifyTables, ddl::modify_table(schema, from, to, changes)));
                for tc in changes {
                    if let TableChange::AddForeignKey { fk } = tc {
                        out.push((Phase::AddForeignKeys, add_fk(schema, table, fk)));
                        out.extend(at(Phase::AddForeignKeys, ddl::keep_fk_index(schema, to, fk)));
                    }
                }
            }
            Change::DropTable { schema, table } => {
                out.extend(at(Phase::DropForeignKeys, table.foreign_keys.iter().map(|fk| drop_fk(schema, &table.name, fk))));
                out.push((Phase::DropTables, Statement::new(format!("DROP TABLE {}", ddl::qn(schema, &table.name)), wording::drop_table(table))));
            }
            Change::Grant { schema, on, grant } => out.push((Phase::Privileges, Statement::new(privileges::grant(schema, on, grant), wording::grant(schema, on, grant)))),
            Change::Revoke { schema, on, grant, option_only } => out.push((Phase::Privileges, Statement::new(privileges::revoke(schema, on, grant, *option_only), wording::revoke(schema, on, grant)))),
            // PostgreSQL's ALTER DEFAULT PRIVILEGES has no MySQL counterpart.
            Change::DefaultPrivileges { .. } => {}
            // Ordered among each other by plan::objects.
            Change::AddView { .. } | Change::DropView { .. } | Change::ModifyView { .. } => {}
            Change::AddFunction { .. } | Change::DropFunction { .. } | Change::ModifyFunction { .. } => {}
            Change::AddTrigger { .. } | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } => {}
        }
        out
    }

    fn online(&self, changes: &[Change], statements: Vec<Statement>, o: Online) -> Vec<Statement> {
        online::apply(changes, statements, o)
    }

    fn refused_online(&self, error: &str) -> bool {
        online::refused_online(error)
    }

    fn weaken(&self, sql: &str) -> Option<String> {
        online::weaken(sql)
    }

    fn traffic(&self, changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
        traffic::of(changes, statements)
    }
    fn session_limits(&self, lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String> {
        traffic::session_limits(lock_timeout, statement_timeout)
    }
    /// Without `max_statement_time`, which MySQL does not have (apply skips it there).
    fn script_limits(&self, lock_timeout: std::time::Duration, _statement_timeout: std::time::Duration) -> Vec<String> {
        traffic::lock_limits(lock_timeout)
    }
    fn discipline(&self) -> Discipline {
        Discipline::StatementByStatement
    }
    /// MySQL's client ends a statement at every `;`, so a routine or trigger body that contains
    /// one is wrapped in `DELIMITER` commands (which schemagate's own splitter reads back too),
    /// with a delimiter the statement does not contain.
    fn script_statement(&self, sql: &str) -> String {
        if !sql.contains(';') {
            return format!("{sql};\n");
        }
        let delim = ["//", "$$", ";;", "$sg$", "//sg//"].into_iter().find(|x| !sql.contains(x)).map(String::from).unwrap_or_else(|| format!("$sg{:x}$", rand::random::<u64>()));
        format!("DELIMITER {delim}\n{sql}{delim}\nDELIMITER ;\n")
    }

    fn create_realm(&self, realm: &Realm) -> Vec<String> {
        ddl::create_realm(realm)
    }

    fn create_grants(&self, realm: &Realm) -> Vec<String> {
        wording::grant_changes(realm).iter().flat_map(|c| self.render(c)).map(|(_, s)| s.sql).collect()
    }

    /// MySQL keeps views over changed columns (they fail when read instead), so nothing is
    /// recreated because of a table change.
    fn breaks_dependents(&self, _change: &Change) -> Vec<ObjKey> {
        vec![]
    }
    fn rebuilds_tables(&self) -> bool {
        false
    }
    fn canonical_type(&self, raw: &str) -> String {
        super::types::canonical(raw)
    }
    fn default_ref_action(&self) -> RefAction {
        RefAction::Restrict
    }
    fn same_ref_action(&self, a: RefAction, b: RefAction) -> bool {
        super::ddl::innodb_action(a) == super::ddl::innodb_action(b)
    }

    fn default_table_engine(&self) -> Option<&'static str> {
        Some("InnoDB")
    }

    fn default_primary_key_name(&self, _table: &str) -> Option<String> {
        // Always `PRIMARY`, which inspection leaves out (a MySQL key cannot be named).
        None
    }

    fn hcl_type(&self, ty: &str) -> Option<(String, bool)> {
        super::types::hcl_type(ty)
    }
    /// A generated column made plain keeps its values (add a plain column, copy, drop, rename:
    /// `ddl::copy_generated`), but MariaDB refuses to drop a column another generated column
    /// reads. Atlas refuses the change outright, in these words.
    fn column_change_refused(&self, table: &Table, from: &Column, to: &Column) -> Option<String> {
        if from.generated.is_none() || to.generated.is_some() {
            return None;
        }
        let reader = table.columns.iter().find(|c| c.name != from.name && c.generated.as_ref().is_some_and(|g| crate::schema::refs::idents(&g.expr, Dialect::Mysql).iter().any(|w| *w == from.name)))?;
        let kind = if from.generated.as_ref().is_some_and(|g| g.stored) { "STORED" } else { "VIRTUAL" };
        Some(format!(
            "changing {kind} generated column {:?} to non-generated column is not supported (drop and add is required): generated column {:?} of {} reads it, and MariaDB cannot drop a column a generated column reads.\n  \
             hint: change \"{}\" first (or drop it), then make \"{}\" a plain column in a later change",
            from.name, reader.name, table.name, reader.name, from.name
        ))
    }
    fn refuses_set_null_on_not_null(&self) -> bool {
        true
    }
    fn atlas_sql_type(&self, ty: &str) -> String {
        match super::types::hcl_type(ty) {
            Some((name, true)) => format!("{name} unsigned"),
            Some((name, false)) => name,
            None => ty.to_string(),
        }
    }
    fn value_list_type(&self, ty: &str) -> Option<(&'static str, Vec<String>)> {
        super::types::value_list(ty)
    }
    fn trigger_def(&self, _schema: &str, t: &Trigger) -> String {
        super::objects_ddl::trigger_def(t)
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
    fn view_replaceable(&self, from: &View, to: &View) -> bool {
        objects_ddl::view_replaceable(from, to)
    }
    /// MySQL routines have no CREATE OR REPLACE: a changed one is dropped and created.
    fn function_replaceable(&self, _from: &Function, _to: &Function) -> bool {
        false
    }
    fn create_view(&self, schema: &str, v: &View) -> Vec<String> {
        objects_ddl::create_view(schema, v, false)
    }
    fn replace_view(&self, schema: &str, _from: &View, to: &View) -> Vec<String> {
        objects_ddl::create_view(schema, to, true)
    }
    fn drop_view(&self, schema: &str, v: &View) -> String {
        objects_ddl::drop_view(schema, v)
    }
    fn create_function(&self, schema: &str, f: &Function) -> Vec<String> {
        objects_ddl::create_function(schema, f)
    }
    fn replace_function(&self, schema: &str, _from: &Function, to: &Function) -> Vec<String> {
        objects_ddl::create_function(schema, to)
    }
    fn drop_function(&self, schema: &str, f: &Function) -> Vec<String> {
        vec![objects_ddl::drop_function(schema, f)]
    }
    fn create_trigger(&self, schema: &str, t: &Trigger) -> Vec<String> {
        objects_ddl::create_trigger(schema, t)
    }
    fn drop_trigger(&self, schema: &str, t: &Trigger) -> String {
        format!("DROP TRIGGER {}", ddl::qn(schema, &t.name))
    }
}
