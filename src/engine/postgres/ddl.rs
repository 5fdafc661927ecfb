//! PostgreSQL DDL from the model. Every identifier goes through `q` and every literal through
//! `lit`: no SQL is built by pasting a name or value unquoted.

use crate::engine::{quote_ident, quote_literal};
use crate::schema::*;

pub fn q(s: &str) -> String {
    quote_ident(Dialect::Postgres, s)
}

pub fn lit(s: &str) -> String {
    quote_literal(Dialect::Postgres, s)
}

/// `schema.name`; an empty schema (a script for a schema-bound URL) leaves the name unqualified.
pub fn qn(schema: &str, name: &str) -> String {
    if schema.is_empty() {
        return q(name);
    }
    format!("{}.{}", q(schema), q(name))
}

pub fn default_sql(d: &ColumnDefault) -> String {
    match d {
        ColumnDefault::Str(s) => lit(s),
        ColumnDefault::Num(n) => n.clone(),
        ColumnDefault::Bool(b) => b.to_string(),
        ColumnDefault::Raw(r) => r.clone(),
    }
}

pub fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", q(&c.name), c.ty);
    if let Some(col) = &c.collate {
        s.push_str(&format!(" COLLATE {}", q(col)));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", g.expr));
    }
    if let Some(id) = &c.identity {
        s.push_str(&format!(" GENERATED {}", identity_sql(id)));
    }
    // NULL written out, as Atlas writes it (its users diff and commit this SQL); not with an
    // identity or a serial type, which PostgreSQL holds NOT NULL and refuses to declare NULL.
    let serial = super::types::is_serial(&c.ty.to_ascii_lowercase());
    if !c.null {
        s.push_str(" NOT NULL");
    } else if c.identity.is_none() && !serial {
        s.push_str(" NULL");
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    s
}

/// `ALWAYS AS IDENTITY (START WITH … INCREMENT BY … [MINVALUE …] [MAXVALUE …])`.
pub fn identity_sql(id: &Identity) -> String {
    let mut opts = format!("START WITH {} INCREMENT BY {}", id.start, id.increment);
    if let Some(m) = id.min_value {
        opts.push_str(&format!(" MINVALUE {m}"));
    }
    if let Some(m) = id.max_value {
        opts.push_str(&format!(" MAXVALUE {m}"));
    }
    format!("{} AS IDENTITY ({opts})", if id.always { "ALWAYS" } else { "BY DEFAULT" })
}

/// ` DEFERRABLE [INITIALLY DEFERRED]` for a key or foreign key, or nothing.
pub fn deferrable(deferrable: bool, initially_deferred: bool) -> &'static str {
    match (deferrable, initially_deferred) {
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        (true, false) => " DEFERRABLE",
        (false, _) => "",
    }
}

pub fn pk_def(pk: &PrimaryKey) -> String {
    let cols = pk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
    let include = if pk.include.is_empty() { String::new() } else { format!(" INCLUDE ({})", pk.include.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")) };
    let when = deferrable(pk.deferrable, pk.initially_deferred);
    match &pk.name {
        Some(n) => format!("CONSTRAINT {} PRIMARY KEY ({cols}){include}{when}", q(n)),
        None => format!("PRIMARY KEY ({cols}){include}{when}"),
    }
}

pub fn check_def(c: &Check) -> String {
    format!("CONSTRAINT {} CHECK ({})", q(&c.name), c.expr)
}

fn constraint_kind(i: &Index) -> &'static str {
    if i.is_exclusion() {
        "exclusion constraint"
    } else {
        "unique constraint"
    }
}

/// A table constraint backed by an index: `UNIQUE (…)`, or `EXCLUDE USING gist (… WITH op)`.
pub fn unique_constraint_def(i: &Index) -> String {
    if i.is_exclusion() {
        let parts = i.parts.iter().map(|p| format!("{} WITH {}", part_sql(p), p.op.as_deref().unwrap_or("="))).collect::<Vec<_>>().join(", ");
        let mut s = format!("CONSTRAINT {} EXCLUDE USING {} ({parts})", q(&i.name), i.method.as_deref().unwrap_or("btree").to_ascii_lowercase());
        if !i.include.is_empty() {
            s.push_str(&format!(" INCLUDE ({})", i.include.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
        }
        if let Some(w) = &i.where_clause {
            s.push_str(&format!(" WHERE ({w})"));
        }
        s.push_str(deferrable(i.deferrable, i.initially_deferred));
        return s;
    }
    let cols = i.parts.iter().map(|p| q(p.column.as_deref().unwrap_or_default())).collect::<Vec<_>>().join(", ");
    let mut s = format!("CONSTRAINT {} UNIQUE{} ({cols})", q(&i.name), if i.nulls_distinct { "" } else { " NULLS NOT DISTINCT" });
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", i.include.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
    }
    s.push_str(deferrable(i.deferrable, i.initially_deferred));
    s
}

pub fn fk_def(fk: &ForeignKey) -> String {
    let mut s = format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        q(&fk.name),
        fk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
        qn(&fk.ref_schema, &fk.ref_table),
        fk.ref_columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
    );
    if fk.on_update != RefAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
    }
    if fk.on_delete != RefAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
    }
    s.push_str(deferrable(fk.deferrable, fk.initially_deferred));
    s
}

