//! schemagate: GitOps for database schemas. The binary wires these stages together; tests call
//! them directly. See docs/architecture.md for the pipeline.

// `deny(clippy::wildcard_enum_match_arm)` below: in the engine layer a match over a change,
// a dialect or a connection names every variant, so a new one cannot fall through a `_ =>`
// (.ci/run runs clippy; docs/architecture.md, "Exhaustive matches, enforced").
#[deny(clippy::wildcard_enum_match_arm)]
pub mod apply;
pub mod cli;
pub mod cloud;
pub mod config;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod devdb;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod diff;
pub mod duration;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod engine;
pub mod github;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod limits;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod lint;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod plan;
pub mod progress;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod report;
pub mod runenv;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod schema;
pub mod source;
#[deny(clippy::wildcard_enum_match_arm)]
pub mod statement;
pub mod timings;
pub mod url;
