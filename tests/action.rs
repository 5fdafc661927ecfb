//! `schemagate action` end to end: the binary, real event files and a loopback GitHub API that
//! serves the payload shapes GitHub documents (../shared/github) and records every request.

mod common;

use common::{Stub, TestDb};
use schemagate::engine::Conn;
use schemagate::schema::Dialect;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    comments: Vec<(u64, String)>,
    /// comment id → the issue / pull request it is on
    comment_on: std::collections::HashMap<u64, u64>,
    checks: Vec<Value>,
    issues: Vec<(u64, String, String)>,
    reviews: Vec<Value>,
    files: Vec<String>,
    requests: Vec<(String, String)>,
    /// Comments ever created (ids stay unique after deletions).
    created: u64,
    /// The pull request's head commit, as the API reports it.
    head: String,
}

struct FakeGitHub {
    stub: Stub,
    state: Arc<Mutex<State>>,
}

fn shape(shared: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(shared.join("github/rest").join(name)).unwrap()).unwrap()
}

fn fake_github(shared: &Path, pr_number: u64, head_sha: &str) -> FakeGitHub {
    let state = Arc::new(Mutex::new(State { head: head_sha.to_string(), ..Default::default() }));
    let st = state.clone();
    let comment_shape = shape(shared, "issues.create-comment.POST.201.json");
    let check_shape = shape(shared, "checks.create.completed.POST.201.json");
    let pull_shape = shape(shared, "pulls.get.GET.200.json");
    let issue_shape = shape(shared, "issues.create.POST.201.json");
    let status_shape = shape(shared, "repos.get-combined-status-for-ref.GET.200.json");
    let stub = Stub::start(move |method, path, body| {
        let mut s = st.lock().unwrap();
        s.requests.push((method.to_string(), path.to_string()));
        let p = path.split('?').next().unwrap_or("");
        let page = path.contains("page=1") || !path.contains("page=");
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let ok = |v: Value| (200, "application/json".to_string(), v.to_string());
        let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["repos", _, _, "pulls", n, "files"]) => {
                let files: Vec<Value> = if page { s.files.iter().map(|f| json!({"sha": "x", "filename": f, "status": "modified"})).collect() } else { vec![] };
                let _ = n;
                ok(json!(files))
            }
            ("GET", ["repos", _, _, "pulls", n, "reviews"]) => {
                let _ = n;
                ok(if page { json!(s.reviews) } else { json!([]) })
            }
            ("GET", ["repos", _, _, "pulls", n]) => {
                let mut p = pull_shape.clone();
                p["number"] = json!(n.parse::<u64>().unwrap());
                p["head"]["sha"] = json!(s.head);
                p["base"]["ref"] = json!("main");
                p["draft"] = json!(false);
                p["mergeable"] = json!(true);
                p["labels"] = json!([]);
                // GitHub's documented sample is open yet carries a merged_at; an open PR has none.
                p["merged"] = json!(false);
                p["merged_at"] = Value::Null;
                ok(p)
            }
            ("GET", ["repos", _, _, "issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap();
                let items: Vec<Value> = if page {
                    s.comments.iter().filter(|(id, _)| s.comment_on.get(id) == Some(&n)).map(|(id, b)| {
                        let mut c = comment_shape.clone();
                        c["id"] = json!(id);
                        c["body"] = json!(b);
                        c
                    }).collect()
                } else {
                    vec![]
                };
                ok(json!(items))
            }
            ("POST", ["repos", _, _, "issues", n, "comments"]) => {
                s.created += 1;
                let id = 1000 + s.created;
                s.comment_on.insert(id, n.parse().unwrap());
                s.comments.push((id, body["body"].as_str().unwrap_or_default().to_string()));
                let mut c = comment_shape.clone();
                c["id"] = json!(id);
                c["body"] = body["body"].clone();
                (201, "application/json".into(), c.to_string())
            }
            ("PATCH", ["repos", _, _, "issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap();
                if let Some(c) = s.comments.iter_mut().find(|c| c.0 == id) {
                    c.1 = body["body"].as_str().unwrap_or_default().to_string();
                }
                let mut c = comment_shape.clone();
                c["id"] = json!(id);
                c["body"] = body["body"].clone();
                ok(c)
            }
            ("DELETE", ["repos", _, _, "issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap();
                s.comments.retain(|c| c.0 != id);
                (204, "application/json".into(), String::new())
            }
            ("POST", ["repos", _, _, "check-runs"]) => {
                s.checks.push(body.clone());
                let mut c = check_shape.clone();
                c["name"] = body["name"].clone();
                c["conclusion"] = body["conclusion"].clone();
                (201, "application/json".into(), c.to_string())
            }
            ("GET", ["repos", _, _, "commits", _, "check-runs"]) => ok(json!({"total_count": 0, "check_runs": []})),
            ("GET", ["repos", _, _, "commits", _, "status"]) => {
                let mut st = status_shape.clone();
                st["state"] = json!("success");
                st["statuses"] = json!([]);
                ok(st)
            }
            ("GET", ["repos", _, _, "commits", _, "pulls"]) => ok(json!([{"number": pr_number, "merged_at": "2026-11-27T10:00:00Z", "state": "closed"}])),
            ("GET", ["repos", _, _, "issues"]) => {
                let items: Vec<Value> = if page {
                    s.issues.iter().filter(|i| i.2 == "open").map(|(n, b, st)| {
                        let mut i = issue_shape.clone();
                        i["number"] = json!(n);
                        i["body"] = json!(b);
                        i["state"] = json!(st);
                        i
                    }).collect()
                } else {
                    vec![]
                };
                ok(json!(items))
            }
            ("POST", ["repos", _, _, "issues"]) => {
                let n = 500 + s.issues.len() as u64;
                s.issues.push((n, body["body"].as_str().unwrap_or_default().to_string(), "open".into()));
                let mut i = issue_shape.clone();
                i["number"] = json!(n);
                (201, "application/json".into(), i.to_string())
            }
            ("PATCH", ["repos", _, _, "issues", n]) => {
                let n: u64 = n.parse().unwrap();
                if let Some(i) = s.issues.iter_mut().find(|i| i.0 == n) {
                    if let Some(b) = body["body"].as_str() {
                        i.1 = b.to_string();
                    }
                    if let Some(st) = body["state"].as_str() {
                        i.2 = st.to_string();
                    }
                }
                ok(issue_shape.clone())
            }
            _ => (404, "application/json".into(), json!({"message": "Not Found"}).to_string()),
        }
    });
    FakeGitHub { stub, state }
}

struct Repo {
    dir: tempfile::TempDir,
}

fn repo(schema: &str, approvals: usize) -> Repo {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".terrateam")).unwrap();
    std::fs::create_dir_all(dir.path().join("db/app")).unwrap();
    std::fs::write(
        dir.path().join(".terrateam/config.yml"),
        format!("when_modified:\n  autoapply: true\napply_requirements:\n  checks:\n    - tag_query: \"\"\n      approved:\n        enabled: true\n        any_of_count: {approvals}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("db/app/atlas.hcl"), "env \"prod\" {\n  url = getenv(\"APP_DATABASE_URL\")\n  dev = getenv(\"APP_DEV_URL\")\n  src = \"file://schema.hcl\"\n}\n").unwrap();
    std::fs::write(dir.path().join("db/app/schema.hcl"), schema).unwrap();
    Repo { dir }
}