/// CREATE TABLE with columns, primary key, checks and unique constraints; foreign keys are added
/// separately so tables can be created in any order.
pub fn create_table(schema: &str, t: &Table) -> String {
    let mut items: Vec<String> = t.columns.iter().map(column_def).collect();
    if let Some(pk) = &t.primary_key {
        items.push(pk_def(pk));
    }
    for i in t.indexes.iter().filter(|i| i.constraint) {
        items.push(unique_constraint_def(i));
    }
    for c in &t.checks {
        items.push(check_def(c));
    }
    let unlogged = if t.options.unlogged { "UNLOGGED " } else { "" };
    let mut s = format!("CREATE {unlogged}TABLE {} (\n  {}\n)", qn(schema, &t.name), items.join(",\n  "));
    if let Some(p) = &t.partition {
        s.push_str(&format!(" PARTITION BY {} ({})", p.kind, partkey_sql(p)));
    }
    if !t.options.storage_params.is_empty() {
        s.push_str(&format!(" WITH ({})", t.options.storage_params.join(", ")));
    }
    s
}

/// `ALTER TABLE … REPLICA IDENTITY …` for a table whose identity is not the default (after its
/// indexes exist: USING INDEX names one).
pub fn replica_identity(schema: &str, t: &Table) -> Option<String> {
    let ri = t.options.replica_identity.as_deref()?;
    Some(format!("ALTER TABLE {} REPLICA IDENTITY {}", qn(schema, &t.name), replica_identity_sql(ri)))
}

fn replica_identity_sql(ri: &str) -> String {
    match ri.strip_prefix("INDEX ") {
        Some(i) => format!("USING INDEX {}", q(i)),
        None => ri.to_string(),
    }
}

/// Storage changes of an existing table: SET LOGGED/UNLOGGED, SET/RESET parameters, replica
/// identity (the caller runs it after the table's indexes).
fn storage_changes(schema: &str, from: &TableOptions, to: &TableOptions, table: &str) -> Vec<(String, String)> {
    let t = qn(schema, table);
    let mut out = Vec::new();
    if from.unlogged != to.unlogged {
        out.push((format!("ALTER TABLE {t} SET {}", if to.unlogged { "UNLOGGED" } else { "LOGGED" }), format!("make \"{table}\" {}", if to.unlogged { "unlogged (not crash-safe, not replicated)" } else { "logged" })));
    }
    let key = |p: &String| p.split('=').next().unwrap_or_default().to_string();
    let reset: Vec<String> = from.storage_params.iter().map(key).filter(|k| !to.storage_params.iter().any(|p| &key(p) == k)).collect();
    if !reset.is_empty() {
        out.push((format!("ALTER TABLE {t} RESET ({})", reset.join(", ")), format!("reset storage parameters of \"{table}\"")));
    }
    let set: Vec<&String> = to.storage_params.iter().filter(|p| !from.storage_params.contains(p)).collect();
    if !set.is_empty() {
        out.push((format!("ALTER TABLE {t} SET ({})", set.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")), format!("set storage parameters of \"{table}\"")));
    }
    if from.replica_identity != to.replica_identity {
        out.push((format!("ALTER TABLE {t} REPLICA IDENTITY {}", replica_identity_sql(to.replica_identity.as_deref().unwrap_or("DEFAULT"))), format!("replica identity of \"{table}\"")));
    }
    out
}

/// `TO` list of a policy: PUBLIC is a keyword, roles are identifiers.
fn policy_roles(p: &Policy) -> String {
    if p.roles.is_empty() {
        return "PUBLIC".into();
    }
    p.roles.iter().map(|r| if Policy::is_role_keyword(r) { r.clone() } else { q(r) }).collect::<Vec<_>>().join(", ")
}

fn policy_clauses(p: &Policy) -> String {
    let mut s = String::new();
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(c) = &p.check {
        s.push_str(&format!(" WITH CHECK ({c})"));
    }
    s
}

pub fn create_policy(schema: &str, table: &str, p: &Policy) -> String {
    format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}{}",
        q(&p.name),
        qn(schema, table),
        if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
        p.command,
        policy_roles(p),
        policy_clauses(p)
    )
}

pub fn drop_policy(schema: &str, table: &str, p: &Policy) -> String {
    format!("DROP POLICY {} ON {}", q(&p.name), qn(schema, table))
}

/// ALTER POLICY: roles, USING and WITH CHECK in place (the diff only asks when it can).
pub fn alter_policy(schema: &str, table: &str, p: &Policy) -> String {
    format!("ALTER POLICY {} ON {} TO {}{}", q(&p.name), qn(schema, table), policy_roles(p), policy_clauses(p))
}

/// ENABLE/DISABLE and FORCE/NO FORCE ROW LEVEL SECURITY, for what differs from `from`.
pub fn row_security(schema: &str, table: &str, from: RowSecurity, to: RowSecurity) -> Vec<String> {
    let t = qn(schema, table);
    let mut out = Vec::new();
    if from.enabled != to.enabled {
        out.push(format!("ALTER TABLE {t} {} ROW LEVEL SECURITY", if to.enabled { "ENABLE" } else { "DISABLE" }));
    }
    if from.forced != to.forced {
        out.push(format!("ALTER TABLE {t} {} ROW LEVEL SECURITY", if to.forced { "FORCE" } else { "NO FORCE" }));
    }
    out
}

/// A new table's row security and policies.
fn security_stmts(schema: &str, t: &Table) -> Vec<String> {
    let mut out = row_security(schema, &t.name, RowSecurity::default(), t.row_security);
    out.extend(t.policies.iter().map(|p| create_policy(schema, &t.name, p)));
    out
}

