//! Credentials without long-lived secrets: the `oidc` hook turns the GitHub Actions OIDC token
//! into AWS credentials (STS AssumeRoleWithWebIdentity, optionally chained) or a Google service
//! account access token (workload identity federation), exported to the later steps of the run;
//! atlas.hcl data sources turn those into database passwords (RDS IAM tokens, Secrets Manager,
//! Cloud SQL IAM). Azure exports ARM_* for tools that do their own exchange.

pub mod gcp;
pub mod github_oidc;
pub mod http;
pub mod secrets;
pub mod sigv4;
pub mod sts;

use anyhow::{anyhow, Result};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Escape a value for `::add-mask::` (workflow commands treat %, CR and LF specially).
pub fn mask_escape(v: &str) -> String {
    v.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Register a secret with the Actions runner so it never shows in the log. Only inside
/// Actions: elsewhere the command would itself print the value.
pub fn mask(v: &str) {
    if !v.is_empty() && std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        println!("::add-mask::{}", mask_escape(v));
    }
}

/// The `oidc` hook, with Terrateam's options. What it exports goes into this run's `env` only
/// (steps after it and atlas.hcl see it through runenv), never into the process environment
/// another directory's run shares.
pub async fn oidc_step(s: &Json, env: &mut HashMap<String, String>) -> Result<()> {
    let s = s.clone();
    let vars = env.clone();
    let exported = tokio::task::spawn_blocking(move || crate::runenv::with(&vars, || oidc_blocking(&s))).await.map_err(|e| anyhow!("{e}"))??;
    env.extend(exported);
    Ok(())
}

fn str_opt<'a>(s: &'a Json, k: &str) -> Option<&'a str> {
    s[k].as_str().filter(|x| !x.is_empty())
}