fn schema(schema_name: &str, extra: &str) -> String {
    format!("schema \"{schema_name}\" {{}}\ntable \"users\" {{\n  schema = schema.{schema_name}\n  column \"id\" {{\n    type = int\n  }}\n{extra}  primary_key {{\n    columns = [column.id]\n  }}\n}}\n")
}

struct Run {
    code: i32,
    stdout: String,
    summary: String,
    outputs: String,
}

fn event_file(shared: &Path, name: &str, f: impl Fn(&mut Value)) -> tempfile::NamedTempFile {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(shared.join("github/webhooks").join(name)).unwrap()).unwrap();
    f(&mut v);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), v.to_string()).unwrap();
    file
}

fn action(repo: &Repo, gh: &FakeGitHub, db: &TestDb, event_name: &str, event: &Path, extra_env: &[(&str, &str)]) -> Run {
    let summary = repo.dir.path().join("summary.md");
    let output = repo.dir.path().join("output.txt");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(&output);
    let mut c = Command::new(common::bin());
    c.arg("action")
        .current_dir(repo.dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", repo.dir.path())
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_REPOSITORY", "octo/schemas")
        .env("GITHUB_API_URL", &gh.stub.url)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_SHA", "6dcb09b5b57875f334f61aebed695e2e4193db5e")
        .env("INPUT_GITHUB-TOKEN", "ghs_sentinel_token_5f2a")
        .env("INPUT_MODE", "auto")
        .env("INPUT_ALLOW-DESTRUCTIVE-LABEL", "schema:allow-destructive")
        .env("APP_DATABASE_URL", &target_url(db))
        .env("APP_DEV_URL", db.dev_url().unwrap_or_default())
        .env("SCHEMAGATE_RETRY_MS", "10");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    let stdout = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let r = Run { code: o.status.code().unwrap_or(-1), stdout, summary: std::fs::read_to_string(&summary).unwrap_or_default(), outputs: std::fs::read_to_string(&output).unwrap_or_default() };
    // Every channel: the log, the step summary, the outputs, and what was sent to GitHub.
    let sent: Vec<String> = {
        let s = gh.state.lock().unwrap();
        s.comments.iter().map(|c| c.1.clone()).chain(s.checks.iter().map(|c| c.to_string())).chain(s.issues.iter().map(|i| i.1.clone())).collect()
    };
    for text in [&r.stdout, &r.summary, &r.outputs].into_iter().chain(sent.iter()) {
        let unmasked: String = text.lines().filter(|l| !l.starts_with("::add-mask::")).collect::<Vec<_>>().join("\n");
        assert!(!unmasked.contains("ghs_sentinel_token_5f2a"), "the GitHub token leaked:\n{unmasked}");
        assert!(!unmasked.contains(DB_SENTINEL), "the database password leaked:\n{unmasked}");
    }
    r
}

/// The target's password: PostgreSQL here trusts local connections, so a password in the URL
/// is accepted and ignored, and must never be shown anywhere.
const DB_SENTINEL: &str = "Sentinel-Target-Pw-77ad";

fn target_url(db: &TestDb) -> String {
    match db.dialect {
        Dialect::Postgres => db.url.replacen("postgres@", &format!("postgres:{DB_SENTINEL}@"), 1),
        _ => db.url.clone(),
    }
}

const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

fn pr_event(shared: &Path, action_name: &str, labels: &[&str]) -> tempfile::NamedTempFile {
    pr_event_n(shared, 7, action_name, labels)
}

fn pr_event_n(shared: &Path, number: u64, action_name: &str, labels: &[&str]) -> tempfile::NamedTempFile {
    let file = if action_name == "synchronize" { "pull_request.synchronize.json" } else { "pull_request.opened.json" };
    event_file(shared, file, |v| {
        v["action"] = json!(action_name);
        v["number"] = json!(number);
        v["pull_request"]["number"] = json!(number);
        v["pull_request"]["head"]["sha"] = json!(HEAD);
        v["pull_request"]["base"]["ref"] = json!("main");
        v["pull_request"]["draft"] = json!(false);
        v["pull_request"]["labels"] = json!(labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>());
    })
}

fn push_event(shared: &Path) -> tempfile::NamedTempFile {
    event_file(shared, "push.default-branch.json", |v| {
        v["ref"] = json!("refs/heads/main");
        v["after"] = json!("6dcb09b5b57875f334f61aebed695e2e4193db5e");
        v["repository"]["default_branch"] = json!("main");
    })
}

#[tokio::test]
async fn pr_plan_comment_checks_summary_then_updated_in_place() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    gh.state.lock().unwrap().files = vec!["db/app/schema.hcl".into()];
    let r = repo(&schema("public", ""), 1);
    let ev = pr_event(&shared, "opened", &[]);
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    {
        let s = gh.state.lock().unwrap();
        assert_eq!(s.comments.len(), 1, "one sticky comment");
        assert!(s.comments[0].1.contains("<!-- schemagate:plan -->") && s.comments[0].1.contains("CREATE TABLE"), "{}", s.comments[0].1);
        assert!(s.comments[0].1.contains("```mermaid\nerDiagram\n  users {\n    integer id PK \"added\""), "the diagram: {}", s.comments[0].1);
        assert_eq!(s.checks.len(), 1);
        assert_eq!(s.checks[0]["name"], "schemagate plan: db/app");
        assert_eq!(s.checks[0]["conclusion"], "success");
        assert_eq!(s.checks[0]["head_sha"], HEAD);
    }
    assert!(run.summary.contains("schemagate plan") && run.summary.contains("db/app"), "{}", run.summary);
    assert!(run.outputs.contains("has-changes<<") && run.outputs.contains("\ntrue\n"), "{}", run.outputs);
    assert!(run.outputs.contains("plan-hash<<"), "{}", run.outputs);

    // A second push: the same comment is updated, not a new one.
    std::fs::write(r.dir.path().join("db/app/schema.hcl"), schema("public", "  column \"name\" {\n    type = text\n    null = true\n  }\n")).unwrap();
    let ev = pr_event(&shared, "synchronize", &[]);
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let s = gh.state.lock().unwrap();
    assert_eq!(s.comments.len(), 1, "still one comment");
    assert!(s.comments[0].1.contains("\"name\""), "{}", s.comments[0].1);
    assert!(s.requests.iter().any(|(m, p)| m == "PATCH" && p.contains("/issues/comments/")), "updated with PATCH");
    assert_eq!(s.checks.len(), 2);
    drop(s);
    db.drop().await;
}

