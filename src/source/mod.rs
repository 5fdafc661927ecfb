//! Desired-state readers: Atlas HCL files and directories.
pub mod hcl;