pub fn partkey_sql(p: &PartitionKey) -> String {
    p.parts
        .iter()
        .map(|k| match k {
            PartKey::Column(c) => q(c),
            PartKey::Expr(e) => format!("({e})"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ATTACH PARTITION of a table the plan creates, if it is a partition.
pub fn attach_new(schema: &str, t: &Table) -> Option<Statement> {
    let of = t.partition_of.as_ref()?;
    Some(Statement::new(attach_partition(schema, t, of), format!("attach partition \"{}\" to \"{}\"", t.name, of.table)))
}

pub fn attach_partition(schema: &str, t: &Table, of: &PartitionOf) -> String {
    format!("ALTER TABLE {} ATTACH PARTITION {} {}", qn(&of.schema, &of.table), qn(schema, &t.name), of.bound)
}

/// One key part: the column or `(expression)`, its operator class, order and NULLS placement.
fn part_sql(p: &IndexPart) -> String {
    let mut s = match (&p.column, &p.expr) {
        (Some(c), _) => q(c),
        (None, Some(e)) => format!("({e})"),
        _ => String::new(),
    };
    if let Some(oc) = &p.opclass {
        s.push(' ');
        s.push_str(oc);
    }
    if p.desc {
        s.push_str(" DESC");
    }
    if let Some(nf) = p.nulls_first {
        s.push_str(if nf { " NULLS FIRST" } else { " NULLS LAST" });
    }
    s
}

pub fn create_index(schema: &str, table: &Table, i: &Index, concurrently: bool) -> String {
    let parts = i.parts.iter().map(part_sql).collect::<Vec<_>>().join(", ");
    // On a partitioned parent the index is created for every partition too; ONLY is not used so
    // partitions get theirs automatically, as pg_dump's ATTACH PARTITION would.
    let mut s = format!(
        "CREATE {}INDEX {}{} ON {}{} ({parts})",
        if i.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        q(&i.name),
        qn(schema, &table.name),
        match &i.method {
            Some(m) => format!(" USING {}", m.to_ascii_lowercase()),
            None => String::new(),
        }
    );
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", i.include.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
    }
    if !i.nulls_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(n) = i.page_per_range {
        s.push_str(&format!(" WITH (pages_per_range = {n})"));
    }
    if let Some(w) = &i.where_clause {
        s.push_str(&format!(" WHERE {w}"));
    }
    s
}

pub fn create_enum(schema: &str, e: &EnumType) -> String {
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qn(schema, &e.name),
        e.values.iter().map(|v| lit(v)).collect::<Vec<_>>().join(", ")
    )
}

pub fn create_domain(schema: &str, d: &Domain) -> String {
    let mut s = format!("CREATE DOMAIN {} AS {}", qn(schema, &d.name), d.ty);
    if let Some(def) = &d.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(def)));
    }
    if !d.null {
        s.push_str(" NOT NULL");
    }
    for c in &d.checks {
        s.push_str(&format!(" CONSTRAINT {} CHECK ({})", q(&c.name), c.expr));
    }
    s
}

pub fn create_sequence(schema: &str, s: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE {} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
        qn(schema, &s.name),
        s.ty,
        s.start,
        s.increment,
        s.min_value,
        s.max_value,
        s.cache,
        if s.cycle { " CYCLE" } else { "" }
    )
}

pub fn sequence_owned_by(schema: &str, s: &Sequence) -> Option<String> {
    s.owned_by
        .as_ref()
        .map(|(t, c)| format!("ALTER SEQUENCE {} OWNED BY {}.{}", qn(schema, &s.name), qn(schema, t), q(c)))
}

pub fn comment_stmts(schema: &str, t: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &t.comment {
        out.push(format!("COMMENT ON TABLE {} IS {}", qn(schema, &t.name), lit(c)));
    }
    for col in &t.columns {
        if let Some(c) = &col.comment {
            out.push(format!("COMMENT ON COLUMN {}.{} IS {}", qn(schema, &t.name), q(&col.name), lit(c)));
        }
    }
    for i in &t.indexes {
        if let Some(c) = &i.comment {
            out.push(format!("COMMENT ON INDEX {} IS {}", qn(schema, &i.name), lit(c)));
        }
    }
    out
}

/// The whole realm as CREATE statements in dependency order.
pub fn create_realm(realm: &Realm) -> Vec<String> {
    let mut out = Vec::new();
    for s in &realm.schemas {
        out.push(format!("CREATE SCHEMA IF NOT EXISTS {}", q(&s.name)));
        if let Some(c) = &s.comment {
            out.push(format!("COMMENT ON SCHEMA {} IS {}", q(&s.name), lit(c)));
        }
    }
    out.extend(super::kinds::created_in(realm, crate::statement::Phase::Extensions));
    for s in &realm.schemas {
        for e in &s.enums {
            out.push(create_enum(&s.name, e));
            if let Some(c) = &e.comment {
                out.push(format!("COMMENT ON TYPE {} IS {}", qn(&s.name, &e.name), lit(c)));
            }
        }
    }
    for s in &realm.schemas {
        for d in &s.domains {
            out.push(create_domain(&s.name, d));
        }
        for seq in &s.sequences {
            out.push(create_sequence(&s.name, seq));
        }
    }
    out.extend(super::kinds::created_in(realm, crate::statement::Phase::Types));
    for s in &realm.schemas {
        for t in &s.tables {
            out.push(create_table(&s.name, t));
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            if let Some(of) = &t.partition_of {
                out.push(attach_partition(&s.name, t, of));
            }
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            for i in t.indexes.iter().filter(|i| !i.constraint) {
                out.push(create_index(&s.name, t, i, false));
            }
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            for fk in &t.foreign_keys {
                out.push(format!("ALTER TABLE {} ADD {}", qn(&s.name, &t.name), fk_def(fk)));
            }
            out.extend(replica_identity(&s.name, t));
        }
    }
    for s in &realm.schemas {
        for seq in &s.sequences {
            out.extend(sequence_owned_by(&s.name, seq));
        }
        for t in &s.tables {
            out.extend(comment_stmts(&s.name, t));
            out.extend(security_stmts(&s.name, t));
        }
    }
    out
}

