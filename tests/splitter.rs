//! The statement splitter against Atlas's goldens in ../shared/corpus/atlas-splitter: `X.sql`
//! must split into the statements of `X.sql.golden` (separated by `-- end --` lines).
//! SQL Server's `GO` batches are out of scope and counted as skipped.

mod common;

use schemagate::source::sql::{split, SplitOptions};

#[test]
fn atlas_splitter_goldens() {
    let shared = require_shared!();
    let root = shared.join("corpus/atlas-splitter");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for dir in ["lex", "lexgroup", "lexescaped", "lexbegintry"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            if name.contains("_ms_") || dir == "lexbegintry" {
                // SQL Server batches (GO) and T-SQL BEGIN TRY blocks: not a schemagate dialect.
                skipped += 1;
                continue;
            }
            let src = std::fs::read_to_string(&f).unwrap();
            let golden = std::fs::read_to_string(f.with_extension("sql.golden")).unwrap();
            let want: Vec<String> = golden.split("\n-- end --\n").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            let opts = SplitOptions { backslash_escapes: name.contains(".my.") };
            let got: Vec<String> = split(&src, opts).into_iter().map(|s| s.trim().to_string()).collect();
            if got == want {
                passed += 1;
            } else {
                failed += 1;
                let i = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
                failures.push(format!("{dir}/{name}: statement {i}: got {:?}, want {:?} ({} vs {} statements)", got.get(i), want.get(i), got.len(), want.len()));
            }
        }
    }
    println!("splitter goldens: {passed} passed, {failed} failed, {skipped} skipped");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
