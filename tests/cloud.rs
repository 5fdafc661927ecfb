//! Credentials by OIDC, end to end: a loopback GitHub OIDC endpoint → moto's STS
//! (AssumeRoleWithWebIdentity, an unsigned form POST) → credentials → moto's Secrets Manager
//! (SigV4-signed GetSecretValue) → the database URL in atlas.hcl (`data "runtimevar"`) → a real
//! connection to the local PostgreSQL, through `schemagate run plan`. Error paths use a loopback
//! STS. Google (workload identity federation → service-account token → `data
//! "gcp_cloudsql_token"`) runs against a loopback stub of its STS and IAM Credentials APIs. No
//! secret may appear in any output.

mod common;

use common::{run, Stub, TestDb};
use schemagate::schema::Dialect;
use std::process::{Child, Command, Stdio};

const SENTINEL_PASSWORD: &str = "Sentinel-DB-Pa55word-7f3a";
const SENTINEL_REQUEST_TOKEN: &str = "sentinel-request-token-91c2";
const SENTINEL_JWT: &str = "eyJhbGciOiJSUzI1NiJ9.sentinel-jwt-payload-4d1e.c2ln";
const SENTINEL_FEDERATED: &str = "sentinel-federated-token-0b7d";
const SENTINEL_GCP_TOKEN: &str = "ya29.sentinel-gcp-access-token-e58a";
const GCP_PROVIDER: &str = "projects/123456789/locations/global/workloadIdentityPools/github/providers/schemas";
const GCP_SA: &str = "schemagate@acme-prod.iam.gserviceaccount.com";

fn moto_server() -> Option<String> {
    let candidates = [
        std::env::var("MOTO_SERVER").ok(),
        Some(format!("{}/.ci/.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR"))),
        Some("moto_server".to_string()),
    ];
    candidates.into_iter().flatten().find(|c| Command::new(c).arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok())
}

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn start_moto() -> Option<Moto> {
    let Some(bin) = moto_server() else {
        assert!(std::env::var("CI").is_err(), "moto_server is missing in CI (.ci/run installs moto[server])");
        eprintln!("SKIPPED: moto_server not installed (pip install 'moto[server]')");
        return None;
    };
    let port = common::free_port();
    let child = Command::new(bin).args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Moto { child, url });
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("moto_server did not start on {url}");
}

fn oidc_stub() -> Stub {
    Stub::start(|_, path, _| {
        if path.contains("audience=sts.amazonaws.com") {
            (200, "application/json".into(), format!("{{\"count\":1,\"value\":\"{SENTINEL_JWT}\"}}"))
        } else {
            (400, "text/plain".into(), "bad audience".into())
        }
    })
}

fn repo(dev: &str, secret_name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".terrateam")).unwrap();
    std::fs::create_dir_all(dir.path().join("db/app")).unwrap();
    std::fs::write(
        dir.path().join(".terrateam/config.yml"),
        "hooks:\n  all:\n    pre:\n      - type: oidc\n        provider: aws\n        role_arn: arn:aws:iam::123456789012:role/schemagate\n        region: us-east-1\n        session_name: schemagate-test\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("db/app/atlas.hcl"),
        format!(
            "data \"runtimevar\" \"db\" {{\n  url = \"awssecretsmanager://{secret_name}?region=us-east-1\"\n}}\nlocals {{\n  db = jsondecode(data.runtimevar.db)\n}}\nenv \"prod\" {{\n  url = \"postgres://${{local.db.username}}:${{urlescape(local.db.password)}}@${{local.db.host}}:${{local.db.port}}/${{local.db.dbname}}\"\n  dev = \"{dev}\"\n  src = \"file://schema.hcl\"\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("db/app/schema.hcl"), "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n}\n").unwrap();
    dir
}

fn no_secrets(text: &str) {
    for s in [SENTINEL_PASSWORD, SENTINEL_REQUEST_TOKEN, SENTINEL_JWT, "sentinel-jwt-payload", SENTINEL_FEDERATED, SENTINEL_GCP_TOKEN, "sentinel-gcp-access-token"] {
        assert!(!text.contains(s), "a secret leaked into the output ({s}):\n{text}");
    }
}

