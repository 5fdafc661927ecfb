//! The online-safe form of a PostgreSQL plan, for tables that exist in the target: indexes
//! built and dropped CONCURRENTLY outside the apply transaction, constraints added NOT VALID and
//! validated in a step of their own, SET NOT NULL through a validated check. Each new statement
//! belongs to the change of the statement it comes from.

use super::ddl;
use crate::diff::{Change, TableChange};
use crate::engine::interface::Online;
use crate::schema::{Index, IndexPart};
use crate::statement::Statement;
use sha2::{Digest, Sha256};

pub fn apply(changes: &[Change], mut statements: Vec<Statement>, o: Online) -> Vec<Statement> {
    if o.add || o.drop {
        statements = concurrently(changes, statements, o);
    }
    if o.add {
        statements = keys_using_index(changes, statements);
    }
    if o.constraints {
        statements = online_constraints(changes, statements);
    }
    statements
}

/// Rewrite the index statements of existing tables to their CONCURRENTLY form (no transaction).
fn concurrently(changes: &[Change], statements: Vec<Statement>, ci: Online) -> Vec<Statement> {
    let mut added = std::collections::HashSet::new();
    let mut dropped = std::collections::HashSet::new();
    for c in changes {
        if let Change::ModifyTable { schema, changes: tcs, .. } = c {
            let gone: Vec<&str> = tcs.iter().filter_map(|tc| if let TableChange::DropColumn { column } = tc { Some(column.name.as_str()) } else { None }).collect();
            // Only plain indexes have a CONCURRENTLY form; every other change stays in the
            // transaction.
            for tc in tcs {
                if let TableChange::AddIndex { index } = tc {
                    if !index.constraint {
                        added.insert((schema.clone(), index.name.clone()));
                    }
                }
                // An index on a column the transaction drops goes with the column: dropped after
                // the transaction it would no longer exist, and CONCURRENTLY would spare no one,
                // since dropping the column locks the table anyway.
                if let TableChange::DropIndex { index } = tc {
                    if !index.constraint && !uses_any(index, &gone) {
                        dropped.insert(ddl::qn(schema, &index.name));
                    }
                }
            }
        }
    }
    let mut out = Vec::with_capacity(statements.len());
    for mut s in statements {
        for prefix in ["CREATE UNIQUE INDEX ", "CREATE INDEX "] {
            if ci.add {
                if let Some(rest) = s.sql.strip_prefix(prefix).map(String::from) {
                    if let Some((schema, name)) = added.iter().find(|(_, n)| rest.starts_with(&format!("{} ON ", ddl::q(n)))) {
                        // IF NOT EXISTS: a re-run of an apply that got past it does nothing twice.
                        s.sql = format!("{prefix}CONCURRENTLY IF NOT EXISTS {rest}");
                        s.no_tx = true;
                        // A build that failed (a killed apply, a duplicate) leaves an INVALID
                        // index of this name, which inspection does not count as the index:
                        // dropped first, so a re-run builds it again.
                        let mut cleanup = Statement::new(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ddl::qn(schema, name)), format!("drop an INVALID \"{name}\" a failed build may have left"));
                        cleanup.no_tx = true;
                        cleanup.change = s.change;
                        out.push(cleanup);
                    }
                }
            }
        }
        // A comment on an index built after the transaction is set after it too (in order,
        // after the build).
        if ci.add && added.iter().any(|(schema, n)| s.sql.starts_with(&format!("COMMENT ON INDEX {} IS ", ddl::qn(schema, n)))) {
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

/// Whether `index` reads one of `columns` (a key part, an INCLUDE column, or a name in an
/// expression or predicate: a mention is enough, this only decides to stay conservative).
fn uses_any(index: &Index, columns: &[&str]) -> bool {
    let mentions = |text: &Option<String>| text.as_deref().is_some_and(|t| columns.iter().any(|c| t.contains(c)));
    columns.iter().any(|c| index.include.iter().any(|i| i == c))
        || index.parts.iter().any(|p| p.column.as_deref().is_some_and(|n| columns.contains(&n)) || mentions(&p.expr))
        || mentions(&index.where_clause)
}

/// `DROP INDEX CONCURRENTLY IF EXISTS` for the index a `CREATE … INDEX CONCURRENTLY IF NOT
/// EXISTS` builds: a build that gave up (a lock timeout) leaves an INVALID index that the
/// next attempt's IF NOT EXISTS would take for done, so apply drops it before retrying.
pub fn leftover_cleanup(sql: &str) -> Option<String> {
    let rest = sql.strip_prefix("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ").or_else(|| sql.strip_prefix("CREATE INDEX CONCURRENTLY IF NOT EXISTS "))?;
    let (name, rest) = crate::engine::sql_text::read_name(rest)?;
    let (table, _) = crate::engine::sql_text::read_name(rest.trim_start().strip_prefix("ON ")?)?;
    let schema = if table.len() == 2 { table[0].as_str() } else { "public" };
    Some(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ddl::qn(schema, name.first()?)))
}

/// Unique constraints and primary keys added to tables that exist: their index is built
/// CONCURRENTLY before the transaction, and the transaction only attaches it
/// (`ADD CONSTRAINT … USING INDEX`, a catalog change), instead of building it under an ACCESS
/// EXCLUSIVE lock. Only where no object of the table has the name yet (a key replaced under the
/// same name keeps the plain form: its old index is still there when the new one would build).
fn keys_using_index(changes: &[Change], mut statements: Vec<Statement>) -> Vec<Statement> {
    let mut before = Vec::new();
    for (ci, c) in changes.iter().enumerate() {
        let Change::ModifyTable { schema, table, from, to, changes: tcs } = c else { continue };
        let t = ddl::qn(schema, table);
        // The index is built before the transaction, so every column it uses must be there
        // already, under that name and type: not added, renamed or retyped by this plan.
        let renamed = changes.iter().any(|c| matches!(c, Change::RenameColumn { schema: s, table: t, .. } | Change::RenameTable { schema: s, to: t, .. } if s == schema && t == table));
        let ready = |cols: &[String]| {
            !renamed
                && cols.iter().all(|c| {
                    from.columns.iter().any(|x| &x.name == c)
                        && !tcs.iter().any(|tc| matches!(tc, TableChange::ModifyColumn { to, what, .. } if &to.name == c && (what.contains(&"type") || what.contains(&"collation"))))
                })
        };
        let taken = |name: &str| {
            from.indexes.iter().any(|i| i.name == name)
                || from.primary_key.as_ref().is_some_and(|k| k.name.clone().unwrap_or_else(|| format!("{table}_pkey")) == name)
                || from.checks.iter().any(|k| k.name == name)
                || from.foreign_keys.iter().any(|k| k.name == name)
        };
        let mut build = |index: Index, st: &mut Statement, from_sql: &str, to_sql: String| {
            let name = index.name.clone();
            st.sql = st.sql.replacen(from_sql, &to_sql, 1);
            let create = ddl::create_index(schema, to, &index, true).replacen(" CONCURRENTLY ", " CONCURRENTLY IF NOT EXISTS ", 1);
            let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ddl::qn(schema, &name));
            before.push(Statement { before_tx: true, change: Some(ci), ..Statement::new(drop.clone(), format!("drop an INVALID \"{name}\" a failed build may have left")) });
            before.push(Statement { before_tx: true, change: Some(ci), ..Statement::new(create, format!("build the index of \"{name}\" on \"{table}\" before the transaction (reads and writes go on)")).rev(drop) });
        };
        for tc in tcs {
            match tc {
                TableChange::AddIndex { index } if index.constraint && !index.is_exclusion() && !taken(&index.name) && index.parts.iter().all(|p| p.column.is_some()) && ready(&index.parts.iter().filter_map(|p| p.column.clone()).chain(index.include.iter().cloned()).collect::<Vec<_>>()) => {
                    let add = format!("ADD {}", ddl::unique_constraint_def(index));
                    let attach = format!("ADD CONSTRAINT {} UNIQUE USING INDEX {}{}", ddl::q(&index.name), ddl::q(&index.name), ddl::deferrable(index.deferrable, index.initially_deferred));
                    if let Some(st) = statements.iter_mut().find(|s| s.change == Some(ci) && !s.no_tx && !s.before_tx && s.sql.starts_with(&format!("ALTER TABLE {t} ")) && s.sql.contains(&add)) {
                        build(Index { unique: true, ..index.clone() }, st, &add, attach);
                    }
                }
                TableChange::AddPrimaryKey { key } if from.primary_key.is_none() && ready(&key.columns.iter().chain(key.include.iter()).cloned().collect::<Vec<_>>()) => {
                    let name = key.name.clone().unwrap_or_else(|| format!("{table}_pkey"));
                    if taken(&name) {
                        continue;
                    }
                    let add = format!("ADD {}", ddl::pk_def(key));
                    let attach = format!("ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}{}", ddl::q(&name), ddl::q(&name), ddl::deferrable(key.deferrable, key.initially_deferred));
                    let parts = key.columns.iter().map(|c| IndexPart { column: Some(c.clone()), ..Default::default() }).collect();
                    if let Some(st) = statements.iter_mut().find(|s| s.change == Some(ci) && !s.no_tx && !s.before_tx && s.sql.starts_with(&format!("ALTER TABLE {t} ")) && s.sql.contains(&add)) {
                        build(Index { name, unique: true, parts, include: key.include.clone(), nulls_distinct: true, ..Default::default() }, st, &add, attach);
                    }
                }
                TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
                | TableChange::AddIndex { .. } | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. }
                | TableChange::DropPrimaryKey { .. } | TableChange::AddForeignKey { .. }
                | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. } | TableChange::DropCheck { .. }
                | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
                | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
                | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. }
                | TableChange::ModifyPolicy { .. } => {}
            }
        }
    }
    before.extend(statements);
    before
}