#[tokio::test]
async fn drop_column_fails_the_check_until_the_allow_label() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.users (id int PRIMARY KEY, legacy text)").await;
    let gh = fake_github(&shared, 7, HEAD);
    gh.state.lock().unwrap().files = vec!["db/app/schema.hcl".into()];
    let r = repo(&schema("public", ""), 1);
    let ev = pr_event(&shared, "opened", &[]);
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(run.stdout.contains("::error file=db/app/schema.hcl,line=2,title=DS103::"), "annotation on the schema file: {}", run.stdout);
    {
        let s = gh.state.lock().unwrap();
        assert_eq!(s.checks[0]["conclusion"], "failure");
        assert!(s.checks[0]["output"]["annotations"][0]["title"] == "DS103", "{}", s.checks[0]);
        assert!(s.comments[0].1.contains("DS103"));
        assert!(s.comments[0].1.contains("text legacy \"dropped\""), "{}", s.comments[0].1);
    }
    assert!(run.outputs.contains("denied<<SCHEMAGATE_EOF\ntrue"), "{}", run.outputs);
    let ev = pr_event(&shared, "labeled", &["schema:allow-destructive"]);
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let s = gh.state.lock().unwrap();
    assert_eq!(s.checks.last().unwrap()["conclusion"], "success");
    assert!(s.comments[0].1.contains("overridden"), "{}", s.comments[0].1);
    drop(s);
    db.drop().await;
}