#[tokio::test]
async fn oidc_to_sts_to_secrets_manager_to_postgres() {
    let Some(moto) = start_moto() else { return };
    let db = TestDb::new(Dialect::Postgres).await;
    // The RDS-style secret, stored through our own SigV4 client (moto routes signed requests).
    let creds = schemagate::cloud::sigv4::Credentials { access_key_id: "testing".into(), secret_access_key: "testing".into(), session_token: None };
    std::env::set_var("AWS_ENDPOINT_URL", &moto.url);
    let secret = serde_json::json!({"username": "postgres", "password": SENTINEL_PASSWORD, "host": "127.0.0.1", "port": 5432, "dbname": db.name, "engine": "postgres"});
    let name = format!("prod/app-db-{}", db.name);
    schemagate::cloud::secrets::call("us-east-1", &creds, "CreateSecret", &serde_json::json!({"Name": name, "SecretString": secret.to_string()})).unwrap();

    let oidc = oidc_stub();
    let dir = repo(&common::pg_admin(), &name);
    let out = Command::new(common::bin())
        .args(["run", "plan", "--root"])
        .arg(dir.path())
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", format!("{}/token?api-version=2.0", oidc.url))
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", SENTINEL_REQUEST_TOKEN)
        .env("GITHUB_ACTIONS", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The plan ran against the database named in the secret: the connection was real.
    assert!(stdout.contains("CREATE TABLE \"public\".\"t\""), "{stdout}");
    assert!(stdout.contains("db/app: ok, changes"), "{stdout}");
    // Secrets are registered with the runner before use…
    assert!(stdout.contains("::add-mask::"), "{stdout}");
    // …and never printed otherwise.
    let unmasked: String = stdout.lines().filter(|l| !l.starts_with("::add-mask::")).collect::<Vec<_>>().join("\n");
    no_secrets(&unmasked);
    no_secrets(&stderr);
    // The OIDC request used the bearer token and the STS audience.
    let reqs = oidc.requests.lock().unwrap();
    assert!(reqs.iter().any(|(_, path, headers, _)| path.contains("audience=sts.amazonaws.com") && headers.iter().any(|(k, v)| k == "authorization" && v == &format!("bearer {SENTINEL_REQUEST_TOKEN}"))));
    db.drop().await;
}

fn sts_stub(status: u16, code: &'static str) -> Stub {
    Stub::start(move |_, _, body| {
        assert!(body.contains("Action=AssumeRoleWithWebIdentity") && body.contains("Version=2011-06-15"), "{body}");
        (status, "text/xml".into(), format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>x</RequestId></ErrorResponse>"))
    })
}

fn run_with(dir: &std::path::Path, envs: &[(&str, String)]) -> (i32, String, String) {
    let mut c = Command::new(common::bin());
    c.args(["run", "plan", "--root"]).arg(dir).env_remove("ACTIONS_ID_TOKEN_REQUEST_URL").env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN").env_remove("AWS_ENDPOINT_URL").env("SCHEMAGATE_RETRY_MS", "10");
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn sts_errors_are_explained() {
    let oidc = oidc_stub();
    let dir = repo("postgres://postgres@127.0.0.1/postgres", "x");
    for (status, code, hint) in [(400, "InvalidIdentityToken", "IAM OIDC provider"), (403, "AccessDenied", "token.actions.githubusercontent.com:sub")] {
        let sts = sts_stub(status, code);
        let (exit, out, err) = run_with(dir.path(), &[("ACTIONS_ID_TOKEN_REQUEST_URL", format!("{}/token?x=1", oidc.url)), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", SENTINEL_REQUEST_TOKEN.into()), ("AWS_ENDPOINT_URL_STS", sts.url.clone())]);
        assert_eq!(exit, 1, "{out}{err}");
        assert!(out.contains(code) && out.contains(hint) && out.contains("arn:aws:iam::123456789012:role/schemagate"), "{code}: {out}");
        no_secrets(&out);
        no_secrets(&err);
    }
}

#[test]
fn missing_oidc_variables_say_what_to_add() {
    let dir = repo("postgres://postgres@127.0.0.1/postgres", "x");
    let (exit, out, err) = run_with(dir.path(), &[]);
    assert_eq!(exit, 1);
    assert!(out.contains("permissions: id-token: write"), "{out}{err}");
}

#[test]
fn rds_auth_token_vector() {
    let creds = schemagate::cloud::sigv4::Credentials { access_key_id: "akid".into(), secret_access_key: "secret".into(), session_token: None };
    let t = schemagate::cloud::sigv4::rds_auth_token("prod-instance.us-east-1.rds.amazonaws.com", 3306, "peccy", "us-east-1", &creds, 1_724_709_600);
    assert!(t.ends_with("X-Amz-Signature=dd0cba843009474347af724090233265628ace491ea17ce3eb3da098b983ad89"), "{t}");
}

#[test]
fn config_targets_do_not_need_credentials() {
    let dir = repo("postgres://postgres@127.0.0.1/postgres", "x");
    let (code, out, err) = run(&["config", "targets", "--root", &dir.path().display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("db/app") && out.contains("prod"), "{out}");
}

/// GitHub's OIDC endpoint, Google STS and IAM Credentials on one loopback server. `fail`:
/// "sts" answers the exchange with invalid_grant, "iam" the impersonation with PERMISSION_DENIED.
fn gcp_stub(fail: &'static str) -> Stub {
    Stub::start(move |method, path, body| {
        let json = |status: u16, v: serde_json::Value| (status, "application/json".to_string(), v.to_string());
        let b: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if method == "GET" && path.starts_with("/oidc") {
            let want = format!("audience={}", schemagate::cloud::sigv4::uri_encode(&format!("https://iam.googleapis.com/{GCP_PROVIDER}"), false));
            return if path.contains(&want) { json(200, serde_json::json!({"count": 1, "value": SENTINEL_JWT})) } else { (400, "text/plain".into(), format!("bad audience in {path}")) };
        }
        if method == "POST" && path == "/v1/token" {
            assert_eq!(b["subjectToken"], SENTINEL_JWT);
            assert_eq!(b["audience"], format!("//iam.googleapis.com/{GCP_PROVIDER}"));
            assert_eq!(b["grantType"], "urn:ietf:params:oauth:grant-type:token-exchange");
            if fail == "sts" {
                return json(400, serde_json::json!({"error": "invalid_grant", "error_description": "The given credential is rejected by the attribute condition."}));
            }
            return json(200, serde_json::json!({"access_token": SENTINEL_FEDERATED, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 3599}));
        }
        if method == "POST" && path.ends_with(":generateAccessToken") {
            assert!(path.contains("schemagate%40acme-prod.iam.gserviceaccount.com"), "{path}");
            assert_eq!(b["lifetime"], "1200s");
            if fail == "iam" {
                return json(403, serde_json::json!({"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", "status": "PERMISSION_DENIED"}}));
            }
            return json(200, serde_json::json!({"accessToken": SENTINEL_GCP_TOKEN, "expireTime": "2026-11-27T23:00:00Z"}));
        }
        (404, "text/plain".into(), format!("no route {method} {path}"))
    })
}

fn gcp_repo(db_name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".terrateam")).unwrap();
    std::fs::create_dir_all(dir.path().join("db/app")).unwrap();
    std::fs::write(
        dir.path().join(".terrateam/config.yml"),
        format!(
            "hooks:\n  plan:\n    pre:\n      - type: oidc\n        provider: gcp\n        workload_identity_provider: {GCP_PROVIDER}\n        service_account: {GCP_SA}\n        project_id: acme-prod\n        access_token_lifetime: 1200\n      \
             - type: run\n        cmd: [\"sh\", \"-c\", \"test \\\"$(cat $GOOGLE_OAUTH_ACCESS_TOKEN_FILE)\\\" = \\\"$GOOGLE_OAUTH_ACCESS_TOKEN\\\" && echo token file ok, project $GOOGLE_CLOUD_PROJECT\"]\n"
        ),
    )
    .unwrap();
    // Cloud SQL IAM: the access token is the password (the local server trusts any).
    std::fs::write(
        dir.path().join("db/app/atlas.hcl"),
        format!("data \"gcp_cloudsql_token\" \"db\" {{}}\nenv \"prod\" {{\n  url = \"postgres://postgres:${{urlescape(data.gcp_cloudsql_token.db)}}@127.0.0.1:5432/{db_name}\"\n  dev = \"{}\"\n  src = \"file://schema.hcl\"\n}}\n", common::pg_admin()),
    )
    .unwrap();
    std::fs::write(dir.path().join("db/app/schema.hcl"), "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n}\n").unwrap();
    dir
}

fn gcp_env(stub: &Stub) -> Vec<(&'static str, String)> {
    vec![
        ("ACTIONS_ID_TOKEN_REQUEST_URL", format!("{}/oidc?api-version=2.0", stub.url)),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", SENTINEL_REQUEST_TOKEN.into()),
        ("SCHEMAGATE_GCP_STS_ENDPOINT", stub.url.clone()),
        ("SCHEMAGATE_GCP_IAMCREDENTIALS_ENDPOINT", stub.url.clone()),
        ("GITHUB_ACTIONS", "true".into()),
    ]
}

#[tokio::test]
async fn gcp_workload_identity_to_cloud_sql_token_to_postgres() {
    let db = TestDb::new(Dialect::Postgres).await;
    let stub = gcp_stub("");
    let dir = gcp_repo(&db.name);
    let (code, out, err) = run_with(dir.path(), &gcp_env(&stub));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("token file ok, project acme-prod"), "the hook's exports reach later steps: {out}");
    assert!(out.contains("CREATE TABLE \"public\".\"t\"") && out.contains("db/app: ok, changes"), "planned against the real database: {out}");
    assert!(out.contains(&format!("::add-mask::{SENTINEL_GCP_TOKEN}")), "the token is masked before use: {out}");
    let unmasked: String = out.lines().filter(|l| !l.starts_with("::add-mask::")).collect::<Vec<_>>().join("\n");
    no_secrets(&unmasked);
    no_secrets(&err);
    let reqs = stub.requests.lock().unwrap();
    let iam = reqs.iter().find(|r| r.1.ends_with(":generateAccessToken")).expect("impersonation request");
    assert!(iam.2.iter().any(|(k, v)| k == "authorization" && v == &format!("Bearer {SENTINEL_FEDERATED}")), "the federated token authorizes the impersonation");
    drop(reqs);
    db.drop().await;
}

#[test]
fn gcp_errors_are_explained() {
    let dir = gcp_repo("postgres");
    for (fail, want) in [("sts", "invalid_grant"), ("iam", "PERMISSION_DENIED")] {
        let stub = gcp_stub(fail);
        let (code, out, err) = run_with(dir.path(), &gcp_env(&stub));
        assert_eq!(code, 1, "{out}{err}");
        let hint = if fail == "sts" { "attribute condition" } else { "roles/iam.workloadIdentityUser" };
        assert!(out.contains(want) && out.contains(hint), "{fail}: {out}");
        let unmasked: String = out.lines().filter(|l| !l.starts_with("::add-mask::")).collect::<Vec<_>>().join("\n");
        no_secrets(&unmasked);
        no_secrets(&err);
    }
}

/// The chained role (`assume_role_arn`): the web-identity credentials sign an AssumeRole
/// (SigV4) that moto routes and answers with a second, different set.
#[test]
fn chained_assume_role_against_moto() {
    let Some(moto) = start_moto() else { return };
    let env = std::collections::HashMap::from([("AWS_ENDPOINT_URL".to_string(), moto.url.clone())]);
    schemagate::runenv::with(&env, || {
        use schemagate::cloud::sts;
        let first = sts::assume_role_with_web_identity("us-east-1", "arn:aws:iam::123456789012:role/ci", "schemagate", SENTINEL_JWT, 3600).unwrap();
        let second = sts::assume_role("us-east-1", &first, "arn:aws:iam::210987654321:role/deploy", "schemagate", 3600).unwrap();
        assert!(!second.access_key_id.is_empty() && second.session_token.is_some());
        assert_ne!(first.access_key_id, second.access_key_id, "the chained role's own credentials");
    });
}
