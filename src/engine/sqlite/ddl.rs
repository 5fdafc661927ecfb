//! SQLite DDL from the model. Foreign keys live inside CREATE TABLE (SQLite cannot add them
//! later), which is why changes ALTER cannot express go through the copy-table procedure.

use crate::engine::quote_literal;
use crate::schema::*;

/// Identifiers in backticks and tables on one line, as Atlas writes SQLite DDL: SQLite keeps
/// the statement's text as the table's definition, so this is what `.schema` shows.
pub fn q(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

pub fn lit(s: &str) -> String {
    quote_literal(Dialect::Sqlite, s)
}

pub fn default_sql(d: &ColumnDefault) -> String {
    match d {
        ColumnDefault::Str(s) => lit(s),
        ColumnDefault::Num(n) => n.clone(),
        // SQLite (≥ 3.23) has TRUE and FALSE; written as the user wrote them.
        ColumnDefault::Bool(b) => if *b { "TRUE".into() } else { "FALSE".into() },
        ColumnDefault::Raw(r) => {
            let u = r.to_ascii_uppercase();
            if matches!(u.as_str(), "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME" | "NULL" | "TRUE" | "FALSE") {
                r.clone()
            } else {
                format!("({r})")
            }
        }
    }
}

pub fn column_def(c: &Column, inline_pk: bool) -> String {
    let mut s = q(&c.name);
    if !c.ty.is_empty() {
        s.push(' ');
        s.push_str(&c.ty);
    }
    if inline_pk {
        s.push_str(" PRIMARY KEY AUTOINCREMENT");
    }
    s.push_str(if c.null { " NULL" } else { " NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    if let Some(co) = &c.collate {
        s.push_str(&format!(" COLLATE {}", q(co)));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" AS ({}) {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }));
    }
    s
}

pub fn create_table(t: &Table) -> String {
    create_table_named(t, &t.name)
}

/// CREATE TABLE under another name (the copy-table procedure builds the new table aside).
pub fn create_table_named(t: &Table, name: &str) -> String {
    let auto = t.columns.iter().find(|c| c.auto_increment).map(|c| c.name.clone());
    let mut items: Vec<String> = t
        .columns
        .iter()
        .map(|c| column_def(c, auto.as_deref() == Some(c.name.as_str())))
        .collect();
    if let Some(pk) = &t.primary_key {
        if auto.is_none() {
            let cols = pk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
            items.push(match &pk.name {
                Some(n) => format!("CONSTRAINT {} PRIMARY KEY ({cols})", q(n)),
                None => format!("PRIMARY KEY ({cols})"),
            });
        }
    }
    for i in t.indexes.iter().filter(|i| i.constraint) {
        items.push(format!("UNIQUE ({})", i.parts.iter().map(|p| q(p.column.as_deref().unwrap_or_default())).collect::<Vec<_>>().join(", ")));
    }
    for c in &t.checks {
        if c.name.is_empty() {
            items.push(format!("CHECK ({})", c.expr));
        } else {
            items.push(format!("CONSTRAINT {} CHECK ({})", q(&c.name), c.expr));
        }
    }
    for fk in &t.foreign_keys {
        let mut s = format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            q(&fk.name),
            fk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
            q(&fk.ref_table),
            fk.ref_columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        );
        if fk.on_update != RefAction::NoAction {
            s.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
        }
        if fk.on_delete != RefAction::NoAction {
            s.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
        }
        items.push(s);
    }
    let mut s = format!("CREATE TABLE {} ({})", q(name), items.join(", "));
    let mut opts = Vec::new();
    if t.options.without_rowid {
        opts.push("WITHOUT ROWID");
    }
    if t.options.strict {
        opts.push("STRICT");
    }
    if !opts.is_empty() {
        s.push(' ');
        s.push_str(&opts.join(", "));
    }
    s
}

pub fn create_index(table: &str, i: &Index) -> String {
    let parts = i
        .parts
        .iter()
        .map(|p| {
            let mut s = match (&p.column, &p.expr) {
                (Some(c), _) => q(c),
                (None, Some(e)) => format!("({e})"),
                _ => String::new(),
            };
            if p.desc {
                s.push_str(" DESC");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = format!("CREATE {}INDEX {} ON {} ({parts})", if i.unique { "UNIQUE " } else { "" }, q(&i.name), q(table));
    if let Some(w) = &i.where_clause {
        s.push_str(&format!(" WHERE {w}"));
    }
    s
}

pub fn create_realm(realm: &Realm) -> Vec<String> {
    let mut out = Vec::new();
    for s in &realm.schemas {
        for t in &s.tables {
            out.push(create_table(t));
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            for i in t.indexes.iter().filter(|i| !i.constraint) {
                out.push(create_index(&t.name, i));
            }
        }
    }
    out
}

// ---- changes ---------------------------------------------------------------------------------

use crate::diff::TableChange;
use crate::statement::Statement;

pub fn add_table(t: &Table) -> Vec<Statement> {
    let mut out = vec![Statement::new(create_table(t), format!("create table \"{}\"", t.name)).rev(format!("DROP TABLE {}", q(&t.name)))];
    for i in t.indexes.iter().filter(|i| !i.constraint) {
        out.push(Statement::new(create_index(&t.name, i), format!("create index \"{}\"", i.name)).rev(format!("DROP INDEX {}", q(&i.name))));
    }
    out
}

/// Whether ALTER TABLE can express a change; everything else goes through the copy-table
/// procedure (https://www.sqlite.org/lang_altertable.html#otheralter).
fn simple(from: &Table, c: &TableChange) -> bool {
    match c {
        TableChange::AddIndex { index } | TableChange::DropIndex { index } => !index.constraint,
        TableChange::AddColumn { column } => {
            // ADD COLUMN cannot add a NOT NULL column without a default, a generated STORED
            // column, or one with a non-constant default.
            (column.null || column.default.is_some())
                && !matches!(&column.generated, Some(g) if g.stored)
                && !matches!(&column.default, Some(ColumnDefault::Raw(_)))
                && !column.auto_increment
        }
        TableChange::DropColumn { column } => {
            let n = &column.name;
            !from.primary_key.as_ref().is_some_and(|p| p.columns.contains(n))
                && !from.indexes.iter().any(|i| i.parts.iter().any(|p| p.column.as_ref() == Some(n) || p.expr.as_ref().is_some_and(|e| e.contains(n.as_str()))))
                && !from.foreign_keys.iter().any(|f| f.columns.contains(n))
                && !from.checks.iter().any(|c| c.expr.contains(n.as_str()))
        }
        TableChange::ModifyColumn { .. } | TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. }
        | TableChange::AddForeignKey { .. } | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. }
        | TableChange::DropCheck { .. } | TableChange::ModifyComment { .. } | TableChange::ModifyOptions { .. }
        | TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. }
        | TableChange::ModifyRowSecurity { .. } | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. }
        | TableChange::ModifyPolicy { .. } => false,
    }
}

