//! `run` and `env` steps: child processes with the run's environment, off the async workers.

use anyhow::{anyhow, Result};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Run a blocking closure (a child process, AWS calls) off the async workers, which other
/// directories' runs share.
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| anyhow!("{e}"))?
}

fn command(s: &Json) -> Result<Vec<String>> {
    let cmd: Vec<String> = s["cmd"].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(String::from)).collect();
    if cmd.is_empty() {
        return Err(anyhow!("`cmd` is empty"));
    }
    Ok(cmd)
}

/// A `run` step: its output (stdout then stderr) and whether it succeeded.
pub(super) fn run_step(s: &Json, dir: &Path, env: &HashMap<String, String>) -> Result<(Vec<u8>, Result<()>)> {
    let cmd = command(s)?;
    let mut c = Command::new(&cmd[0]);
    c.args(&cmd[1..]).current_dir(dir).envs(env);
    if let Some(m) = s["env"].as_object() {
        for (k, v) in m {
            c.env(k, v.as_str().unwrap_or_default());
        }
    }
    let o = c.output().map_err(|e| anyhow!("cannot run {:?}: {e}", cmd[0]))?;
    let mut text = o.stdout;
    text.extend_from_slice(&o.stderr);
    let res = if o.status.success() { Ok(()) } else { Err(anyhow!("{:?} exited with {}", cmd.join(" "), o.status.code().unwrap_or(-1))) };
    Ok((text, res))
}

/// `env` steps: `method: exec` sets `name` to the command's output; `method: source` imports
/// the variables a script exports. Returns what to add to the run's environment, which later
/// steps and atlas.hcl's getenv() see (the process environment is left alone: other
/// directories' runs share it).
pub(super) fn env_step(s: &Json, dir: &Path, env: &HashMap<String, String>) -> Result<Vec<(String, String)>> {
    let cmd = command(s)?;
    let method = s["method"].as_str().unwrap_or("exec");
    if method == "source" {
        let o = Command::new("bash").arg("-c").arg("set -a; source \"$@\" >/dev/null; env -0").arg("schemagate-env").args(&cmd).current_dir(dir).envs(env).output()?;
        if !o.status.success() {
            return Err(anyhow!("sourcing {:?} failed: {}", cmd.join(" "), String::from_utf8_lossy(&o.stderr).trim()));
        }
        let mut set = Vec::new();
        for kv in o.stdout.split(|b| *b == 0) {
            let kv = String::from_utf8_lossy(kv);
            if let Some((k, v)) = kv.split_once('=') {
                // Only what the script changed: the rest is the environment it was given.
                if env.get(k).cloned().or_else(|| std::env::var(k).ok()).as_deref() != Some(v) {
                    set.push((k.to_string(), v.to_string()));
                }
            }
        }
        return Ok(set);
    }
    let name = s["name"].as_str().ok_or_else(|| anyhow!("an exec `env` step needs `name`"))?;
    let o = Command::new(&cmd[0]).args(&cmd[1..]).current_dir(dir).envs(env).output().map_err(|e| anyhow!("cannot run {:?}: {e}", cmd[0]))?;
    if !o.status.success() {
        return Err(anyhow!("{:?} exited with {}", cmd.join(" "), o.status.code().unwrap_or(-1)));
    }
    let mut v = String::from_utf8_lossy(&o.stdout).into_owned();
    if s["trim_trailing_newlines"].as_bool() != Some(false) {
        v = v.trim_end_matches('\n').to_string();
    }
    if s["sensitive"].as_bool() == Some(true) {
        // Only inside Actions: elsewhere the command would print the very value it hides.
        crate::cloud::mask(&v);
    }
    Ok(vec![(name.to_string(), v)])
}
