//! AWS Signature Version 4, hand-written over hmac/sha2 (the aws-sigv4 crate would add a large
//! dependency tree and MSRV 1.94 for the two uses here: presigned RDS tokens and signed JSON
//! requests to Secrets Manager / STS AssumeRole).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Credentials {
    /// From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (the run's, see runenv).
    pub fn from_env() -> Option<Credentials> {
        Some(Credentials {
            access_key_id: crate::runenv::non_empty("AWS_ACCESS_KEY_ID")?,
            secret_access_key: crate::runenv::non_empty("AWS_SECRET_ACCESS_KEY")?,
            session_token: crate::runenv::non_empty("AWS_SESSION_TOKEN"),
        })
    }
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 encoding as SigV4 wants it (unreserved characters stay).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `20240826T220000Z` and `20240826` for a Unix time.
pub fn amz_dates(unix: u64) -> (String, String) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let date = format!("{y:04}{m:02}{d:02}");
    let time = format!("{date}T{:02}{:02}{:02}Z", secs / 3600, (secs / 60) % 60, secs % 60);
    (time, date)
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, service);
    hmac(&k, "aws4_request")
}

/// Canonical query string: keys and values encoded, sorted by key then value.
fn canonical_query(params: &[(String, String)]) -> String {
    let mut p: Vec<(String, String)> = params.iter().map(|(k, v)| (uri_encode(k, false), uri_encode(v, false))).collect();
    p.sort();
    p.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// A presigned GET URL (query-string auth), as RDS IAM tokens use. Returns the URL without
/// scheme: `host:port/?Action=…&X-Amz-Signature=…`.
pub fn presign(host_port: &str, params: &[(String, String)], service: &str, region: &str, creds: &Credentials, unix: u64, expires: u64) -> String {
    let (amz_date, date) = amz_dates(unix);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let mut q: Vec<(String, String)> = params.to_vec();
    q.push(("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()));
    q.push(("X-Amz-Credential".into(), format!("{}/{scope}", creds.access_key_id)));
    q.push(("X-Amz-Date".into(), amz_date.clone()));
    q.push(("X-Amz-Expires".into(), expires.to_string()));
    if let Some(t) = &creds.session_token {
        q.push(("X-Amz-Security-Token".into(), t.clone()));
    }
    q.push(("X-Amz-SignedHeaders".into(), "host".into()));
    let query = canonical_query(&q);
    let canonical = format!("GET\n/\n{query}\nhost:{host_port}\n\nhost\n{}", sha256_hex(b""));
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let sig = hex::encode(hmac(&signing_key(&creds.secret_access_key, &date, region, service), &to_sign));
    format!("{host_port}/?{query}&X-Amz-Signature={sig}")
}

/// Headers for a signed POST of `body` to `https://host/` (header auth).
pub fn sign_post(host: &str, content_type: &str, extra: &[(&str, &str)], body: &[u8], service: &str, region: &str, creds: &Credentials, unix: u64) -> Vec<(String, String)> {
    let (amz_date, date) = amz_dates(unix);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let payload = sha256_hex(body);
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), content_type.into()),
        ("host".into(), host.into()),
        ("x-amz-content-sha256".into(), payload.clone()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    if let Some(t) = &creds.session_token {
        headers.push(("x-amz-security-token".into(), t.clone()));
    }
    for (k, v) in extra {
        headers.push((k.to_ascii_lowercase(), v.to_string()));
    }
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let signed: String = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let canonical = format!("POST\n/\n\n{canonical_headers}\n{signed}\n{payload}");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let sig = hex::encode(hmac(&signing_key(&creds.secret_access_key, &date, region, service), &to_sign));
    headers.push(("authorization".into(), format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", creds.access_key_id)));
    headers
}

/// An RDS IAM authentication token (15 minutes), used as the database password.
pub fn rds_auth_token(host: &str, port: u16, user: &str, region: &str, creds: &Credentials, unix: u64) -> String {
    let params = vec![("Action".to_string(), "connect".to_string()), ("DBUser".to_string(), user.to_string())];
    presign(&format!("{host}:{port}"), &params, "rds-db", region, creds, unix, 900)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        // 2024-08-26T22:00:00Z
        assert_eq!(amz_dates(1_724_709_600), ("20240826T220000Z".to_string(), "20240826".to_string()));
        assert_eq!(amz_dates(0).0, "19700101T000000Z");
        assert_eq!(amz_dates(951_782_400).1, "20000229");
    }

    #[test]
    fn rds_token_matches_aws_published_vector() {
        let creds = Credentials { access_key_id: "akid".into(), secret_access_key: "secret".into(), session_token: None };
        let t = rds_auth_token("prod-instance.us-east-1.rds.amazonaws.com", 3306, "peccy", "us-east-1", &creds, 1_724_709_600);
        assert!(t.starts_with("prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=peccy&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20240826%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20240826T220000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"), "{t}");
        assert!(t.ends_with("&X-Amz-Signature=dd0cba843009474347af724090233265628ace491ea17ce3eb3da098b983ad89"), "{t}");
    }
}
