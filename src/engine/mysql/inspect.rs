//! MySQL/MariaDB inspection from information_schema: one set query per object kind for all
//! requested schemas. Strings are CAST to CHAR because MySQL 8 may hand information_schema text
//! back as binary, which does not decode into `String`.

use super::types;
use crate::engine::{is_number, unquote_literal, InspectOptions};
use crate::schema::*;
use anyhow::{Context, Result};
use sqlx::{MySqlPool, Row};
use std::collections::HashMap;

const SYSTEM: &str = "('mysql','information_schema','performance_schema','sys')";

pub async fn inspect(pool: &MySqlPool, opts: &InspectOptions) -> Result<Realm> {
    let mut wanted = opts.schemas.clone();
    if wanted.is_empty() {
        let current: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)").fetch_one(pool).await?;
        if let Some(db) = current {
            wanted.push(db);
        }
    }
    let list = if wanted.is_empty() {
        format!("NOT IN {SYSTEM}")
    } else {
        format!("IN ({})", wanted.iter().map(|s| crate::engine::quote_literal(Dialect::Mysql, s)).collect::<Vec<_>>().join(","))
    };
    let schemas_q = format!(
        "SELECT CAST(SCHEMA_NAME AS CHAR), CAST(DEFAULT_CHARACTER_SET_NAME AS CHAR), CAST(DEFAULT_COLLATION_NAME AS CHAR) \
         FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {list} ORDER BY 1"
    );
    let tables_q = format!(
        "SELECT CAST(t.TABLE_SCHEMA AS CHAR), CAST(t.TABLE_NAME AS CHAR), CAST(t.ENGINE AS CHAR), CAST(t.TABLE_COLLATION AS CHAR), \
           CAST(c.CHARACTER_SET_NAME AS CHAR), CAST(t.TABLE_COMMENT AS CHAR), CAST(t.AUTO_INCREMENT AS UNSIGNED) \
         FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION \
         WHERE t.TABLE_SCHEMA {list} AND t.TABLE_TYPE = 'BASE TABLE'"
    );
    let columns_q = format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
           CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR), CAST(GENERATION_EXPRESSION AS CHAR), \
           CAST(CHARACTER_SET_NAME AS CHAR), CAST(COLLATION_NAME AS CHAR), CAST(COLUMN_COMMENT AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA {list} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
    );
    let stats_q = format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED), \
           CAST(COLUMN_NAME AS CHAR), CAST(SUB_PART AS SIGNED), CAST(INDEX_TYPE AS CHAR), CAST(COLLATION AS CHAR), CAST(INDEX_COMMENT AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA {list} ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    );
    let fks_q = format!(
        "SELECT CAST(k.TABLE_SCHEMA AS CHAR), CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
           CAST(k.REFERENCED_TABLE_SCHEMA AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.REFERENCED_COLUMN_NAME AS CHAR), \
           CAST(r.UPDATE_RULE AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA {list} AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
    );
    let checks_q = format!(
        "SELECT CAST(CONSTRAINT_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR), CAST(LEVEL AS CHAR) \
         FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA {list}"
    );
    let skipped_q = format!(
        "SELECT 'event', CAST(EVENT_SCHEMA AS CHAR), CAST(EVENT_NAME AS CHAR) FROM information_schema.EVENTS WHERE EVENT_SCHEMA {list} \
         UNION ALL SELECT DISTINCT 'table partitioning', CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR) FROM information_schema.PARTITIONS \
           WHERE TABLE_SCHEMA {list} AND PARTITION_NAME IS NOT NULL"
    );
    let (schemas, tables, columns, stats, fks, checks, skipped) = tokio::try_join!(
        async { sqlx::query(&schemas_q).fetch_all(pool).await.context("listing schemas") },
        async { sqlx::query(&tables_q).fetch_all(pool).await.context("inspecting tables") },
        async { sqlx::query(&columns_q).fetch_all(pool).await.context("inspecting columns") },
        async { sqlx::query(&stats_q).fetch_all(pool).await.context("inspecting indexes") },
        async { sqlx::query(&fks_q).fetch_all(pool).await.context("inspecting foreign keys") },
        async { sqlx::query(&checks_q).fetch_all(pool).await.context("inspecting checks") },
        async { sqlx::query(&skipped_q).fetch_all(pool).await.context("listing unmanaged objects") },
    )?;

    let (views, functions, triggers, acl, accounts) = tokio::try_join!(
        super::objects_inspect::views(pool, &list),
        super::objects_inspect::functions(pool, &list),
        super::objects_inspect::triggers(pool, &list),
        super::privileges::acls(pool, &list),
        // Accounts the connected user can see (every account has a row here, if only USAGE).
        async { sqlx::query_scalar::<_, String>("SELECT DISTINCT CAST(GRANTEE AS CHAR) FROM information_schema.USER_PRIVILEGES").fetch_all(pool).await.context("listing accounts") },
    )?;
    let mut by_schema: HashMap<String, Schema> = HashMap::new();
    for r in schemas {
        let name: String = r.get(0);
        by_schema.insert(
            name.clone(),
            Schema { name, charset: r.get(1), collate: r.get(2), ..Default::default() },
        );
    }
    let mut tmap: HashMap<(String, String), Table> = HashMap::new();
    for r in tables {
        let schema: String = r.get(0);
        let name: String = r.get(1);
        let comment: Option<String> = r.get(5);
        let t = Table {
            name: name.clone(),
            comment: comment.filter(|c| !c.is_empty()),
            options: TableOptions {
                engine: r.get(2),
                collate: r.get(3),
                charset: r.get(4),
                // The next AUTO_INCREMENT value, where it is past the start (a counter of 1 is
                // every new table's); compared only against a desired `auto_increment`.
                auto_increment: r.get::<Option<u64>, _>(6).filter(|n| *n > 1),
                ..Default::default()
            },
            ..Default::default()
        };
        tmap.insert((schema, name), t);
    }
    // Column-level checks: MariaDB implements `json` as longtext + CHECK (json_valid(col)).
    let mut json_cols: std::collections::HashSet<(String, String, String)> = Default::default();
    let mut table_checks: Vec<(String, String, Check)> = Vec::new();
    for r in checks {
        let (schema, table, name, clause, level): (String, String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        if level == "Column" && clause == format!("json_valid(`{}`)", name.replace('`', "``")) {
            json_cols.insert((schema, table, name));
            continue;
        }
        table_checks.push((schema, table, Check { name, expr: clause, enforced: true, pos: None }));
    }
    for r in columns {
        let schema: String = r.get(0);
        let table: String = r.get(1);
        let Some(t) = tmap.get_mut(&(schema.clone(), table.clone())) else { continue };
        let name: String = r.get(2);
        let mut ty: String = r.get(3);
        let extra: String = r.get::<Option<String>, _>(6).unwrap_or_default();
        let default: Option<String> = r.get(5);
        let gen_expr: Option<String> = r.get(7);
        let mut charset: Option<String> = r.get(8);
        let mut collate: Option<String> = r.get(9);
        let is_json = json_cols.contains(&(schema.clone(), table.clone(), name.clone()));
        if is_json {
            ty = "json".into();
            charset = None;
            collate = None;
        }
        // Character set and collation are kept only where they differ from the table's.
        if charset == t.options.charset {
            charset = None;
        }
        if collate == t.options.collate {
            collate = None;
        }
        let lower_extra = extra.to_ascii_lowercase();
        let mut c = Column {
            ty: types::canonical(&ty),
            null: r.get::<String, _>(4) == "YES",
            auto_increment: lower_extra.contains("auto_increment"),
            charset,
            collate,
            comment: r.get::<Option<String>, _>(10).filter(|c| !c.is_empty()),
            ..Default::default()
        };
        if let Some(g) = gen_expr.filter(|g| !g.is_empty() && (lower_extra.contains("generated") || lower_extra.contains("virtual") || lower_extra.contains("persistent") || lower_extra.contains("stored"))) {
            c.generated = Some(Generated { expr: g, stored: lower_extra.contains("stored") || lower_extra.contains("persistent") });
        } else {
            c.default = default.and_then(|d| parse_default(&d));
        }
        if let Some(pos) = lower_extra.find("on update ") {
            c.on_update = Some(extra[pos + "on update ".len()..].trim().to_string());
        }
        c.name = name;
        t.columns.push(c);
    }
    // Indexes: rows come ordered by index and position.
    for r in stats {
        let key = (r.get::<String, _>(0), r.get::<String, _>(1));
        let Some(t) = tmap.get_mut(&key) else { continue };
        let iname: String = r.get(2);
        let non_unique: i64 = r.get(3);
        let col: Option<String> = r.get(4);
        let sub: Option<i64> = r.get(5);
        let itype: String = r.get(6);
        let coll: Option<String> = r.get(7);
        let comment: Option<String> = r.get(8);
        let part = IndexPart {
            column: col,
            desc: coll.as_deref() == Some("D"),
            // SPATIAL indexes report a SUB_PART that is not a prefix anyone wrote.
            prefix: sub.filter(|_| itype != "SPATIAL").map(|s| s as u32),
            ..Default::default()
        };
        if iname == "PRIMARY" {
            let pk = t.primary_key.get_or_insert_with(PrimaryKey::default);
            pk.columns.push(part.column.unwrap_or_default());
            continue;
        }
        match t.indexes.iter_mut().find(|i| i.name == iname) {
            Some(i) => i.parts.push(part),
            None => t.indexes.push(Index {
                name: iname,
                unique: non_unique == 0,
                parts: vec![part],
                method: match itype.as_str() {
                    "BTREE" => None,
                    other => Some(other.to_string()),
                },
                nulls_distinct: true,
                comment: comment.filter(|c| !c.is_empty()),
                ..Default::default()
            }),
        }
    }
    for r in fks {
        let key = (r.get::<String, _>(0), r.get::<String, _>(1));
        let Some(t) = tmap.get_mut(&key) else { continue };
        let name: String = r.get(2);
        let col: String = r.get(3);
        let ref_col: String = r.get(6);
        match t.foreign_keys.iter_mut().find(|f| f.name == name) {
            Some(f) => {
                f.columns.push(col);
                f.ref_columns.push(ref_col);
            }
            None => t.foreign_keys.push(ForeignKey {
                name,
                columns: vec![col],
                ref_schema: r.get(4),
                ref_table: r.get(5),
                ref_columns: vec![ref_col],
                on_update: RefAction::parse(&r.get::<String, _>(7)).unwrap_or(RefAction::Restrict),
                on_delete: RefAction::parse(&r.get::<String, _>(8)).unwrap_or(RefAction::Restrict),
                ..Default::default()
            }),
        }
    }
    for (schema, table, c) in table_checks {
        if let Some(t) = tmap.get_mut(&(schema, table)) {
            t.checks.push(c);
        }
    }
    for ((schema, _), t) in tmap {
        if let Some(s) = by_schema.get_mut(&schema) {
            s.tables.push(t);
        }
    }
    for (schema, v) in views {
        if let Some(s) = by_schema.get_mut(&schema) {
            s.views.push(v);
        }
    }
    for (schema, f) in functions {
        if let Some(s) = by_schema.get_mut(&schema) {
            s.functions.push(f);
        }
    }
    for (schema, t) in triggers {
        if let Some(s) = by_schema.get_mut(&schema) {
            s.triggers.push(t);
        }
    }
    let skipped = skipped
        .into_iter()
        .map(|r| Skipped { kind: r.get(0), schema: r.get(1), name: r.get(2) })
        .collect();
    let mut realm = Realm { schemas: by_schema.into_values().collect(), skipped, ..Default::default() };
    if !acl.is_empty() {
        super::privileges::attach(&mut realm, &acl);
    }
    realm.server_roles = accounts.iter().map(|a| super::privileges::account(a)).collect();
    Ok(realm)
}

/// MariaDB reports defaults as SQL: `'text'` quoted, `NULL` for none, numbers bare, functions as
/// `current_timestamp()`.
pub fn parse_default(d: &str) -> Option<ColumnDefault> {
    let d = d.trim();
    if d.eq_ignore_ascii_case("NULL") {
        return None;
    }
    if is_number(d) {
        return Some(ColumnDefault::Num(d.to_string()));
    }
    if let Some(v) = unquote_literal(d, true) {
        return Some(ColumnDefault::Str(v));
    }
    Some(ColumnDefault::Raw(d.to_string()))
}
