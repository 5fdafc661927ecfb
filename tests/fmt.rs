//! `schemagate fmt`: --check fails on unformatted files without touching them; fmt rewrites them
//! canonically and keeps every comment; formatted files stay as they are.

mod common;

use common::run;

const UGLY: &str = "# the users table\ntable \"users\" {\nschema=schema.public // where it lives\n    column \"id\" {\n  type=int\n      null = false   # never null\n}\n  /* block\n     comment */\n}\n";

#[test]
fn check_fails_and_fmt_keeps_comments() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("schema.hcl");
    std::fs::write(&f, UGLY).unwrap();
    let path = f.display().to_string();

    let (code, out, _) = run(&["fmt", "--check", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not formatted"));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), UGLY, "--check writes nothing");

    let (code, _, err) = run(&["fmt", &path]);
    assert_eq!(code, 0, "{err}");
    let formatted = std::fs::read_to_string(&f).unwrap();
    for comment in ["# the users table", "// where it lives", "# never null", "/* block", "comment */"] {
        assert!(formatted.contains(comment), "lost {comment:?}:\n{formatted}");
    }
    assert!(formatted.contains("  schema = schema.public // where it lives\n"), "{formatted}");
    assert!(formatted.contains("    type = int\n    null = false   # never null\n") || formatted.contains("    type = int\n    null = false # never null\n"), "{formatted}");

    let (code, out, _) = run(&["fmt", "--check", &path]);
    assert_eq!(code, 0, "formatted file passes --check: {out}");
}

#[test]
fn fmt_reports_syntax_errors_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.hcl");
    std::fs::write(&f, "table \"t\" {\n  column \"id\" { type = int\n}\n").unwrap();
    let (code, _, err) = run(&["fmt", "--check", &f.display().to_string()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.hcl:2:"), "{err}");
}