async fn merge_applies(dialect: Dialect) {
    let shared = require_shared!();
    let db = TestDb::new(dialect).await;
    let sname = if dialect == Dialect::Mysql { db.name.clone() } else { "public".to_string() };
    let gh = fake_github(&shared, 7, HEAD);
    {
        let mut s = gh.state.lock().unwrap();
        s.files = vec!["db/app/schema.hcl".into()];
        s.reviews = vec![json!({"id": 1, "user": {"login": "alice"}, "state": "APPROVED"})];
    }
    let r = repo(&schema(&sname, ""), 1);
    let run = action(&r, &gh, &db, "pull_request", pr_event(&shared, "opened", &[]).path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = action(&r, &gh, &db, "push", push_event(&shared).path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(db.inspect().await.schemas.iter().any(|s| s.tables.iter().any(|t| t.name == "users")), "applied on the real database");
    assert!(!run.stdout.contains("could not record the directory lock") && !run.stdout.contains("locked: "), "applied and merged: the lock is taken and released: {}", run.stdout);
    let s = gh.state.lock().unwrap();
    assert!(s.comments[0].1.contains("**applied**"), "{}", s.comments[0].1);
    drop(s);
    db.drop().await;
}

#[tokio::test]
async fn merge_with_approval_applies_postgres() {
    merge_applies(Dialect::Postgres).await;
}

#[tokio::test]
async fn merge_with_approval_applies_mariadb() {
    merge_applies(Dialect::Mysql).await;
}

#[tokio::test]
async fn merge_without_approval_does_not_apply() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    {
        let mut s = gh.state.lock().unwrap();
        s.files = vec!["db/app/schema.hcl".into()];
        // A comment-only review and a dismissed approval count for nothing.
        s.reviews = vec![json!({"id": 1, "user": {"login": "bob"}, "state": "COMMENTED"}), json!({"id": 2, "user": {"login": "carol"}, "state": "APPROVED"}), json!({"id": 3, "user": {"login": "carol"}, "state": "CHANGES_REQUESTED"})];
    }
    let r = repo(&schema("public", ""), 1);
    action(&r, &gh, &db, "pull_request", pr_event(&shared, "opened", &[]).path(), &[]);
    let run = action(&r, &gh, &db, "push", push_event(&shared).path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(db.inspect().await.table("public", "users").is_none(), "nothing applied");
    let s = gh.state.lock().unwrap();
    assert!(s.comments[0].1.contains("not applied") && s.comments[0].1.contains("1 approval(s) required, 0 given"), "{}", s.comments[0].1);
    drop(s);
    db.drop().await;
}

#[tokio::test]
async fn target_changed_between_review_and_merge_is_refused() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    {
        let mut s = gh.state.lock().unwrap();
        s.files = vec!["db/app/schema.hcl".into()];
        s.reviews = vec![json!({"id": 1, "user": {"login": "alice"}, "state": "APPROVED"})];
    }
    let r = repo(&schema("public", ""), 1);
    action(&r, &gh, &db, "pull_request", pr_event(&shared, "opened", &[]).path(), &[]);
    db.exec("CREATE TABLE public.users (id int PRIMARY KEY, surprise text)").await;
    let run = action(&r, &gh, &db, "push", push_event(&shared).path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    let s = gh.state.lock().unwrap();
    assert!(s.comments[0].1.contains("target drifted or schema changed after review"), "{}", s.comments[0].1);
    drop(s);
    assert!(db.inspect().await.table("public", "users").unwrap().column("surprise").is_some(), "nothing applied");
    db.drop().await;
}

#[tokio::test]
async fn comment_command_plans_again() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    gh.state.lock().unwrap().files = vec!["db/app/schema.hcl".into()];
    let r = repo(&schema("public", ""), 1);
    action(&r, &gh, &db, "pull_request", pr_event(&shared, "opened", &[]).path(), &[]);
    std::fs::write(r.dir.path().join("db/app/schema.hcl"), schema("public", "  column \"email\" {\n    type = text\n    null = true\n  }\n")).unwrap();
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate plan").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let s = gh.state.lock().unwrap();
    assert_eq!(s.comments.len(), 1);
    assert!(s.comments[0].1.contains("\"email\""), "reposted with the new plan: {}", s.comments[0].1);
    drop(s);
    db.drop().await;
}

fn comment_event(shared: &Path, number: u64, body: &str) -> tempfile::NamedTempFile {
    event_file(shared, "derived/issue_comment.created.on-pull-request.DERIVED.json", |v| {
        v["action"] = json!("created");
        v["issue"]["number"] = json!(number);
        v["issue"]["pull_request"] = json!({"url": "x"});
        v["comment"]["body"] = json!(body);
    })
}

/// Terrateam's `lock_policy: strict`: #7 merges without being applied (no approval), so it owns
/// db/app; #8, approved, cannot apply there until `schemagate unlock` on #7; then it can, and
/// holds the lock itself until it is merged.
#[tokio::test]
async fn a_merged_unapplied_change_locks_its_directory_until_unlocked() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    gh.state.lock().unwrap().files = vec!["db/app/schema.hcl".into()];
    let r = repo(&schema("public", ""), 1);
    action(&r, &gh, &db, "pull_request", pr_event(&shared, "opened", &[]).path(), &[]);
    let run = action(&r, &gh, &db, "push", push_event(&shared).path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    let comment_of = |n: u64| {
        let s = gh.state.lock().unwrap();
        s.comments.iter().filter(|(id, _)| s.comment_on.get(id) == Some(&n)).map(|c| c.1.clone()).collect::<Vec<_>>()
    };
    assert!(comment_of(7)[0].contains("merged but not applied: locked by #7"), "{:?}", comment_of(7));

    gh.state.lock().unwrap().reviews = vec![json!({"id": 1, "user": {"login": "alice"}, "state": "APPROVED"})];
    let run = action(&r, &gh, &db, "pull_request", pr_event_n(&shared, 8, "opened", &[]).path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 8, "schemagate apply").path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(comment_of(8)[0].contains("**locked**: db/app is locked by pull request #7 (its change is merged but not applied)"), "{:?}", comment_of(8));
    assert!(db.inspect().await.table("public", "users").is_none(), "nothing applied while locked");

    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "terrateam unlock").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(comment_of(7)[0].contains("All directories of #7 are unlocked."), "{:?}", comment_of(7));
    assert_eq!(comment_of(7).len(), 1, "the reply goes into the sticky comment");

    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 8, "schemagate apply").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(db.inspect().await.table("public", "users").is_some(), "applied once unlocked");
    let Conn::Postgres(pool) = db.conn().await else { unreachable!() };
    let row: (String, i64, bool, bool) = sqlx::query_as("SELECT dir, pr, applied, merged FROM schemagate.schemagate_locks").fetch_one(&pool).await.unwrap();
    assert_eq!(row, ("db/app".to_string(), 8, true, false), "#8 applied before merge: it owns db/app until merged");
    db.drop().await;
}

