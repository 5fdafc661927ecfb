//! Facts from the live target that decide data-dependent findings: row counts of the tables a
//! plan touches, and exact checks for the changes that can fail on data (NULLs under a new NOT
//! NULL, duplicates under a new unique index, values longer than a narrowed type). Read-only,
//! bounded queries; a fact that cannot be read is left out (the rule then warns).

use crate::engine::{quote_ident, Conn};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Row counts are exact up to this many rows (the count stops there).
const ROW_CAP: i64 = 100_000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub tables: BTreeMap<String, TableFacts>,
    pub changes: BTreeMap<String, ChangeFacts>,
    /// No schemagate apply has ever succeeded on this target: what it holds was made outside
    /// schemagate, and a plan that drops it deserves a second look (Atlas users' top complaint:
    /// the first run drops everything the desired state does not mention). None: unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_run: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TableFacts {
    pub rows: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_nulls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_long: Option<bool>,
    /// Rows whose value a lossy type change alters (counted up to ROW_CAP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_rows: Option<i64>,
    /// Some value does not convert to the new type at all (the probe's cast failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_fails: Option<bool>,
}

async fn scalar_i64(conn: &Conn, sql: &str) -> Option<i64> {
    match conn {
        Conn::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.ok(),
        Conn::Mysql(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.ok(),
        Conn::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await.ok(),
    }
}

/// A count, or the database's error (a cast that failed on a value is a fact, not a failure).
async fn scalar_result(conn: &Conn, sql: &str) -> Result<i64, String> {
    let r = match conn {
        Conn::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
        Conn::Mysql(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
        Conn::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
    };
    r.map_err(|e| crate::engine::db_error_text(&e))
}

/// Errors of a value that does not convert (PostgreSQL's invalid input and out-of-range errors,
/// MySQL's truncation and incorrect-value errors).
fn conversion_error(e: &str) -> bool {
    let m = e.to_ascii_lowercase();
    ["invalid input syntax", "out of range", "truncated", "incorrect", "invalid input value", "overflow"].iter().any(|x| m.contains(x))
}

/// Whether `sql` returns a row. COUNT(*) is a 64-bit integer on all three engines (a bare
/// `CASE … THEN 1` is int4 on PostgreSQL and would not decode as one).
async fn exists(conn: &Conn, sql: &str) -> Option<bool> {
    scalar_i64(conn, &format!("SELECT COUNT(*) FROM ({sql} LIMIT 1) AS schemagate_probe")).await.map(|v| v > 0)
}

/// Whether a schemagate apply ever succeeded on the target (its revision table, in the default
/// `schemagate` schema / database; on MySQL, rows whose statements name this database).
async fn first_run(conn: &Conn) -> Option<bool> {
    let probe = crate::engine::of(conn.dialect()).revision_probe();
    if !exists(conn, probe.table_exists).await? {
        return Some(true);
    }
    match (scalar_i64(conn, probe.applied).await, probe.applied_legacy) {
        (Some(n), _) => Some(n == 0),
        // A revision table of an earlier version.
        (None, Some(legacy)) => scalar_i64(conn, legacy).await.map(|n| n == 0),
        (None, None) => None,
    }
}

/// Fill in each statement's traffic estimate from the target's statistics: the size of the
/// table it locks and how long its scan or rewrite may take. Catalog reads only.
pub async fn estimate(conn: &Conn, plan: &mut crate::plan::Plan) {
    let tables: Vec<String> = plan.statements.iter().filter_map(|s| s.traffic.as_ref()?.table.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let sizes = conn.table_sizes(&tables).await;
    for s in &mut plan.statements {
        let Some(t) = s.traffic.as_mut() else { continue };
        let Some((rows, bytes)) = t.table.as_ref().and_then(|k| sizes.get(k)) else { continue };
        t.estimate = Some(crate::statement::Estimate { rows: *rows, bytes: *bytes, seconds: t.work.seconds_for(*bytes) });
    }
}

/// Gather facts for lint `changes` (the input document's entries) from the target.
pub async fn gather(conn: &Conn, changes: &[Json], exact: bool) -> Facts {
    let d = conn.dialect();
    let q = |s: &str| quote_ident(d, s);
    let mut facts = Facts::default();
    if changes.iter().any(|c| c["kind"].as_str().is_some_and(|k| k.starts_with("drop_"))) {
        facts.first_run = first_run(conn).await;
    }
    for c in changes {
        let (Some(schema), Some(table)) = (c["schema"].as_str(), c["table"].as_str()) else { continue };
        let kind = c["kind"].as_str().unwrap_or_default();
        if kind == "add_table" {
            continue;
        }
        let key = format!("{schema}.{table}");
        let t = crate::engine::of(d).table_ref(schema, table);
        if !facts.tables.contains_key(&key) {
            if let Some(rows) = scalar_i64(conn, &format!("SELECT COUNT(*) FROM (SELECT 1 FROM {t} LIMIT {ROW_CAP}) s")).await {
                facts.tables.insert(key.clone(), TableFacts { rows });
            }
        }
        if !exact {
            continue;
        }
        let id = c["id"].to_string();
        let mut f = ChangeFacts::default();
        match kind {
            "modify_column" => {
                let col = q(c["column"].as_str().unwrap_or_default());
                let changed: Vec<&str> = c["changed"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
                if changed.contains(&"null") && c["new"]["null"] == Json::Bool(false) {
                    f.has_nulls = exists(conn, &format!("SELECT 1 FROM {t} WHERE {col} IS NULL")).await;
                }
                if let Some(probe) = c["lossy"]["probe"].as_str() {
                    let cond = probe.replace("{col}", &col);
                    let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {t} WHERE {col} IS NOT NULL AND ({cond}) LIMIT {ROW_CAP}) AS schemagate_probe");
                    match scalar_result(conn, &sql).await {
                        Ok(n) => f.changed_rows = Some(n),
                        // The conversion itself failed on some value: that is the fact.
                        Err(e) if conversion_error(&e) => f.conversion_fails = Some(true),
                        Err(_) => {}
                    }
                }
                if let Some(n) = c["new"]["length"].as_i64() {
                    if changed.contains(&"type") {
                        let len = format!("{}({col})", crate::engine::of(d).char_length());
                        f.too_long = exists(conn, &format!("SELECT 1 FROM {t} WHERE {len} > {n}")).await;
                    }
                }
            }
            "add_index" | "modify_index" if c["new"]["unique"] == Json::Bool(true) => {
                // Only plain columns: an index expression or a partial index's WHERE is text from
                // the desired state (a pull request), and none of it is ever run on the target;
                // such an index stays a warning.
                let keys: Vec<String> = c["new"]["columns"].as_array().into_iter().flatten().filter_map(|x| x.as_str()).map(q).collect();
                let user_sql = c["new"]["expressions"].as_array().is_some_and(|e| !e.is_empty()) || !c["new"]["where"].is_null();
                if !keys.is_empty() && !user_sql {
                    let conds: Vec<String> = keys.iter().map(|k| format!("{k} IS NOT NULL")).collect();
                    let k = keys.join(", ");
                    f.duplicates = exists(conn, &format!("SELECT 1 FROM {t} WHERE {} GROUP BY {k} HAVING COUNT(*) > 1", conds.join(" AND "))).await;
                }
            }
            _ => continue,
        }
        facts.changes.insert(id, f);
    }
    facts
}