// ---- changes ---------------------------------------------------------------------------------

use crate::diff::TableChange;
use crate::statement::Statement;

pub fn add_schema(s: &Schema) -> Vec<Statement> {
    vec![Statement::new(format!("CREATE SCHEMA {}", q(&s.name)), format!("create schema \"{}\"", s.name)).rev(format!("DROP SCHEMA {}", q(&s.name)))]
}

/// CREATE TABLE plus its indexes and comments; foreign keys are added by the planner later.
pub fn add_table(schema: &str, t: &Table) -> Vec<Statement> {
    // A new partition is attached by the planner after the tables change (`attach_new`): its
    // parent may gain columns in the same plan, and PostgreSQL attaches only matching tables.
    let mut out = vec![Statement::new(create_table(schema, t), format!("create table \"{}\"", t.name)).rev(format!("DROP TABLE {}", qn(schema, &t.name)))];
    for i in t.indexes.iter().filter(|i| !i.constraint) {
        out.push(Statement::new(create_index(schema, t, i, false), format!("create index \"{}\" on \"{}\"", i.name, t.name)).rev(format!("DROP INDEX {}", qn(schema, &i.name))));
    }
    for c in comment_stmts(schema, t) {
        out.push(Statement::new(c, format!("comment on \"{}\"", t.name)));
    }
    for s in security_stmts(schema, t) {
        out.push(Statement::new(s, format!("row-level security of \"{}\"", t.name)));
    }
    if let Some(s) = replica_identity(schema, t) {
        out.push(Statement::new(s, format!("replica identity of \"{}\"", t.name)));
    }
    out
}

