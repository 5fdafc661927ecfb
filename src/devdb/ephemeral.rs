//! `ephemeral://postgres`: a private PostgreSQL server started from the local binaries on a Unix
//! socket in a temporary directory (no TCP), fsync off, stopped when schemagate exits. The
//! cluster is copied from a template initialized once and cached, so a start after the first
//! takes a fraction of a second. One server per process; disposable databases are created in it.
//!
//! Private by construction: the servers get an environment reduced to what they need (never the
//! runner's tokens or cloud keys), their directories (socket included) are mode 0700 and owned
//! by the user the server runs as, so no other local user can connect, and no TCP port is
//! opened. A template cache that another user could have written is not used.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    dir: PathBuf,
    /// Admin URL (a socket directory, no password).
    pub url: String,
}

static SERVER: Mutex<Option<Cluster>> = Mutex::new(None);
static MARIADB: Mutex<Option<Server>> = Mutex::new(None);

fn bindir() -> Option<PathBuf> {
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if p.join("initdb").is_file() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").is_file()).collect();
    found.sort_by_key(|p| p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0));
    found.pop()
}

pub fn available() -> bool {
    bindir().is_some()
}

/// The major version of the local PostgreSQL binaries an ephemeral server runs (`15`).
pub fn pg_major() -> Option<String> {
    let out = Command::new(bindir()?.join("postgres")).arg("--version").output().ok()?;
    // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let v = text.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    Some(v.split('.').next()?.to_string())
}

/// The version of the local MariaDB server an ephemeral server runs (`10.11.6`).
pub fn mariadb_version() -> Option<String> {
    let (_, server) = mariadb_bins()?;
    let out = Command::new(server).arg("--version").output().ok()?;
    // "/usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu …"
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let v = text.split_whitespace().skip_while(|w| *w != "Ver").nth(1)?;
    Some(v.split('-').next()?.to_string())
}

/// The uid and gid of a system user.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let c = std::ffi::CString::new(user).ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once.
    unsafe {
        let pw = libc::getpwnam(c.as_ptr());
        (!pw.is_null()).then(|| ((*pw).pw_uid, (*pw).pw_gid))
    }
}