fn oidc_blocking(s: &Json) -> Result<Vec<(String, String)>> {
    match s["provider"].as_str().unwrap_or("aws") {
        "aws" => {
            let role = str_opt(s, "role_arn").ok_or_else(|| anyhow!("the aws oidc hook needs `role_arn`"))?;
            let audience = str_opt(s, "audience").unwrap_or("sts.amazonaws.com");
            let region = str_opt(s, "region").unwrap_or("us-east-1");
            let session = str_opt(s, "session_name").unwrap_or("schemagate");
            let duration = s["duration"].as_u64().unwrap_or(3600);
            let jwt = github_oidc::fetch(audience)?;
            let mut creds = sts::assume_role_with_web_identity(region, role, session, &jwt, duration)?;
            if let (Some(chain), true) = (str_opt(s, "assume_role_arn"), s["assume_role_enabled"].as_bool().unwrap_or(true)) {
                creds = sts::assume_role(region, &creds, chain, session, duration.min(3600))?;
            }
            Ok(vec![
                ("AWS_ACCESS_KEY_ID".into(), creds.access_key_id),
                ("AWS_SECRET_ACCESS_KEY".into(), creds.secret_access_key),
                ("AWS_SESSION_TOKEN".into(), creds.session_token.unwrap_or_default()),
                ("AWS_REGION".into(), region.into()),
                ("AWS_DEFAULT_REGION".into(), region.into()),
            ])
        }
        "azure" => {
            let client = str_opt(s, "client_id").ok_or_else(|| anyhow!("the azure oidc hook needs `client_id`"))?;
            let tenant = str_opt(s, "tenant_id").ok_or_else(|| anyhow!("the azure oidc hook needs `tenant_id`"))?;
            let jwt = github_oidc::fetch(str_opt(s, "audience").unwrap_or("api://AzureADTokenExchange"))?;
            let mut out = vec![("ARM_USE_OIDC".into(), "true".into()), ("ARM_CLIENT_ID".into(), client.into()), ("ARM_TENANT_ID".into(), tenant.into()), ("ARM_OIDC_TOKEN".into(), jwt)];
            if let Some(sub) = str_opt(s, "subscription_id") {
                out.push(("ARM_SUBSCRIPTION_ID".into(), sub.into()));
            }
            Ok(out)
        }
        "gcp" => {
            let provider = str_opt(s, "workload_identity_provider").ok_or_else(|| anyhow!("the gcp oidc hook needs `workload_identity_provider`"))?;
            let sa = str_opt(s, "service_account").ok_or_else(|| anyhow!("the gcp oidc hook needs `service_account`"))?;
            if str_opt(s, "access_token_subject").is_some() {
                return Err(anyhow!("the gcp oidc hook's `access_token_subject` (domain-wide delegation) is not supported by schemagate; database logins do not need it — remove it"));
            }
            let audience = str_opt(s, "audience").map(String::from).unwrap_or_else(|| gcp::default_audience(provider));
            // Terrateam coerces the lifetime to an integer, falling back to 3600.
            let lifetime = s["access_token_lifetime"].as_u64().or_else(|| s["access_token_lifetime"].as_str().and_then(|v| v.parse().ok())).unwrap_or(3600);
            let scopes = s["access_token_scopes"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
            let jwt = github_oidc::fetch(&audience)?;
            let token = gcp::access_token(&gcp::Options { workload_identity_provider: provider, service_account: sa, audience: Some(&audience), lifetime_secs: lifetime, scopes }, &jwt)?;
            let file = token_file(&token)?;
            let mut out = vec![("GOOGLE_OAUTH_ACCESS_TOKEN".into(), token), ("GOOGLE_OAUTH_ACCESS_TOKEN_FILE".into(), file)];
            if let Some(p) = str_opt(s, "project_id") {
                out.push(("GOOGLE_CLOUD_PROJECT".into(), p.into()));
                out.push(("CLOUDSDK_CORE_PROJECT".into(), p.into()));
            }
            Ok(out)
        }
        other => Err(anyhow!("the `oidc` hook has no provider `{other}` (aws, gcp and azure are)")),
    }
}

/// The access token in a file only the current user can read, as Terrateam's runner leaves it
/// for tools that want a path (`GOOGLE_OAUTH_ACCESS_TOKEN_FILE`). One file per run: parallel
/// runs may hold different tokens.
fn token_file(token: &str) -> Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = crate::runenv::non_empty("TERRATEAM_TMPDIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("schemagate-gcp-token-{}-{:x}", std::process::id(), rand::random::<u64>()));
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(path.display().to_string())
}

/// atlas.hcl `data "gcp_cloudsql_token" "x" {}`: the service account's OAuth access token, which
/// Cloud SQL's IAM database authentication takes as the password. It comes from an `oidc` hook
/// with `provider: gcp` (Atlas reads Application Default Credentials; GitHub Actions has none
/// without that exchange).
pub fn cloudsql_token() -> Result<String> {
    crate::runenv::non_empty("GOOGLE_OAUTH_ACCESS_TOKEN").ok_or_else(|| anyhow!("gcp_cloudsql_token: no Google access token; run an `oidc` hook with `provider: gcp` first (or set GOOGLE_OAUTH_ACCESS_TOKEN)"))
}

/// atlas.hcl `data "runtimevar" "x" { url = "awssecretsmanager://<name>?region=<r>" }`.
pub fn runtimevar(url: &str) -> Result<String> {
    let rest = url.strip_prefix("awssecretsmanager://").ok_or_else(|| anyhow!("runtimevar url `{url}`: only awssecretsmanager:// is supported"))?;
    let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
    let region = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("region="))
        .map(String::from)
        .or_else(|| crate::runenv::non_empty("AWS_REGION"))
        .ok_or_else(|| anyhow!("runtimevar `{url}`: no region (add ?region=… or set AWS_REGION)"))?;
    let creds = sigv4::Credentials::from_env().ok_or_else(|| anyhow!("runtimevar `{url}`: no AWS credentials; run an `oidc` hook first (or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"))?;
    secrets::get_secret_string(&region, &creds, &crate::url::percent_decode(name))
}

/// atlas.hcl `data "aws_rds_token" "x" { region, endpoint = "host:port", username }`.
pub fn rds_token(region: &str, endpoint: &str, username: &str) -> Result<String> {
    let (host, port) = endpoint.rsplit_once(':').map(|(h, p)| (h, p.parse::<u16>().unwrap_or(5432))).unwrap_or((endpoint, 5432));
    let creds = sigv4::Credentials::from_env().ok_or_else(|| anyhow!("aws_rds_token: no AWS credentials; run an `oidc` hook first"))?;
    let t = sigv4::rds_auth_token(host, port, username, region, &creds, sigv4::now());
    mask(&t);
    Ok(t)
}