/// A target with a column made by hand, and a manual run's event: what drift detection sees.
async fn drifted(shared: &Path) -> (TestDb, FakeGitHub, Repo, tempfile::NamedTempFile) {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE public.users (id int PRIMARY KEY, added_by_hand text)").await;
    let gh = fake_github(shared, 7, HEAD);
    let r = repo(&schema("public", ""), 1);
    let ev = event_file(shared, "workflow_dispatch.json", |_| {});
    (db, gh, r, ev)
}

#[tokio::test]
async fn drift_opens_one_issue_and_updates_it() {
    let shared = require_shared!();
    let (db, gh, r, ev) = drifted(&shared).await;
    for round in 0..2 {
        let run = action(&r, &gh, &db, "workflow_dispatch", ev.path(), &[("INPUT_MODE", "drift")]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(run.outputs.contains("has-changes<<SCHEMAGATE_EOF\ntrue"), "{}", run.outputs);
        let s = gh.state.lock().unwrap();
        assert_eq!(s.issues.len(), 1, "round {round}: one issue");
        assert!(s.issues[0].1.contains("added_by_hand"), "{}", s.issues[0].1);
    }
    let s = gh.state.lock().unwrap();
    assert!(s.requests.iter().any(|(m, p)| m == "PATCH" && p.contains("/issues/500")), "second run updates the issue");
    drop(s);
    db.drop().await;
}

#[test]
fn action_yml_matches_what_the_binary_reads_and_writes() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let y: Value = yaml_serde::from_str(&std::fs::read_to_string(manifest.join("action.yml")).unwrap()).unwrap();
    let inputs: std::collections::BTreeSet<String> = y["inputs"].as_object().unwrap().keys().cloned().collect();
    let outputs: std::collections::BTreeSet<String> = y["outputs"].as_object().unwrap().keys().cloned().collect();
    let read: std::collections::BTreeSet<String> = schemagate::cli::action::INPUTS.iter().map(|s| s.to_string()).collect();
    let written: std::collections::BTreeSet<String> = schemagate::cli::action::OUTPUTS.iter().map(|s| s.to_string()).collect();
    assert_eq!(inputs, read);
    assert_eq!(outputs, written);
    assert_eq!(y["runs"]["using"], "docker");
    // The released image, by the tag of this version (scripts/bump-version keeps them in step).
    assert_eq!(y["runs"]["image"], format!("docker://ghcr.io/schemagate/schemagate:v{}", env!("CARGO_PKG_VERSION")));
    // Every input the binary reads appears as INPUT_<NAME> in its source, hyphens kept.
    let src = std::fs::read_to_string(manifest.join("src/cli/action.rs")).unwrap();
    for i in &read {
        assert!(src.contains(&format!("input(\"{i}\")")), "input {i} is not read");
    }
    for o in &written {
        assert!(src.contains(&format!("\"{o}\"")), "output {o} is not written");
    }
}

