//! Cloud credentials for hooks. The `oidc` hook (GitHub OIDC → AWS STS → database credentials)
//! is not implemented yet: a config that uses it validates, and running it fails with a clear
//! message instead of continuing without credentials.

use anyhow::{anyhow, Result};
use serde_json::Value as Json;
use std::collections::HashMap;

/// Escape a value for `::add-mask::` (workflow commands treat %, CR and LF specially).
pub fn mask_escape(v: &str) -> String {
    v.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

pub async fn oidc_step(s: &Json, _env: &mut HashMap<String, String>) -> Result<()> {
    let provider = s["provider"].as_str().unwrap_or("aws");
    Err(anyhow!(
        "the `oidc` hook (provider {provider}) is not supported by this schemagate version yet; \
         provide credentials through the job's environment (e.g. aws-actions/configure-aws-credentials) and \
         reference them from atlas.hcl with getenv()"
    ))
}
