//! SQLite: inspection through sqlite_schema and the pragma table-valued functions, and DDL.
pub mod ddl;
pub mod engine;
pub mod inspect;
pub mod lossy;
pub mod objects;
pub mod sandbox;
pub mod traffic;

/// SQLite keeps the declared type verbatim; canonical = lower-case, `_` read as a space (HCL
/// identifiers cannot hold spaces), no blanks inside the parentheses. A column declared without
/// a type has BLOB affinity: it reads as `blob`, as Atlas writes it.
pub fn canonical_type(ty: &str) -> String {
    let lower = ty.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return "blob".into();
    }
    match lower.find('(') {
        Some(o) => {
            let name = lower[..o].trim().replace('_', " ");
            format!("{}{}", name, lower[o..].replace(' ', ""))
        }
        None => lower.replace('_', " "),
    }
}

/// The HCL spelling of a canonical type: spaces become `_` (read back by [`canonical_type`]);
/// None for what an identifier cannot carry (written `sql("…")`).
pub fn hcl_type(ty: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^([a-z][a-z0-9 ]*?)(\(\d+(,\d+)?\))?$").unwrap());
    let c = re.captures(ty).filter(|_| !ty.contains('_'))?;
    Some(format!("{}{}", c.get(1)?.as_str().replace(' ', "_"), c.get(2).map(|m| m.as_str()).unwrap_or("")))
}
