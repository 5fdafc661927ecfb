//! Changes → ordered statements, and the plan's content hash.
//!
//! Order: schemas and types first; foreign keys that go away are dropped before anything else;
//! new tables are created before the foreign keys that reference them are added; drops come last.

pub mod compute;
pub mod objects;

use crate::diff::Change;
use crate::engine;
use crate::schema::*;
pub use crate::statement::Statement;
use crate::statement::Phase;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The online-safe forms a plan takes (see `engine::Online`); the planner's name for them.
pub type ConcurrentIndex = engine::Online;

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

    /// Each statement's traffic facts and the plan's hash, from the statements as they are now
    /// (after building, and after the rehearsal weakened an online form the server refused).
    pub fn refresh(&mut self) {
        let traffic = engine::of(self.dialect).traffic(&self.changes, &self.statements);
        for (s, t) in self.statements.iter_mut().zip(traffic) {
            // An estimate read from the target stays (the table's size does not change).
            let estimate = s.traffic.take().and_then(|old| old.estimate);
            s.traffic = Some(crate::statement::Traffic { estimate, ..t });
        }
        let mut h = Sha256::new();
        h.update(self.current_hash.as_bytes());
        h.update(b"\n");
        h.update(self.desired_hash.as_bytes());
        for s in &self.statements {
            h.update(b"\n");
            h.update(s.sql.as_bytes());
        }
        self.hash = hex::encode(h.finalize());
    }

    /// The statements of each change (by the change's index), as apply will run them (online
    /// forms included). One pass over the plan: callers that visit every change use this.
    pub fn statements_by_change(&self) -> Vec<Vec<&Statement>> {
        let mut out: Vec<Vec<&Statement>> = vec![Vec::new(); self.changes.len()];
        for s in &self.statements {
            if let Some(v) = s.change.and_then(|i| out.get_mut(i)) {
                v.push(s);
            }
        }
        out
    }

    /// Of a change's statements, those that name `name` (a column, index, constraint or policy
    /// of a table change); all of them where none does, or without a name.
    pub fn naming<'a>(&self, stmts: &[&'a Statement], name: Option<&str>) -> Vec<&'a Statement> {
        let Some(name) = name else { return stmts.to_vec() };
        let quoted = engine::quote_ident(self.dialect, name);
        let named: Vec<&Statement> = stmts.iter().copied().filter(|s| s.sql.contains(&quoted)).collect();
        if named.is_empty() {
            stmts.to_vec()
        } else {
            named
        }
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

pub fn build_with(current: &Realm, desired: &Realm, changes: Vec<Change>, dialect: Dialect, ci: ConcurrentIndex) -> Plan {
    let e = engine::of(dialect);
    let changes = objects::expand(current, desired, changes, e);
    let statements = e.online(&changes, statements(&changes, dialect), ci);
    // Two large realms: hashed side by side (serializing and hashing dominate planning time).
    let (current_hash, desired_hash) = std::thread::scope(|s| {
        let h = s.spawn(|| realm_hash(desired));
        (realm_hash(current), h.join().expect("hashing the desired schema"))
    });
    let mut plan = Plan { hash: String::new(), current_hash, desired_hash, dialect, changes, statements };
    plan.refresh();
    plan
}

/// The whole realm as CREATE statements (inspect --format sql, loading a disposable database):
/// routines that table expressions call before the first table, the other routines, views and
/// triggers after everything else.
pub fn create_realm(realm: &Realm, d: Dialect) -> Vec<String> {
    let e = engine::of(d);
    let mut out = e.create_realm(realm);
    let (early, late) = objects::create_objects(realm, e);
    let first_table = out.iter().position(|s| s.starts_with("CREATE TABLE") || s.starts_with("CREATE DOMAIN")).unwrap_or(out.len());
    out.splice(first_table..first_table, early);
    out.extend(late);
    // Disposable databases are loaded without grants: see [`is_privilege_statement`].
    out.extend(e.create_grants(realm));
    out
}

/// Statements about privileges and roles. Roles and accounts belong to the server, and a
/// disposable database's server need not have the target's, so normalization and rehearsal
/// leave these out; what can go wrong with them (a grantee that does not exist) is checked
/// against the target instead.
pub fn is_privilege_statement(sql: &str) -> bool {
    ["GRANT ", "REVOKE ", "ALTER DEFAULT PRIVILEGES ", "CREATE ROLE "].iter().any(|p| sql.starts_with(p))
}

pub fn statements(changes: &[Change], d: Dialect) -> Vec<Statement> {
    let e = engine::of(d);
    let mut by_phase: BTreeMap<Phase, Vec<Statement>> = BTreeMap::new();
    // Views, routines and triggers: ordered among each other, in their phases.
    let objects = objects::phases(changes, e);
    for (phase, list) in [(Phase::ObjectsPre, objects.pre), (Phase::ObjectsBeforeTypes, objects.before_types), (Phase::ObjectsEarly, objects.early), (Phase::ObjectsLate, objects.late), (Phase::ObjectsPost, objects.post)] {
        by_phase.entry(phase).or_default().extend(list);
    }
    // Everything else: each change's statements in the phase the engine gives them, changes in
    // order within a phase. Object statements of a phase come before the others of it.
    for (i, c) in changes.iter().enumerate() {
        for (phase, mut s) in e.render(c) {
            s.change = Some(i);
            by_phase.entry(phase).or_default().push(s);
        }
    }
    by_phase.into_values().flatten().collect()
}

#[cfg(test)]
mod tests;
