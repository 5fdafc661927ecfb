//! AWS STS: AssumeRoleWithWebIdentity (an unsigned form POST) and, for chained roles, AssumeRole
//! (SigV4-signed). Responses are XML (quick-xml); `ErrorResponse` becomes an error a person can
//! act on.

use super::http;
use super::sigv4::{self, Credentials};
use anyhow::{anyhow, Result};

/// The STS endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else the regional endpoint.
pub fn endpoint(region: &str) -> String {
    crate::runenv::non_empty("AWS_ENDPOINT_URL_STS")
        .or_else(|| crate::runenv::non_empty("AWS_ENDPOINT_URL"))
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"))
}

fn form(params: &[(&str, &str)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", sigv4::uri_encode(k, false), sigv4::uri_encode(v, false))).collect::<Vec<_>>().join("&")
}

/// Text of the first element named `name`.
pub fn xml_text(xml: &str, name: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => inside = e.local_name().as_ref() == name.as_bytes(),
            Ok(Event::Text(t)) if inside => return t.decode().ok().map(|s| quick_xml::escape::unescape(&s).map(|u| u.into_owned()).unwrap_or_else(|_| s.into_owned())),
            Ok(Event::End(_)) => inside = false,
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

fn credentials(xml: &str) -> Result<Credentials> {
    let get = |n: &str| xml_text(xml, n).ok_or_else(|| anyhow!("the STS response has no {n}"));
    let c = Credentials { access_key_id: get("AccessKeyId")?, secret_access_key: get("SecretAccessKey")?, session_token: Some(get("SessionToken")?) };
    super::mask(&c.access_key_id);
    super::mask(&c.secret_access_key);
    if let Some(t) = &c.session_token {
        super::mask(t);
    }
    Ok(c)
}

/// An STS error response as one paragraph with what to do about it.
fn error(action: &str, role_arn: &str, status: u16, body: &str) -> anyhow::Error {
    let code = xml_text(body, "Code").unwrap_or_else(|| format!("HTTP {status}"));
    let msg = xml_text(body, "Message").unwrap_or_default();
    let hint = match code.as_str() {
        "InvalidIdentityToken" => "the OIDC token was rejected: check that the IAM OIDC provider for https://token.actions.githubusercontent.com exists and that the audience matches (`audience`, default sts.amazonaws.com)",
        "AccessDenied" | "AccessDeniedException" => "the role's trust policy does not allow this workflow: check its `token.actions.githubusercontent.com:sub` condition (e.g. repo:ORG/REPO:ref:refs/heads/main, or :pull_request, or :environment:NAME) and `:aud`",
        "ExpiredTokenException" | "ExpiredToken" => "the OIDC token expired before it was used; re-run the job",
        "ValidationError" => "a parameter was rejected: check role_arn, session_name (2–64 characters) and duration (900–43200, at most the role's maximum session duration)",
        _ => "see the AWS message above",
    };
    anyhow!("STS {action} for {role_arn} failed: {code}: {msg}\n  hint: {hint}")
}

pub fn assume_role_with_web_identity(region: &str, role_arn: &str, session: &str, token: &str, duration: u64) -> Result<Credentials> {
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", session),
        ("WebIdentityToken", token),
        ("DurationSeconds", &duration.to_string()),
    ]);
    let url = format!("{}/", endpoint(region));
    let agent = http::agent();
    let r = http::send(|| agent.post(&url).set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), Some(&body), 3)
        .map_err(|e| anyhow!("STS AssumeRoleWithWebIdentity at {url} failed after retries: {e}"))?;
    if r.status != 200 {
        return Err(error("AssumeRoleWithWebIdentity", role_arn, r.status, &r.body));
    }
    credentials(&r.body)
}

/// Chained AssumeRole with the credentials of the first role (SigV4-signed).
pub fn assume_role(region: &str, creds: &Credentials, role_arn: &str, session: &str, duration: u64) -> Result<Credentials> {
    let body = form(&[("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", role_arn), ("RoleSessionName", session), ("DurationSeconds", &duration.to_string())]);
    let url = format!("{}/", endpoint(region));
    let host = url.split("://").nth(1).unwrap_or("").trim_end_matches('/').to_string();
    let headers = sigv4::sign_post(&host, "application/x-www-form-urlencoded; charset=utf-8", &[], body.as_bytes(), "sts", region, creds, sigv4::now());
    let r = http::signed_post(&url, &headers, &body, 3).map_err(|e| anyhow!("STS AssumeRole at {url} failed after retries: {e}"))?;
    if r.status != 200 {
        return Err(error("AssumeRole", role_arn, r.status, &r.body));
    }
    credentials(&r.body)
}
