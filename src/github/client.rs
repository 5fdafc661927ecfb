//! The GitHub REST client: octocrab (rustls, no default features) carries every request, with
//! `GITHUB_API_URL` as its base (GHES, and the loopback server in tests). What octocrab does not
//! do is written here: the JSON is read as `serde_json::Value` (its typed models reject the
//! partial payloads GHES and older API versions send), 5xx and secondary rate limits are retried
//! with backoff, and a 401/403/404 names the `permissions:` entry the job lacks.
//!
//! The Action's code around it is synchronous, so requests go to one worker thread that owns an
//! octocrab instance and a current-thread runtime: callers block on the answer, whatever runtime
//! (or none) they run on.

use anyhow::{anyhow, Result};
use serde_json::Value as Json;
use std::sync::mpsc;
use std::time::Duration;

/// One request for the worker: method, path (with query), JSON body, where to send the answer.
struct Job {
    method: &'static str,
    path: String,
    body: Option<Json>,
    reply: mpsc::Sender<Result<(u16, String), String>>,
}

#[derive(Clone)]
pub struct Client {
    pub repo: String,
    jobs: mpsc::Sender<Job>,
}

impl Client {
    pub fn new(base: &str, token: &str, repo: &str) -> Client {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (base, token) = (base.trim_end_matches('/').to_string(), token.to_string());
        std::thread::Builder::new()
            .name("github".into())
            .spawn(move || worker(&base, &token, queue))
            .expect("the GitHub client thread starts");
        Client { repo: repo.to_string(), jobs }
    }

    pub fn from_env(token: &str) -> Result<Client> {
        let repo = std::env::var("GITHUB_REPOSITORY").map_err(|_| anyhow!("GITHUB_REPOSITORY is not set; `schemagate action` runs inside GitHub Actions"))?;
        let base = std::env::var("GITHUB_API_URL").unwrap_or_else(|_| "https://api.github.com".into());
        Ok(Client::new(&base, token, &repo))
    }