pub fn modify_table(schema: &str, _from: &Table, to: &Table, changes: &[TableChange]) -> Vec<Statement> {
    let t = qn(schema, &to.name);
    let mut out = Vec::new();
    // An index whose comment alone changed keeps the index: COMMENT ON INDEX.
    let comment_only: Vec<&Index> = changes
        .iter()
        .filter_map(|c| match c {
            TableChange::AddIndex { index } => Some(index),
            TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
            | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. }
            | TableChange::AddForeignKey { .. } | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. }
            | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
            | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
            | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. }
            | TableChange::ModifyPolicy { .. } => None,
        })
        .filter(|new| {
            changes.iter().any(|c| matches!(c, TableChange::DropIndex { index: old } if old.name == new.name && Index { comment: new.comment.clone(), ..old.clone() } == **new))
        })
        .collect();
    let recomment = |name: &str| comment_only.iter().any(|i| i.name == name);
    // Policies go first: a policy's expressions may read columns about to change or go.
    for c in changes {
        if let TableChange::DropPolicy { policy } = c {
            out.push(Statement::new(drop_policy(schema, &to.name, policy), format!("drop policy \"{}\" on \"{}\"", policy.name, to.name)).rev(create_policy(schema, &to.name, policy)));
        }
    }
    for i in &comment_only {
        out.push(Statement::new(format!("COMMENT ON INDEX {} IS {}", qn(schema, &i.name), i.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into())), format!("comment on index \"{}\"", i.name)));
    }
    // Indexes are dropped before columns change and created after.
    for c in changes {
        if let TableChange::DropIndex { index } = c {
            if recomment(&index.name) {
                continue;
            }
            if index.constraint {
                out.push(Statement::new(format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(&index.name)), format!("drop {} \"{}\"", constraint_kind(index), index.name)).rev(format!("ALTER TABLE {t} ADD {}", unique_constraint_def(index))));
            } else {
                out.push(Statement::new(format!("DROP INDEX {}", qn(schema, &index.name)), format!("drop index \"{}\" of \"{}\"", index.name, to.name)).rev(create_index(schema, to, index, false)));
            }
        }
    }
    // A primary key that only changes its name (a renamed table keeps `old_pkey`) is renamed:
    // dropping it would rebuild the index and fail while foreign keys depend on it.
    let pk_name = |k: &PrimaryKey| k.name.clone().unwrap_or_else(|| format!("{}_pkey", to.name));
    let dropped_pk = changes.iter().find_map(|c| if let TableChange::DropPrimaryKey { key } = c { Some(key) } else { None });
    let added_pk = changes.iter().find_map(|c| if let TableChange::AddPrimaryKey { key } = c { Some(key) } else { None });
    // Only the name: a key that also changes its INCLUDE list or deferrability is rebuilt.
    let pk_renamed = matches!((dropped_pk, added_pk), (Some(a), Some(b)) if pk_name(a) != pk_name(b) && PrimaryKey { name: None, ..a.clone() } == PrimaryKey { name: None, ..b.clone() });
    if let (true, Some(a), Some(b)) = (pk_renamed, dropped_pk, added_pk) {
        out.push(Statement::new(format!("ALTER TABLE {t} RENAME CONSTRAINT {} TO {}", q(&pk_name(a)), q(&pk_name(b))), format!("rename primary key of \"{}\"", to.name)).rev(format!("ALTER TABLE {t} RENAME CONSTRAINT {} TO {}", q(&pk_name(b)), q(&pk_name(a)))));
    }
    let mut actions: Vec<(String, Option<String>, String)> = Vec::new();
    // Statements after the table's ALTER, with what they do.
    let mut serial_seqs: Vec<(String, String)> = Vec::new();
    let mut serial_pre: Vec<Statement> = Vec::new();
    for c in changes {
        match c {
            TableChange::DropPrimaryKey { .. } | TableChange::AddPrimaryKey { .. } if pk_renamed => {}
            TableChange::DropCheck { check } => actions.push((format!("DROP CONSTRAINT {}", q(&check.name)), Some(format!("ADD {}", check_def(check))), format!("drop check \"{}\"", check.name))),
            TableChange::DropPrimaryKey { key } => {
                let name = key.name.clone().unwrap_or_else(|| format!("{}_pkey", to.name));
                actions.push((format!("DROP CONSTRAINT {}", q(&name)), Some(format!("ADD {}", pk_def(key))), "drop primary key".into()))
            }
            TableChange::AddColumn { column } => actions.push((format!("ADD COLUMN {}", column_def(column)), Some(format!("DROP COLUMN {}", q(&column.name))), format!("add column \"{}\"", column.name))),
            TableChange::DropColumn { column } => actions.push((format!("DROP COLUMN {}", q(&column.name)), None, format!("drop column \"{}\" (its values are lost)", column.name))),
            TableChange::ModifyColumn { from, to: col, what } => {
                let cn = q(&col.name);
                if what.contains(&"type") || what.contains(&"collation") {
                    let collate = col.collate.as_ref().map(|c| format!(" COLLATE {}", q(c))).unwrap_or_default();
                    // Dropping the default first avoids failures casting it to the new type.
                    if from.default.is_some() {
                        actions.push((format!("ALTER COLUMN {cn} DROP DEFAULT"), None, format!("drop default of \"{}\" before its type changes", col.name)));
                    }
                    // serial types are integer types plus an owned sequence; the sequence follows.
                    let (old_ty, new_ty) = (super::types::storage_type(&from.ty), super::types::storage_type(&col.ty));
                    // Enums and other user types convert through text.
                    let via = if from.ty.contains('.') || col.ty.contains('.') { if col.ty.ends_with("[]") { "::text[]" } else { "::text" } } else { "" };
                    if old_ty != new_ty || what.contains(&"collation") {
                        actions.push((
                            format!("ALTER COLUMN {cn} TYPE {new_ty}{collate} USING {cn}{via}::{new_ty}"),
                            Some(format!("ALTER COLUMN {cn} TYPE {old_ty} USING {cn}::{old_ty}")),
                            format!("change type of \"{}\" from {} to {}", col.name, from.ty, col.ty),
                        ));
                    }
                    // serial ↔ a plain integer type: the default and the owned sequence come or go
                    // with it (the values stay); numbering resumes after the highest value.
                    let (was, is) = (super::types::is_serial(&from.ty), super::types::is_serial(&col.ty));
                    let seq = qn(schema, &super::types::serial_sequence_name(&to.name, &col.name));
                    if was && !is {
                        actions.push((format!("ALTER COLUMN {cn} DROP DEFAULT"), None, format!("stop numbering \"{}\" from its sequence", col.name)));
                        serial_seqs.push((format!("DROP SEQUENCE IF EXISTS {seq}"), format!("drop the sequence that numbered \"{}\"", col.name)));
                    }
                    if !was && is {
                        serial_pre.push(Statement::new(format!("CREATE SEQUENCE IF NOT EXISTS {seq} AS {new_ty} OWNED BY {t}.{cn}"), format!("the sequence that numbers \"{}\"", col.name)));
                        actions.push((format!("ALTER COLUMN {cn} SET DEFAULT nextval({}::regclass)", lit(&seq)), None, format!("number \"{}\" from its sequence", col.name)));
                        serial_seqs.push((format!("SELECT setval({}, COALESCE(MAX({cn}), 0) + 1, false) FROM {t}", lit(&seq)), format!("number \"{}\" on from its highest value", col.name)));
                    }
                    if from.ty != col.ty && was && is {
                        serial_seqs.push((format!("ALTER SEQUENCE {seq} AS {new_ty}"), format!("widen or narrow the sequence of \"{}\"", col.name)));
                    }
                    if let Some(d) = &col.default {
                        actions.push((format!("ALTER COLUMN {cn} SET DEFAULT {}", default_sql(d)), None, format!("set default of \"{}\"", col.name)));
                    }
                } else if what.contains(&"default") {
                    match &col.default {
                        Some(d) => actions.push((format!("ALTER COLUMN {cn} SET DEFAULT {}", default_sql(d)), from.default.as_ref().map(|d| format!("ALTER COLUMN {cn} SET DEFAULT {}", default_sql(d))).or(Some(format!("ALTER COLUMN {cn} DROP DEFAULT"))), format!("set default of \"{}\"", col.name))),
                        None => actions.push((format!("ALTER COLUMN {cn} DROP DEFAULT"), from.default.as_ref().map(|d| format!("ALTER COLUMN {cn} SET DEFAULT {}", default_sql(d))), format!("drop default of \"{}\"", col.name))),
                    }
                }
                let null_act = what.contains(&"null").then(|| {
                    if col.null {
                        (format!("ALTER COLUMN {cn} DROP NOT NULL"), Some(format!("ALTER COLUMN {cn} SET NOT NULL")), format!("allow NULL in \"{}\"", col.name))
                    } else {
                        (format!("ALTER COLUMN {cn} SET NOT NULL"), Some(format!("ALTER COLUMN {cn} DROP NOT NULL")), format!("make \"{}\" NOT NULL", col.name))
                    }
                });
                let id_act = if !what.contains(&"identity") {
                    None
                } else {
                    match (&from.identity, &col.identity) {
                        (Some(_), None) => Some((format!("ALTER COLUMN {cn} DROP IDENTITY"), None, format!("drop identity of \"{}\"", col.name))),
                        (None, Some(id)) => Some((format!("ALTER COLUMN {cn} ADD GENERATED {}", identity_sql(id)), Some(format!("ALTER COLUMN {cn} DROP IDENTITY")), format!("make \"{}\" an identity column", col.name))),
                        (Some(_), Some(id)) => {
                            let (dmin, dmax) = super::types::sequence_bounds(&col.ty, id.increment);
                            Some((
                                format!(
                                    "ALTER COLUMN {cn} SET GENERATED {} SET INCREMENT BY {} SET MINVALUE {} SET MAXVALUE {} SET START WITH {} RESTART",
                                    if id.always { "ALWAYS" } else { "BY DEFAULT" },
                                    id.increment,
                                    id.min_value.unwrap_or(dmin),
                                    id.max_value.unwrap_or(dmax),
                                    id.start
                                ),
                                None,
                                format!("change identity of \"{}\"", col.name),
                            ))
                        }
                        _ => None,
                    }
                };
                // NOT NULL must hold before an identity is added, and an identity must go before
                // NULL is allowed again.
                let ordered = if col.identity.is_some() { [null_act, id_act] } else { [id_act, null_act] };
                actions.extend(ordered.into_iter().flatten());
                if what.contains(&"generated") {
                    match &col.generated {
                        None => actions.push((format!("ALTER COLUMN {cn} DROP EXPRESSION"), None, format!("stop generating \"{}\"", col.name))),
                        // PostgreSQL (before 17) cannot make a column generated or change its
                        // expression in place: the column is replaced, its stored values by
                        // computed ones (lint says so: DS104).
                        Some(_) => {
                            actions.push((format!("DROP COLUMN {cn}"), None, format!("replace \"{}\" by a generated column", col.name)));
                            actions.push((format!("ADD COLUMN {}", column_def(col)), None, format!("add \"{}\" generated", col.name)));
                        }
                    }
                }
            }
            TableChange::AddPrimaryKey { key } => actions.push((format!("ADD {}", pk_def(key)), None, "add primary key".into())),
            TableChange::AddCheck { check } => actions.push((format!("ADD {}", check_def(check)), Some(format!("DROP CONSTRAINT {}", q(&check.name))), format!("add check \"{}\"", check.name))),
            TableChange::AddIndex { .. } | TableChange::DropIndex { .. } | TableChange::AddForeignKey { .. }
            | TableChange::DropForeignKey { .. } | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
            | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
            | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. }
            | TableChange::ModifyPolicy { .. } => {}
        }
    }
    // DROP COLUMN dropped the checks that read a replaced column: added again after it.
    let regenerated = crate::diff::on_regenerated_columns(to, changes, Dialect::Postgres);
    for k in &regenerated.checks {
        actions.push((format!("ADD {}", check_def(k)), None, format!("add check \"{}\" again", k.name)));
    }
    out.extend(serial_pre);
    // One ALTER TABLE per table where PostgreSQL allows it.
    if !actions.is_empty() {
        let sql = format!("ALTER TABLE {t} {}", actions.iter().map(|a| a.0.clone()).collect::<Vec<_>>().join(", "));
        let reverse: Option<Vec<String>> = actions.iter().rev().map(|a| a.1.clone()).collect();
        let comment = format!("modify table \"{}\": {}", to.name, actions.iter().map(|a| a.2.clone()).collect::<Vec<_>>().join("; "));
        let mut st = Statement::new(sql, comment);
        st.reverse = reverse.map(|r| format!("ALTER TABLE {t} {}", r.join(", ")));
        out.push(st);
    }
    for (s, what) in serial_seqs {
        out.push(Statement::new(s, what));
    }
    for c in changes {
        match c {
            TableChange::AddColumn { column } if column.comment.is_some() => out.push(Statement::new(format!("COMMENT ON COLUMN {t}.{} IS {}", q(&column.name), lit(column.comment.as_deref().unwrap_or_default())), format!("comment on column \"{}\"", column.name))),
            TableChange::AddIndex { index } if recomment(&index.name) => {}
            TableChange::AddIndex { index } if index.comment.is_some() && !index.constraint => {
                out.push(Statement::new(create_index(schema, to, index, false), format!("create index \"{}\" on \"{}\"", index.name, to.name)).rev(format!("DROP INDEX {}", qn(schema, &index.name))));
                out.push(Statement::new(format!("COMMENT ON INDEX {} IS {}", qn(schema, &index.name), lit(index.comment.as_deref().unwrap_or_default())), format!("comment on index \"{}\"", index.name)));
            }
            TableChange::AddIndex { index } if index.constraint => out.push(Statement::new(format!("ALTER TABLE {t} ADD {}", unique_constraint_def(index)), format!("add {} \"{}\"", constraint_kind(index), index.name)).rev(format!("ALTER TABLE {t} DROP CONSTRAINT {}", q(&index.name)))),
            TableChange::AddIndex { index } => out.push(Statement::new(create_index(schema, to, index, false), format!("create index \"{}\" on \"{}\"", index.name, to.name)).rev(format!("DROP INDEX {}", qn(schema, &index.name)))),
            TableChange::ModifyComment { to: c, .. } => out.push(Statement::new(format!("COMMENT ON TABLE {t} IS {}", c.as_deref().map(lit).unwrap_or("NULL".into())), format!("comment on table \"{}\"", to.name))),
            TableChange::ModifyColumn { to: col, what, .. } if what.contains(&"comment") => out.push(Statement::new(format!("COMMENT ON COLUMN {t}.{} IS {}", q(&col.name), col.comment.as_deref().map(lit).unwrap_or("NULL".into())), format!("comment on column \"{}\"", col.name))),
            TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
            | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. }
            | TableChange::AddForeignKey { .. } | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. }
            | TableChange::DropCheck { .. } | TableChange::ModifyOptions { .. } | TableChange::ModifyPartitionOf { .. }
            | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. }
            | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => {}
        }
    }
    // A column replaced by a generated one took its indexes along (DROP COLUMN drops them):
    // they are built again on the new column, unless the plan builds them anyway.
    for i in regenerated.indexes {
        let st = if i.constraint {
            Statement::new(format!("ALTER TABLE {t} ADD {}", unique_constraint_def(i)), format!("add {} \"{}\" again", constraint_kind(i), i.name))
        } else {
            Statement::new(create_index(schema, to, i, false), format!("create index \"{}\" on \"{}\" again", i.name, to.name))
        };
        out.push(st);
    }
    // Row security and policies last: they may read the columns just added.
    for c in changes {
        match c {
            TableChange::ModifyRowSecurity { from, to: rls } => {
                for (sql, rev) in row_security(schema, &to.name, *from, *rls).into_iter().zip(row_security(schema, &to.name, *rls, *from)) {
                    out.push(Statement::new(sql, format!("row-level security of \"{}\"", to.name)).rev(rev));
                }
            }
            TableChange::ModifyPolicy { from, to: p } => out.push(Statement::new(alter_policy(schema, &to.name, p), format!("alter policy \"{}\" on \"{}\"", p.name, to.name)).rev(alter_policy(schema, &to.name, from))),
            TableChange::AddPolicy { policy } => out.push(Statement::new(create_policy(schema, &to.name, policy), format!("create policy \"{}\" on \"{}\"", policy.name, to.name)).rev(drop_policy(schema, &to.name, policy))),
            TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
            | TableChange::AddIndex { .. } | TableChange::DropIndex { .. } | TableChange::AddPrimaryKey { .. }
            | TableChange::DropPrimaryKey { .. } | TableChange::AddForeignKey { .. }
            | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. } | TableChange::DropCheck { .. }
            | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
            | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
            | TableChange::DropPolicy { .. } => {}
        }
    }
    // Partition membership: detach from the old parent (the rows stay in the table), attach to
    // the new one with its bound (PostgreSQL checks every row against it).
    for c in changes {
        if let TableChange::ModifyPartitionOf { from: was, to: now } = c {
            if let Some(of) = was {
                out.push(Statement::new(format!("ALTER TABLE {} DETACH PARTITION {}", qn(&of.schema, &of.table), qn(schema, &to.name)), format!("detach partition \"{}\" from \"{}\"", to.name, of.table)));
            }
            if let Some(of) = now {
                out.push(Statement::new(attach_partition(schema, to, of), format!("attach partition \"{}\" to \"{}\"", to.name, of.table)));
            }
        }
    }
    // Storage last: a replica identity USING INDEX needs the index created above.
    for c in changes {
        if let TableChange::ModifyOptions { from, to: o } = c {
            for (sql, comment) in storage_changes(schema, from, o, &to.name) {
                out.push(Statement::new(sql, comment));
            }
        }
    }
    out
}

