//! A thin GitHub REST client (blocking, ureq): the handful of endpoints the Action needs, with
//! the documented verbs (PATCH for updates), `GITHUB_API_URL` for GHES and tests, retries on
//! 5xx and secondary rate limits, and errors that name the missing `permissions:` entry.
//! (octocrab's typed models fail on partial payloads and its update_comment sends POST; the
//! surface here is small enough to own.)

use crate::cloud::http;
use anyhow::{anyhow, Result};
use serde_json::Value as Json;

#[derive(Clone)]
pub struct Client {
    base: String,
    token: String,
    pub repo: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str, token: &str, repo: &str) -> Client {
        Client { base: base.trim_end_matches('/').to_string(), token: token.to_string(), repo: repo.to_string(), agent: http::agent() }
    }

    pub fn from_env(token: &str) -> Result<Client> {
        let repo = std::env::var("GITHUB_REPOSITORY").map_err(|_| anyhow!("GITHUB_REPOSITORY is not set; `schemagate action` runs inside GitHub Actions"))?;
        let base = std::env::var("GITHUB_API_URL").unwrap_or_else(|_| "https://api.github.com".into());
        Ok(Client::new(&base, token, &repo))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.replace("{repo}", &self.repo))
    }

    /// `permission` names the `permissions:` entry the call needs, for the 403/404 hint.
    fn request(&self, method: &str, path: &str, body: Option<&Json>, permission: &str) -> Result<Json> {
        let url = self.url(path);
        let payload = body.map(|b| b.to_string());
        let r = http::send(
            || {
                self.agent
                    .request(method, &url)
                    .set("Authorization", &format!("Bearer {}", self.token))
                    .set("Accept", "application/vnd.github+json")
                    .set("X-GitHub-Api-Version", "2022-11-28")
                    .set("User-Agent", "schemagate")
                    .set("Content-Type", "application/json")
            },
            payload.as_deref(),
            4,
        )
        .map_err(|e| anyhow!("GitHub API {method} {path} failed after retries: {e}"))?;
        let v: Json = serde_json::from_str(&r.body).unwrap_or(Json::Null);
        match r.status {
            200..=299 => Ok(v),
            401 => Err(anyhow!("GitHub API {method} {path}: 401 {}\n  hint: the token is invalid or expired; pass `github-token: ${{{{ github.token }}}}`", v["message"].as_str().unwrap_or(""))),
            403 | 404 => Err(anyhow!(
                "GitHub API {method} {path}: {} {}\n  hint: the token may lack a permission; add `permissions: {permission}` to the job (pull requests from forks get a read-only token)",
                r.status,
                v["message"].as_str().unwrap_or("")
            )),
            s => Err(anyhow!("GitHub API {method} {path}: HTTP {s}: {}", v["message"].as_str().unwrap_or(&r.body))),
        }
    }

    pub fn get(&self, path: &str, permission: &str) -> Result<Json> {
        self.request("GET", path, None, permission)
    }

    /// Every page of a list endpoint (`per_page=100`, until a short page).
    pub fn get_all(&self, path: &str, permission: &str) -> Result<Vec<Json>> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1..=50 {
            let v = self.get(&format!("{path}{sep}per_page=100&page={page}"), permission)?;
            let items = v.as_array().cloned().or_else(|| v["check_runs"].as_array().cloned()).unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    pub fn post(&self, path: &str, body: &Json, permission: &str) -> Result<Json> {
        self.request("POST", path, Some(body), permission)
    }

    pub fn patch(&self, path: &str, body: &Json, permission: &str) -> Result<Json> {
        self.request("PATCH", path, Some(body), permission)
    }

    pub fn delete(&self, path: &str, permission: &str) -> Result<Json> {
        self.request("DELETE", path, None, permission)
    }
}
