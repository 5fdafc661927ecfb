//! The CLI as a person at a terminal meets it, through a pseudo-terminal (util-linux `script`):
//! `apply` shows the plan before it asks, a zero-width terminal does not collapse the tables,
//! and a usage error has its own exit code (64), never the 2 of "changes pending".

mod common;

use common::{bin, run, TestDb};
use schemagate::schema::Dialect;
use std::process::{Command, Stdio};

/// Run `shell` in a pseudo-terminal with `input` typed in; None where `script` is missing.
fn in_pty(shell: &str, input: &str) -> Option<String> {
    let mut c = Command::new("script").args(["-qec", shell, "/dev/null"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().ok()?;
    use std::io::Write;
    c.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = c.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).replace('\r', ""))
}

#[tokio::test]
async fn apply_shows_the_plan_before_it_asks() {
    let db = TestDb::new(Dialect::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(&f, "CREATE TABLE t (id int);\n").unwrap();
    let cmd = format!("{} apply -u {} --to file://{}", bin(), db.url, f.display());
    let Some(out) = in_pty(&cmd, "n\n") else {
        eprintln!("skipped: no `script` (util-linux) to run a pseudo-terminal");
        return;
    };
    let (plan, prompt) = (out.find("CREATE TABLE `t`"), out.find("Apply 1 statement(s)? [y/N]"));
    assert!(plan.is_some() && prompt.is_some() && plan < prompt, "the plan must come first:\n{out}");
    assert!(out.contains("apply aborted"), "{out}");
    // A terminal of width 0 gets 120 columns, not one character per line.
    let Some(out) = in_pty(&format!("stty cols 0 rows 0; {} plan -u {} --to file://{}", bin(), db.url, f.display()), "") else { return };
    assert!(out.lines().any(|l| l.contains("main.t") && l.contains("create table")), "{out}");
}

#[test]
fn usage_errors_exit_64() {
    let (code, _, err) = run(&["plan", "--no-such-flag"]);
    assert_eq!(code, 64, "{err}");
    let (code, _, err) = run(&["plan", "-u", "sqlite::memory:", "--to", "x.sql", "--format", "yaml"]);
    assert_eq!(code, 64, "{err}");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("64 usage error"), "{out}");
}