/// A Terrateam setup's workflow_dispatch does not turn into drift detection: in auto mode, a
/// manual run opens no issue unless the config enables drift.
#[tokio::test]
async fn workflow_dispatch_is_no_drift_run_unless_configured() {
    let shared = require_shared!();
    let (db, gh, r, ev) = drifted(&shared).await;
    let run = action(&r, &gh, &db, "workflow_dispatch", ev.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("drift detection is off"), "{}", run.stdout);
    assert!(gh.state.lock().unwrap().issues.is_empty(), "no drift issue");
    db.drop().await;
}

/// A step written for atlas-action (`url`, `to`, `dev-url`, `vars` on the step, no Terrateam
/// config): the pull request gets its plan, and a failure is the `error` output.
#[tokio::test]
async fn atlas_action_inputs_plan_one_database() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    gh.state.lock().unwrap().files = vec!["db/schema.hcl".into()];
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db")).unwrap();
    std::fs::write(dir.path().join("db/schema.hcl"), "variable \"t\" {\n  type = string\n}\n".to_string() + &schema("public", "  comment = \"for ${var.t}\"\n")).unwrap();
    let r = Repo { dir };
    let ev = pr_event(&shared, "opened", &[]);
    let url = target_url(&db);
    let dev = db.dev_url().unwrap();
    let inputs = [("INPUT_URL", url.as_str()), ("INPUT_TO", "file://db/schema.hcl"), ("INPUT_DEV-URL", dev.as_str()), ("INPUT_VARS", "{\"t\": \"accounts\"}")];
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &inputs);
    assert_eq!(run.code, 0, "{}", run.stdout);
    {
        let s = gh.state.lock().unwrap();
        assert_eq!(s.comments.len(), 1, "{}", run.stdout);
        assert!(s.comments[0].1.contains("CREATE TABLE \"public\".\"users\"") && s.comments[0].1.contains("'for accounts'"), "the vars input reached the HCL: {}", s.comments[0].1);
    }
    assert!(run.outputs.contains("plan-hash<<") && !run.outputs.contains("error<<"), "{}", run.outputs);
    // An unreachable database: the run fails, and says why in the `error` output (redacted).
    let bad = format!("postgres://postgres:{DB_SENTINEL}@127.0.0.1:1/nowhere");
    let inputs = [("INPUT_URL", bad.as_str()), ("INPUT_TO", "file://db/schema.hcl"), ("INPUT_DEV-URL", dev.as_str()), ("INPUT_VARS", "{\"t\": \"accounts\"}")];
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &inputs);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.outputs.contains("error<<") && run.outputs.contains("127.0.0.1:1"), "{}", run.outputs);
    // A `vars` input that is not JSON is an error that says the expected form.
    let run = action(&r, &gh, &db, "pull_request", ev.path(), &[("INPUT_URL", url.as_str()), ("INPUT_VARS", "t=accounts")]);
    assert_ne!(run.code, 0);
    assert!(run.outputs.contains("error<<") && run.outputs.contains("JSON object"), "{}", run.outputs);
    db.drop().await;
}

