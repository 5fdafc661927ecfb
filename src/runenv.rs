//! The environment one directory's run sees. Hooks (`env`, `oidc`) produce variables for the
//! steps after them; with `parallel_runs` several directories run at once, so those variables
//! must not go into the process environment, where another run would read them. Code that reads
//! run-level settings (atlas.hcl's `getenv()`, AWS credentials and endpoints, the OIDC request
//! token) calls [`var`], which looks at the overlay installed on the current thread by [`with`]
//! first and the process environment second.
//!
//! The overlay is thread-local: evaluation of atlas.hcl and the AWS calls run synchronously on
//! one (blocking) thread, inside `with`.

use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static OVERLAY: RefCell<Option<HashMap<String, String>>> = const { RefCell::new(None) };
}

/// Run `f` with `vars` layered over the process environment for [`var`] on this thread.
pub fn with<R>(vars: &HashMap<String, String>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<HashMap<String, String>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            OVERLAY.with(|o| *o.borrow_mut() = prev);
        }
    }
    let prev = OVERLAY.with(|o| o.borrow_mut().replace(vars.clone()));
    let _restore = Restore(prev);
    f()
}

/// A variable: the current run's value if it has one, else the process's.
pub fn var(name: &str) -> Option<String> {
    OVERLAY.with(|o| o.borrow().as_ref().and_then(|m| m.get(name).cloned())).or_else(|| std::env::var(name).ok())
}

/// [`var`], treating an empty value as unset.
pub fn non_empty(name: &str) -> Option<String> {
    var(name).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_wins_and_is_restored_even_when_nested() {
        let outer = HashMap::from([("SG_RUNENV_T".to_string(), "outer".to_string())]);
        let inner = HashMap::from([("SG_RUNENV_T".to_string(), "inner".to_string())]);
        assert_eq!(var("SG_RUNENV_T"), None);
        with(&outer, || {
            assert_eq!(var("SG_RUNENV_T").as_deref(), Some("outer"));
            with(&inner, || assert_eq!(var("SG_RUNENV_T").as_deref(), Some("inner")));
            assert_eq!(var("SG_RUNENV_T").as_deref(), Some("outer"));
        });
        assert_eq!(var("SG_RUNENV_T"), None);
        // Another thread never sees this thread's overlay.
        with(&outer, || assert_eq!(std::thread::spawn(|| var("SG_RUNENV_T")).join().unwrap(), None));
    }
}
