//! Real schemas from ../shared/corpus, loaded with the stock clients: inspect → HCL → decode
//! must give the inspected model back; inspect → SQL → load into a fresh database → inspect must
//! too. Objects the model does not manage are reported as skipped, never silently dropped.

mod common;

use common::TestDb;
use schemagate::plan::create_realm;
use schemagate::schema::{Dialect, Realm};
use schemagate::source::hcl::{decode_files, encode, HclFile};
use std::collections::HashMap;
use std::path::Path;

/// Show the first difference between two realms, table by table, for a readable failure.
fn first_difference(a: &Realm, b: &Realm) -> String {
    for (sa, sb) in a.schemas.iter().zip(&b.schemas) {
        for ta in &sa.tables {
            match sb.tables.iter().find(|t| t.name == ta.name) {
                Some(tb) if tb != ta => return format!("table {}:\n  left:  {ta:?}\n  right: {tb:?}", ta.name),
                None => return format!("table {} missing on the right", ta.name),
                _ => {}
            }
        }
        if sa != sb {
            return format!("schema {} differs outside tables:\n  left:  {:?}\n  right: {:?}", sa.name, (&sa.enums, &sa.domains, &sa.sequences), (&sb.enums, &sb.domains, &sb.sequences));
        }
    }
    format!("schema lists differ: {:?} vs {:?}", a.schemas.iter().map(|s| &s.name).collect::<Vec<_>>(), b.schemas.iter().map(|s| &s.name).collect::<Vec<_>>())
}

async fn round_trip(dialect: Dialect, file: &Path, prepare: impl Fn(&str) -> String, min_tables: usize) {
    let src = prepare(&std::fs::read_to_string(file).unwrap());
    let db = TestDb::new(dialect).await;
    db.load_sql(&src);
    let inspected = db.inspect().await;
    assert!(inspected.table_count() >= min_tables, "{}: only {} tables inspected", file.display(), inspected.table_count());

    // HCL out and back in.
    let hcl = encode(&inspected, dialect);
    let decoded = decode_files(&[HclFile { path: "inspected.hcl".into(), src: hcl.clone() }], dialect, &HashMap::new())
        .unwrap_or_else(|e| panic!("{}: decoding our own HCL failed: {e}\n{hcl}", file.display()));
    assert!(decoded == inspected, "{}: HCL round trip differs: {}", file.display(), first_difference(&inspected, &decoded));

    // SQL out, into a fresh database, and inspected again.
    let copy = TestDb::new(dialect).await;
    let mut renamed = inspected.clone();
    if dialect == Dialect::Mysql {
        renamed.rename_schemas(&HashMap::from([(db.name.clone(), copy.name.clone())]));
    }
    let mut sql = String::new();
    for s in create_realm(&renamed, dialect) {
        sql.push_str(&schemagate::engine::of(dialect).script_statement(&s));
    }
    copy.load_sql(&sql);
    let mut again = copy.inspect().await;
    if dialect == Dialect::Mysql {
        again.rename_schemas(&HashMap::from([(copy.name.clone(), db.name.clone())]));
    }
    assert!(again == inspected, "{}: SQL round trip differs: {}", file.display(), first_difference(&inspected, &again));
    println!(
        "{} on {}: {} tables round-tripped through HCL and SQL; {}",
        file.file_name().unwrap().to_string_lossy(),
        dialect.name(),
        inspected.table_count(),
        inspected.skipped_summary().unwrap_or_else(|| "nothing skipped".into())
    );
    db.drop().await;
    copy.drop().await;
}

fn keep(s: &str) -> String {
    s.to_string()
}

/// MySQL dumps choose their own database (`USE x`); the test database is chosen by the harness.
/// Load into the test's own database: no CREATE/USE of the original one, and no references
/// qualified with its name (sakila's views say `sakila.actor`, which would only resolve if a
/// database of that name happened to exist on the server).
fn without_database_statements(s: &str) -> String {
    s.replace("sakila.", "")
        .lines()
        .filter(|l| {
            let u = l.trim_start().to_ascii_uppercase();
            !(u.starts_with("USE ") || u.starts_with("CREATE DATABASE") || u.starts_with("CREATE SCHEMA") || u.starts_with("DROP DATABASE") || u.starts_with("DROP SCHEMA") || u.starts_with("SOURCE "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn chinook_postgres() {
    let shared = require_shared!();
    round_trip(Dialect::Postgres, &shared.join("corpus/chinook/schema_only/Chinook_PostgreSql.schema.sql"), keep, 11).await;
}

#[tokio::test]
async fn chinook_postgres_serial() {
    let shared = require_shared!();
    round_trip(Dialect::Postgres, &shared.join("corpus/chinook/schema_only/Chinook_PostgreSql_SerialPKs.schema.sql"), keep, 11).await;
}

#[tokio::test]
async fn chinook_postgres_identity() {
    let shared = require_shared!();
    round_trip(Dialect::Postgres, &shared.join("corpus/chinook/schema_only/Chinook_PostgreSql_AutoIncrementPKs.schema.sql"), keep, 11).await;
}

#[tokio::test]
async fn chinook_mariadb() {
    let shared = require_shared!();
    round_trip(Dialect::Mysql, &shared.join("corpus/chinook/schema_only/Chinook_MySql.schema.sql"), without_database_statements, 11).await;
}

#[tokio::test]
async fn chinook_mariadb_auto_increment() {
    let shared = require_shared!();
    round_trip(Dialect::Mysql, &shared.join("corpus/chinook/schema_only/Chinook_MySql_AutoIncrementPKs.schema.sql"), without_database_statements, 11).await;
}

#[tokio::test]
async fn chinook_sqlite() {
    let shared = require_shared!();
    round_trip(Dialect::Sqlite, &shared.join("corpus/chinook/schema_only/Chinook_Sqlite.schema.sql"), keep, 11).await;
}

#[tokio::test]
async fn chinook_sqlite_autoincrement() {
    let shared = require_shared!();
    round_trip(Dialect::Sqlite, &shared.join("corpus/chinook/schema_only/Chinook_Sqlite_AutoIncrementPKs.schema.sql"), keep, 11).await;
}

#[tokio::test]
async fn sakila_mariadb() {
    let shared = require_shared!();
    round_trip(Dialect::Mysql, &shared.join("corpus/sakila_employees/sakila/sakila-mv-schema.sql"), without_database_statements, 16).await;
}

#[tokio::test]
async fn employees_mariadb() {
    let shared = require_shared!();
    round_trip(Dialect::Mysql, &shared.join("corpus/sakila_employees/employees.sql"), without_database_statements, 6).await;
}

#[tokio::test]
async fn employees_partitioned_mariadb() {
    let shared = require_shared!();
    round_trip(Dialect::Mysql, &shared.join("corpus/sakila_employees/employees_partitioned.sql"), without_database_statements, 6).await;
}

#[tokio::test]
async fn pagila_postgres() {
    let shared = require_shared!();
    round_trip(Dialect::Postgres, &shared.join("corpus/pagila/pagila-schema.sql"), keep, 70).await;
}