/// Constraints of tables that exist, in the online form (PostgreSQL): a foreign key or check is
/// added NOT VALID (a brief lock, no scan) and validated after the transaction (a scan under a
/// lock that lets reads and writes through); SET NOT NULL goes through a validated
/// `CHECK (col IS NOT NULL)`, which lets PostgreSQL set it without scanning, and the helper
/// check is dropped. Each validation is its own step, outside the apply transaction.
fn online_constraints(changes: &[Change], mut statements: Vec<Statement>) -> Vec<Statement> {
    let mut after = Vec::new();
    let mut before = Vec::new();
    for (ci, c) in changes.iter().enumerate() {
        let Change::ModifyTable { schema, table, changes: tcs, .. } = c else { continue };
        let t = ddl::qn(schema, table);
        let prefix = format!("ALTER TABLE {t} ");
        // In the transactional statement of this table, `from` becomes `to`.
        let rewrite = |statements: &mut Vec<Statement>, from: &str, to: &str| -> bool {
            statements.iter_mut().find(|s| !s.no_tx && s.sql.starts_with(&prefix) && s.sql.contains(from)).map(|s| s.sql = s.sql.replacen(from, to, 1)).is_some()
        };
        let validate = |name: &str, what: String| {
            let mut v = Statement::new(format!("ALTER TABLE {t} VALIDATE CONSTRAINT {}", ddl::q(name)), what).outside_tx();
            v.change = Some(ci);
            v
        };
        let pk_columns: Vec<&String> = tcs.iter().filter_map(|tc| if let TableChange::AddPrimaryKey { key } = tc { Some(&key.columns) } else { None }).flatten().collect();
        for tc in tcs {
            match tc {
                TableChange::AddForeignKey { fk } => {
                    let add = format!("ADD {}", ddl::fk_def(fk));
                    if rewrite(&mut statements, &add, &format!("{add} NOT VALID")) {
                        after.push(validate(&fk.name, format!("validate foreign key \"{}\" of \"{table}\" (reads and writes go on)", fk.name)));
                    }
                }
                TableChange::AddCheck { check } => {
                    let add = format!("ADD {}", ddl::check_def(check));
                    if rewrite(&mut statements, &add, &format!("{add} NOT VALID")) {
                        after.push(validate(&check.name, format!("validate check \"{}\" of \"{table}\" (reads and writes go on)", check.name)));
                    }
                }
                // Before the transaction, each on its own: a NOT VALID check (a brief lock) and its
                // validation (the scan, with reads and writes going on). A NULL fails it there,
                // the check is dropped again, and nothing else has run. In the transaction, SET
                // NOT NULL then needs no scan (the valid check proves it) and the helper goes.
                TableChange::ModifyColumn { from, to, what } if from.null && !to.null && !what.contains(&"identity") && !pk_columns.contains(&&to.name) => {
                    let cn = ddl::q(&to.name);
                    let helper = not_null_check_name(table, &to.name);
                    let hq = ddl::q(&helper);
                    let set = format!("ALTER COLUMN {cn} SET NOT NULL");
                    let Some(at) = statements.iter().position(|s| !s.no_tx && s.sql.starts_with(&prefix) && s.sql.contains(&set)) else { continue };
                    let mut add = Statement::new(format!("ALTER TABLE {t} ADD CONSTRAINT {hq} CHECK ({cn} IS NOT NULL) NOT VALID"), format!("check that \"{}\" holds no NULL, before the transaction", to.name)).rev(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {hq}"));
                    add.before_tx = true;
                    add.change = Some(ci);
                    let mut check = validate(&helper, format!("validate that \"{}\" holds no NULL (reads and writes go on)", to.name));
                    check.no_tx = false;
                    check.before_tx = true;
                    before.push(add);
                    before.push(check);
                    let mut drop = Statement::new(format!("ALTER TABLE {t} DROP CONSTRAINT {hq}"), format!("drop the helper check of \"{}\" (SET NOT NULL used it instead of a scan)", to.name));
                    drop.change = Some(ci);
                    statements.insert(at + 1, drop);
                }
                TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
                | TableChange::AddIndex { .. } | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. }
                | TableChange::DropPrimaryKey { .. } | TableChange::DropForeignKey { .. }
                | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
                | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
                | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. }
                | TableChange::ModifyPolicy { .. } => {}
            }
        }
    }
    statements.extend(after);
    before.extend(statements);
    before
}

/// The helper check of an online SET NOT NULL: `<table>_<column>_not_null`, or a hashed name
/// when that would pass PostgreSQL's 63-byte limit.
pub fn not_null_check_name(table: &str, column: &str) -> String {
    let name = format!("{table}_{column}_not_null");
    if name.len() <= 63 {
        return name;
    }
    let h = hex::encode(Sha256::digest(name.as_bytes()));
    format!("sg_not_null_{}", &h[..16])
}


#[cfg(test)]
mod tests {
    #[test]
    fn a_leftover_of_a_concurrent_build_is_named_for_its_cleanup() {
        assert_eq!(super::leftover_cleanup(r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "u" ON "app"."t" ("a")"#).as_deref(), Some(r#"DROP INDEX CONCURRENTLY IF EXISTS "app"."u""#));
        assert_eq!(super::leftover_cleanup(r#"CREATE INDEX "u" ON "app"."t" ("a")"#), None);
    }
}
