//! MySQL/MariaDB DDL from the model. Identifiers go through `q`, literals through `lit`.

use crate::engine::{quote_ident, quote_literal};
use crate::schema::*;

pub fn q(s: &str) -> String {
    quote_ident(Dialect::Mysql, s)
}

pub fn lit(s: &str) -> String {
    quote_literal(Dialect::Mysql, s)
}

/// `schema`.`name`, or `name` alone for the unnamed schema (a script for whatever database it is
/// loaded into: `inspect --format sql` of a database-bound URL, as Atlas writes it).
pub fn qn(schema: &str, name: &str) -> String {
    if schema.is_empty() {
        q(name)
    } else {
        format!("{}.{}", q(schema), q(name))
    }
}

/// A type with a character set (what CONVERT TO CHARACTER SET converts).
fn is_text(ty: &str) -> bool {
    let base = ty.trim().to_ascii_lowercase();
    let base = base.split(['(', ' ']).next().unwrap_or("");
    matches!(base, "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set")
}

pub fn default_sql(d: &ColumnDefault) -> String {
    match d {
        ColumnDefault::Str(s) => lit(s),
        ColumnDefault::Num(n) => n.clone(),
        ColumnDefault::Bool(b) => if *b { "1".into() } else { "0".into() },
        // Expressions other than CURRENT_TIMESTAMP-like functions need parentheses in MySQL 8;
        // MariaDB accepts both.
        ColumnDefault::Raw(r) => r.clone(),
    }
}

pub fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", q(&c.name), c.ty);
    if let Some(cs) = &c.charset {
        s.push_str(&format!(" CHARACTER SET {cs}"));
    }
    if let Some(co) = &c.collate {
        s.push_str(&format!(" COLLATE {co}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({}) {}", g.expr, if g.stored { "STORED" } else { "VIRTUAL" }));
    }
    if c.generated.is_none() {
        s.push_str(if c.null { " NULL" } else { " NOT NULL" });
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    if let Some(u) = &c.on_update {
        s.push_str(&format!(" ON UPDATE {u}"));
    }
    if c.auto_increment {
        s.push_str(" AUTO_INCREMENT");
    }
    if let Some(cm) = &c.comment {
        s.push_str(&format!(" COMMENT {}", lit(cm)));
    }
    s
}

