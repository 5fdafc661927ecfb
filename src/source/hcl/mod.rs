//! Atlas HCL: decoding into the model (with file:line:col errors), encoding the model back in
//! Atlas's style, and a comment-preserving formatter.
pub mod decode;
pub mod encode;
pub mod fmt;

pub use decode::{decode_files, read_sources, HclFile};
pub use encode::encode;

#[cfg(test)]
mod tests;