pub fn modify_schema(from: &Schema, to: &Schema) -> Vec<Statement> {
    if from.comment == to.comment {
        return vec![];
    }
    let c = to.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into());
    let r = from.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into());
    vec![Statement::new(format!("COMMENT ON SCHEMA {} IS {c}", q(&to.name)), format!("comment on schema \"{}\"", to.name)).rev(format!("COMMENT ON SCHEMA {} IS {r}", q(&to.name)))]
}

/// Enum changes: values only added keep the type (ADD VALUE … BEFORE/AFTER, in order); values
/// removed or reordered recreate it and convert every column that uses it through text.
pub fn modify_enum(schema: &str, from: &EnumType, to: &EnumType, users: &[crate::diff::EnumUser]) -> Vec<Statement> {
    let mut out = Vec::new();
    let name = qn(schema, &to.name);
    let kept: Vec<&String> = to.values.iter().filter(|v| from.values.contains(v)).collect();
    let only_added = kept.len() == from.values.len() && kept.iter().zip(&from.values).all(|(a, b)| *a == b);
    if from.values != to.values {
        if only_added {
            for (i, v) in to.values.iter().enumerate() {
                if from.values.contains(v) {
                    continue;
                }
                let place = if i > 0 { format!(" AFTER {}", lit(&to.values[i - 1])) } else { to.values.get(1).map(|n| format!(" BEFORE {}", lit(n))).unwrap_or_default() };
                out.push(Statement::new(format!("ALTER TYPE {name} ADD VALUE {}{place}", lit(v)), format!("add value {v:?} to enum \"{}\"", to.name)));
            }
        } else {
            let old = format!("{}__schemagate_old", to.name);
            out.push(Statement::new(format!("ALTER TYPE {name} RENAME TO {}", q(&old)), format!("recreate enum \"{}\" (values removed or reordered): set the old type aside", to.name)));
            out.push(Statement::new(create_enum(schema, to), format!("recreate enum \"{}\": the new type", to.name)));
            for u in users {
                let t = qn(&u.schema, &u.table);
                let c = q(&u.column);
                let (via, target) = if u.array { ("text[]", format!("{name}[]")) } else { ("text", name.clone()) };
                let mut actions = Vec::new();
                if u.default.is_some() {
                    actions.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
                }
                actions.push(format!("ALTER COLUMN {c} TYPE {target} USING {c}::{via}::{target}"));
                if let Some(d) = &u.default {
                    actions.push(format!("ALTER COLUMN {c} SET DEFAULT {}", default_sql(d)));
                }
                out.push(Statement::new(format!("ALTER TABLE {t} {}", actions.join(", ")), format!("recreate enum \"{}\": convert {}.{} (fails, changing nothing, if a row holds a removed value)", to.name, u.table, u.column)));
            }
            out.push(Statement::new(format!("DROP TYPE {}", qn(schema, &old)), format!("recreate enum \"{}\": drop the old type", to.name)));
        }
    }
    if from.comment != to.comment || (!only_added && to.comment.is_some()) {
        out.push(Statement::new(format!("COMMENT ON TYPE {name} IS {}", to.comment.as_deref().map(lit).unwrap_or_else(|| "NULL".into())), format!("comment on type \"{}\"", to.name)));
    }
    out
}