/// A matrix of jobs, one per directory, on the same pull request at the same time: every
/// directory keeps its section and its reviewed hash (each job writes only its directory's
/// comment), and a second round updates each in place.
#[tokio::test]
async fn matrix_jobs_on_one_pull_request_never_lose_a_section() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let gh = fake_github(&shared, 7, HEAD);
    const N: usize = 4;
    let r = repo(&schema("public", ""), 1);
    std::fs::remove_dir_all(r.dir.path().join("db/app")).unwrap();
    let mut files = vec![];
    for k in 1..=N {
        let d = r.dir.path().join(format!("db/d{k}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("atlas.hcl"), "env \"prod\" {\n  url = getenv(\"APP_DATABASE_URL\")\n  dev = getenv(\"APP_DEV_URL\")\n  src = \"file://schema.hcl\"\n}\n").unwrap();
        std::fs::write(d.join("schema.hcl"), schema("public", "").replace("\"users\"", &format!("\"t{k}\""))).unwrap();
        files.push(format!("db/d{k}/schema.hcl"));
    }
    gh.state.lock().unwrap().files = files;
    let ev = pr_event(&shared, "opened", &[]);
    for round in 0..2 {
        let runs: Vec<Run> = std::thread::scope(|s| {
            let hs: Vec<_> = (1..=N).map(|k| {
                let (r, gh, db, ev) = (&r, &gh, &db, ev.path());
                s.spawn(move || action(r, gh, db, "pull_request", ev, &[("INPUT_DIR", &format!("db/d{k}"))]))
            }).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for run in &runs {
            assert_eq!(run.code, 0, "round {round}: {}", run.stdout);
        }
        let s = gh.state.lock().unwrap();
        assert_eq!(s.comments.len(), N, "round {round}: one comment per directory: {:?}", s.comments.iter().map(|c| &c.1[..80.min(c.1.len())]).collect::<Vec<_>>());
        for k in 1..=N {
            let dir = format!("db/d{k}");
            let c = s.comments.iter().find(|c| schemagate::github::comment::dir_of(&c.1).as_deref() == Some(dir.as_str())).unwrap_or_else(|| panic!("round {round}: no comment for {dir}"));
            assert!(c.1.contains(&format!("\"public\".\"t{k}\"")), "round {round}: {dir}'s plan: {}", c.1);
            assert!(schemagate::github::comment::hashes(&c.1).contains_key(&dir), "round {round}: {dir}'s reviewed hash");
        }
    }
    // Re-runs of one directory racing on a new pull request: whoever created a second comment
    // for it folds it back into the first.
    let ev9 = pr_event_n(&shared, 9, "opened", &[]);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..3).map(|_| {
            let (r, gh, db, ev) = (&r, &gh, &db, ev9.path());
            s.spawn(move || action(r, gh, db, "pull_request", ev, &[("INPUT_DIR", "db/d1")]))
        }).collect();
        for h in hs {
            assert_eq!(h.join().unwrap().code, 0);
        }
    });
    let s = gh.state.lock().unwrap();
    let on9 = s.comments.iter().filter(|(id, _)| s.comment_on.get(id) == Some(&9)).count();
    assert_eq!(on9, 1, "one comment for db/d1 on #9");
    drop(s);
    db.drop().await;
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Push the workspace's current files as the pull request's head (`refs/pull/7/head` on origin)
/// from a side branch, and put the workspace back on main (as an issue_comment run has it).
fn push_pr_head(ws: &Path, schema_text: &str) -> String {
    git(ws, &["checkout", "-q", "-B", "pr"]);
    std::fs::write(ws.join("db/app/schema.hcl"), schema_text).unwrap();
    git(ws, &["commit", "-qam", "pr change"]);
    let sha = git(ws, &["rev-parse", "HEAD"]);
    git(ws, &["push", "-q", "-f", "origin", "HEAD:refs/pull/7/head"]);
    git(ws, &["checkout", "-q", "main"]);
    sha
}

