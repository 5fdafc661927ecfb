//! schemagate: GitOps for database schemas. The binary wires these stages together; tests call
//! them directly. See docs/architecture.md for the pipeline.

pub mod apply;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod devdb;
pub mod diff;
pub mod duration;
pub mod engine;
pub mod github;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod limits;
pub mod lint;
pub mod plan;
pub mod progress;
pub mod report;
pub mod runenv;
pub mod schema;
pub mod source;
pub mod statement;
pub mod timings;
pub mod url;
