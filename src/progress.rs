//! What a long run is doing, on stderr: on a terminal a spinner with the current stage
//! (indicatif); elsewhere (CI logs, pipes) a plain line when a stage has run for 10 s, and
//! every 10 s after (`SCHEMAGATE_PROGRESS_EVERY`), so a slow index build or a lock wait is never silent. Stages come from
//! `timings::stage` and apply's statements (`progress::step`). `SCHEMAGATE_PROGRESS=0` turns
//! it off.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Active {
    id: u64,
    what: String,
    since: Instant,
    /// When a plain line last said so (CI logs).
    said: Option<Instant>,
}

#[derive(Default)]
struct State {
    next: u64,
    active: Vec<Active>,
    bar: Option<indicatif::ProgressBar>,
}

static STATE: Mutex<State> = Mutex::new(State { next: 0, active: Vec::new(), bar: None });

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Off,
    Spinner,
    Lines,
}

fn mode() -> Mode {
    static M: OnceLock<Mode> = OnceLock::new();
    *M.get_or_init(|| {
        if std::env::var("SCHEMAGATE_PROGRESS").is_ok_and(|v| v == "0" || v == "false") {
            Mode::Off
        } else if std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb") && std::env::var_os("GITHUB_ACTIONS").is_none() {
            Mode::Spinner
        } else {
            Mode::Lines
        }
    })
}

/// How long a stage runs before a plain line says so, and how often after:
/// `SCHEMAGATE_PROGRESS_EVERY` seconds (10).
fn quiet() -> Duration {
    static Q: OnceLock<Duration> = OnceLock::new();
    *Q.get_or_init(|| Duration::from_secs(std::env::var("SCHEMAGATE_PROGRESS_EVERY").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(10)))
}

/// Lines mode: one thread that looks at the innermost stage every second.
fn ticker() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_secs(1));
            let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(a) = st.active.last_mut() {
                let due = a.said.map_or(a.since.elapsed() >= quiet(), |s| s.elapsed() >= quiet());
                if due {
                    eprintln!("… {} ({} s)", a.what, a.since.elapsed().as_secs());
                    a.said = Some(Instant::now());
                }
            }
        });
    });
}

/// A stage in progress; it ends when dropped.
pub struct Step {
    id: Option<u64>,
}

impl Step {
    /// A step that shows nothing.
    pub fn none() -> Step {
        Step { id: None }
    }
}

/// Say that `what` is under way until the returned guard is dropped.
pub fn step(what: impl Into<String>) -> Step {
    let m = mode();
    if m == Mode::Off {
        return Step { id: None };
    }
    let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
    st.next += 1;
    let id = st.next;
    let what = what.into();
    match m {
        Mode::Spinner => {
            let bar = st.bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
                b.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
                b.enable_steady_tick(Duration::from_millis(120));
                b
            });
            bar.set_message(what.clone());
        }
        Mode::Lines => ticker(),
        Mode::Off => {}
    }
    st.active.push(Active { id, what, since: Instant::now(), said: None });
    Step { id: Some(id) }
}

impl Drop for Step {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
        st.active.retain(|a| a.id != id);
        let next = st.active.last().map(|a| a.what.clone());
        match (next, st.bar.take()) {
            (Some(w), Some(bar)) => {
                bar.set_message(w);
                st.bar = Some(bar);
            }
            (None, Some(bar)) => bar.finish_and_clear(),
            (_, None) => {}
        }
    }
}

/// Clear the spinner before printing to the terminal (a prompt, the plan), so lines are not
/// drawn over.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let st = STATE.lock().unwrap_or_else(|e| e.into_inner());
    match &st.bar {
        Some(b) => b.suspend(f),
        None => f(),
    }
}
