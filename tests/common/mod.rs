//! Test helpers: fresh databases on the live servers (each test its own, dropped afterwards,
//! so tests run in parallel), the shared corpus, the stock clients, and the built binary.
#![allow(dead_code)]

use rand::Rng;
use schemagate::engine::{Conn, InspectOptions};
use schemagate::schema::{Dialect, Realm};
use schemagate::url::DbUrl;
use std::path::PathBuf;
use std::process::Command;

pub fn pg_admin() -> String {
    std::env::var("SG_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn mysql_admin() -> String {
    std::env::var("SG_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// `../shared` (or `$SCHEMAGATE_SHARED`), where the external corpus lives. None: not on this
/// machine; the caller skips with a message.
pub fn shared() -> Option<PathBuf> {
    let p = std::env::var("SCHEMAGATE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    p.join("corpus").is_dir().then_some(p)
}

#[macro_export]
macro_rules! require_shared {
    () => {
        match common::shared() {
            Some(p) => p,
            None => {
                eprintln!("SKIPPED: ../shared/corpus not found (set SCHEMAGATE_SHARED to its location)");
                return;
            }
        }
    };
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_schemagate")
}

/// A database of its own for one test.
pub struct TestDb {
    pub dialect: Dialect,
    pub url: String,
    pub name: String,
    admin: String,
    _dir: Option<tempfile::TempDir>,
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}_{:012x}", rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff)
}

impl TestDb {
    pub async fn new(dialect: Dialect) -> TestDb {
        match dialect {
            Dialect::Postgres => Self::server(dialect, &pg_admin()).await,
            Dialect::Mysql => Self::server(dialect, &mysql_admin()).await,
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("test.db");
                TestDb { dialect, url: format!("sqlite://{}", path.display()), name: path.display().to_string(), admin: String::new(), _dir: Some(dir) }
            }
        }
    }

    async fn server(dialect: Dialect, admin: &str) -> TestDb {
        let name = random_name("sg_test");
        let a = Conn::connect(&DbUrl::parse(admin).unwrap()).await.unwrap_or_else(|e| {
            panic!("cannot reach the {} test server at {} ({e:#}); start it or set SG_TEST_PG_URL / SG_TEST_MYSQL_URL", dialect.name(), schemagate::url::redact(admin))
        });
        a.execute(&format!("CREATE DATABASE {}", schemagate::engine::quote_ident(dialect, &name))).await.unwrap();
        a.close().await;
        let url = DbUrl::parse(admin).unwrap().with_database(&name);
        let url = match dialect {
            Dialect::Mysql => url.conn,
            _ => url.conn,
        };
        TestDb { dialect, url, name, admin: admin.to_string(), _dir: None }
    }

    /// The server URL to pass as --dev-url (SQLite: none).
    pub fn dev_url(&self) -> Option<String> {
        match self.dialect {
            Dialect::Sqlite => None,
            Dialect::Mysql => Some(DbUrl::parse(&self.admin).unwrap().with_database("").conn.trim_end_matches('/').to_string() + "/"),
            Dialect::Postgres => Some(self.admin.clone()),
        }
    }

    pub async fn conn(&self) -> Conn {
        Conn::connect(&DbUrl::parse(&self.url).unwrap()).await.unwrap()
    }

    pub async fn exec(&self, sql: &str) {
        let c = self.conn().await;
        c.execute(sql).await.unwrap();
        c.close().await;
    }

    pub async fn inspect(&self) -> Realm {
        let c = self.conn().await;
        let schemas = match self.dialect {
            Dialect::Mysql => vec![self.name.clone()],
            _ => vec![],
        };
        let r = c.inspect(&InspectOptions { schemas }).await.unwrap();
        c.close().await;
        r
    }

    /// Load a SQL file with the stock client (psql, mariadb, sqlite3), as a user would.
    pub fn load_file(&self, path: &std::path::Path) {
        let out = match self.dialect {
            Dialect::Postgres => Command::new("psql").args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url, "-f"]).arg(path).output(),
            Dialect::Mysql => {
                let u = DbUrl::parse(&self.url).unwrap();
                let (host, port) = host_port(&u.conn);
                Command::new("mariadb").args(["-uroot", "-h", &host, "-P", &port, &self.name]).stdin(std::fs::File::open(path).unwrap()).output()
            }
            Dialect::Sqlite => Command::new("sqlite3").arg(&self.name).stdin(std::fs::File::open(path).unwrap()).output(),
        }
        .expect("stock client runs");
        assert!(out.status.success(), "loading {} failed: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    }

    pub fn load_sql(&self, sql: &str) {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), sql).unwrap();
        self.load_file(f.path());
    }

    pub async fn drop(self) {
        if self.dialect == Dialect::Sqlite {
            return;
        }
        let a = Conn::connect(&DbUrl::parse(&self.admin).unwrap()).await.unwrap();
        let sql = match self.dialect {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS `{}`", self.name),
        };
        let _ = a.execute(&sql).await;
        a.close().await;
    }
}

fn host_port(conn: &str) -> (String, String) {
    let after = conn.split("://").nth(1).unwrap_or("");
    let authority = after.split('/').next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    match hostport.split_once(':') {
        Some((h, p)) => (h.to_string(), p.to_string()),
        None => (hostport.to_string(), "3306".to_string()),
    }
}

/// Run the binary; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin()).args(args).env_remove("DATABASE_URL").output().expect("binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A loopback HTTP server for tests: answers every request with `respond(method, path, body)`
/// → (status, content-type, body), and records the requests.
pub struct Stub {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String, Vec<(String, String)>, String)>>>,
}

impl Stub {
    pub fn start<F>(respond: F) -> Stub
    where
        F: Fn(&str, &str, &str) -> (u16, String, String) + Send + Sync + 'static,
    {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let rec = requests.clone();
        let respond = std::sync::Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let rec = rec.clone();
                let respond = respond.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or("").to_string();
                    let path = parts.next().unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    let mut len = 0usize;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = h.trim_end().split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                            headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
                        }
                    }
                    let mut body = vec![0u8; len];
                    let _ = reader.read_exact(&mut body);
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let (status, ctype, resp) = respond(&method, &path, &body);
                    rec.lock().unwrap().push((method, path, headers, body));
                    let mut s = stream;
                    let _ = write!(s, "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{resp}", resp.len());
                });
            }
        });
        Stub { url, requests }
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