/// Comment commands arrive with the default branch checked out: `plan` and `apply` fetch the
/// pull request's head and work on it; the reviewed plan is pinned to its commit, so an apply
/// after the head moved is refused until the new head is planned.
#[tokio::test]
async fn comment_commands_work_on_the_pull_requests_head() {
    let shared = require_shared!();
    let db = TestDb::new(Dialect::Postgres).await;
    let r = repo(&schema("public", ""), 1);
    let ws = r.dir.path();
    let origin = tempfile::tempdir().unwrap();
    git(origin.path(), &["init", "-q", "--bare"]);
    git(ws, &["init", "-q", "-b", "main"]);
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-qm", "main"]);
    git(ws, &["remote", "add", "origin", &origin.path().display().to_string()]);
    git(ws, &["push", "-q", "origin", "main"]);
    let email = "  column \"email\" {\n    type = text\n    null = true\n  }\n";
    let first = push_pr_head(ws, &schema("public", email));
    let gh = fake_github(&shared, 7, &first);
    gh.state.lock().unwrap().files = vec!["db/app/schema.hcl".into()];
    gh.state.lock().unwrap().reviews = vec![json!({"id": 1, "user": {"login": "alice"}, "state": "APPROVED"})];
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate plan").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    {
        let s = gh.state.lock().unwrap();
        assert!(s.comments[0].1.contains("\"email\""), "the head's schema was planned, not main's: {}", s.comments[0].1);
        assert_eq!(schemagate::github::comment::reviewed_sha(&s.comments[0].1).as_deref(), Some(first.as_str()));
    }
    assert_eq!(git(ws, &["rev-parse", "--abbrev-ref", "HEAD"]), "main", "the workspace stays on main");
    // The head moves after the API answered: the fetch sees it and the command is refused.
    let second = push_pr_head(ws, &schema("public", &format!("{email}  column \"phone\" {{\n    type = text\n    null = true\n  }}\n")));
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate apply").path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(run.stdout.contains("moved while this command ran"), "{}", run.stdout);
    // GitHub now reports the new head: the plan reviewed was of the old one, so no apply.
    gh.state.lock().unwrap().head = second.clone();
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate apply").path(), &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(gh.state.lock().unwrap().comments[0].1.contains("the reviewed plan is of commit"), "{}", gh.state.lock().unwrap().comments[0].1);
    assert!(db.inspect().await.table("public", "users").is_none(), "nothing applied");
    // Planned again at the new head, then applied: the head's schema.
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate plan").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = action(&r, &gh, &db, "issue_comment", comment_event(&shared, 7, "schemagate apply").path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let users = db.inspect().await.table("public", "users").cloned().expect("applied");
    assert!(users.column("email").is_some() && users.column("phone").is_some());
    db.drop().await;
}
