//! AWS Secrets Manager over its JSON 1.1 protocol, SigV4-signed: GetSecretValue for RDS-style
//! secrets (`{"username","password","host","port","dbname","engine"}`).

use super::http;
use super::sigv4::{self, Credentials};
use anyhow::{anyhow, Result};
use serde_json::Value as Json;

pub fn endpoint(region: &str) -> String {
    crate::runenv::non_empty("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        .or_else(|| crate::runenv::non_empty("AWS_ENDPOINT_URL"))
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"))
}

/// One Secrets Manager action (`GetSecretValue`, `CreateSecret`, …).
pub fn call(region: &str, creds: &Credentials, action: &str, body: &Json) -> Result<Json> {
    let url = format!("{}/", endpoint(region));
    let host = url.split("://").nth(1).unwrap_or("").trim_end_matches('/').to_string();
    let payload = body.to_string();
    let target = format!("secretsmanager.{action}");
    let headers = sigv4::sign_post(&host, "application/x-amz-json-1.1", &[("x-amz-target", &target)], payload.as_bytes(), "secretsmanager", region, creds, sigv4::now());
    let r = http::signed_post(&url, &headers, &payload, 3).map_err(|e| anyhow!("Secrets Manager {action} at {url} failed after retries: {e}"))?;
    let v: Json = serde_json::from_str(&r.body).unwrap_or(Json::Null);
    if r.status != 200 {
        let kind = v["__type"].as_str().unwrap_or("error").rsplit('#').next().unwrap_or("error").to_string();
        let msg = v["message"].as_str().or(v["Message"].as_str()).unwrap_or("");
        let hint = match kind.as_str() {
            "ResourceNotFoundException" => "check the secret's name and region",
            "AccessDeniedException" => "the role needs secretsmanager:GetSecretValue on this secret (and kms:Decrypt for its key)",
            _ => "see the AWS message",
        };
        return Err(anyhow!("Secrets Manager {action} failed: {kind}: {msg}\n  hint: {hint}"));
    }
    Ok(v)
}

pub fn get_secret_string(region: &str, creds: &Credentials, secret_id: &str) -> Result<String> {
    let v = call(region, creds, "GetSecretValue", &serde_json::json!({ "SecretId": secret_id }))?;
    let s = v["SecretString"].as_str().ok_or_else(|| anyhow!("secret {secret_id} has no SecretString (binary secrets are not supported)"))?.to_string();
    super::mask(&s);
    if let Ok(j) = serde_json::from_str::<Json>(&s) {
        if let Some(p) = j["password"].as_str() {
            super::mask(p);
        }
    }
    Ok(s)
}