pub fn index_parts(i: &Index) -> String {
    i.parts
        .iter()
        .map(|p| {
            let mut s = match (&p.column, &p.expr) {
                (Some(c), _) => q(c),
                (None, Some(e)) => format!("({e})"),
                _ => String::new(),
            };
            if let Some(n) = p.prefix {
                s.push_str(&format!("({n})"));
            }
            if p.desc {
                s.push_str(" DESC");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn index_def(i: &Index) -> String {
    let kind = match i.method.as_deref() {
        Some("FULLTEXT") => "FULLTEXT KEY".to_string(),
        Some("SPATIAL") => "SPATIAL KEY".to_string(),
        _ if i.unique => "UNIQUE KEY".to_string(),
        _ => "KEY".to_string(),
    };
    let mut s = format!("{kind} {} ({})", q(&i.name), index_parts(i));
    if let Some(m) = i.method.as_deref().filter(|m| *m == "HASH" || *m == "BTREE") {
        s.push_str(&format!(" USING {m}"));
    }
    if let Some(c) = &i.comment {
        s.push_str(&format!(" COMMENT {}", lit(c)));
    }
    s
}

pub fn create_index(schema: &str, table: &str, i: &Index) -> String {
    let kind = match i.method.as_deref() {
        Some("FULLTEXT") => "FULLTEXT ",
        Some("SPATIAL") => "SPATIAL ",
        _ if i.unique => "UNIQUE ",
        _ => "",
    };
    let mut s = format!("CREATE {kind}INDEX {} ON {} ({})", q(&i.name), qn(schema, table), index_parts(i));
    if let Some(m) = i.method.as_deref().filter(|m| *m == "HASH") {
        s.push_str(&format!(" USING {m}"));
    }
    if let Some(c) = &i.comment {
        s.push_str(&format!(" COMMENT {}", lit(c)));
    }
    s
}

/// InnoDB's RESTRICT and NO ACTION are one action (checked at once). MariaDB's catalog still
/// tells them apart: RESTRICT for a key that names none, NO ACTION where it was written.
pub fn innodb_action(a: RefAction) -> RefAction {
    match a {
        RefAction::Restrict | RefAction::NoAction => RefAction::Restrict,
        RefAction::Cascade => RefAction::Cascade,
        RefAction::SetNull => RefAction::SetNull,
        RefAction::SetDefault => RefAction::SetDefault,
    }
}

/// The default action (RESTRICT) is left unwritten, as Atlas writes it; an explicit NO ACTION
/// is written, and MariaDB's SHOW CREATE TABLE shows it.
pub fn fk_def(fk: &ForeignKey) -> String {
    let mut s = format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        q(&fk.name),
        fk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
        qn(&fk.ref_schema, &fk.ref_table),
        fk.ref_columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", "),
    );
    for (clause, action) in [("ON UPDATE", fk.on_update), ("ON DELETE", fk.on_delete)] {
        if action != RefAction::Restrict {
            s.push_str(&format!(" {clause} {}", action.sql()));
        }
    }
    s
}

pub fn check_def(c: &Check) -> String {
    format!("CONSTRAINT {} CHECK ({})", q(&c.name), c.expr)
}

pub fn table_options(t: &Table) -> String {
    let mut s = String::new();
    if let Some(e) = &t.options.engine {
        s.push_str(&format!(" ENGINE={e}"));
    }
    if let Some(cs) = &t.options.charset {
        s.push_str(&format!(" DEFAULT CHARSET={cs}"));
    }
    if let Some(co) = &t.options.collate {
        s.push_str(&format!(" COLLATE={co}"));
    }
    if let Some(ai) = t.options.auto_increment {
        s.push_str(&format!(" AUTO_INCREMENT={ai}"));
    }
    if let Some(c) = &t.comment {
        s.push_str(&format!(" COMMENT={}", lit(c)));
    }
    s
}

/// CREATE TABLE with columns, keys and checks; foreign keys are added afterwards.
pub fn create_table(schema: &str, t: &Table) -> String {
    let mut items: Vec<String> = t.columns.iter().map(column_def).collect();
    if let Some(pk) = &t.primary_key {
        items.push(format!("PRIMARY KEY ({})", pk.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")));
    }
    for i in &t.indexes {
        items.push(index_def(i));
    }
    for c in &t.checks {
        items.push(check_def(c));
    }
    format!("CREATE TABLE {} (\n  {}\n){}", qn(schema, &t.name), items.join(",\n  "), table_options(t))
}

pub fn create_realm(realm: &Realm) -> Vec<String> {
    let mut out = Vec::new();
    for s in &realm.schemas {
        let mut stmt = format!("CREATE DATABASE IF NOT EXISTS {}", q(&s.name));
        if let Some(cs) = &s.charset {
            stmt.push_str(&format!(" CHARACTER SET {cs}"));
        }
        if let Some(co) = &s.collate {
            stmt.push_str(&format!(" COLLATE {co}"));
        }
        out.push(stmt);
    }
    for s in &realm.schemas {
        for t in &s.tables {
            out.push(create_table(&s.name, t));
        }
    }
    for s in &realm.schemas {
        for t in &s.tables {
            for fk in &t.foreign_keys {
                out.push(format!("ALTER TABLE {} ADD {}", qn(&s.name, &t.name), fk_def(fk)));
            }
        }
    }
    out
}

// ---- changes ---------------------------------------------------------------------------------

use crate::diff::TableChange;
use crate::statement::Statement;

pub fn add_schema(s: &Schema) -> Vec<Statement> {
    let mut sql = format!("CREATE DATABASE {}", q(&s.name));
    if let Some(cs) = &s.charset {
        sql.push_str(&format!(" CHARACTER SET {cs}"));
    }
    if let Some(co) = &s.collate {
        sql.push_str(&format!(" COLLATE {co}"));
    }
    vec![Statement::new(sql, format!("create database \"{}\"", s.name)).rev(format!("DROP DATABASE {}", q(&s.name)))]
}

pub fn add_table(schema: &str, t: &Table) -> Vec<Statement> {
    vec![Statement::new(create_table(schema, t), format!("create table \"{}\"", t.name)).rev(format!("DROP TABLE {}", qn(schema, &t.name)))]
}

/// One ALTER TABLE with every change of the table (MySQL applies them together).
pub fn modify_table(schema: &str, from: &Table, to: &Table, changes: &[TableChange]) -> Vec<Statement> {
    let t = qn(schema, &to.name);
    let mut actions: Vec<(String, String)> = Vec::new();
    let mut retype: Vec<Statement> = Vec::new();
    // A generated column is replaced (drop and add, below): an index on it would lose the column
    // (or go with it), so it is dropped first and built again after.
    // (A check that reads it cannot stay either: MariaDB refuses to drop the column under it.)
    let on = crate::diff::on_regenerated_columns(to, changes, crate::schema::Dialect::Mysql);
    let rebuilt: Vec<&Index> = on.indexes.into_iter().filter(|i| from.indexes.iter().any(|x| x.name == i.name)).collect();
    let rechecked: Vec<&Check> = on.checks.into_iter().filter(|k| from.checks.iter().any(|x| x.name == k.name)).collect();
    for i in &rebuilt {
        actions.push((format!("DROP INDEX {}", q(&i.name)), format!("drop index \"{}\" (its column is replaced)", i.name)));
    }
    for k in &rechecked {
        actions.push((format!("DROP CONSTRAINT {}", q(&k.name)), format!("drop check \"{}\" (its column is replaced)", k.name)));
    }
    for c in changes {
        match c {
            TableChange::DropIndex { index } => actions.push((format!("DROP INDEX {}", q(&index.name)), format!("drop index \"{}\"", index.name))),
            TableChange::DropCheck { check } => actions.push((format!("DROP CONSTRAINT {}", q(&check.name)), format!("drop check \"{}\"", check.name))),
            TableChange::DropPrimaryKey { .. } => actions.push(("DROP PRIMARY KEY".into(), "drop primary key".into())),
            TableChange::AddColumn { .. } | TableChange::DropColumn { .. } | TableChange::ModifyColumn { .. }
            | TableChange::AddIndex { .. } | TableChange::AddPrimaryKey { .. } | TableChange::AddForeignKey { .. }
            | TableChange::DropForeignKey { .. } | TableChange::AddCheck { .. } | TableChange::ModifyComment { .. }
            | TableChange::ModifyOptions { .. } | TableChange::ModifyPartitionOf { .. }
            | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. }
            | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => {}
        }
    }
    for c in changes {
        match c {
            TableChange::AddColumn { column } => {
                // Keep the desired column order: MySQL appends otherwise.
                let pos = to.columns.iter().position(|x| x.name == column.name).unwrap_or(0);
                let place = if pos == 0 { " FIRST".to_string() } else { format!(" AFTER {}", q(&to.columns[pos - 1].name)) };
                actions.push((format!("ADD COLUMN {}{place}", column_def(column)), format!("add column \"{}\"", column.name)))
            }
            TableChange::DropColumn { column } => actions.push((format!("DROP COLUMN {}", q(&column.name)), format!("drop column \"{}\" (its values are lost)", column.name))),
            TableChange::ModifyColumn { from, to: col, what } if from.generated.is_some() != col.generated.is_some() || (from.generated.is_some() && what.contains(&"generated")) => {
                // MariaDB cannot MODIFY a column between generated and stored kinds: replace it.
                // A generated column's values are derived, so only generated → regular needs
                // its values carried over (copy_generated below).
                if from.generated.is_some() && col.generated.is_none() {
                    continue;
                }
                let pos = to.columns.iter().position(|x| x.name == col.name).unwrap_or(0);
                let place = if pos == 0 { " FIRST".to_string() } else { format!(" AFTER {}", q(&to.columns[pos - 1].name)) };
                actions.push((format!("DROP COLUMN {}", q(&col.name)), format!("replace generated column \"{}\"", col.name)));
                actions.push((format!("ADD COLUMN {}{place}", column_def(col)), format!("re-add \"{}\"", col.name)));
            }
            TableChange::ModifyColumn { to: col, what, .. } => actions.push((format!("MODIFY COLUMN {}", column_def(col)), format!("modify column \"{}\" ({})", col.name, what.join(", ")))),
            TableChange::AddPrimaryKey { key } => actions.push((format!("ADD PRIMARY KEY ({})", key.columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")), "add primary key".into())),
            TableChange::AddIndex { index } => actions.push((format!("ADD {}", index_def(index)), format!("add index \"{}\"", index.name))),
            TableChange::AddCheck { check } => actions.push((format!("ADD {}", check_def(check)), format!("add check \"{}\"", check.name))),
            TableChange::ModifyComment { to: c, .. } => actions.push((format!("COMMENT = {}", lit(c.as_deref().unwrap_or(""))), "change comment".into())),
            TableChange::ModifyOptions { from, to: o } => {
                // Atlas's `auto_increment = N`: the counter is raised to N, never lowered (the
                // diff only reports a desired value above the current one).
                if let Some(n) = o.auto_increment.filter(|n| from.auto_increment.is_none_or(|c| c < *n)) {
                    actions.push((format!("AUTO_INCREMENT = {n}"), format!("auto_increment {n}")));
                }
                if from.engine != o.engine {
                    if let Some(e) = &o.engine {
                        actions.push((format!("ENGINE = {e}"), format!("engine {e}")));
                    }
                }
                if from.charset != o.charset || from.collate != o.collate {
                    if let Some(cs) = &o.charset {
                        let co = o.collate.as_ref().map(|c| format!(" COLLATE {c}")).unwrap_or_default();
                        // Columns that inherit the table's character set change with it: only
                        // CONVERT TO converts them (DEFAULT CHARACTER SET would leave every
                        // existing column as it was, silently different from the release).
                        // Columns with a character set of their own are set back right after.
                        let inheriting: Vec<&str> = to.columns.iter().filter(|c| is_text(&c.ty) && c.charset.is_none() && c.collate.is_none()).map(|c| c.name.as_str()).collect();
                        if inheriting.is_empty() {
                            actions.push((format!("DEFAULT CHARACTER SET {cs}{co}"), format!("charset {cs}")));
                        } else {
                            actions.push((format!("CONVERT TO CHARACTER SET {cs}{co}"), format!("convert to {cs} (columns {})", inheriting.join(", "))));
                            // In a statement of their own: within the same ALTER, CONVERT TO wins.
                            for c in to.columns.iter().filter(|c| is_text(&c.ty) && (c.charset.is_some() || c.collate.is_some())) {
                                retype.push(Statement::new(format!("ALTER TABLE {t} MODIFY COLUMN {}", column_def(c)), format!("keep the character set of \"{}\"", c.name)));
                            }
                            // CONVERT TO promotes TEXT columns to a larger type to keep their byte
                            // capacity (text → mediumtext): they are set back to the type the
                            // desired state has (strict sessions refuse it if a value does not fit).
                            for c in to.columns.iter().filter(|c| c.charset.is_none() && c.collate.is_none() && matches!(c.ty.to_ascii_lowercase().as_str(), "tinytext" | "text" | "mediumtext")) {
                                retype.push(Statement::new(format!("ALTER TABLE {t} MODIFY COLUMN {}", column_def(c)), format!("keep \"{}\" {} after the conversion", c.name, c.ty)));
                            }
                        }
                    }
                }
            }
            TableChange::DropIndex { .. } | TableChange::DropPrimaryKey { .. } | TableChange::AddForeignKey { .. }
            | TableChange::DropForeignKey { .. } | TableChange::DropCheck { .. } | TableChange::ModifyPartitionOf { .. }
            | TableChange::ModifyPartitionKey { .. } | TableChange::ModifyRowSecurity { .. }
            | TableChange::AddPolicy { .. } | TableChange::DropPolicy { .. } | TableChange::ModifyPolicy { .. } => {}
        }
    }
    for i in &rebuilt {
        actions.push((format!("ADD {}", index_def(i)), format!("add index \"{}\" again", i.name)));
    }
    for k in &rechecked {
        actions.push((format!("ADD {}", check_def(k)), format!("add check \"{}\" again", k.name)));
    }
    let mut out = Vec::new();
    if !actions.is_empty() {
        out.push(Statement::new(
            format!("ALTER TABLE {t} {}", actions.iter().map(|a| a.0.clone()).collect::<Vec<_>>().join(", ")),
            format!("modify table \"{}\": {}", to.name, actions.iter().map(|a| a.1.clone()).collect::<Vec<_>>().join("; ")),
        ));
    }
    out.extend(retype);
    for c in changes {
        if let TableChange::ModifyColumn { from, to: col, .. } = c {
            if from.generated.is_some() && col.generated.is_none() {
                out.extend(copy_generated(&t, col));
            }
        }
    }
    out
}

/// Generated → regular column keeping its values: add a plain column, copy, drop, rename.
fn copy_generated(t: &str, col: &Column) -> Vec<Statement> {
    let tmp = format!("{}__schemagate", col.name);
    let mut plain = col.clone();
    plain.name = tmp.clone();
    plain.null = true;
    vec![
        Statement::new(format!("ALTER TABLE {t} ADD COLUMN {} AFTER {}", column_def(&plain), q(&col.name)), format!("stop generating \"{}\": add a plain column", col.name)),
        Statement::new(format!("UPDATE {t} SET {} = {}", q(&tmp), q(&col.name)), format!("stop generating \"{}\": keep its current values", col.name)),
        Statement::new(format!("ALTER TABLE {t} DROP COLUMN {}", q(&col.name)), format!("stop generating \"{}\": drop the generated column", col.name)),
        Statement::new(format!("ALTER TABLE {t} CHANGE COLUMN {} {}", q(&tmp), column_def(col)), format!("stop generating \"{}\": take its name", col.name)),
    ]
}

/// MariaDB replaces an index it generated for a foreign key with one named after the constraint
/// when a foreign key is added by name. When the desired table keeps its own index on the
/// foreign key's columns, put that index back (a no-op where MariaDB kept it).
pub fn keep_fk_index(schema: &str, t: &Table, fk: &ForeignKey) -> Option<Statement> {
    if t.indexes.iter().any(|i| i.name == fk.name) {
        return None;
    }
    let i = t.indexes.iter().find(|i| {
        i.parts.len() >= fk.columns.len() && i.parts.iter().zip(&fk.columns).all(|(p, c)| p.column.as_deref() == Some(c.as_str()))
    })?;
    let kind = if i.unique { "UNIQUE KEY" } else { "KEY" };
    Some(Statement::new(
        format!("ALTER TABLE {} ADD {kind} IF NOT EXISTS {} ({}), DROP INDEX IF EXISTS {}", qn(schema, &t.name), q(&i.name), index_parts(i), q(&fk.name)),
        format!("keep index \"{}\" for foreign key \"{}\"", i.name, fk.name),
    ))
}

pub fn modify_schema(to: &Schema) -> Vec<Statement> {
    let mut sql = format!("ALTER DATABASE {}", q(&to.name));
    if let Some(cs) = &to.charset {
        sql.push_str(&format!(" CHARACTER SET {cs}"));
    }
    if let Some(co) = &to.collate {
        sql.push_str(&format!(" COLLATE {co}"));
    }
    if to.charset.is_none() && to.collate.is_none() {
        return vec![];
    }
    vec![Statement::new(sql, format!("change character set of \"{}\"", to.name))]
}

/// A declared rename (`renamed_from`).
pub fn rename_table(schema: &str, from: &str, to: &str) -> String {
    format!("RENAME TABLE {} TO {}", qn(schema, from), qn(schema, to))
}

pub fn rename_column(schema: &str, table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE {} RENAME COLUMN {} TO {}", qn(schema, table), q(from), q(to))
}
