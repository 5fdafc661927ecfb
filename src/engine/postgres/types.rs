//! PostgreSQL type spellings: what users write (HCL or SQL) → what `format_type` prints, and the
//! reverse for HCL output. Canonicalizing offline keeps most desired objects away from the
//! disposable database.

/// Canonical spelling of a type as PostgreSQL's catalog prints it. Unknown spellings are kept
/// (lower-cased unless quoted) so the disposable database can normalize them.
pub fn canonical(ty: &str) -> String {
    without_default_precision(&spelled(ty))
}

fn spelled(ty: &str) -> String {
    let t = ty.trim();
    // Every array spelling (`int[]`, `int[3][]`, `int ARRAY`, `int ARRAY[4]`) is one type to
    // PostgreSQL: sizes and dimensions are not enforced, and `format_type` prints `integer[]`.
    if let Some(base) = array_element(t) {
        return format!("{}[]", spelled(base));
    }
    if t.contains('"') || t.contains('.') {
        return t.to_string();
    }
    let lower = t.to_ascii_lowercase();
    let (name, args) = split_args(&lower);
    // `_` stands for a space only in the built-in names HCL cannot write with one
    // (`double_precision`, `day_to_second`); any other name keeps it (`order_status`).
    let written = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = written.replace('_', " ");
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
        f if INTERVAL_FIELDS.contains(&f) => with_args(&format!("interval {f}")),
        _ => with_args(&written),
    }
}

/// The element type of an array spelling, or `None` when `t` is not an array.
fn array_element(t: &str) -> Option<&str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"(?i)^(.+?)(\s+array(\s*\[\s*\d*\s*\])?|(\s*\[\s*\d*\s*\])+)$").expect("static regex"));
    let c = re.captures(t)?;
    Some(c.get(1)?.as_str().trim_end())
}

/// Atlas's interval field types: `second(1)` → `interval second(1)`, `day_to_second(4)` →
/// `interval day to second(4)` (the `format_type` spelling).
const INTERVAL_FIELDS: &[&str] = &["year", "month", "day", "hour", "minute", "second", "year to month", "day to hour", "day to minute", "day to second", "hour to minute", "hour to second", "minute to second"];

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

/// Types as `format_type` prints them are already canonical, except that a precision of 6 on
/// a time type is its default: `timestamp(6)` is `timestamp`, and both sides drop it so that a
/// column declared either way compares equal (as Atlas treats them).
pub fn canonical_inspected(ty: &str) -> String {
    without_default_precision(ty)
}

fn without_default_precision(ty: &str) -> String {
    // Compiled once: every column type of a schema file passes here.
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^(timestamp|time|interval(?: [a-z ]+)?)\(6\)(.*)$").expect("static regex"));
    match re.captures(ty) {
        Some(c) => format!("{}{}", &c[1], &c[2]),
        None => ty.to_string(),
    }
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
    if let Some(field) = simple.strip_prefix("interval ") {
        let (f, p) = split_args(field);
        if INTERVAL_FIELDS.contains(&f.as_str()) {
            let f = f.replace(' ', "_");
            return Some(p.map(|p| format!("{f}({p})")).unwrap_or(f));
        }
    }
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^([a-z][a-z0-9 ]*)(\((\d+)(,\s*\d+)?\))?$").expect("static regex"));
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
        for arr in ["varchar(100) ARRAY", "varchar(100) [10][]", "character varying(100) ARRAY[1]", "varchar(100)[]"] {
            assert_eq!(canonical(arr), "character varying(100)[]", "{arr}");
        }
        assert_eq!(canonical("int ARRAY[1]"), "integer[]");
        assert_eq!(canonical("point [][1]"), "point[]");
        assert_eq!(canonical("second(1)"), "interval second(1)");
        assert_eq!(canonical("day_to_second(4)"), "interval day to second(4)");
        assert_eq!(canonical("interval year to month"), "interval year to month");
        assert_eq!(canonical("interval(3)"), "interval(3)");
        // Other names keep their underscores: a user type, not two words.
        assert_eq!(canonical("order_status[]"), "order_status[]");
        assert_eq!(canonical("positive_int"), "positive_int");
        // A precision of 6 is the default one.
        assert_eq!(canonical("timestamp(6)"), "timestamp without time zone");
        assert_eq!(canonical("timestamptz(6)"), "timestamp with time zone");
        assert_eq!(canonical("interval(6)"), "interval");
        assert_eq!(canonical("interval day to second(6)"), "interval day to second");
        assert_eq!(canonical_inspected("timestamp(6) with time zone"), "timestamp with time zone");
        assert_eq!(canonical_inspected("time(6) without time zone"), "time without time zone");
        assert_eq!(canonical_inspected("timestamp(3) without time zone"), "timestamp(3) without time zone");
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
            "interval second(1)",
            "interval day to second(4)",
            "interval year to month",
            "interval(3)",
        ] {
            let h = hcl_type(t).unwrap_or_else(|| panic!("{t}"));
            assert_eq!(canonical(&h), t, "{t} -> {h}");
        }
        assert_eq!(hcl_type("integer[]"), None);
    }
}
