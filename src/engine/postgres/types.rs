//! PostgreSQL type spellings: what users write (HCL or SQL) → what `format_type` prints, and the
//! reverse for HCL output. Canonicalizing offline keeps most desired objects away from the
//! disposable database.

/// Canonical spelling of a type as PostgreSQL's catalog prints it. Unknown spellings are kept
/// (lower-cased unless quoted) so the disposable database can normalize them.
pub fn canonical(ty: &str) -> String {
    let t = ty.trim();
    if let Some(base) = t.strip_suffix("[]") {
        return format!("{}[]", canonical(base));
    }
    if t.contains('"') || t.contains('.') {
        return t.to_string();
    }
    let lower = t.to_ascii_lowercase();
    let (name, args) = split_args(&lower);
    let name = name.trim().replace('_', " ");
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let args = args.map(|a| a.replace(' ', ""));
    let with_args = |n: &str| match &args {
        Some(a) => format!("{n}({a})"),
        None => n.to_string(),
    };
    match name.as_str() {
        "int" | "integer" | "int4" => "integer".into(),
        "smallint" | "int2" => "smallint".into(),
        "bigint" | "int8" => "bigint".into(),
        "serial" | "serial4" => "serial".into(),
        "bigserial" | "serial8" => "bigserial".into(),
        "smallserial" | "serial2" => "smallserial".into(),
        "bool" | "boolean" => "boolean".into(),
        "real" | "float4" => "real".into(),
        "double precision" | "float8" | "double" => "double precision".into(),
        "float" => match args.as_deref().and_then(|a| a.parse::<u32>().ok()) {
            Some(p) if p <= 24 => "real".into(),
            _ => "double precision".into(),
        },
        "decimal" | "numeric" => with_args("numeric"),
        "varchar" | "character varying" => with_args("character varying"),
        "char" | "character" => match &args {
            Some(a) => format!("character({a})"),
            None => "character(1)".into(),
        },
        "bpchar" => "bpchar".into(),
        "bit" => match &args {
            Some(a) => format!("bit({a})"),
            None => "bit(1)".into(),
        },
        "varbit" | "bit varying" => with_args("bit varying"),
        "timestamp" | "timestamp without time zone" => time_type("timestamp", &args, false),
        "timestamptz" | "timestamp with time zone" => time_type("timestamp", &args, true),
        "time" | "time without time zone" => time_type("time", &args, false),
        "timetz" | "time with time zone" => time_type("time", &args, true),
        _ => with_args(&name),
    }
}

fn time_type(base: &str, args: &Option<String>, tz: bool) -> String {
    let zone = if tz { "with time zone" } else { "without time zone" };
    match args {
        Some(a) => format!("{base}({a}) {zone}"),
        None => format!("{base} {zone}"),
    }
}

/// `timestamp(3) with time zone` → (`timestamp with time zone`, `3`).
fn split_args(t: &str) -> (String, Option<String>) {
    match (t.find('('), t.rfind(')')) {
        (Some(o), Some(c)) if c > o => {
            let name = format!("{} {}", &t[..o], &t[c + 1..]);
            (name.trim().to_string(), Some(t[o + 1..c].to_string()))
        }
        _ => (t.to_string(), None),
    }
}

/// Types as `format_type` prints them are already canonical, except for the time-zone variants
/// with explicit precision which it prints as `timestamp(3) with time zone`: keep them.
pub fn canonical_inspected(ty: &str) -> String {
    ty.to_string()
}

