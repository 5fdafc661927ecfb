//! The hand-written SigV4 signer checked against AWS's own implementation: botocore (installed
//! with moto) signs the same requests with the same credentials at the same instant, and the
//! signatures must agree byte for byte. moto does not verify signatures, so the STS and Secrets
//! Manager round trips in tests/cloud.rs prove nothing about them; this does. Cases: POST with a
//! form body (STS), a JSON body with an extra header (Secrets Manager), with and without a
//! session token, a body with non-ASCII bytes, and presigned RDS IAM tokens (query auth).

use schemagate::cloud::sigv4::{self, Credentials};
use std::io::Write;
use std::process::{Command, Stdio};

/// A Python that can import botocore: the venv beside $MOTO_SERVER (as .ci/run sets up), else
/// python3 on PATH.
fn python() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(m) = std::env::var("MOTO_SERVER") {
        candidates.push(std::path::Path::new(&m).with_file_name("python").display().to_string());
    }
    candidates.push("python3".into());
    candidates.into_iter().find(|p| Command::new(p).args(["-c", "import botocore"]).output().is_ok_and(|o| o.status.success()))
}

const ORACLE: &str = r#"
import json, sys, datetime
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
case = json.load(sys.stdin)
now = datetime.datetime.fromtimestamp(case["unix"], datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *a, **k: now
creds = Credentials(case["akid"], case["secret"], case.get("token"))
if case["kind"] == "post":
    req = AWSRequest(method="POST", url="https://" + case["host"] + "/", data=bytes(case["body"]), headers=case["headers"])
    SigV4Auth(creds, case["service"], case["region"]).add_auth(req)
    print(req.headers["Authorization"])
else:
    req = AWSRequest(method="GET", url="https://" + case["host"] + "/", params=case["params"])
    SigV4QueryAuth(creds, case["service"], case["region"], expires=case["expires"]).add_auth(req)
    print(req.url.split("X-Amz-Signature=")[1].split("&")[0])
"#;

fn oracle(py: &str, case: serde_json::Value) -> String {
    let mut child = Command::new(py).args(["-c", ORACLE]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(case.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn signatures_agree_with_botocore() {
    let Some(py) = python() else {
        eprintln!("skipped: no Python with botocore (run .ci/run, which installs moto and botocore into .ci/.venv)");
        return;
    };
    let unix = 1_440_938_160; // 2015-08-30T12:36:00Z, the instant of AWS's SigV4 test suite
    let creds = [
        Credentials { access_key_id: "AKIDEXAMPLE".into(), secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(), session_token: None },
        Credentials { access_key_id: "ASIAEXAMPLE".into(), secret_access_key: "s3cr3t/+=".into(), session_token: Some("FwoGZXIvYXdzE//token+with/slashes==".into()) },
    ];
    let bodies: [(&str, &str, Vec<(&str, &str)>, &str, &str, Vec<u8>); 3] = [
        ("sts.us-east-1.amazonaws.com", "application/x-www-form-urlencoded; charset=utf-8", vec![], "sts", "us-east-1", b"Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy&Version=2011-06-15".to_vec()),
        ("secretsmanager.eu-west-1.amazonaws.com", "application/x-amz-json-1.1", vec![("X-Amz-Target", "secretsmanager.GetSecretValue")], "secretsmanager", "eu-west-1", br#"{"SecretId":"prod/app-db"}"#.to_vec()),
        ("example.amazonaws.com", "text/plain", vec![], "service", "us-east-1", "ünïcødé body\n\twith tabs".as_bytes().to_vec()),
    ];
    let mut checked = 0;
    for c in &creds {
        for (host, ct, extra, service, region, body) in &bodies {
            let ours = sigv4::sign_post(host, ct, extra, body, service, region, c, unix);
            let auth = ours.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
            let mut headers = serde_json::Map::new();
            for (k, v) in &ours {
                if k != "authorization" && k != "x-amz-date" && k != "x-amz-security-token" {
                    headers.insert(k.clone(), serde_json::Value::String(v.clone()));
                }
            }
            let theirs = oracle(&py, serde_json::json!({"kind": "post", "unix": unix, "akid": c.access_key_id, "secret": c.secret_access_key, "token": c.session_token, "host": host, "service": service, "region": region, "headers": headers, "body": body}));
            assert_eq!(auth, theirs, "{host} {service}");
            checked += 1;
        }
        for (host, port, user, region) in [("prod-instance.us-east-1.rds.amazonaws.com", 3306, "peccy", "us-east-1"), ("db.cluster-x.eu-central-1.rds.amazonaws.com", 5432, "app user+1", "eu-central-1")] {
            let token = sigv4::rds_auth_token(host, port, user, region, c, unix);
            let ours = token.split("X-Amz-Signature=").nth(1).unwrap().to_string();
            let theirs = oracle(&py, serde_json::json!({"kind": "presign", "unix": unix, "akid": c.access_key_id, "secret": c.secret_access_key, "token": c.session_token, "host": format!("{host}:{port}"), "service": "rds-db", "region": region, "expires": 900, "params": {"Action": "connect", "DBUser": user}}));
            assert_eq!(ours, theirs, "{host} {user}");
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
}
