//! Database URLs as Atlas and sqlx spell them, and their redaction. A password never leaves this
//! module in clear: everything that prints a URL prints [`redact`]'s output.

use crate::schema::Dialect;
use anyhow::{bail, Result};

/// A parsed target or dev-database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub dialect: Dialect,
    /// The URL in the form sqlx accepts (`mariadb://` → `mysql://`, `sqlite://x` → `sqlite:x`).
    pub conn: String,
    /// The database named in the path (PostgreSQL database, MySQL schema), if any.
    pub database: Option<String>,
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl> {
        let url = url.trim();
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None if url.starts_with("sqlite:") => ("sqlite".to_string(), &url["sqlite:".len()..]),
            None => bail!(
                "`{}` is not a database URL; expected postgres://, mysql://, mariadb://, sqlite://path or sqlite::memory:",
                redact(url)
            ),
        };
        let dialect = match scheme.as_str() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" | "maria" => Dialect::Mysql,
            "sqlite" | "sqlite3" => Dialect::Sqlite,
            other => bail!(
                "{}",
                redact(&format!(
                    "unsupported URL scheme `{}` in `{url}`; expected postgres://, mysql://, mariadb://, sqlite://path or sqlite::memory:",
                    if other.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')) { format!("{other}://") } else { "?".into() }
                ))
            ),
        };
        let (conn, database) = match dialect {
            Dialect::Postgres => (format!("postgres://{rest}"), path_db(rest)),
            Dialect::Mysql => (go_mysql_tls(&format!("mysql://{rest}")), path_db(rest)),
            Dialect::Sqlite => sqlite_conn(rest),
        };
        Ok(DbUrl { dialect, conn, database })
    }

    /// The one schema the URL is bound to (Atlas's schema scope): a MySQL URL's database, or a
    /// PostgreSQL URL's `search_path` when it names exactly one schema.
    pub fn bound_schema(&self) -> Option<String> {
        match self.dialect {
            Dialect::Mysql => self.database.clone(),
            Dialect::Postgres => query_param(&self.conn, "search_path").map(|p| p.trim().trim_matches('"').to_string()).filter(|p| !p.is_empty() && !p.contains(',') && !p.contains('$')),
            Dialect::Sqlite => None,
        }
    }

    /// The same server with another database in the path (used for disposable databases).
    pub fn with_database(&self, db: &str) -> DbUrl {
        DbUrl { dialect: self.dialect, conn: set_path(&self.conn, db), database: Some(db.to_string()) }
    }

    /// The same URL with another user and password (a disposable database's sealed role).
    pub fn with_credentials(&self, user: &str, password: &str) -> DbUrl {
        let (base, query) = self.conn.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((&self.conn, None));
        let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let authority_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
        let hostport = base[scheme_end..authority_end].rsplit_once('@').map(|(_, h)| h).unwrap_or(&base[scheme_end..authority_end]);
        let mut conn = format!("{}{}:{}@{}{}", &base[..scheme_end], percent_encode(user), percent_encode(password), hostport, &base[authority_end..]);
        if let Some(q) = query {
            // A password in the query would override the one in the authority.
            let q: Vec<&str> = q.split('&').filter(|kv| !kv.to_ascii_lowercase().starts_with("password=") && !kv.to_ascii_lowercase().starts_with("user=")).collect();
            if !q.is_empty() {
                conn.push('?');
                conn.push_str(&q.join("&"));
            }
        }
        DbUrl { dialect: self.dialect, conn, database: self.database.clone() }
    }

    pub fn redacted(&self) -> String {
        redact(&self.conn)
    }
}

/// A SQLite URL's rest (after `sqlite://`) as sqlx takes it, and the file it names.
///
/// Atlas's SQLite URLs are go-sqlite3 DSNs: `sqlite://file:app.db?cache=shared&_fk=1` is what its
/// docs and every atlas.hcl write. sqlx refuses parameters it does not know, so go-sqlite3's own
/// `_`-prefixed knobs are dropped here: `_fk`/`_foreign_keys` asks for foreign keys, which sqlx
/// turns on for every connection already; the others (`_busy_timeout`, `_journal_mode`, ...) tune
/// the driver. A `file:` prefix is the URI form of the same path. `mode`, `cache`, `immutable` and
/// `vfs` mean the same to both and are kept.
fn sqlite_conn(rest: &str) -> (String, Option<String>) {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("file:").unwrap_or(path);
    let params: Vec<&str> = query.split('&').filter(|kv| !kv.is_empty() && !kv.starts_with('_')).collect();
    if path == ":memory:" || path.is_empty() || params.iter().any(|kv| *kv == "mode=memory") {
        return ("sqlite::memory:".to_string(), None);
    }
    let conn = if params.is_empty() { format!("sqlite:{path}") } else { format!("sqlite:{path}?{}", params.join("&")) };
    (conn, Some(path.to_string()))
}