/// The HCL spelling of a canonical type (Atlas's registry names): `character varying(255)` →
/// `character_varying(255)`, `timestamp with time zone` → `timestamptz`. `None` when the type
/// needs `sql("…")`.
pub fn hcl_type(ty: &str) -> Option<String> {
    let t = ty.trim();
    let simple = match t {
        "timestamp without time zone" => return Some("timestamp".into()),
        "timestamp with time zone" => return Some("timestamptz".into()),
        "time without time zone" => return Some("time".into()),
        "time with time zone" => return Some("timetz".into()),
        _ => t,
    };
    for (pre, zone, name) in [
        ("timestamp(", ") without time zone", "timestamp"),
        ("timestamp(", ") with time zone", "timestamptz"),
        ("time(", ") without time zone", "time"),
        ("time(", ") with time zone", "timetz"),
    ] {
        if let Some(p) = simple.strip_prefix(pre).and_then(|r| r.strip_suffix(zone)) {
            return Some(format!("{name}({p})"));
        }
    }
    let re = regex::Regex::new(r"^([a-z][a-z0-9 ]*)(\((\d+)(,\s*\d+)?\))?$").unwrap();
    let c = re.captures(simple)?;
    let name = c.get(1)?.as_str().trim().replace(' ', "_");
    Some(match c.get(2) {
        Some(a) => format!("{name}{}", a.as_str().replace(' ', "")),
        None => name,
    })
}

// The spelling of user type references is the model's convention (see crate::schema::type_ref).
pub use crate::schema::type_ref::{qualified, quote_ident_if_needed};

pub fn is_serial(ty: &str) -> bool {
    matches!(ty, "serial" | "bigserial" | "smallserial")
}

/// What a column of this type stores: serial types are integers with a sequence.
pub fn storage_type(ty: &str) -> &str {
    match ty {
        "serial" => "integer",
        "bigserial" => "bigint",
        "smallserial" => "smallint",
        t => t,
    }
}

/// Default MINVALUE and MAXVALUE of a sequence of `ty` counting in the direction of `increment`.
pub fn sequence_bounds(ty: &str, increment: i64) -> (i64, i64) {
    let max = match ty {
        "smallint" | "smallserial" => i16::MAX as i64,
        "integer" | "serial" => i32::MAX as i64,
        _ => i64::MAX,
    };
    let min = match ty {
        "smallint" | "smallserial" => i16::MIN as i64,
        "integer" | "serial" => i32::MIN as i64,
        _ => i64::MIN,
    };
    if increment > 0 {
        (1, max)
    } else {
        (min, -1)
    }
}

/// The name PostgreSQL gives the sequence of a serial column.
pub fn serial_sequence_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_seq")
}

/// How a sequence appears inside `nextval('…'::regclass)` with the default search_path.
pub fn regclass_text(schema: &str, name: &str) -> String {
    let q = quote_ident_if_needed;
    if schema == "public" {
        q(name)
    } else {
        format!("{}.{}", q(schema), q(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spellings() {
        assert_eq!(canonical("int"), "integer");
        assert_eq!(canonical("UUID"), "uuid");
        assert_eq!(canonical("varchar(255)"), "character varying(255)");
        assert_eq!(canonical("character_varying(32)"), "character varying(32)");
        assert_eq!(canonical("varchar"), "character varying");
        assert_eq!(canonical("timestamptz"), "timestamp with time zone");
        assert_eq!(canonical("timestamp(3)"), "timestamp(3) without time zone");
        assert_eq!(canonical("timestamp(3) with time zone"), "timestamp(3) with time zone");
        assert_eq!(canonical("decimal(10, 2)"), "numeric(10,2)");
        assert_eq!(canonical("double_precision"), "double precision");
        assert_eq!(canonical("int[]"), "integer[]");
        assert_eq!(canonical("char"), "character(1)");
        assert_eq!(canonical("\"public\".\"mood\""), "\"public\".\"mood\"");
    }

    #[test]
    fn hcl_spellings_round_trip() {
        for t in [
            "integer",
            "character varying(255)",
            "timestamp with time zone",
            "timestamp(3) without time zone",
            "time with time zone",
            "numeric(10,2)",
            "double precision",
            "bit varying(8)",
            "character(1)",
            "jsonb",
        ] {
            let h = hcl_type(t).unwrap_or_else(|| panic!("{t}"));
            assert_eq!(canonical(&h), t, "{t} -> {h}");
        }
        assert_eq!(hcl_type("integer[]"), None);
    }
}