pub fn modify_table(from: &Table, to: &Table, changes: &[TableChange]) -> Vec<Statement> {
    let t = q(&to.name);
    if changes.iter().all(|c| simple(from, c)) {
        // `simple` admits only dropped indexes and columns (first) and added columns and
        // indexes (then): anything else rebuilds the table below.
        let mut out = Vec::new();
        for c in changes {
            if let TableChange::DropIndex { index } = c {
                out.push(Statement::new(format!("DROP INDEX {}", q(&index.name)), format!("drop index \"{}\"", index.name)).rev(create_index(&from.name, index)));
            }
            if let TableChange::DropColumn { column } = c {
                out.push(Statement::new(format!("ALTER TABLE {t} DROP COLUMN {}", q(&column.name)), format!("drop column \"{}\" (its values are lost)", column.name)));
            }
        }
        for c in changes {
            if let TableChange::AddColumn { column } = c {
                out.push(Statement::new(format!("ALTER TABLE {t} ADD COLUMN {}", column_def(column, false)), format!("add column \"{}\"", column.name)).rev(format!("ALTER TABLE {t} DROP COLUMN {}", q(&column.name))));
            }
            if let TableChange::AddIndex { index } = c {
                out.push(Statement::new(create_index(&to.name, index), format!("create index \"{}\"", index.name)).rev(format!("DROP INDEX {}", q(&index.name))));
            }
        }
        return out;
    }
    // Copy-table procedure: build the new shape aside, copy every row of the columns both shapes
    // share, swap, recreate indexes. The executor runs it with foreign_keys off and checks
    // foreign_key_check before committing, so no ON DELETE action fires on the old table.
    let tmp = format!("schemagate_new_{}", to.name);
    let common: Vec<&Column> = to.columns.iter().filter(|c| from.column(&c.name).is_some() && c.generated.is_none()).collect();
    let cols = common.iter().map(|c| q(&c.name)).collect::<Vec<_>>().join(", ");
    let why = changes.iter().filter(|c| !simple(from, c)).map(describe).collect::<Vec<_>>().join("; ");
    // Rows keep their rowids (other tables, and applications, may hold them) unless an
    // INTEGER PRIMARY KEY column carries them already.
    let keep_rowid = !from.options.without_rowid && !to.options.without_rowid && rowid_alias(to).is_none_or(|a| from.column(a).is_none()) && ![from, to].iter().any(|t| t.columns.iter().any(|c| ["rowid", "oid", "_rowid_"].contains(&c.name.to_ascii_lowercase().as_str())));
    let (into, select) = if keep_rowid { (format!("rowid, {cols}"), format!("rowid, {cols}")) } else { (cols.clone(), cols.clone()) };
    let mut out = vec![
        Statement::new(create_table_named(to, &tmp), format!("rebuild \"{}\" ({why}): create the new table", to.name)),
        Statement::new(format!("INSERT INTO {} ({into}) SELECT {select} FROM {t}", q(&tmp)), format!("rebuild \"{}\": copy every row", to.name)),
    ];
    if to.columns.iter().any(|c| c.auto_increment) {
        // AUTOINCREMENT never reuses a number: the new table continues from the old counter
        // (sqlite_sequence), not from the largest rowid left.
        out.push(Statement::new(
            format!("UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = {}), 0)) WHERE name = {}", lit(&to.name), lit(&tmp)),
            format!("rebuild \"{}\": keep the AUTOINCREMENT counter", to.name),
        ));
        out.push(Statement::new(
            format!("INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {} AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {})", lit(&tmp), lit(&to.name), lit(&tmp)),
            format!("rebuild \"{}\": keep the AUTOINCREMENT counter of an empty table", to.name),
        ));
    }
    out.extend([
        Statement::new(format!("DROP TABLE {t}"), format!("rebuild \"{}\": drop the old table", to.name)),
        Statement::new(format!("ALTER TABLE {} RENAME TO {t}", q(&tmp)), format!("rebuild \"{}\": rename the new table", to.name)),
    ]);
    for i in to.indexes.iter().filter(|i| !i.constraint) {
        out.push(Statement::new(create_index(&to.name, i), format!("rebuild \"{}\": recreate index \"{}\"", to.name, i.name)));
    }
    out
}

