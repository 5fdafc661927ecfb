//! PostgreSQL behind the planner's interface (`engine::Engine`): which statements each change
//! becomes and in which phase, from the functions of this folder.

use super::{ddl, kinds, objects_ddl, online, privileges, traffic};
use crate::diff::{Change, TableChange};
use crate::engine::interface::{Discipline, Engine, Online};
use crate::engine::interface::at;
use crate::engine::wording;
use crate::schema::refs::ObjKey;
use crate::schema::*;
use crate::statement::{Phase, Statement, Traffic};

pub struct Postgres;

fn drop_fk(schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let t = ddl::qn(schema, table);
    Statement::new(format!("ALTER TABLE {t} DROP CONSTRAINT {}", ddl::q(&fk.name)), wording::drop_fk(table, fk)).rev(format!("ALTER TABLE {t} ADD {}", ddl::fk_def(fk)))
}

fn add_fk(schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let t = ddl::qn(schema, table);
    Statement::new(format!("ALTER TABLE {t} ADD {}", ddl::fk_def(fk)), wording::add_fk(table, fk)).rev(format!("ALTER TABLE {t} DROP CONSTRAINT {}", ddl::q(&fk.name)))
}

impl Engine for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn render(&self, change: &Change) -> Vec<(Phase, Statement)> {
        let mut out: Vec<(Phase, Statement)> = Vec::new();
        match change {
            Change::AddSchema { schema } => out.extend(at(Phase::Schemas, ddl::add_schema(schema))),
            Change::ModifySchema { from, to } => out.extend(at(Phase::ModifySchemas, ddl::modify_schema(from, to))),
            Change::DropSchema { schema } => out.push((Phase::DropSchemas, Statement::new(format!("DROP SCHEMA {}", ddl::q(schema)), format!("drop schema \"{schema}\"")))),
            Change::AddRole { name } => out.push((Phase::Roles, Statement::new(format!("CREATE ROLE {}", ddl::q(name)), format!("create role \"{name}\" (NOLOGIN)")))),
            Change::AddObject { schema, object } => out.extend(kinds::add(schema, object)),
            Change::DropObject { schema, object, .. } => out.extend(kinds::drop(schema, object)),
            Change::ModifyObject { schema, from, to, .. } => out.extend(kinds::modify(schema, from, to)),
            Change::AddEnum { schema, value } => out.push((Phase::Types, Statement::new(ddl::create_enum(schema, value), format!("create enum type \"{}\"", value.name)).rev(format!("DROP TYPE {}", ddl::qn(schema, &value.name))))),
            Change::ModifyEnum { schema, from, to, users } => out.extend(at(Phase::Types, ddl::modify_enum(schema, from, to, users))),
            Change::DropEnum { schema, name } => out.push((Phase::DropTypes, Statement::new(format!("DROP TYPE {}", ddl::qn(schema, name)), format!("drop type \"{name}\"")))),
            Change::AddDomain { schema, value } => out.push((Phase::Types, Statement::new(ddl::create_domain(schema, value), format!("create domain \"{}\"", value.name)).rev(format!("DROP DOMAIN {}", ddl::qn(schema, &value.name))))),
            Change::ModifyDomain { schema, from, to } => out.extend(at(Phase::Types, ddl::modify_domain(schema, from, to))),
            Change::DropDomain { schema, name } => out.push((Phase::DropTypes, Statement::new(format!("DROP DOMAIN {}", ddl::qn(schema, name)), format!("drop domain \"{name}\"")))),
            Change::AddSequence { schema, value } => {
                out.push((Phase::Types, Statement::new(ddl::create_sequence(schema, value), format!("create sequence \"{}\"", value.name)).rev(format!("DROP SEQUENCE {}", ddl::qn(schema, &value.name)))));
                out.extend(at(Phase::AfterTables, ddl::sequence_owner(schema, None, value)));
            }
            Change::ModifySequence { schema, from, to } => {
                out.extend(at(Phase::Types, ddl::modify_sequence(schema, from, to)));
                out.extend(at(Phase::AfterTables, ddl::sequence_owner(schema, Some(from), to)));
            }
            Change::DropSequence { schema, name } => out.push((Phase::DropTypes, Statement::new(format!("DROP SEQUENCE {}", ddl::qn(schema, name)), format!("drop sequence \"{name}\"")))),
            Change::RenameTable { schema, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_table(schema, from, to), wording::rename_table(from, to)).rev(ddl::rename_table(schema, to, from))))
            }
            Change::RenameColumn { schema, table, from, to } => {
                out.push((Phase::Renames, Statement::new(ddl::rename_column(schema, table, from, to), wording::rename_column(table, from, to)).rev(ddl::rename_column(schema, table, to, from))))
            }
            Change::RenameIndex { schema, table, from, to, .. } => out.push((
                Phase::Renames,
                Statement::new(format!("ALTER INDEX {} RENAME TO {}", ddl::qn(schema, from), ddl::q(to)), wording::rename_index(table, from, to)).rev(format!("ALTER INDEX {} RENAME TO {}", ddl::qn(schema, to), ddl::q(from))),
            )),
            Change::AddTable { schema, table } => {
                out.extend(at(Phase::CreateTables, ddl::add_table(schema, table)));
                out.extend(at(Phase::AfterTables, ddl::attach_new(schema, table)));
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
                    }
                }
            }
            Change::DropTable { schema, table } => {
                out.extend(at(Phase::DropForeignKeys, table.foreign_keys.iter().map(|fk| drop_fk(schema, &table.name, fk))));
                out.push((Phase::DropTables, Statement::new(format!("DROP TABLE {}", ddl::qn(schema, &table.name)), wording::drop_table(table))));
            }
            Change::Grant { schema, on, grant } => out.push((Phase::Privileges, Statement::new(privileges::grant(schema, on, grant), wording::grant(schema, on, grant)))),
            Change::Revoke { schema, on, grant, option_only } => out.push((Phase::Privileges, Statement::new(privileges::revoke(schema, on, grant, *option_only), wording::revoke(schema, on, grant)))),
            Change::DefaultPrivileges { schema, value, revoke, option_only } => out.push((
                Phase::Privileges,
                Statement::new(privileges::alter_default(schema, value, *revoke, *option_only), format!("default privileges on {} in \"{schema}\" for {}", value.on.to_ascii_lowercase(), value.grantee)),
            )),
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

    fn traffic(&self, changes: &[Change], statements: &[Statement]) -> Vec<Traffic> {
        traffic::of(changes, statements)
    }
    fn session_limits(&self, lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String> {
        traffic::session_limits(lock_timeout, statement_timeout)
    }
    fn discipline(&self) -> Discipline {
        Discipline::Transaction
    }
    fn leftover_cleanup(&self, sql: &str) -> Option<String> {
        super::online::leftover_cleanup(sql)
    }

    fn create_realm(&self, realm: &Realm) -> Vec<String> {
        ddl::create_realm(realm)
    }

    fn create_grants(&self, realm: &Realm) -> Vec<String> {
        wording::grant_changes(realm).iter().flat_map(|c| self.render(c)).map(|(_, s)| s.sql).collect()
    }

    fn breaks_dependents(&self, change: &Change) -> Vec<ObjKey> {
        let key = |s: &str, t: &str| ObjKey::Table(s.to_string(), t.to_string());
        match change {
            // PostgreSQL refuses to drop or retype a column that a view reads.
            Change::ModifyTable { schema, table, changes, .. } => {
                let breaks = changes.iter().any(|tc| match tc {
                    TableChange::DropColumn { .. } => true,
                    TableChange::ModifyColumn { what, .. } => what.iter().any(|w| matches!(*w, "type" | "generated" | "collation")),
                    TableChange::AddColumn { .. } | TableChange::AddIndex { .. } | TableChange::DropIndex { .. }
                    | TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. }
                    | TableChange::AddForeignKey { .. } | TableChange::DropForeignKey { .. }
                    | TableChange::AddCheck { .. } | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. }
                    | TableChange::ModifyOptions { .. } | TableChange::ModifyPartitionOf { .. }
                    | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. }
                    | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => false,
                });
                if breaks {
                    vec![key(schema, table)]
                } else {
                    vec![]
                }
            }
            Change::ModifyEnum { users, .. } => users.iter().map(|u| key(&u.schema, &u.table)).collect(),
            Change::DropTable { schema, table } => vec![key(schema, &table.name)],
            Change::AddSchema { .. } | Change::DropSchema { .. } | Change::ModifySchema { .. } => vec![],
            // A new type or extension breaks nothing; a changed or dropped one that something
            // uses is refused by PostgreSQL (no CASCADE), which the rehearsal shows.
            Change::AddObject { .. } | Change::DropObject { .. } | Change::ModifyObject { .. } => vec![],
            Change::AddEnum { .. } | Change::DropEnum { .. } | Change::AddDomain { .. } | Change::DropDomain { .. } | Change::ModifyDomain { .. } => vec![],
            Change::AddSequence { .. } | Change::DropSequence { .. } | Change::ModifySequence { .. } => vec![],
            // Views follow a renamed table (PostgreSQL rewrites their references).
            Change::RenameTable { .. } | Change::RenameColumn { .. } | Change::RenameIndex { .. } => vec![],
            Change::AddView { .. } | Change::DropView { .. } | Change::ModifyView { .. } => vec![],
            Change::AddFunction { .. } | Change::DropFunction { .. } | Change::ModifyFunction { .. } => vec![],
            Change::AddTrigger { .. } | Change::DropTrigger { .. } | Change::ModifyTrigger { .. } => vec![],
            Change::Grant { .. } | Change::Revoke { .. } | Change::DefaultPrivileges { .. } | Change::AddRole { .. } | Change::AddTable { .. } => vec![],
        }
    }

    fn rebuilds_tables(&self) -> bool {
        false
    }
    fn canonical_type(&self, raw: &str) -> String {
        super::types::canonical(raw)
    }
    fn default_table_engine(&self) -> Option<&'static str> {
        None
    }
    /// template1's comment on `public`, in every supported version.
    fn default_schema_comment(&self, schema: &str) -> Option<&'static str> {
        (schema == "public").then_some("standard public schema")
    }

    fn default_primary_key_name(&self, table: &str) -> Option<String> {
        // PostgreSQL's makeObjectName: the table part is cut so the name fits in 63 bytes.
        let mut cut = table.len().min(63 - "_pkey".len());
        while !table.is_char_boundary(cut) {
            cut -= 1;
        }
        Some(format!("{}_pkey", &table[..cut]))
    }

    fn hcl_type(&self, ty: &str) -> Option<(String, bool)> {
        super::types::hcl_type(ty).map(|h| (h, false))
    }
    /// Atlas writes what `pg_get_constraintdef` has inside `CHECK (…)`, which keeps the
    /// expression's own parentheses: `(a > 0)`.
    fn hcl_check_expr(&self, expr: &str) -> String {
        crate::engine::sql_text::wrapped(expr)
    }
    fn trigger_def(&self, schema: &str, t: &Trigger) -> String {
        super::objects_ddl::trigger_def(schema, t)
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
    fn function_replaceable(&self, from: &Function, to: &Function) -> bool {
        objects_ddl::function_replaceable(from, to)
    }
    fn create_view(&self, schema: &str, v: &View) -> Vec<String> {
        objects_ddl::create_view(schema, v, false)
    }
    fn replace_view(&self, schema: &str, from: &View, to: &View) -> Vec<String> {
        objects_ddl::replace_view(schema, from, to)
    }
    fn drop_view(&self, schema: &str, v: &View) -> String {
        objects_ddl::drop_view(schema, v)
    }
    fn create_function(&self, schema: &str, f: &Function) -> Vec<String> {
        objects_ddl::create_function(schema, f, false)
    }
    fn replace_function(&self, schema: &str, from: &Function, to: &Function) -> Vec<String> {
        objects_ddl::replace_function(schema, from, to)
    }
    fn drop_function(&self, schema: &str, f: &Function) -> Vec<String> {
        vec![objects_ddl::drop_function(schema, f)]
    }
    fn create_trigger(&self, schema: &str, t: &Trigger) -> Vec<String> {
        objects_ddl::create_trigger(schema, t)
    }
    fn drop_trigger(&self, schema: &str, t: &Trigger) -> String {
        objects_ddl::drop_trigger(schema, t)
    }
}
