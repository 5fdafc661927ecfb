//! `scripts/atlas-replay`, the replay of Atlas's own integration scripts (issue #22's measure),
//! kept working: Atlas's scripts are not in this repository, so it runs schemagate's own script
//! written in their format (tests/atlas_replay/sqlite/selftest.txtar), and a copy with one wrong
//! expectation must come out as one failing step.

mod common;

use std::path::Path;
use std::process::Command;

fn replay(script: &Path) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3").arg(format!("{root}/scripts/atlas-replay")).arg(script).env("SCHEMAGATE", common::bin()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_replay_runs_a_script_and_counts_a_failing_step() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 is not installed (scripts/atlas-replay is a Python script)");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/atlas_replay/sqlite/selftest.txtar");
    let out = replay(&script);
    assert!(out.contains("ok   sqlite/selftest.txtar: 13/13"), "{out}");
    // The same script expecting another table: the harness reports that step, and only it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sqlite")).unwrap();
    let broken = dir.path().join("sqlite/selftest.txtar");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&broken, text.replace("CREATE TABLE `users` (`id` integer NOT NULL, PRIMARY KEY (`id`))", "CREATE TABLE `users` (`id` int NOT NULL)")).unwrap();
    let out = replay(&broken);
    assert!(out.contains("FAIL sqlite/selftest.txtar: 12/13") && out.contains("line 4: cmpshow users 1.sql"), "{out}");
}