/// What a server process may see of the environment: a PATH and a locale, nothing else (the
/// runner's GITHUB_TOKEN, AWS keys and database URLs stay with schemagate).
const SERVER_ENV: &[(&str, &str)] = &[("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("LC_ALL", "C.UTF-8")];

/// A helper program (cp, chown) with the servers' reduced environment: nothing started for an
/// ephemeral server sees the runner's secrets.
fn helper(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    for (k, v) in SERVER_ENV {
        c.env(k, v);
    }
    c
}

/// Database servers refuse to run as root: as root, run them as their system user (uid and gid
/// set directly: no `runuser`, so the child *is* the server and gets its signals). Either way
/// with the reduced environment.
fn as_user(user: &str, program: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    for (k, v) in SERVER_ENV {
        c.env(k, v);
    }
    if unsafe { libc::geteuid() } == 0 {
        if let Some((uid, gid)) = user_ids(user) {
            use std::os::unix::process::CommandExt;
            c.uid(uid).gid(gid);
        }
    }
    c
}

/// Hand `path` (recursively) to the server's user when running as root, and make the top
/// directory private to its owner.
fn chown_to(user: &str, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    if unsafe { libc::geteuid() } == 0 {
        let st = helper("chown").args(["-R", &format!("{user}:{user}")]).arg(path).status()?;
        if !st.success() {
            bail!("cannot hand {} to the {user} user", path.display());
        }
    }
    Ok(())
}

/// A cached template may be used only if nobody but its server's user could have written it:
/// a planted template would run its own configuration in the server.
fn private_template(dir: &Path, user: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::symlink_metadata(dir) else { return false };
    let owner = if unsafe { libc::geteuid() } == 0 { user_ids(user).map(|(u, _)| u) } else { Some(unsafe { libc::geteuid() }) };
    m.is_dir() && Some(m.uid()) == owner && m.mode() & 0o077 == 0
}

/// Remove a cached template that is not private (it is built again).
fn discard_template(dir: &Path) -> Result<()> {
    std::fs::remove_dir_all(dir).map_err(|e| anyhow!("the cached template {} could have been written by another user (owner or mode) and cannot be removed ({e}); remove it and run again", dir.display()))
}

/// A fresh private directory for one server: `<tmp>/schemagate-eph-<pid>-<random>`.
fn server_dir(kind: &str) -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = std::env::temp_dir().join(format!("schemagate-eph{kind}-{}-{:x}", std::process::id(), rand::random::<u32>()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Remove ephemeral server directories whose schemagate process is gone (a SIGKILL leaves them,
/// and their server keeps running: it is stopped first). Returns what was removed.
pub fn clean_dead() -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return removed };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix("schemagate-eph-").or_else(|| name.strip_prefix("schemagate-eph-my-")) else { continue };
        let rest = rest.strip_prefix("my-").unwrap_or(rest);
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else { continue };
        if pid == std::process::id() as i32 || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = e.path();
        for pidfile in [dir.join("data/postmaster.pid"), dir.join("mariadb.pid")] {
            if let Some(server) = std::fs::read_to_string(&pidfile).ok().and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok())) {
                // SAFETY: plain signal to a pid read from the server's own pid file.
                unsafe {
                    libc::kill(server, libc::SIGQUIT);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir.display().to_string());
        }
    }
    removed
}

fn as_server_user(program: &Path) -> Command {
    as_user("postgres", program)
}

fn chown_to_server_user(path: &Path) -> Result<()> {
    chown_to("postgres", path)
}

/// Signal a server's main process (from its pid file, else the child), wait for it, clean up.
fn shut_down(mut s: Server, pid: Option<i32>, signal: i32) {
    unsafe {
        libc::kill(pid.unwrap_or(s.child.id() as i32), signal);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if matches!(s.child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = s.child.kill();
    let _ = s.child.wait();
    let _ = std::fs::remove_dir_all(&s.dir);
}

fn cache_dir(version: &str) -> PathBuf {
    let base = std::env::var("XDG_CACHE_HOME").map(PathBuf::from).ok().filter(|_| unsafe { libc::geteuid() } != 0).or_else(|| std::env::var("HOME").ok().filter(|_| unsafe { libc::geteuid() } != 0).map(|h| PathBuf::from(h).join(".cache"))).unwrap_or_else(std::env::temp_dir);
    base.join(format!("schemagate-pg{version}-template"))
}

fn template(bin: &Path) -> Result<PathBuf> {
    let version = bin.parent().and_then(|p| p.file_name()).map(|v| v.to_string_lossy().to_string()).unwrap_or_else(|| "local".into());
    let dir = cache_dir(&version);
    if dir.join("PG_VERSION").is_file() {
        if private_template(&dir, "postgres") {
            return Ok(dir);
        }
        discard_template(&dir)?;
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    chown_to_server_user(&tmp)?;
    let out = as_server_user(&bin.join("initdb"))
        .args(["-D"])
        .arg(&tmp)
        .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        .output()
        .context("running initdb")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        // Not a database privilege (the generic hint would say so): the directory is out of the
        // server user's reach.
        let hint = if err.contains("Permission denied") && unsafe { libc::geteuid() } == 0 {
            format!("\n  hint: as root, schemagate runs the server as its system user, which must be able to enter every directory above {} (TMPDIR, XDG_CACHE_HOME): `chmod o+x` them, or point TMPDIR at /tmp", tmp.display())
        } else {
            String::new()
        };
        bail!("initdb failed: {err}{hint}");
    }
    // Another process may have won the race; either template is fine.
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(dir)
}

/// A private PostgreSQL cluster: a copy of the template in its own directory, served on a Unix
/// socket there. `url()` keeps one per process for disposable databases; the fault tests use
/// one directly to crash and restart a server under a running apply.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    child: Option<Child>,
    /// Admin URL (a socket directory, no password).
    pub url: String,
}

impl Cluster {
    /// Copy the template into a fresh directory and start a server on it.
    pub fn create() -> Result<Cluster> {
        let bin = bindir().ok_or_else(|| anyhow!("ephemeral://postgres needs the PostgreSQL server binaries (initdb, postgres); install the `postgresql` package or pass --dev-url postgres://…"))?;
        let tmpl = template(&bin)?;
        let dir = server_dir("")?;
        let st = helper("cp").arg("-a").arg(&tmpl).arg(dir.join("data")).status()?;
        if !st.success() {
            bail!("cannot copy the template cluster {}", tmpl.display());
        }
        chown_to_server_user(&dir)?;
        let url = format!("postgres://postgres@localhost/postgres?host={}", dir.display());
        let mut c = Cluster { bin, dir, child: None, url };
        c.start()?;
        Ok(c)
    }

    /// Start the server on the existing data directory (after `create`, or after `crash`).
    pub fn start(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("server.log"))?;
        let child = as_server_user(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-k")
            .arg(&self.dir)
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50", "-p", "5432"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting the ephemeral PostgreSQL server")?;
        self.child = Some(child);
        let pid = self.dir.join("data/postmaster.pid");
        let started = Instant::now();
        // Ready when the socket exists and postmaster.pid says "ready" (after crash recovery).
        while !(self.dir.join(".s.PGSQL.5432").exists() && std::fs::read_to_string(&pid).is_ok_and(|t| t.contains("ready"))) {
            if started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                bail!("the ephemeral PostgreSQL server did not start: {}", log.lines().last().unwrap_or(""));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stop the server the way a crash does (SIGQUIT: immediate shutdown, no checkpoint); the
    /// next `start` runs crash recovery. The child may be `runuser`, which does not pass
    /// signals on: the postmaster's own PID heads postmaster.pid.
    pub fn crash(&mut self) {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).ok().and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        if let Some(mut child) = self.child.take() {
            unsafe {
                libc::kill(pid.unwrap_or(child.id() as i32), libc::SIGQUIT);
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline && !matches!(child.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The admin URL of this process's ephemeral server, starting it on first use.
pub fn url() -> Result<String> {
    let mut g = SERVER.lock().unwrap();
    if let Some(c) = g.as_ref() {
        return Ok(c.url.clone());
    }
    let _t = crate::timings::stage("ephemeral://postgres ready");
    let c = Cluster::create()?;
    let url = c.url.clone();
    *g = Some(c);
    Ok(url)
}

/// Stop the servers and remove their files (at exit, and on Ctrl-C).
pub fn stop() {
    if let Some(s) = MARIADB.lock().unwrap().take() {
        let pid = std::fs::read_to_string(s.dir.join("mariadb.pid")).ok().and_then(|t| t.trim().parse::<i32>().ok());
        shut_down(s, pid, libc::SIGTERM);
    }
    // Dropping the cluster shuts it down (SIGQUIT: PostgreSQL's immediate shutdown) and removes it.
    drop(SERVER.lock().unwrap().take());
}

// ---- MariaDB ----------------------------------------------------------------------------------

fn mariadb_bins() -> Option<(PathBuf, PathBuf)> {
    let install = ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"].iter().map(PathBuf::from).find(|p| p.is_file())?;
    let server = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"].iter().map(PathBuf::from).find(|p| p.is_file())?;
    Some((install, server))
}

pub fn mariadb_available() -> bool {
    mariadb_bins().is_some()
}

fn as_mysql_user(program: &Path) -> Command {
    as_user("mysql", program)
}

fn chown_to_mysql(path: &Path) -> Result<()> {
    chown_to("mysql", path)
}

fn mariadb_template(install: &Path) -> Result<PathBuf> {
    let dir = cache_dir("mariadb").with_file_name("schemagate-mariadb-template");
    if dir.join("mysql").is_dir() {
        if private_template(&dir, "mysql") {
            return Ok(dir);
        }
        discard_template(&dir)?;
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    chown_to_mysql(&tmp)?;
    let out = as_mysql_user(install)
        .arg(format!("--datadir={}", tmp.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db", "--no-defaults"])
        .output()
        .context("running mariadb-install-db")?;
    if !out.status.success() {
        bail!("mariadb-install-db failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(dir)
}

/// `ephemeral://mariadb`: the admin URL of this process's private MariaDB server.
pub fn mariadb_url() -> Result<String> {
    let mut g = MARIADB.lock().unwrap();
    if let Some(s) = g.as_ref() {
        return Ok(s.url.clone());
    }
    let _t = crate::timings::stage("ephemeral://mariadb ready");
    let (install, server) = mariadb_bins().ok_or_else(|| anyhow!("ephemeral://mariadb needs the MariaDB server binaries (mariadb-install-db, mariadbd); install `mariadb-server` or pass --dev-url mysql://…"))?;
    let tmpl = mariadb_template(&install)?;
    let dir = server_dir("-my")?;
    let data = dir.join("data");
    if !helper("cp").arg("-a").arg(&tmpl).arg(&data).status()?.success() {
        bail!("cannot copy the template datadir {}", tmpl.display());
    }
    chown_to_mysql(&dir)?;
    let sock = dir.join("mysqld.sock");
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = as_mysql_user(&server)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg(format!("--socket={}", sock.display()))
        .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
        .args(["--skip-networking", "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting the ephemeral MariaDB server")?;
    let started = Instant::now();
    while !sock.exists() {
        if started.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            bail!("the ephemeral MariaDB server did not start: {}", log.lines().last().unwrap_or(""));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("mysql://root@localhost/?socket={}", sock.display());
    *g = Some(Server { child, dir, url: url.clone() });
    Ok(url)
}