pub fn modify_domain(schema: &str, from: &Domain, to: &Domain) -> Vec<Statement> {
    let name = qn(schema, &to.name);
    if from.ty != to.ty {
        // PostgreSQL cannot change a domain's base type; columns using it keep it alive, so a
        // recreation fails in rehearsal and is reported there.
        return vec![
            Statement::new(format!("DROP DOMAIN {name}"), format!("recreate domain \"{}\" (base type changed)", to.name)),
            Statement::new(create_domain(schema, to), format!("recreate domain \"{}\"", to.name)),
        ];
    }
    let mut out = Vec::new();
    if from.default != to.default {
        out.push(match &to.default {
            Some(d) => Statement::new(format!("ALTER DOMAIN {name} SET DEFAULT {}", default_sql(d)), format!("set default of domain \"{}\"", to.name)),
            None => Statement::new(format!("ALTER DOMAIN {name} DROP DEFAULT"), format!("drop default of domain \"{}\"", to.name)),
        });
    }
    if from.null != to.null {
        out.push(if to.null {
            Statement::new(format!("ALTER DOMAIN {name} DROP NOT NULL"), format!("allow NULL in domain \"{}\"", to.name))
        } else {
            Statement::new(format!("ALTER DOMAIN {name} SET NOT NULL"), format!("make domain \"{}\" NOT NULL", to.name))
        });
    }
    for c in &from.checks {
        if !to.checks.contains(c) {
            out.push(Statement::new(format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", q(&c.name)), format!("drop check \"{}\" of domain \"{}\"", c.name, to.name)));
        }
    }
    for c in &to.checks {
        if !from.checks.contains(c) {
            out.push(Statement::new(format!("ALTER DOMAIN {name} ADD CONSTRAINT {} CHECK ({})", q(&c.name), c.expr), format!("add check \"{}\" to domain \"{}\"", c.name, to.name)));
        }
    }
    out
}