/// The column that is the table's rowid (a single-column INTEGER PRIMARY KEY), if any.
fn rowid_alias(t: &Table) -> Option<&str> {
    let pk = t.primary_key.as_ref()?;
    match pk.columns.as_slice() {
        [c] if t.column(c).is_some_and(|col| col.ty.eq_ignore_ascii_case("integer")) => Some(c.as_str()),
        _ => None,
    }
}

fn describe(c: &TableChange) -> String {
    match c {
        TableChange::AddColumn { column } => format!("add column \"{}\"", column.name),
        TableChange::DropColumn { column } => format!("drop column \"{}\"", column.name),
        TableChange::ModifyColumn { to, what, .. } => format!("modify column \"{}\" ({})", to.name, what.join(", ")),
        TableChange::AddIndex { index } => format!("add unique \"{}\"", index.name),
        TableChange::DropIndex { index } => format!("drop unique \"{}\"", index.name),
        TableChange::AddPrimaryKey { .. } | TableChange::DropPrimaryKey { .. } => "change primary key".into(),
        TableChange::AddForeignKey { fk } => format!("add foreign key \"{}\"", fk.name),
        TableChange::DropForeignKey { fk } => format!("drop foreign key \"{}\"", fk.name),
        TableChange::AddCheck { check } => format!("add check \"{}\"", check.name),
        TableChange::DropCheck { check } => format!("drop check \"{}\"", check.name),
        TableChange::ModifyComment { .. } => "comment".into(),
        TableChange::ModifyOptions { .. } => "table options".into(),
        // PostgreSQL only, like row security.
        TableChange::ModifyPartitionOf { .. } | TableChange::ModifyPartitionKey { .. } => "partitioning".into(),
        // PostgreSQL only; SQLite sources never produce these.
        TableChange::ModifyRowSecurity { .. } => "row security".into(),
        TableChange::AddPolicy { policy } | TableChange::DropPolicy { policy } | TableChange::ModifyPolicy { to: policy, .. } => format!("policy \"{}\"", policy.name),
    }
}

/// A declared rename (`renamed_from`).
pub fn rename_table(_schema: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME TO {}", q(from), q(to))
}

pub fn rename_column(_schema: &str, table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {}", q(table), q(from), q(to))
}
