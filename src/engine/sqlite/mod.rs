//! SQLite: inspection through sqlite_schema and the pragma table-valued functions, and DDL.
pub mod ddl;
pub mod engine;
pub mod inspect;
pub mod lossy;
pub mod objects;
pub mod sandbox;
pub mod traffic;

/// SQLite keeps the declared type verbatim; canonical = lower-case, `_` read as a space (HCL
/// identifiers cannot hold spaces), no blanks inside the parentheses.
pub fn canonical_type(ty: &str) -> String {
    let lower = ty.trim().to_ascii_lowercase();
    match lower.find('(') {
        Some(o) => {
            let name = lower[..o].trim().replace('_', " ");
            format!("{}{}", name, lower[o..].replace(' ', ""))
        }
        None => lower.replace('_', " "),
    }
}
