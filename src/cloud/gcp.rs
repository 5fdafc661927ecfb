//! Google Cloud workload identity federation, as Terrateam's `oidc` hook with `provider: gcp`
//! does it: the GitHub OIDC token is exchanged at Google's STS for a federated token
//! (RFC 8693 token exchange), which impersonates the service account through IAM Credentials'
//! `generateAccessToken`. The resulting OAuth access token is what Cloud SQL's IAM database
//! authentication takes as the password (atlas.hcl `data "gcp_cloudsql_token"`).
//!
//! Endpoints can be pointed elsewhere (a private endpoint, or a test's loopback server) with
//! `SCHEMAGATE_GCP_STS_ENDPOINT` and `SCHEMAGATE_GCP_IAMCREDENTIALS_ENDPOINT`.

use super::http;
use anyhow::{anyhow, Result};
use serde_json::{json, Value as Json};

pub struct Options<'a> {
    /// `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`
    pub workload_identity_provider: &'a str,
    pub service_account: &'a str,
    pub audience: Option<&'a str>,
    pub lifetime_secs: u64,
    pub scopes: Vec<String>,
}

pub const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";

fn sts_endpoint() -> String {
    crate::runenv::non_empty("SCHEMAGATE_GCP_STS_ENDPOINT").unwrap_or_else(|| "https://sts.googleapis.com".into()).trim_end_matches('/').to_string()
}

fn iam_endpoint() -> String {
    crate::runenv::non_empty("SCHEMAGATE_GCP_IAMCREDENTIALS_ENDPOINT").unwrap_or_else(|| "https://iamcredentials.googleapis.com".into()).trim_end_matches('/').to_string()
}

/// The audience GitHub's token must carry: Google's default is the provider's full resource
/// name under `https://iam.googleapis.com/`.
pub fn default_audience(provider: &str) -> String {
    format!("https://iam.googleapis.com/{}", provider.trim_start_matches('/'))
}

/// GitHub OIDC token (already fetched) → service-account access token.
pub fn access_token(o: &Options, github_jwt: &str) -> Result<String> {
    let provider = o.workload_identity_provider.trim_start_matches('/');
    if !provider.starts_with("projects/") || !provider.contains("/workloadIdentityPools/") || !provider.contains("/providers/") {
        return Err(anyhow!(
            "workload_identity_provider `{}` is not a provider resource name.\n  hint: it looks like projects/123456789/locations/global/workloadIdentityPools/POOL/providers/PROVIDER (the project *number*)",
            o.workload_identity_provider
        ));
    }
    let federated = exchange(provider, github_jwt)?;
    impersonate(o, &federated)
}

fn post_json(url: &str, bearer: Option<&str>, body: &Json) -> Result<(u16, Json)> {
    let agent = http::agent();
    let text = body.to_string();
    let r = http::send(
        || {
            let q = agent.post(url).set("Content-Type", "application/json");
            match bearer {
                Some(t) => q.set("Authorization", &format!("Bearer {t}")),
                None => q,
            }
        },
        Some(&text),
        3,
    )
    .map_err(|e| anyhow!("POST {url} failed after retries: {e}"))?;
    let v = serde_json::from_str(&r.body).unwrap_or_else(|_| json!({ "error": { "message": r.body.chars().take(300).collect::<String>() } }));
    Ok((r.status, v))
}

/// Google STS: the GitHub JWT for a federated access token.
fn exchange(provider: &str, jwt: &str) -> Result<String> {
    let url = format!("{}/v1/token", sts_endpoint());
    let body = json!({
        "audience": format!("//iam.googleapis.com/{provider}"),
        "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
        "requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
        "scope": CLOUD_PLATFORM,
        "subjectTokenType": "urn:ietf:params:oauth:token-type:jwt",
        "subjectToken": jwt,
    });
    let (status, v) = post_json(&url, None, &body)?;
    if status != 200 {
        // OAuth errors: {"error": "invalid_grant", "error_description": "..."}
        let code = v["error"].as_str().unwrap_or("error");
        let desc = v["error_description"].as_str().or(v["error"]["message"].as_str()).unwrap_or("");
        let hint = match code {
            "invalid_grant" => "Google rejected the GitHub token: check the provider's attribute condition (e.g. assertion.repository == 'ORG/REPO') and that its issuer is https://token.actions.githubusercontent.com",
            "invalid_target" => "the workload identity pool or provider does not exist or is disabled: check workload_identity_provider",
            "invalid_request" => "check `audience` (default https://iam.googleapis.com/<workload_identity_provider>) against the provider's allowed audiences",
            _ => "see Google's message above",
        };
        return Err(anyhow!("GCP STS token exchange for {provider} failed: HTTP {status} {code}: {desc}\n  hint: {hint}"));
    }
    let t = v["access_token"].as_str().ok_or_else(|| anyhow!("the GCP STS response has no access_token"))?.to_string();
    super::mask(&t);
    Ok(t)
}

/// IAM Credentials generateAccessToken: impersonate the service account.
fn impersonate(o: &Options, federated: &str) -> Result<String> {
    let sa = o.service_account;
    let url = format!("{}/v1/projects/-/serviceAccounts/{}:generateAccessToken", iam_endpoint(), super::sigv4::uri_encode(sa, false));
    let scopes = if o.scopes.is_empty() { vec![CLOUD_PLATFORM.to_string()] } else { o.scopes.clone() };
    let body = json!({ "lifetime": format!("{}s", o.lifetime_secs), "delegates": [], "scope": scopes });
    let (status, v) = post_json(&url, Some(federated), &body)?;
    if status != 200 {
        // Google API errors: {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}
        let st = v["error"]["status"].as_str().unwrap_or("error");
        let msg = v["error"]["message"].as_str().unwrap_or("");
        let hint = match st {
            "PERMISSION_DENIED" => format!(
                "grant roles/iam.workloadIdentityUser on {sa} to the pool's principal (principalSet://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/attribute.repository/ORG/REPO)"
            ),
            "NOT_FOUND" => format!("the service account {sa} does not exist"),
            "INVALID_ARGUMENT" => "check access_token_lifetime (at most 3600 s unless the organisation allows 12 h)".to_string(),
            _ => "see Google's message above".to_string(),
        };
        return Err(anyhow!("GCP generateAccessToken for {sa} failed: HTTP {status} {st}: {msg}\n  hint: {hint}"));
    }
    let t = v["accessToken"].as_str().ok_or_else(|| anyhow!("the generateAccessToken response has no accessToken"))?.to_string();
    super::mask(&t);
    Ok(t)
}
