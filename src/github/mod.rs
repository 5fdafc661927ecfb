//! GitHub glue for the Action: turn an event into (directories, operation), talk to the REST
//! API, render the sticky comment. Everything else is the library code the CLI runs.

pub mod client;
pub mod comment;
pub mod requirements;

use serde_json::Value as Json;

/// The pull request an event is about, as far as the Action needs it.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    pub number: u64,
    pub head_sha: String,
    pub base_ref: String,
    pub head_ref: String,
    pub draft: bool,
    pub labels: Vec<String>,
    pub merged: bool,
    pub mergeable: Option<bool>,
}

impl PullRequest {
    pub fn from_json(p: &Json) -> PullRequest {
        PullRequest {
            number: p["number"].as_u64().unwrap_or(0),
            head_sha: p["head"]["sha"].as_str().unwrap_or_default().to_string(),
            base_ref: p["base"]["ref"].as_str().unwrap_or_default().to_string(),
            head_ref: p["head"]["ref"].as_str().unwrap_or_default().to_string(),
            draft: p["draft"].as_bool().unwrap_or(false),
            labels: p["labels"].as_array().into_iter().flatten().filter_map(|l| l["name"].as_str().map(String::from)).collect(),
            merged: p["merged"].as_bool().unwrap_or(false) || p["merged_at"].is_string(),
            mergeable: p["mergeable"].as_bool(),
        }
    }
}

/// A comment command: `schemagate plan [query]`, `terrateam apply [query]`, `schemagate help`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: String,
    pub query: String,
}

pub fn parse_command(body: &str) -> Option<Command> {
    let t = body.trim().trim_matches('`').trim();
    let mut words = t.split_whitespace();
    let first = words.next()?.to_ascii_lowercase();
    if first != "schemagate" && first != "terrateam" {
        return None;
    }
    let action = words.next().unwrap_or("help").to_ascii_lowercase();
    let query = words.collect::<Vec<_>>().join(" ");
    Some(Command { action, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse_command("schemagate plan"), Some(Command { action: "plan".into(), query: "".into() }));
        assert_eq!(parse_command("  `terrateam apply dir:db/app`  "), Some(Command { action: "apply".into(), query: "dir:db/app".into() }));
        assert_eq!(parse_command("looks good to me"), None);
        assert_eq!(parse_command("schemagate").unwrap().action, "help");
    }
}
