//! Hostile identifiers round-trip on every engine: create → inspect → HCL → plan → apply on an
//! empty database → re-plan empty. Quotes, backticks, brackets, spaces, dots, `%`, unicode,
//! reserved words, names that differ only by case, and maximum-length names.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;

fn names(d: Dialect) -> Vec<String> {
    let max = match d {
        Dialect::Postgres => 63,
        Dialect::Mysql => 64,
        Dialect::Sqlite => 80,
    };
    let mut v: Vec<String> = vec!["select", "order", "Mixed Case", "with space", "dot.ted", "per%cent", "quo\"te", "back`tick", "[bracket]", "ünïcødé", "emoji_🦀"].into_iter().map(String::from).collect();
    if d == Dialect::Mysql {
        // MariaDB stores identifiers as 3-byte UTF-8: no characters outside the BMP.
        v.retain(|n| !n.starts_with("emoji"));
    } else {
        v.push("single'quote".into());
    }
    if d == Dialect::Postgres {
        // PostgreSQL keeps case apart; MySQL column names are case-insensitive, SQLite's too.
        v.push("Case".into());
        v.push("case".into());
    }
    let long: String = "x".repeat(max - 2);
    v.push(format!("l_{long}").chars().take(max).collect());
    v
}

fn q(d: Dialect, s: &str) -> String {
    schemagate::engine::quote_ident(d, s)
}

async fn round_trip(d: Dialect) {
    let src = TestDb::new(d).await;
    let cols = names(d);
    // MySQL counts identifier length in characters, PostgreSQL in bytes: keep names ASCII-long.
    let table = match d {
        Dialect::Mysql => "tbl \"`.%".to_string(),
        _ => "tbl \"`.%'".to_string(),
    };
    let prefix = match d {
        Dialect::Postgres => "public.".to_string(),
        Dialect::Mysql => format!("{}.", q(d, &src.name)),
        Dialect::Sqlite => String::new(),
    };
    let col_defs: Vec<String> = cols.iter().map(|c| format!("{} text", q(d, c))).collect();
    let index_col = q(d, &cols[0]);
    let ddl = format!(
        "CREATE TABLE {prefix}{} ({} integer PRIMARY KEY, {}); CREATE INDEX {} ON {prefix}{} ({index_col})",
        q(d, &table),
        q(d, "id"),
        col_defs.join(", "),
        q(d, "idx \"odd\" `name`"),
        q(d, &table)
    );
    let ddl = if d == Dialect::Mysql { ddl.replace(" text", " varchar(20)") } else { ddl };
    src.exec(&ddl).await;
    let realm = src.inspect().await;
    let t = realm.schemas.iter().flat_map(|s| &s.tables).find(|t| t.name == table).expect("table inspected");
    for c in &cols {
        assert!(t.column(c).is_some(), "{d:?}: column {c:?} lost; have {:?}", t.columns.iter().map(|c| &c.name).collect::<Vec<_>>());
    }
    let mut hcl_realm = realm.clone();
    let target = TestDb::new(d).await;
    if d == Dialect::Mysql {
        hcl_realm.rename_schemas(&std::collections::HashMap::from([(src.name.clone(), target.name.clone())]));
    }
    let hcl = schemagate::source::hcl::encode(&hcl_realm, d);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.hcl");
    std::fs::write(&file, &hcl).unwrap();
    let to = format!("file://{}", file.display());
    let mut args = vec!["apply".to_string(), "-u".into(), target.url.clone(), "--to".into(), to.clone(), "--auto-approve".into()];
    if let Some(dev) = target.dev_url() {
        args.extend(["--dev-url".into(), dev]);
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{d:?} apply:\n{out}\n{err}\n{hcl}");
    let mut plan = vec!["plan".to_string(), "-u".into(), target.url.clone(), "--to".into(), to, "--detailed-exitcode".into()];
    if let Some(dev) = target.dev_url() {
        plan.extend(["--dev-url".into(), dev]);
    }
    let p: Vec<&str> = plan.iter().map(|s| s.as_str()).collect();
    let (code, out, err) = run(&p);
    assert_eq!(code, 0, "{d:?} re-plan not empty:\n{out}\n{err}");
    let again = target.inspect().await;
    let t2 = again.schemas.iter().flat_map(|s| &s.tables).find(|t| t.name == table).expect("table created");
    assert_eq!(t2.columns.iter().map(|c| &c.name).collect::<Vec<_>>(), t.columns.iter().map(|c| &c.name).collect::<Vec<_>>());
    assert!(t2.indexes.iter().any(|i| i.name == "idx \"odd\" `name`"));
    println!("{d:?}: {} hostile column names, a hostile table and index name round-tripped", cols.len());
    src.drop().await;
    target.drop().await;
}

#[tokio::test]
async fn hostile_identifiers_postgres() {
    round_trip(Dialect::Postgres).await;
}

#[tokio::test]
async fn hostile_identifiers_mariadb() {
    round_trip(Dialect::Mysql).await;
}

#[tokio::test]
async fn hostile_identifiers_sqlite() {
    round_trip(Dialect::Sqlite).await;
}
