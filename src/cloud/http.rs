//! A small blocking HTTP helper (ureq) with retries on 5xx, 429 and transport errors. Bodies of
//! error responses are returned to the caller, which turns them into readable errors.

use std::time::Duration;

pub struct Response {
    pub status: u16,
    pub body: String,
}

/// Send with up to `tries` attempts, sleeping 1 s × 1.5ⁿ between them.
pub fn send(req: impl Fn() -> ureq::Request, body: Option<&str>, tries: usize) -> Result<Response, String> {
    let mut delay = Duration::from_millis(std::env::var("SCHEMAGATE_RETRY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000));
    let mut last = String::new();
    for attempt in 1..=tries.max(1) {
        let r = match body {
            Some(b) => req().send_string(b),
            None => req().call(),
        };
        let retry = match r {
            Ok(resp) => return Ok(Response { status: resp.status(), body: resp.into_string().unwrap_or_default() }),
            Err(ureq::Error::Status(code, resp)) => {
                let body = resp.into_string().unwrap_or_default();
                if code >= 500 || code == 429 {
                    last = format!("HTTP {code}: {}", body.chars().take(300).collect::<String>());
                    true
                } else {
                    return Ok(Response { status: code, body });
                }
            }
            Err(e) => {
                last = e.to_string();
                true
            }
        };
        if retry && attempt < tries {
            std::thread::sleep(delay);
            delay = delay.mul_f64(1.5);
        }
    }
    Err(last)
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build()
}

/// POST `body` with SigV4 headers (all but `host`, which the client sets).
pub fn signed_post(url: &str, headers: &[(String, String)], body: &str, tries: usize) -> Result<Response, String> {
    let agent = agent();
    send(
        || {
            let mut q = agent.post(url);
            for (k, v) in headers {
                if k != "host" {
                    q = q.set(k, v);
                }
            }
            q
        },
        Some(body),
        tries,
    )
}
