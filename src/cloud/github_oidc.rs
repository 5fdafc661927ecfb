//! The GitHub Actions OIDC ID token: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with the
//! request token as bearer; the JWT is the `value` field. Masked before anything can print it.

use super::http;
use anyhow::{anyhow, Result};

pub fn fetch(audience: &str) -> Result<String> {
    let (Some(url), Some(token)) = (crate::runenv::non_empty("ACTIONS_ID_TOKEN_REQUEST_URL"), crate::runenv::non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) else {
        return Err(anyhow!(
            "no GitHub OIDC token available: ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set.\n  \
             hint: add `permissions: id-token: write` (and `contents: read`) to the job; tokens are not issued to pull requests from forks"
        ));
    };
    super::mask(&token);
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}audience={}", super::sigv4::uri_encode(audience, false));
    let agent = http::agent();
    let r = http::send(|| agent.get(&full).set("Authorization", &format!("bearer {token}")).set("Accept", "application/json"), None, 5)
        .map_err(|e| anyhow!("requesting the GitHub OIDC token failed after retries: {e}"))?;
    if r.status != 200 {
        return Err(anyhow!("requesting the GitHub OIDC token failed: HTTP {}: {}", r.status, r.body.chars().take(300).collect::<String>()));
    }
    let v: serde_json::Value = serde_json::from_str(&r.body).map_err(|e| anyhow!("the OIDC token response is not JSON: {e}"))?;
    let jwt = v["value"].as_str().ok_or_else(|| anyhow!("the OIDC token response has no `value`"))?.to_string();
    super::mask(&jwt);
    Ok(jwt)
}
