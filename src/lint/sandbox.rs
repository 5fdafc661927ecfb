//! Policies in a pull request are attacker input too: a rule can loop for minutes, build a string
//! of gigabytes, or nest until the interpreter's stack overflows (which aborts a process, and no
//! `catch_unwind` helps). So the `schemagate` command evaluates policies in a child process of
//! itself (`schemagate __policy-worker`) with an address-space limit, killed past its time limit;
//! inside, regorus's own execution timer stops a runaway rule and names its family. Library
//! callers (tests, benches) that never call [`use_worker`] evaluate in-process with the timer.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value as Json;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static WORKER: OnceLock<PathBuf> = OnceLock::new();

/// Lines the worker writes on stderr around each policy family, so that the parent can name
/// the family that was running when the worker was stopped.
const PROGRESS: &str = "schemagate-policy ";

static IN_WORKER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Note on stderr (in the worker only) that a family starts or is done.
pub fn progress(what: &str, family: &str) {
    if IN_WORKER.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("{PROGRESS}{what} {family}");
    }
}

/// Evaluate policies in child processes of this executable from now on.
pub fn use_worker(exe: PathBuf) {
    let _ = WORKER.set(exe);
}

/// How long policy evaluation may take (`SCHEMAGATE_POLICY_TIMEOUT`, default 10 s).
pub fn time_limit() -> Duration {
    std::env::var("SCHEMAGATE_POLICY_TIMEOUT").ok().and_then(|v| crate::duration::parse(&v).ok()).unwrap_or(Duration::from_secs(10))
}

/// How much memory (MiB of address space) policy evaluation may use (`SCHEMAGATE_POLICY_MEMORY`,
/// default 2048).
pub fn memory_limit_mib() -> u64 {
    std::env::var("SCHEMAGATE_POLICY_MEMORY").ok().and_then(|v| v.trim().parse::<u64>().ok()).filter(|m| (64..=1 << 20).contains(m)).unwrap_or(2048)
}

/// What the worker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Evaluate,
    Test,
}

impl Job {
    fn arg(self) -> &'static str {
        match self {
            Job::Evaluate => "evaluate",
            Job::Test => "test",
        }
    }
}

/// Run `job` on `request` in the worker when one is set, else in-process with `local`.
pub fn run(job: Job, request: &Json, local: impl FnOnce() -> Result<Json>) -> Result<Json> {
    let Some(exe) = WORKER.get() else { return local() };
    let limit = time_limit();
    let mut child = Command::new(exe)
        .args(["__policy-worker", job.arg()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the policy worker")?;
    limit_memory(&child, memory_limit_mib());
    let body = serde_json::to_vec(request)?;
    let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("policy worker has no stdin"))?;
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("policy worker has no stdout"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| anyhow!("policy worker has no stderr"))?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    // The worker's own timer normally fires first and names the rule; this is the backstop for
    // what the timer does not see (parsing, a huge allocation loop).
    let deadline = Instant::now() + limit + Duration::from_secs(2);
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if status.is_some_and(|s| s.success()) {
        return serde_json::from_slice(&out).context("reading the policy worker's answer");
    }
    let last = err.lines().rev().find(|l| !l.trim().is_empty() && !l.starts_with(PROGRESS)).unwrap_or("").to_string();
    // The families that had started and not finished when the worker died.
    let mut running: Vec<&str> = Vec::new();
    for l in err.lines() {
        if let Some(f) = l.strip_prefix(PROGRESS).and_then(|r| r.strip_prefix("start ")) {
            running.push(f);
        } else if let Some(f) = l.strip_prefix(PROGRESS).and_then(|r| r.strip_prefix("done ")) {
            running.retain(|x| *x != f);
        }
    }
    let which = if running.is_empty() { "policy evaluation".to_string() } else { format!("policy {}", running.join(" or ")) };
    let Some(status) = status else {
        bail!("{which} exceeded {} s and was stopped (SCHEMAGATE_POLICY_TIMEOUT)", limit.as_secs_f64());
    };
    if let Some(msg) = last.strip_prefix("error: ") {
        bail!("{msg}");
    }
    if err.contains("overflowed its stack") {
        bail!("{which} overflowed its stack and was stopped (a rule or expression nested too deep)");
    }
    if err.contains("memory allocation") || err.contains("capacity overflow") {
        bail!("{which} exceeded its memory limit of {} MiB and was stopped (SCHEMAGATE_POLICY_MEMORY)", memory_limit_mib());
    }
    bail!("{which} failed ({status}){}", if last.is_empty() { String::new() } else { format!(": {last}") })
}

/// Cap the worker's address space (prlimit on the running child: std has no pre-exec hook
/// that keeps this crate free of `unsafe` in the child between fork and exec).
fn limit_memory(child: &std::process::Child, mib: u64) {
    let bytes = mib.saturating_mul(1 << 20);
    let lim = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
    // SAFETY: prlimit on our own child's pid with a valid struct; failure leaves it unlimited.
    unsafe {
        libc::prlimit(child.id() as libc::pid_t, libc::RLIMIT_AS, &lim, std::ptr::null_mut());
    }
}

/// The worker's side: read the request, run the job in-process, print the answer.
pub fn worker_main(job: &str) -> i32 {
    IN_WORKER.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("error: reading the request: {e}");
        return 1;
    }
    let r = (|| -> Result<Json> {
        let req: Json = serde_json::from_slice(&input)?;
        let opts: super::Options = serde_json::from_value(req["opts"].clone())?;
        match job {
            "evaluate" => Ok(serde_json::to_value(super::evaluate_here(&opts, &req["input"])?)?),
            "test" => Ok(serde_json::to_value(super::tests::run_here(&opts)?)?),
            other => bail!("unknown policy job {other}"),
        }
    })();
    match r {
        Ok(v) => {
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer(&mut out, &v);
            let _ = out.flush();
            0
        }
        Err(e) => {
            eprintln!("error: {}", crate::error::chain(&e).replace('\n', " "));
            1
        }
    }
}
