//! MySQL/MariaDB type spellings: what users write → what MariaDB's COLUMN_TYPE prints
//! (`int` → `int(11)`, `bool` → `tinyint(1)`), and back to Atlas's HCL names.
//! Display widths follow MariaDB (the server these machines run); MySQL 8 drops them.

pub fn canonical(ty: &str) -> String {
    let t = ty.trim();
    let lower = t.to_ascii_lowercase();
    // enum/set keep their values exactly (case matters); normalize quoting to single quotes.
    if lower.starts_with("enum(") || lower.starts_with("set(") {
        let open = t.find('(').unwrap_or(0);
        let vals = super::super::postgres::inspect::split_top_level(&t[open + 1..t.len().saturating_sub(1)]);
        let vals: Vec<String> = vals
            .iter()
            .map(|v| {
                let v = v.trim();
                // A single-quoted value is SQL (a schema file, COLUMN_TYPE): its backslashes are
                // escapes and are read as such, or `a\\b` would gain a backslash on every
                // round. A double-quoted one is an HCL string's value, already unescaped.
                let inner = if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
                    crate::engine::unquote_literal(v, true).unwrap_or_else(|| v[1..v.len() - 1].replace("''", "'"))
                } else if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                    v[1..v.len() - 1].replace("''", "'")
                } else {
                    v.to_string()
                };
                crate::engine::quote_literal(crate::schema::Dialect::Mysql, &inner)
            })
            .collect();
        return format!("{}({})", &lower[..open], vals.join(","));
    }
    let unsigned = lower.contains(" unsigned");
    let zerofill = lower.contains(" zerofill");
    let base = lower.replace(" unsigned", "").replace(" zerofill", "");
    let base = base.trim();
    let (name, args) = match (base.find('('), base.rfind(')')) {
        (Some(o), Some(c)) if c > o => (base[..o].trim().to_string(), Some(base[o + 1..c].replace(' ', ""))),
        _ => (base.replace('_', " "), None),
    };
    let int_width = |signed: u32, uns: u32| match &args {
        Some(a) => a.clone(),
        None => (if unsigned { uns } else { signed }).to_string(),
    };
    let mut out = match name.as_str() {
        "bool" | "boolean" => "tinyint(1)".to_string(),
        "tinyint" => format!("tinyint({})", int_width(4, 3)),
        "smallint" => format!("smallint({})", int_width(6, 5)),
        "mediumint" => format!("mediumint({})", int_width(9, 8)),
        "int" | "integer" => format!("int({})", int_width(11, 10)),
        "bigint" => format!("bigint({})", match &args {
            Some(a) => a.clone(),
            None => "20".to_string(),
        }),
        "decimal" | "numeric" | "dec" | "fixed" => match &args {
            Some(a) if a.contains(',') => format!("decimal({a})"),
            Some(a) => format!("decimal({a},0)"),
            None => "decimal(10,0)".into(),
        },
        "double precision" | "real" => "double".into(),
        "year" => "year(4)".into(),
        "bit" => format!("bit({})", args.clone().unwrap_or_else(|| "1".into())),
        "char" | "character" => format!("char({})", args.clone().unwrap_or_else(|| "1".into())),
        "binary" => format!("binary({})", args.clone().unwrap_or_else(|| "1".into())),
        "character varying" => format!("varchar({})", args.clone().unwrap_or_default()),
        _ => match &args {
            Some(a) => format!("{name}({a})"),
            None => name.clone(),
        },
    };
    if unsigned {
        out.push_str(" unsigned");
    }
    if zerofill {
        out.push_str(" zerofill");
    }
    out
}

/// `enum('a','b')` / `set('a','b')`: the keyword and the values, unquoted.
pub fn value_list(ty: &str) -> Option<(&'static str, Vec<String>)> {
    let lower = ty.to_ascii_lowercase();
    let kind = if lower.starts_with("enum(") { "enum" } else if lower.starts_with("set(") { "set" } else { return None };
    let inner = ty[kind.len() + 1..].strip_suffix(')')?;
    let values = crate::engine::sql_text::split_top_level(inner).iter().map(|v| crate::engine::unquote_literal(v.trim(), true).unwrap_or_else(|| v.trim().to_string())).collect();
    Some((kind, values))
}

/// Atlas's HCL spelling: display widths dropped where they are the default, `tinyint(1)` → `bool`,
/// `unsigned` returned separately. `None` when the type needs `sql("…")`.
pub fn hcl_type(ty: &str) -> Option<(String, bool)> {
    let unsigned = ty.ends_with(" unsigned");
    let base = ty.trim_end_matches(" unsigned");
    if base.contains(' ') {
        return None;
    }
    if base == "tinyint(1)" && !unsigned {
        return Some(("bool".into(), false));
    }
    // enum('a','b') → enum("a","b") is produced by the encoder (values need HCL strings).
    if base.starts_with("enum(") || base.starts_with("set(") {
        return None;
    }
    let re = regex::Regex::new(r"^([a-z][a-z0-9_]*)(\((\d+)(,\d+)?\))?$").unwrap();
    let c = re.captures(base)?;
    let name = c.get(1)?.as_str().to_string();
    let with = base.to_string();
    // Drop widths that canonical() would add back.
    let bare = if canonical(&if unsigned { format!("{name} unsigned") } else { name.clone() }) == ty { name } else { with };
    Some((bare, unsigned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spellings() {
        assert_eq!(canonical("int"), "int(11)");
        assert_eq!(canonical("INT UNSIGNED"), "int(10) unsigned");
        assert_eq!(canonical("bool"), "tinyint(1)");
        assert_eq!(canonical("varchar(255)"), "varchar(255)");
        assert_eq!(canonical("decimal(10, 2)"), "decimal(10,2)");
        assert_eq!(canonical("enum(\"a\",\"b\")"), "enum('a','b')");
        assert_eq!(canonical("ENUM('G','PG')"), "enum('G','PG')");
        // A backslash in a value survives any number of rounds.
        assert_eq!(canonical("enum('a\\\\b','c''d')"), "enum('a\\\\b','c''d')");
        assert_eq!(canonical(&canonical("enum('a\\\\b')")), "enum('a\\\\b')");
        assert_eq!(canonical("timestamp"), "timestamp");
        assert_eq!(canonical("year"), "year(4)");
    }

    #[test]
    fn hcl_round_trip() {
        for t in ["int(11)", "int(10) unsigned", "tinyint(1)", "varchar(45)", "decimal(5,2)", "smallint(5) unsigned", "bigint(20)", "text", "datetime", "year(4)", "char(2)", "mediumint(8) unsigned"] {
            let (h, u) = hcl_type(t).unwrap_or_else(|| panic!("{t}"));
            let back = canonical(&if u { format!("{h} unsigned") } else { h.clone() });
            assert_eq!(back, t, "{t} -> {h}");
        }
    }
}