/// Where a server URL points: host and port (lower-cased, defaults filled) or its socket.
pub fn endpoint(conn: &str) -> String {
    let (base, _) = conn.split_once('?').unwrap_or((conn, ""));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority = base[scheme_end..].split('/').next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority).to_ascii_lowercase();
    let socket = query_param(conn, "host").or_else(|| query_param(conn, "socket")).unwrap_or_default();
    let default_port = if conn.starts_with("mysql") { "3306" } else { "5432" };
    let hostport = if hostport.contains(':') && !hostport.ends_with(']') { hostport } else { format!("{hostport}:{default_port}") };
    let hostport = hostport.replace("localhost:", "127.0.0.1:");
    format!("{hostport}{socket}")
}

fn percent_encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// `url` with its path (the database) replaced by `path`; authority and query kept.
pub fn set_path(url: &str, path: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((url, None));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..authority_end], path.trim_start_matches('/'));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The value of query parameter `key` (first occurrence, percent-decoded).
pub fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| percent_decode(v))
    })
}

/// `url` with query parameter `key` set to `value` (replaced where present, else appended).
pub fn set_query_param(url: &str, key: &str, value: &str) -> String {
    let (base, q) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = q.split('&').filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(key)).map(String::from).collect();
    pairs.push(format!("{key}={value}"));
    format!("{base}?{}", pairs.join("&"))
}

/// Atlas's MySQL URLs use the Go driver's `tls=` parameter; sqlx reads `ssl-mode=`. Translate so
/// `tls=true` still means "verify the server" here (an explicit ssl-mode wins).
fn go_mysql_tls(url: &str) -> String {
    if query_param(url, "ssl-mode").or_else(|| query_param(url, "sslmode")).is_some() {
        return url.to_string();
    }
    let mode = match query_param(url, "tls").as_deref() {
        Some("true") => "VERIFY_IDENTITY",
        Some("skip-verify") => "REQUIRED",
        Some("preferred") => "PREFERRED",
        Some("false") => "DISABLED",
        _ => return url.to_string(),
    };
    set_query_param(url, "ssl-mode", mode)
}

/// A URL whose password is an RDS IAM auth token: RDS accepts those only over TLS, and they must
/// not cross the network in clear anyway. PostgreSQL gets `sslmode=require` unless a stronger
/// mode is set; MySQL gets `ssl-mode=REQUIRED` (likewise) and the cleartext plugin the token is
/// sent with. An explicit "no TLS" is an error, not silently overridden.
pub fn require_tls(url: &str) -> Result<String> {
    let d = DbUrl::parse(url)?;
    match d.dialect {
        Dialect::Postgres => match query_param(url, "sslmode").as_deref() {
            None | Some("prefer") | Some("allow") => Ok(set_query_param(url, "sslmode", "require")),
            Some("disable") => bail!("`sslmode=disable` with an RDS IAM auth token: RDS accepts IAM tokens only over TLS.\n  hint: remove sslmode=disable (schemagate then uses sslmode=require) or use verify-full"),
            Some(_) => Ok(url.to_string()),
        },
        Dialect::Mysql => {
            let mode = query_param(&d.conn, "ssl-mode").or_else(|| query_param(&d.conn, "sslmode")).map(|m| m.to_ascii_uppercase().replace('-', "_"));
            let mut out = match mode.as_deref() {
                None | Some("PREFERRED") => set_query_param(url, "ssl-mode", "REQUIRED"),
                Some("DISABLED") => bail!("TLS is disabled (`tls=false` / `ssl-mode=DISABLED`) with an RDS IAM auth token: RDS accepts IAM tokens only over TLS.\n  hint: use tls=true (verify the server) or tls=skip-verify"),
                Some(_) => url.to_string(),
            };
            if query_param(&out, "allowCleartextPasswords").is_none() {
                out = set_query_param(&out, "allowCleartextPasswords", "1");
            }
            Ok(out)
        }
        Dialect::Sqlite => Ok(url.to_string()),
    }
}

fn path_db(rest: &str) -> Option<String> {
    let no_query = rest.split('?').next().unwrap_or("");
    let path = no_query.split_once('/').map(|(_, p)| p).unwrap_or("");
    let db = path.trim_matches('/');
    if db.is_empty() {
        None
    } else {
        Some(percent_decode(db))
    }
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            // Bytes, not a str slice: the two after `%` may be inside a multi-byte character.
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replace the password of every URL in `text` with `xxxxx`, and the value of
/// `password=`/`sslpassword=` parameters. Used on every string shown to a person, including
/// database driver errors that echo the URL, and on malformed URLs before any parse error is
/// formed: `postgres:/u:PW@h/db` (one slash), a raw `@` or `/` in the password
/// (`postgres://u:p@ss@h`). It works on whitespace-separated words: in a word that starts with
/// a scheme, everything between the first `:` of the user part and the word's last `@` is the
/// password. Over-redacting a word that only looks like a URL is the safe mistake.
pub fn redact(text: &str) -> String {
    static QP: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let qp = QP.get_or_init(|| regex::Regex::new(r"(?i)(?P<k>(ssl)?password=)(?P<v>[^&\s]+)").unwrap());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '`' | '\'' | '"' | '<' | '>')).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        out.push_str(&redact_word(word));
        let sep = tail.chars().next().map(char::len_utf8).unwrap_or(0);
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
    qp.replace_all(&out, "${k}xxxxx").into_owned()
}

