//! Changes → ordered statements, and the plan's content hash.
//!
//! Order: schemas and types first; foreign keys that go away are dropped before anything else;
//! new tables are created before the foreign keys that reference them are added; drops come last.

pub mod compute;
pub mod objects;

use crate::diff::{Change, TableChange};
use crate::engine::{mysql, postgres, sqlite};
use crate::schema::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// The statement that undoes this one, where one exists without data loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse: Option<String>,
    pub comment: String,
    /// False for statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_tx: bool,
    /// Runs before the apply transaction, on its own (the scan of an online SET NOT NULL): if it
    /// fails, the ones before it are undone by their `reverse` and nothing else has run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub before_tx: bool,
}

impl Statement {
    pub fn new(sql: impl Into<String>, comment: impl Into<String>) -> Statement {
        Statement { sql: sql.into(), reverse: None, comment: comment.into(), no_tx: false, before_tx: false }
    }
    pub fn rev(mut self, r: impl Into<String>) -> Statement {
        self.reverse = Some(r.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub hash: String,
    pub current_hash: String,
    pub desired_hash: String,
    pub dialect: Dialect,
    pub changes: Vec<Change>,
    pub statements: Vec<Statement>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// Hash of a realm's content (positions and skipped objects do not count). Realms are kept
/// sorted by every stage that builds them, so equal content hashes equally; the JSON is
/// streamed into the hasher rather than built in memory.
pub fn realm_hash(r: &Realm) -> String {
    struct HashWriter(Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Sha256::new());
    let _ = serde_json::to_writer(&mut w, &r.schemas);
    hex::encode(w.0.finalize())
}

pub fn build(current: &Realm, desired: &Realm, changes: Vec<Change>, dialect: Dialect) -> Plan {
    build_with(current, desired, changes, dialect, ConcurrentIndex::default())
}


/// The online-safe forms of PostgreSQL changes to tables that exist in the target, all on by
/// default (a diff policy turns each off): Atlas's `diff { concurrent_index { add, drop } }` —
/// indexes created / dropped CONCURRENTLY outside the apply transaction (a leftover INVALID
/// index of a failed build dropped first) — and `constraints`: foreign keys and checks added
/// NOT VALID then validated in a step of their own, SET NOT NULL through a validated
/// `CHECK (col IS NOT NULL)`, so no table is scanned under an ACCESS EXCLUSIVE lock.
#[derive(Debug, Clone, Copy)]
pub struct ConcurrentIndex {
    pub add: bool,
    pub drop: bool,
    pub constraints: bool,
}

impl Default for ConcurrentIndex {
    /// All on, unless `SCHEMAGATE_ONLINE=false` (every change in the one apply transaction) or
    /// `SCHEMAGATE_ONLINE_CONSTRAINTS=false` (indexes online, constraints in the transaction).
    fn default() -> Self {
        let off = |k: &str| std::env::var(k).is_ok_and(|v| v == "false" || v == "0");
        let online = !off("SCHEMAGATE_ONLINE");
        ConcurrentIndex { add: online, drop: online, constraints: online && !off("SCHEMAGATE_ONLINE_CONSTRAINTS") }
    }
}

pub fn build_with(current: &Realm, desired: &Realm, changes: Vec<Change>, dialect: Dialect, ci: ConcurrentIndex) -> Plan {
    let changes = objects::expand(current, desired, changes, dialect);
    let mut statements = statements(&changes, dialect);
    if dialect == Dialect::Postgres && (ci.add || ci.drop) {
        statements = concurrently(&changes, statements, ci);
    }
    if dialect == Dialect::Postgres && ci.constraints {
        statements = online_constraints(&changes, statements);
    }
    // Two large realms: hashed side by side (serializing and hashing dominate planning time).
    let (current_hash, desired_hash) = std::thread::scope(|s| {
        let h = s.spawn(|| realm_hash(desired));
        (realm_hash(current), h.join().expect("hashing the desired schema"))
    });
    let mut h = Sha256::new();
    h.update(current_hash.as_bytes());
    h.update(b"\n");
    h.update(desired_hash.as_bytes());
    for s in &statements {
        h.update(b"\n");
        h.update(s.sql.as_bytes());
    }
    Plan { hash: hex::encode(h.finalize()), current_hash, desired_hash, dialect, changes, statements }
}

/// The whole realm as CREATE statements (inspect --format sql, loading a disposable database):
/// routines that table expressions call before the first table, the other routines, views and
/// triggers after everything else.
pub fn create_realm(realm: &Realm, d: Dialect) -> Vec<String> {
    let mut out = match d {
        Dialect::Postgres => postgres::ddl::create_realm(realm),
        Dialect::Mysql => mysql::ddl::create_realm(realm),
        Dialect::Sqlite => sqlite::ddl::create_realm(realm),
    };
    let (early, late) = objects::create_objects(realm, d);
    let first_table = out.iter().position(|s| s.starts_with("CREATE TABLE") || s.starts_with("CREATE DOMAIN")).unwrap_or(out.len());
    out.splice(first_table..first_table, early);
    out.extend(late);
    out.extend(create_grants(realm, d));
    out
}

fn grant_sql(d: Dialect, schema: &str, on: &GrantOn, g: &Grant) -> String {
    match d {
        Dialect::Postgres => postgres::privileges::grant(schema, on, g),
        _ => mysql::privileges::grant(schema, on, g),
    }
}

fn revoke_sql(d: Dialect, schema: &str, on: &GrantOn, g: &Grant, option_only: bool) -> String {
    match d {
        Dialect::Postgres => postgres::privileges::revoke(schema, on, g, option_only),
        _ => mysql::privileges::revoke(schema, on, g, option_only),
    }
}

/// Every grant of a realm as GRANT statements (inspect --format sql). Disposable databases are
/// loaded without them: see [`is_privilege_statement`].
fn create_grants(realm: &Realm, d: Dialect) -> Vec<String> {
    if d == Dialect::Sqlite {
        return vec![];
    }
    let mut changes = Vec::new();
    let empty = Schema::default();
    for s in &realm.schemas {
        crate::diff::grants::schema(&empty, s, &mut changes);
    }
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Grant { schema, on, grant } => Some(grant_sql(d, schema, on, grant)),
            Change::DefaultPrivileges { schema, value, .. } if d == Dialect::Postgres => Some(postgres::privileges::alter_default(schema, value, false, false)),
            _ => None,
        })
        .collect()
}

/// Statements about privileges and roles. Roles and accounts belong to the server, and a
/// disposable database's server need not have the target's, so normalization and rehearsal
/// leave these out; what can go wrong with them (a grantee that does not exist) is checked
/// against the target instead.
pub fn is_privilege_statement(sql: &str) -> bool {
    ["GRANT ", "REVOKE ", "ALTER DEFAULT PRIVILEGES ", "CREATE ROLE "].iter().any(|p| sql.starts_with(p))
}

pub fn statements(changes: &[Change], d: Dialect) -> Vec<Statement> {
    let mut out = Vec::new();
    let objects = objects::phases(changes, d);
    // 1. schemas, 2. types
    for c in changes {
        if let Change::AddSchema { schema } = c {
            out.extend(match d {
                Dialect::Postgres => postgres::ddl::add_schema(schema),
                Dialect::Mysql => mysql::ddl::add_schema(schema),
                Dialect::Sqlite => vec![],
            });
        }
    }
    for c in changes {
        if let Change::ModifySchema { from, to } = c {
            out.extend(match d {
                Dialect::Postgres => postgres::ddl::modify_schema(from, to),
                Dialect::Mysql => mysql::ddl::modify_schema(to),
                Dialect::Sqlite => vec![],
            });
        }
    }
    // 1a. roles that grants will name (PostgreSQL; declared roles the server lacks)
    for c in changes.iter().filter(|_| d == Dialect::Postgres) {
        if let Change::AddRole { name } = c {
            out.push(Statement::new(format!("CREATE ROLE {}", postgres::ddl::q(name)), format!("create role \"{name}\" (NOLOGIN)")));
        }
    }
    // 1b. triggers and views that go away or are recreated, before the tables they use change;
    // routines that domains call
    out.extend(objects.pre);
    out.extend(objects.before_types);
    if d == Dialect::Postgres {
        for c in changes {
            if let Change::AddExtension { schema, value } = c {
                out.push(Statement::new(postgres::ddl::create_extension(schema, value), format!("create extension \"{}\"", value.name)).rev(format!("DROP EXTENSION {}", postgres::ddl::q(&value.name))));
            }
        }
        for c in changes {
            match c {
                Change::AddEnum { schema, value } => out.push(Statement::new(postgres::ddl::create_enum(schema, value), format!("create enum type \"{}\"", value.name)).rev(format!("DROP TYPE {}", postgres::ddl::qn(schema, &value.name)))),
                Change::ModifyEnum { schema, from, to, users } => out.extend(postgres::ddl::modify_enum(schema, from, to, users)),
                Change::ModifyDomain { schema, from, to } => out.extend(postgres::ddl::modify_domain(schema, from, to)),
                Change::ModifySequence { schema, from, to } => out.extend(postgres::ddl::modify_sequence(schema, from, to)),
                Change::AddDomain { schema, value } => out.push(Statement::new(postgres::ddl::create_domain(schema, value), format!("create domain \"{}\"", value.name)).rev(format!("DROP DOMAIN {}", postgres::ddl::qn(schema, &value.name)))),
                Change::AddSequence { schema, value } => out.push(Statement::new(postgres::ddl::create_sequence(schema, value), format!("create sequence \"{}\"", value.name)).rev(format!("DROP SEQUENCE {}", postgres::ddl::qn(schema, &value.name)))),
                _ => {}
            }
        }
    }
    // 2b. declared renames: before anything that refers to the new names
    for c in changes {
        let (sql, rev, comment) = match c {
            Change::RenameTable { schema, from, to } => {
                let f = match d {
                    Dialect::Postgres => postgres::ddl::rename_table,
                    Dialect::Mysql => mysql::ddl::rename_table,
                    Dialect::Sqlite => sqlite::ddl::rename_table,
                };
                (f(schema, from, to), f(schema, to, from), format!("rename table \"{from}\" to \"{to}\""))
            }
            Change::RenameColumn { schema, table, from, to } => {
                let f = match d {
                    Dialect::Postgres => postgres::ddl::rename_column,
                    Dialect::Mysql => mysql::ddl::rename_column,
                    Dialect::Sqlite => sqlite::ddl::rename_column,
                };
                (f(schema, table, from, to), f(schema, table, to, from), format!("rename column \"{from}\" of \"{table}\" to \"{to}\""))
            }
            Change::RenameIndex { schema, table, from, to, index } => match d {
                Dialect::Postgres => (format!("ALTER INDEX {} RENAME TO {}", postgres::ddl::qn(schema, from), postgres::ddl::q(to)), format!("ALTER INDEX {} RENAME TO {}", postgres::ddl::qn(schema, to), postgres::ddl::q(from)), format!("rename index \"{from}\" of \"{table}\" to \"{to}\"")),
                Dialect::Mysql => {
                    let t = mysql::ddl::qn(schema, table);
                    (format!("ALTER TABLE {t} RENAME INDEX {} TO {}", mysql::ddl::q(from), mysql::ddl::q(to)), format!("ALTER TABLE {t} RENAME INDEX {} TO {}", mysql::ddl::q(to), mysql::ddl::q(from)), format!("rename index \"{from}\" of \"{table}\" to \"{to}\""))
                }
                // SQLite cannot rename an index: it is built again under the new name (no rows
                // are touched).
                Dialect::Sqlite => {
                    out.push(Statement::new(format!("DROP INDEX {}", sqlite::ddl::q(from)), format!("rename index \"{from}\" of \"{table}\" to \"{to}\" (SQLite rebuilds it)")));
                    out.push(Statement::new(sqlite::ddl::create_index(table, index), format!("rename index \"{from}\" of \"{table}\" to \"{to}\" (SQLite rebuilds it)")));
                    continue;
                }
            },
            _ => continue,
        };
        out.push(Statement::new(sql, comment).rev(rev));
    }
    // 2c. routines that the expressions of new and changed tables call
    out.extend(objects.early);
    // 3. foreign keys that go away or change, on every table (SQLite rebuilds instead)
    if d != Dialect::Sqlite {
        for c in changes {
            match c {
                Change::ModifyTable { schema, table, changes: tcs, .. } => {
                    for tc in tcs {
                        if let TableChange::DropForeignKey { fk } = tc {
                            out.push(drop_fk(d, schema, table, fk));
                        }
                    }
                }
                Change::DropTable { schema, table } => {
                    for fk in &table.foreign_keys {
                        out.push(drop_fk(d, schema, &table.name, fk));
                    }
                }
                _ => {}
            }
        }
    }
    // 4. new tables
    for c in changes {
        if let Change::AddTable { schema, table } = c {
            out.extend(match d {
                Dialect::Postgres => postgres::ddl::add_table(schema, table),
                Dialect::Mysql => mysql::ddl::add_table(schema, table),
                Dialect::Sqlite => sqlite::ddl::add_table(table),
            });
        }
    }
    // 5. table modifications
    for c in changes {
        if let Change::ModifyTable { schema, from, to, changes: tcs, .. } = c {
            out.extend(match d {
                Dialect::Postgres => postgres::ddl::modify_table(schema, from, to, tcs),
                Dialect::Mysql => mysql::ddl::modify_table(schema, from, to, tcs),
                Dialect::Sqlite => sqlite::ddl::modify_table(from, to, tcs),
            });
        }
    }
    // 5b. new partitions attached and sequences owned by columns, now that the columns exist
    if d == Dialect::Postgres {
        for c in changes {
            match c {
                Change::AddTable { schema, table } => out.extend(postgres::ddl::attach_new(schema, table)),
                Change::AddSequence { schema, value } => out.extend(postgres::ddl::sequence_owner(schema, None, value)),
                Change::ModifySequence { schema, from, to } => out.extend(postgres::ddl::sequence_owner(schema, Some(from), to)),
                _ => {}
            }
        }
    }
    // 6. foreign keys of new and modified tables
    if d != Dialect::Sqlite {
        for c in changes {
            match c {
                Change::AddTable { schema, table } => {
                    for fk in &table.foreign_keys {
                        out.push(add_fk(d, schema, &table.name, fk));
                    }
                }
                Change::ModifyTable { schema, table, changes: tcs, to, .. } => {
                    for tc in tcs {
                        if let TableChange::AddForeignKey { fk } = tc {
                            out.push(add_fk(d, schema, table, fk));
                            if d == Dialect::Mysql {
                                out.extend(mysql::ddl::keep_fk_index(schema, to, fk));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // 6b. the other routines and the views (in dependency order), then triggers
    out.extend(objects.late);
    // 6c. privileges, once every object they name exists
    if d != Dialect::Sqlite {
        for c in changes {
            let (sql, comment) = match c {
                Change::Revoke { schema, on, grant, option_only } => (revoke_sql(d, schema, on, grant, *option_only), format!("revoke {} on {} from {}", grant.privileges.join(", "), on.label(schema), grant.grantee)),
                Change::Grant { schema, on, grant } => (grant_sql(d, schema, on, grant), format!("grant {} on {} to {}", grant.privileges.join(", "), on.label(schema), grant.grantee)),
                Change::DefaultPrivileges { schema, value, revoke, option_only } if d == Dialect::Postgres => {
                    (postgres::privileges::alter_default(schema, value, *revoke, *option_only), format!("default privileges on {} in \"{schema}\" for {}", value.on.to_ascii_lowercase(), value.grantee))
                }
                _ => continue,
            };
            out.push(Statement::new(sql, comment));
        }
    }
    // 7. drops
    for c in changes {
        if let Change::DropTable { schema, table } = c {
            let sql = match d {
                Dialect::Postgres => format!("DROP TABLE {}", postgres::ddl::qn(schema, &table.name)),
                Dialect::Mysql => format!("DROP TABLE {}", mysql::ddl::qn(schema, &table.name)),
                Dialect::Sqlite => format!("DROP TABLE {}", sqlite::ddl::q(&table.name)),
            };
            out.push(Statement::new(sql, format!("drop table \"{}\" (its rows are lost)", table.name)));
        }
    }
    // 7b. routines no longer wanted, once nothing uses them
    out.extend(objects.post);
    if d == Dialect::Postgres {
        for c in changes {
            let (kind, schema, name) = match c {
                Change::DropSequence { schema, name } => ("SEQUENCE", schema, name),
                Change::DropDomain { schema, name } => ("DOMAIN", schema, name),
                Change::DropEnum { schema, name } => ("TYPE", schema, name),
                Change::DropExtension { schema, name } => {
                    let _ = schema;
                    ("EXTENSION", &String::new(), name)
                }
                _ => continue,
            };
            let target = if kind == "EXTENSION" { postgres::ddl::q(name) } else { postgres::ddl::qn(schema, name) };
            out.push(Statement::new(format!("DROP {kind} {target}"), format!("drop {} \"{name}\"", kind.to_ascii_lowercase())));
        }
    }
    for c in changes {
        if let Change::DropSchema { schema } = c {
            let sql = match d {
                Dialect::Postgres => format!("DROP SCHEMA {}", postgres::ddl::q(schema)),
                Dialect::Mysql => format!("DROP DATABASE {}", mysql::ddl::q(schema)),
                Dialect::Sqlite => continue,
            };
            out.push(Statement::new(sql, format!("drop schema \"{schema}\"")));
        }
    }
    out
}

/// Rewrite the index statements of existing tables to their CONCURRENTLY form (no transaction).
fn concurrently(changes: &[Change], statements: Vec<Statement>, ci: ConcurrentIndex) -> Vec<Statement> {
    let mut added = std::collections::HashSet::new();
    let mut dropped = std::collections::HashSet::new();
    for c in changes {
        if let Change::ModifyTable { schema, changes: tcs, .. } = c {
            for tc in tcs {
                match tc {
                    TableChange::AddIndex { index } if !index.constraint => {
                        added.insert((schema.clone(), index.name.clone()));
                    }
                    TableChange::DropIndex { index } if !index.constraint => {
                        dropped.insert(postgres::ddl::qn(schema, &index.name));
                    }
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::with_capacity(statements.len());
    for mut s in statements {
        for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
            if ci.add {
                if let Some(rest) = s.sql.strip_prefix(prefix).map(String::from) {
                    if let Some((schema, name)) = added.iter().find(|(_, n)| rest.starts_with(&format!("{} ON ", postgres::ddl::q(n)))) {
                        // IF NOT EXISTS: a re-run of an apply that got past it does nothing twice.
                        s.sql = format!("{prefix}CONCURRENTLY IF NOT EXISTS {rest}");
                        s.no_tx = true;
                        // A build that failed (a killed apply, a duplicate) leaves an INVALID
                        // index of this name, which inspection does not count as the index:
                        // dropped first, so a re-run builds it again.
                        let mut cleanup = Statement::new(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", postgres::ddl::qn(schema, name)), format!("drop an INVALID \"{name}\" a failed build may have left"));
                        cleanup.no_tx = true;
                        out.push(cleanup);
                    }
                }
            }
        }
        // A comment on an index built after the transaction is set after it too (in order,
        // after the build).
        if ci.add && added.iter().any(|(schema, n)| s.sql.starts_with(&format!("COMMENT ON INDEX {} IS ", postgres::ddl::qn(schema, n)))) {
            s.no_tx = true;
        }
        if ci.drop {
            if let Some(name) = s.sql.strip_prefix("DROP INDEX ").map(String::from) {
                if dropped.contains(&name) {
                    s.sql = format!("DROP INDEX CONCURRENTLY {name}");
                    s.no_tx = true;
                }
            }
        }
        out.push(s);
    }
    out
}

/// Constraints of tables that exist, in the online form (PostgreSQL): a foreign key or check is
/// added NOT VALID (a brief lock, no scan) and validated after the transaction (a scan under a
/// lock that lets reads and writes through); SET NOT NULL goes through a validated
/// `CHECK (col IS NOT NULL)`, which lets PostgreSQL set it without scanning, and the helper
/// check is dropped. Each validation is its own step, outside the apply transaction.
fn online_constraints(changes: &[Change], mut statements: Vec<Statement>) -> Vec<Statement> {
    let mut after = Vec::new();
    let mut before = Vec::new();
    for c in changes {
        let Change::ModifyTable { schema, table, changes: tcs, .. } = c else { continue };
        let t = postgres::ddl::qn(schema, table);
        let prefix = format!("ALTER TABLE {t} ");
        // In the transactional statement of this table, `from` becomes `to`.
        let rewrite = |statements: &mut Vec<Statement>, from: &str, to: &str| -> bool {
            statements.iter_mut().find(|s| !s.no_tx && s.sql.starts_with(&prefix) && s.sql.contains(from)).map(|s| s.sql = s.sql.replacen(from, to, 1)).is_some()
        };
        let validate = |name: &str, what: String| {
            let mut v = Statement::new(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {}", postgres::ddl::q(name)), what);
            v.no_tx = true;
            v
        };
        let pk_columns: Vec<&String> = tcs.iter().filter_map(|tc| if let TableChange::AddPrimaryKey { key } = tc { Some(&key.columns) } else { None }).flatten().collect();
        for tc in tcs {
            match tc {
                TableChange::AddForeignKey { fk } => {
                    let add = format!("ADD {}", postgres::ddl::fk_def(fk));
                    if rewrite(&mut statements, &add, &format!("{add} NOT VALID")) {
                        after.push(validate(&fk.name, format!("validate foreign key \"{}\" of \"{table}\" (reads and writes go on)", fk.name)));
                    }
                }
                TableChange::AddCheck { check } => {
                    let add = format!("ADD {}", postgres::ddl::check_def(check));
                    if rewrite(&mut statements, &add, &format!("{add} NOT VALID")) {
                        after.push(validate(&check.name, format!("validate check \"{}\" of \"{table}\" (reads and writes go on)", check.name)));
                    }
                }
                // Before the transaction, each on its own: a NOT VALID check (a brief lock) and its
                // validation (the scan, with reads and writes going on). A NULL fails it there,
                // the check is dropped again, and nothing else has run. In the transaction, SET
                // NOT NULL then needs no scan (the valid check proves it) and the helper goes.
                TableChange::ModifyColumn { from, to, what } if from.null && !to.null && !what.contains(&"identity") && !pk_columns.contains(&&to.name) => {
                    let cn = postgres::ddl::q(&to.name);
                    let helper = not_null_check_name(table, &to.name);
                    let hq = postgres::ddl::q(&helper);
                    let set = format!("ALTER COLUMN {cn} SET NOT NULL");
                    let Some(at) = statements.iter().position(|s| !s.no_tx && s.sql.starts_with(&prefix) && s.sql.contains(&set)) else { continue };
                    let mut add = Statement::new(format!("ALTER TABLE {t} ADD CONSTRAINT {hq} CHECK ({cn} IS NOT NULL) NOT VALID"), format!("check that \"{}\" holds no NULL, before the transaction", to.name)).rev(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {hq}"));
                    add.before_tx = true;
                    let mut check = validate(&helper, format!("validate that \"{}\" holds no NULL (reads and writes go on)", to.name));
                    check.no_tx = false;
                    check.before_tx = true;
                    before.push(add);
                    before.push(check);
                    statements.insert(at + 1, Statement::new(format!("ALTER TABLE {t} DROP CONSTRAINT {hq}"), format!("drop the helper check of \"{}\" (SET NOT NULL used it instead of a scan)", to.name)));
                }
                _ => {}
            }
        }
    }
    statements.extend(after);
    before.extend(statements);
    before
}

/// The helper check of an online SET NOT NULL: `<table>_<column>_not_null`, or a hashed name
/// when that would pass PostgreSQL's 63-byte limit.
fn not_null_check_name(table: &str, column: &str) -> String {
    let name = format!("{table}_{column}_not_null");
    if name.len() <= 63 {
        return name;
    }
    let h = hex::encode(Sha256::digest(name.as_bytes()));
    format!("sg_not_null_{}", &h[..16])
}

fn drop_fk(d: Dialect, schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let (sql, rev) = match d {
        Dialect::Postgres => {
            let t = postgres::ddl::qn(schema, table);
            (format!("ALTER TABLE {t} DROP CONSTRAINT {}", postgres::ddl::q(&fk.name)), format!("ALTER TABLE {t} ADD {}", postgres::ddl::fk_def(fk)))
        }
        _ => {
            let t = mysql::ddl::qn(schema, table);
            (format!("ALTER TABLE {t} DROP FOREIGN KEY {}", mysql::ddl::q(&fk.name)), format!("ALTER TABLE {t} ADD {}", mysql::ddl::fk_def(fk)))
        }
    };
    Statement::new(sql, format!("drop foreign key \"{}\" of \"{table}\"", fk.name)).rev(rev)
}

fn add_fk(d: Dialect, schema: &str, table: &str, fk: &ForeignKey) -> Statement {
    let (sql, rev) = match d {
        Dialect::Postgres => {
            let t = postgres::ddl::qn(schema, table);
            (format!("ALTER TABLE {t} ADD {}", postgres::ddl::fk_def(fk)), format!("ALTER TABLE {t} DROP CONSTRAINT {}", postgres::ddl::q(&fk.name)))
        }
        _ => {
            let t = mysql::ddl::qn(schema, table);
            (format!("ALTER TABLE {t} ADD {}", mysql::ddl::fk_def(fk)), format!("ALTER TABLE {t} DROP FOREIGN KEY {}", mysql::ddl::q(&fk.name)))
        }
    };
    Statement::new(sql, format!("add foreign key \"{}\" to \"{table}\"", fk.name)).rev(rev)
}
