//! Where a run spends its time: with `SCHEMAGATE_TIMINGS=1` each stage (inspection, normalization,
//! rehearsal, lint, …) prints `timing: <stage> <seconds>` on stderr when it ends. This is what
//! benches/compare.sh and BENCHMARKS.md use to say what bounds a number, and what a user with a
//! slow plan can send along. Off by default: nothing is measured or printed.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SCHEMAGATE_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// A running stage; it reports when dropped.
pub struct Stage {
    name: &'static str,
    start: Option<Instant>,
    _progress: crate::progress::Step,
}

/// Start timing `name` (timed only with SCHEMAGATE_TIMINGS; shown as progress on stderr).
pub fn stage(name: &'static str) -> Stage {
    // The whole run is no stage to show: the spinner names what the run is doing now.
    let progress = if name == "whole run" { crate::progress::Step::none() } else { crate::progress::step(name) };
    Stage { name, start: enabled().then(Instant::now), _progress: progress }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(s) = self.start {
            eprintln!("timing: {} {:.3} s", self.name, s.elapsed().as_secs_f64());
        }
    }
}
