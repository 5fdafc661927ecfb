//! In-process stages, timed without a database: HCL decode of 1,000 and 10,000 tables, diff +
//! DDL of 10,000 tables, Rego lint of 10,000 changes. `cargo bench --bench stages` (release).
//! Prints the median of a few runs per stage; BENCHMARKS.md records the numbers.
//! `cargo bench --bench stages -- lint` runs only the stages whose name starts with `lint`
//! (`hcl`, `diff`, `lint`), e.g. to profile one under `perf record`.

use schemagate::schema::{Dialect, Realm};
use schemagate::source::hcl::{decode_files, HclFile};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The same synthetic shape as benches/gen_schema.py (9 columns, a check, an FK to the previous
/// table, a plain and a unique partial expression index), `changed` tables get one more column.
fn hcl(n: usize, every: usize) -> String {
    let mut s = String::from("schema \"public\" {}\n");
    for i in 1..=n {
        let t = format!("t{i:05}");
        s.push_str(&format!("table \"{t}\" {{\n  schema = schema.public\n"));
        for (name, ty, null) in [("id", "bigint", false), ("name", "varchar(64)", false), ("email", "text", true), ("amount", "numeric(10,2)", false), ("active", "boolean", false), ("created_at", "timestamptz", false), ("parent_id", "bigint", true), ("payload", "jsonb", true), ("code", "integer", true)] {
            s.push_str(&format!("  column \"{name}\" {{\n    type = {ty}\n    null = {null}\n  }}\n"));
        }
        if every > 0 && i % every == 0 {
            s.push_str("  column \"added\" {\n    type = text\n    null = true\n  }\n");
        }
        s.push_str("  primary_key {\n    columns = [column.id]\n  }\n");
        if i > 1 {
            s.push_str(&format!("  foreign_key \"{t}_parent_fk\" {{\n    columns = [column.parent_id]\n    ref_columns = [table.t{:05}.column.id]\n  }}\n", i - 1));
        }
        s.push_str(&format!("  check \"{t}_amount_check\" {{\n    expr = \"(amount >= (0)::numeric)\"\n  }}\n"));
        s.push_str(&format!("  index \"{t}_name_idx\" {{\n    columns = [column.name]\n  }}\n"));
        s.push_str(&format!("  index \"{t}_email_key\" {{\n    unique = true\n    on {{\n      expr = \"lower(email)\"\n    }}\n    where = \"(active = true)\"\n  }}\n}}\n"));
    }
    s
}

fn decode(src: &str) -> Realm {
    decode_files(&[HclFile { path: "bench.hcl".into(), src: src.into() }], Dialect::Postgres, &HashMap::new()).unwrap()
}

fn median(mut f: impl FnMut() -> Duration, runs: usize) -> Duration {
    let mut v: Vec<Duration> = (0..runs).map(|_| f()).collect();
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Stage names to run: the first argument that is not a flag (cargo passes `--bench`), or all.
fn wanted(stage: &str) -> bool {
    std::env::args().skip(1).find(|a| !a.starts_with('-')).is_none_or(|only| stage.starts_with(&only))
}

fn main() {
    if wanted("hcl") {
        hcl_stage();
    }
    if wanted("diff") {
        diff_stage();
    }
    if wanted("lint") {
        lint_stage();
    }
    println!("peak RSS: {} MB", peak_rss_kb() / 1024);
}

fn hcl_stage() {
    for n in [1_000, 10_000] {
        let src = hcl(n, 0);
        let t = median(|| {
            let s = Instant::now();
            std::hint::black_box(decode(&src));
            s.elapsed()
        }, 5);
        println!("hcl decode, {n} tables ({} KB): {:.1} ms", src.len() / 1024, t.as_secs_f64() * 1e3);
    }
}

fn diff_stage() {
    // diff + DDL: 10,000 tables against a copy where 1% changed, and against empty (all new).
    let a = decode(&hcl(10_000, 0));
    let b = decode(&hcl(10_000, 100));
    let t = median(|| {
        let s = Instant::now();
        let changes = schemagate::diff::diff(&a, &b);
        let p = schemagate::plan::build(&a, &b, changes, Dialect::Postgres);
        std::hint::black_box(p);
        s.elapsed()
    }, 5);
    println!("diff + DDL, 10,000 tables, 1% changed: {:.1} ms", t.as_secs_f64() * 1e3);
    let empty = Realm::default();
    let mut stmts = 0;
    let t = median(|| {
        let s = Instant::now();
        let changes = schemagate::diff::diff(&empty, &b);
        let p = schemagate::plan::build(&empty, &b, changes, Dialect::Postgres);
        stmts = p.statements.len();
        std::hint::black_box(p);
        s.elapsed()
    }, 5);
    println!("diff + DDL, 10,000 tables from empty ({stmts} statements): {:.1} ms", t.as_secs_f64() * 1e3);
}

fn lint_stage() {

    // Lint: 10,000 changes (adds, drops, type changes, NOT NULL changes) through the default policies.
    let mut changes = Vec::new();
    for i in 0..10_000usize {
        let table = format!("t{:05}", i / 4);
        let c = match i % 4 {
            0 => serde_json::json!({"kind": "drop_column", "schema": "public", "table": table, "column": format!("c{i}"), "old": {"type": "text", "null": true}}),
            1 => serde_json::json!({"kind": "add_column", "schema": "public", "table": table, "column": format!("c{i}"), "new": {"type": "integer", "null": false}}),
            2 => serde_json::json!({"kind": "modify_column", "schema": "public", "table": table, "column": format!("c{i}"), "changed": ["type", "null"], "old": {"type": "character varying", "length": 255, "null": true}, "new": {"type": "character varying", "length": 32, "null": false}}),
            _ => serde_json::json!({"kind": "add_index", "schema": "public", "table": table, "index": format!("i{i}"), "new": {"unique": true, "columns": ["a"]}, "statements": [format!("CREATE UNIQUE INDEX i{i} ON t (a)")]}),
        };
        let mut c = c;
        c["id"] = serde_json::json!(i);
        changes.push(c);
    }
    let doc = serde_json::json!({"engine": "postgres", "changes": changes, "facts": {"tables": {}, "changes": {}}, "labels": [], "overrides": {"nolint": {}}});
    let mut findings = 0;
    let t = median(|| {
        let s = Instant::now();
        findings = schemagate::lint::evaluate(&schemagate::lint::Options::default(), &doc).unwrap().len();
        s.elapsed()
    }, 3);
    println!("lint, 10,000 changes, default policies ({findings} findings): {:.1} ms", t.as_secs_f64() * 1e3);
}