pub fn modify_sequence(schema: &str, from: &Sequence, to: &Sequence) -> Vec<Statement> {
    let name = qn(schema, &to.name);
    let mut out = Vec::new();
    let same_opts = Sequence { owned_by: None, ..from.clone() } == Sequence { owned_by: None, ..to.clone() };
    if !same_opts {
        out.push(Statement::new(
            format!(
                "ALTER SEQUENCE {name} AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
                to.ty,
                to.increment,
                to.min_value,
                to.max_value,
                to.start,
                to.cache,
                if to.cycle { "CYCLE" } else { "NO CYCLE" }
            ),
            format!("change sequence \"{}\"", to.name),
        ));
    }
    // A sequence given up by its column is released before the column can go (dropping the
    // column would drop the sequence); a new owner is set later, once its column exists
    // (`sequence_owner`).
    if from.owned_by.is_some() && to.owned_by.is_none() {
        out.push(Statement::new(format!("ALTER SEQUENCE {name} OWNED BY NONE"), format!("owner of sequence \"{}\"", to.name)));
    }
    out
}

/// `ALTER SEQUENCE … OWNED BY table.column` for a sequence created or given a new owner: after
/// the tables, since the owning column may be new in the same plan (Rails' structure.sql
/// declares every id sequence this way).
pub fn sequence_owner(schema: &str, from: Option<&Sequence>, to: &Sequence) -> Option<Statement> {
    let (t, c) = to.owned_by.as_ref()?;
    if from.is_some_and(|f| f.owned_by == to.owned_by) {
        return None;
    }
    Some(Statement::new(format!("ALTER SEQUENCE {} OWNED BY {}.{}", qn(schema, &to.name), qn(schema, t), q(c)), format!("owner of sequence \"{}\"", to.name)))
}

/// A declared rename (`renamed_from`).
pub fn rename_table(schema: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME TO {}", qn(schema, from), q(to))
}

pub fn rename_column(schema: &str, table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {}", qn(schema, table), q(from), q(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_columns_say_null_where_postgresql_takes_it() {
        let c = |ty: &str, null: bool| Column { name: "x".into(), ty: ty.into(), null, ..Default::default() };
        assert_eq!(column_def(&c("integer", true)), "\"x\" integer NULL");
        assert_eq!(column_def(&c("integer", false)), "\"x\" integer NOT NULL");
        // PostgreSQL refuses NULL beside a serial type or an identity (conflicting declarations).
        assert_eq!(column_def(&c("serial", true)), "\"x\" serial");
        let id = Column { identity: Some(Identity { always: true, start: 1, increment: 1, min_value: None, max_value: None }), ..c("integer", true) };
        assert!(!column_def(&id).ends_with(" NULL"), "{}", column_def(&id));
    }
}