    /// Send through the worker, retrying 5xx, 429 and transport errors up to 4 times with
    /// backoff (1 s × 1.5ⁿ; `SCHEMAGATE_RETRY_MS` sets the first wait).
    fn send(&self, method: &'static str, path: &str, body: Option<&Json>) -> Result<(u16, String), String> {
        let mut delay = Duration::from_millis(std::env::var("SCHEMAGATE_RETRY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000));
        let mut last = String::new();
        for attempt in 1..=4 {
            let (reply, answer) = mpsc::channel();
            self.jobs.send(Job { method, path: path.to_string(), body: body.cloned(), reply }).map_err(|_| "the GitHub client thread stopped".to_string())?;
            match answer.recv().map_err(|_| "the GitHub client thread stopped".to_string())? {
                Ok((status, text)) if status >= 500 || status == 429 || secondary_rate_limit(status, &text) => last = format!("HTTP {status}: {}", text.chars().take(300).collect::<String>()),
                Ok(ok) => return Ok(ok),
                Err(e) => last = e,
            }
            if attempt < 4 {
                std::thread::sleep(delay);
                delay = delay.mul_f64(1.5);
            }
        }
        Err(last)
    }

    /// `permission` names the `permissions:` entry the call needs, for the 403/404 hint.
    fn request(&self, method: &'static str, path: &str, body: Option<&Json>, permission: &str) -> Result<Json> {
        let path = path.replace("{repo}", &self.repo);
        let (status, text) = self.send(method, &path, body).map_err(|e| anyhow!("GitHub API {method} {path} failed after retries: {e}"))?;
        let v: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        match status {
            200..=299 => Ok(v),
            401 => Err(anyhow!("GitHub API {method} {path}: 401 {}\n  hint: the token is invalid or expired; pass `github-token: ${{{{ github.token }}}}`", v["message"].as_str().unwrap_or(""))),
            403 | 404 => Err(anyhow!(
                "GitHub API {method} {path}: {status} {}\n  hint: the token may lack a permission; add `permissions: {permission}` to the job (pull requests from forks get a read-only token)",
                v["message"].as_str().unwrap_or("")
            )),
            s => Err(anyhow!("GitHub API {method} {path}: HTTP {s}: {}", v["message"].as_str().unwrap_or(&text))),
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

/// GitHub's secondary rate limit answers 403 with this message; waiting helps, a permission
/// hint would not.
fn secondary_rate_limit(status: u16, body: &str) -> bool {
    status == 403 && body.contains("secondary rate limit")
}

/// The worker: one octocrab instance and a current-thread runtime, answering jobs in order until
/// every `Client` clone is dropped.
fn worker(base: &str, token: &str, queue: mpsc::Receiver<Job>) {
    let setup = (|| -> Result<(tokio::runtime::Runtime, octocrab::Octocrab), String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let octo = rt.block_on(async {
            octocrab::Octocrab::builder()
                .base_uri(base)
                .map_err(|e| format!("GITHUB_API_URL {base}: {e}"))?
                .personal_token(token.to_string())
                .add_header(http::header::ACCEPT, "application/vnd.github+json".into())
                .add_header(http::HeaderName::from_static("x-github-api-version"), "2022-11-28".into())
                .add_header(http::header::USER_AGENT, "schemagate".into())
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(Duration::from_secs(30)))
                .build()
                .map_err(|e| e.to_string())
        })?;
        Ok((rt, octo))
    })();
    for job in queue {
        let answer = match &setup {
            Err(e) => Err(format!("cannot set up the GitHub client: {e}")),
            Ok((rt, octo)) => rt.block_on(call(octo, job.method, &job.path, job.body.as_ref())),
        };
        let _ = job.reply.send(answer);
    }
}

async fn call(octo: &octocrab::Octocrab, method: &str, path: &str, body: Option<&Json>) -> Result<(u16, String), String> {
    let response = match method {
        "GET" => octo._get(path).await,
        "POST" => octo._post(path, body).await,
        "PATCH" => octo._patch(path, body).await,
        "DELETE" => octo._delete(path, None::<&()>).await,
        other => return Err(format!("unsupported method {other}")),
    }
    .map_err(|e| error_text(&e))?;
    let status = response.status().as_u16();
    let text = octo.body_to_string(response).await.map_err(|e| error_text(&e))?;
    Ok((status, text))
}

/// octocrab's error with its sources (the transport's reason is in the chain).
fn error_text(e: &octocrab::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};

    /// A loopback server answering each connection with the next canned (status, body), and
    /// recording the request lines and headers it saw.
    fn serve(answers: Vec<(u16, &'static str)>) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (status, body) in answers {
                let (mut stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut head, mut length) = (String::new(), 0usize);
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                }
                let mut payload = vec![0; length];
                reader.read_exact(&mut payload).unwrap();
                log.lock().unwrap().push(format!("{head}\n{}", String::from_utf8_lossy(&payload)));
                let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        (url, seen)
    }

    #[test]
    fn requests_carry_the_token_and_api_version_and_5xx_is_retried() {
        std::env::set_var("SCHEMAGATE_RETRY_MS", "10");
        let (url, seen) = serve(vec![(502, "{}"), (200, r#"{"id": 7}"#)]);
        let gh = Client::new(&url, "t0ken", "o/r");
        let v = gh.patch("/repos/{repo}/issues/comments/7", &serde_json::json!({"body": "x"}), "pull-requests: write").unwrap();
        assert_eq!(v["id"], 7);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "one retry after the 502");
        let last = seen[1].to_ascii_lowercase();
        assert!(last.starts_with("patch /repos/o/r/issues/comments/7 http/1.1"), "{last}");
        assert!(last.contains("authorization: bearer t0ken") && last.contains("x-github-api-version: 2022-11-28") && last.contains(r#"{"body":"x"}"#), "{last}");
    }

    #[test]
    fn a_forbidden_call_names_the_permission_to_add() {
        let (url, _) = serve(vec![(403, r#"{"message": "Resource not accessible by integration"}"#)]);
        let gh = Client::new(&url, "t", "o/r");
        let e = gh.post("/repos/{repo}/check-runs", &serde_json::json!({}), "checks: write").unwrap_err().to_string();
        assert!(e.contains("403 Resource not accessible by integration") && e.contains("add `permissions: checks: write`"), "{e}");
    }
}
