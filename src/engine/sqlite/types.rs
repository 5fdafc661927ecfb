//! SQLite's type spellings: the declared type is kept verbatim; the names SQLite knows compare
//! in one canonical spelling.

/// The type names SQLite's documentation and Atlas's driver know (affinity rules, Atlas's HCL
/// types such as `uint64`): their spelling is the engine's, so they compare case-insensitively.
const KNOWN_TYPES: &[&str] = &[
    "int", "integer", "tinyint", "smallint", "mediumint", "bigint", "unsigned big int", "int2", "int8", "uint64",
    "character", "varchar", "varying character", "nchar", "native character", "nvarchar", "text", "clob", "blob",
    "real", "double", "double precision", "float", "numeric", "decimal", "boolean", "bool", "date", "datetime",
    "timestamp", "time", "json", "uuid",
];

/// SQLite keeps the declared type verbatim. A known type name is canonical in lower case, `_`
/// read as a space (HCL identifiers cannot hold spaces), no blanks inside the parentheses; any
/// other name (`sql("USER_DEFINED")`) is the user's own and kept as written, as Atlas keeps it.
/// A column declared without a type has BLOB affinity: it reads as `blob`, as Atlas writes it.
pub fn canonical_type(ty: &str) -> String {
    let ty = ty.trim();
    if ty.is_empty() {
        return "blob".into();
    }
    let (name, args) = ty.split_at(ty.find('(').unwrap_or(ty.len()));
    let key = name.to_ascii_lowercase().replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    if KNOWN_TYPES.contains(&key.as_str()) {
        format!("{key}{}", args.replace(' ', ""))
    } else {
        ty.to_string()
    }
}

/// The HCL spelling of a canonical type: spaces become `_` (read back by [`canonical_type`]);
/// None for what an identifier cannot carry (written `sql("…")`), a user's own upper-case name
/// among them.
pub fn hcl_type(ty: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^([a-z][a-z0-9 ]*?)(\(\d+(,\d+)?\))?$").unwrap());
    let c = re.captures(ty).filter(|_| !ty.contains('_'))?;
    // Only a known name reads `_` back as a space: `my type` stays sql("my type").
    if c[1].contains(' ') && !KNOWN_TYPES.contains(&&c[1]) {
        return None;
    }
    Some(format!("{}{}", c.get(1)?.as_str().replace(' ', "_"), c.get(2).map(|m| m.as_str()).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::{canonical_type, hcl_type};

    #[test]
    fn known_types_are_lower_case_and_user_types_kept_as_written() {
        assert_eq!(canonical_type("INTEGER"), "integer");
        assert_eq!(canonical_type("VARCHAR( 255 )"), "varchar(255)");
        assert_eq!(canonical_type("unsigned_big_int"), "unsigned big int");
        assert_eq!(canonical_type(""), "blob");
        assert_eq!(canonical_type("USER_DEFINED"), "USER_DEFINED");
        assert_eq!(canonical_type("my type"), "my type");
    }

    #[test]
    fn hcl_spelling_round_trips() {
        for ty in ["integer", "varchar(255)", "unsigned big int", "uint64", "USER_DEFINED", "my type", "my_type", "decimal(10,2)"] {
            let c = canonical_type(ty);
            let back = match hcl_type(&c) {
                Some(ident) => canonical_type(&ident),
                None => canonical_type(&c),
            };
            assert_eq!(back, c, "{ty}");
        }
        assert_eq!(hcl_type("USER_DEFINED"), None);
        assert_eq!(hcl_type("my type"), None);
        assert_eq!(hcl_type("unsigned big int").as_deref(), Some("unsigned_big_int"));
    }
}