/// One word of [`redact`]: `[scheme:[//]]user:password@rest`, where the user part ends at its
/// first `:` and the password at the word's last `@`. Without a scheme (a mistyped
/// `postgres//u:p@h`) the word's first `:` starts the password; after a "scheme" followed by no
/// slash (`root:pw@host`, `postgres:u:pw@h`) everything up to the `@` is hidden; a user holding
/// `@` means several URLs run together, and the whole user part is hidden.
fn redact_word(word: &str) -> std::borrow::Cow<'_, str> {
    let Some(at) = word.rfind('@') else { return word.into() };
    let scheme_colon = word.find(':').filter(|&i| {
        let s = &word[..i];
        i < at && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
    });
    let (authority, slashes) = match scheme_colon {
        Some(c) => {
            let after = &word[c + 1..at];
            let slashes = after.len() - after.trim_start_matches('/').len();
            (c + 1 + slashes, slashes)
        }
        None => (0, 0),
    };
    let userinfo = &word[authority..at];
    let hide_from = match (scheme_colon, userinfo.find(':')) {
        // `scheme:` without `//` is not a URL authority: hide all up to the `@`.
        (Some(_), _) if slashes == 0 => (!userinfo.is_empty()).then_some(authority),
        (_, Some(i)) if userinfo[..i].contains('@') => Some(authority),
        (_, Some(i)) if i + 1 < userinfo.len() => Some(authority + i + 1),
        _ => None,
    };
    match hide_from {
        Some(from) => format!("{}xxxxx{}", &word[..from], &word[at..]).into(),
        None => word.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_atlas_and_sqlx_use() {
        assert_eq!(DbUrl::parse("postgresql://u@h/db").unwrap().dialect, Dialect::Postgres);
        let m = DbUrl::parse("mariadb://root@127.0.0.1:3306/shop").unwrap();
        assert_eq!(m.dialect, Dialect::Mysql);
        assert_eq!(m.conn, "mysql://root@127.0.0.1:3306/shop");
        assert_eq!(m.database.as_deref(), Some("shop"));
        assert_eq!(DbUrl::parse("sqlite::memory:").unwrap().conn, "sqlite::memory:");
        assert_eq!(DbUrl::parse("sqlite://dev?mode=memory").unwrap().conn, "sqlite::memory:");
        assert_eq!(DbUrl::parse("sqlite://app.db").unwrap().conn, "sqlite:app.db");
        // Atlas's go-sqlite3 DSNs: the `file:` URI prefix and the driver's `_` knobs.
        let a = DbUrl::parse("sqlite://file:/tmp/w/atlas.sqlite?cache=shared&_fk=1").unwrap();
        assert_eq!(a.conn, "sqlite:/tmp/w/atlas.sqlite?cache=shared");
        assert_eq!(a.database.as_deref(), Some("/tmp/w/atlas.sqlite"));
        assert_eq!(DbUrl::parse("sqlite://app.db?_fk=1").unwrap().conn, "sqlite:app.db");
        assert_eq!(DbUrl::parse("sqlite://file?mode=memory&_fk=1").unwrap().conn, "sqlite::memory:");
        assert!(DbUrl::parse("oracle://x").is_err());
        assert!(DbUrl::parse("nonsense").is_err());
    }

    #[test]
    fn rds_tokens_require_tls() {
        assert_eq!(require_tls("postgres://u:t@h:5432/app").unwrap(), "postgres://u:t@h:5432/app?sslmode=require");
        assert_eq!(require_tls("postgres://u:t@h/app?sslmode=prefer&x=1").unwrap(), "postgres://u:t@h/app?x=1&sslmode=require");
        assert_eq!(require_tls("postgres://u:t@h/app?sslmode=verify-full").unwrap(), "postgres://u:t@h/app?sslmode=verify-full");
        assert!(require_tls("postgres://u:t@h/app?sslmode=disable").unwrap_err().to_string().contains("only over TLS"));
        assert_eq!(require_tls("mysql://u:t@h:3306/app").unwrap(), "mysql://u:t@h:3306/app?ssl-mode=REQUIRED&allowCleartextPasswords=1");
        // Atlas's Go-driver spelling: tls=true verifies the server, and stays so.
        let u = require_tls("mysql://u:t@h:3306/app?tls=true&allowCleartextPasswords=1").unwrap();
        assert_eq!(DbUrl::parse(&u).unwrap().conn, "mysql://u:t@h:3306/app?tls=true&allowCleartextPasswords=1&ssl-mode=VERIFY_IDENTITY");
        assert!(require_tls("mysql://u:t@h/app?tls=false").is_err());
        assert_eq!(query_param("x://h/d?a=1&b=%2F", "b").as_deref(), Some("/"));
        // Found by the URL fuzzer: `%` before a multi-byte character.
        assert_eq!(percent_decode("a%{é"), "a%{é");
    }

    #[test]
    fn bound_schemas_follow_atlas_scope() {
        let b = |u: &str| DbUrl::parse(u).unwrap().bound_schema();
        assert_eq!(b("postgres://h/db?sslmode=disable&search_path=app"), Some("app".into()));
        assert_eq!(b("postgres://h/db?search_path=app,public"), None);
        assert_eq!(b("postgres://h/db?search_path=%22%24user%22"), None);
        assert_eq!(b("postgres://h/db"), None);
        assert_eq!(b("mysql://root@h/shop"), Some("shop".into()));
        assert_eq!(b("mysql://root@h/"), None);
        assert_eq!(b("sqlite://x.db"), None);
    }

    #[test]
    fn with_database_swaps_only_the_path() {
        let u = DbUrl::parse("postgres://u:p@h:5432/app?sslmode=disable").unwrap();
        assert_eq!(u.with_database("sg_dev_1").conn, "postgres://u:p@h:5432/sg_dev_1?sslmode=disable");
        let u = DbUrl::parse("mysql://root@h:3306").unwrap();
        assert_eq!(u.with_database("x").conn, "mysql://root@h:3306/x");
    }

    #[test]
    fn credentials_and_endpoints() {
        let u = DbUrl::parse("postgres://admin:pw@H:5432/app?sslmode=disable&password=x").unwrap();
        assert_eq!(u.with_credentials("sg_dev_1", "p@ss").conn, "postgres://sg_dev_1:p%40ss@H:5432/app?sslmode=disable");
        let m = DbUrl::parse("mysql://root@localhost/?socket=/tmp/s").unwrap().with_database("d").with_credentials("u", "p");
        assert_eq!(m.conn, "mysql://u:p@localhost/d?socket=/tmp/s");
        assert_eq!(endpoint("postgres://a@localhost/x"), endpoint("postgres://b:c@127.0.0.1:5432/y"));
        assert_ne!(endpoint("postgres://a@h:5432/x"), endpoint("postgres://a@h:5433/x"));
    }

    #[test]
    fn redacts_passwords_everywhere() {
        let s = redact("error connecting to postgres://admin:s3cr%40t@db:5432/app?password=hunter2");
        assert!(!s.contains("s3cr"), "{s}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("postgres://admin:xxxxx@db:5432/app"), "{s}");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    /// Malformed URLs are redacted as well as well-formed ones, so a parse error never echoes a
    /// password: one slash, no slash, a raw `@` or `/` in the password, a URL in backticks.
    #[test]
    fn redacts_malformed_urls() {
        for (input, want) in [
            ("postgres:/u:PW1@h/db", "postgres:/u:xxxxx@h/db"),
            ("postgres:u:PW1@h/db", "postgres:xxxxx@h/db"),
            ("postgres://u:p@PW1@h/db", "postgres://u:xxxxx@h/db"),
            ("mysql://u:a/PW1@h:3306/db", "mysql://u:xxxxx@h:3306/db"),
            ("`postgres://u:PW1@h/db` is not", "`postgres://u:xxxxx@h/db` is not"),
            ("x postgresql:///u:PW1@h", "x postgresql:///u:xxxxx@h"),
            ("error: no database", "error: no database"),
            ("at line 3: `a:b`", "at line 3: `a:b`"),
            ("postgres//u:PW1@h/db", "postgres//u:xxxxx@h/db"),
            ("root:PW1@127.0.0.1:3306/app", "root:xxxxx@127.0.0.1:3306/app"),
            ("postgres://u@h/db", "postgres://u@h/db"),
        ] {
            assert_eq!(redact(input), want, "{input}");
        }
        for bad in ["postgres:/u:PW1@h/db", "postgres://u:p@PW1@h:99999999/db", "postgres//u:PW1@h/db", "pg://u:PW1@h/db", "mysql://u:PW1@h:port/db"] {
            if let Err(e) = DbUrl::parse(bad) {
                assert!(!format!("{e:#}").contains("PW1"), "{bad}: {e:#}");
            }
        }
    }
}
