//! PostgreSQL's lossy type changes. The probe is the conversion itself, there and back: a value
//! whose round trip differs is changed by the plan's `ALTER COLUMN … TYPE` (which casts the same
//! way), and a value that does not convert makes the probe fail, which the facts report.

use crate::lint::lossy::{args, loss, Class, Lossy};

pub fn class(ty: &str) -> Class {
    let t = ty.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    let (p, s) = args(&t);
    match base {
        "smallint" | "int2" | "smallserial" => Class::Int { bits: 15, unsigned: false },
        "integer" | "int" | "int4" | "serial" => Class::Int { bits: 31, unsigned: false },
        "bigint" | "int8" | "bigserial" => Class::Int { bits: 63, unsigned: false },
        "numeric" | "decimal" => Class::Decimal { precision: p, scale: s.unwrap_or(0) },
        "real" | "float4" => Class::Float { mantissa: 24 },
        "double precision" | "float8" => Class::Float { mantissa: 53 },
        "text" | "character varying" | "varchar" => Class::Text,
        "character" | "char" | "bpchar" => Class::Padded { bytes: false, len: p.unwrap_or(1) },
        "bytea" => Class::Bytes,
        "date" => Class::Date,
        _ if base.starts_with("timestamp") => Class::DateTime { fraction: p.unwrap_or(6) },
        _ => Class::Other,
    }
}

/// A built-in type spelling (`numeric(10,2)`, `timestamp(3) with time zone`): the only text the
/// probe puts between its casts, so nothing else of the desired state runs on the target.
fn plain(ty: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[a-z][a-z0-9 ]*(\(\d+(,\d+)?\))?( with(out)? time zone)?$").unwrap()).is_match(ty)
}

pub fn classify(old: &str, new: &str) -> Option<Lossy> {
    if !plain(old) || !plain(new) {
        return None;
    }
    let reason = loss(class(old), class(new))?;
    // serial types are integers with a sequence: casts take the integer's name.
    let cast = |t: &str| match t {
        "smallserial" => "smallint".to_string(),
        "serial" => "integer".to_string(),
        "bigserial" => "bigint".to_string(),
        other => other.to_string(),
    };
    Some(Lossy { reason: reason.to_string(), probe: Some(format!("({{col}})::{}::{} IS DISTINCT FROM {{col}}", cast(new), cast(old))) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn classifies_canonical_spellings() {
        assert!(super::classify("numeric(10,2)", "integer").is_some());
        assert!(super::classify("timestamp with time zone", "date").is_some());
        assert!(super::classify("double precision", "real").is_some());
        assert!(super::classify("integer", "bigint").is_none());
        assert_eq!(super::classify("bigserial", "serial").unwrap().probe.unwrap(), "({col})::integer::bigint IS DISTINCT FROM {col}");
        assert!(super::classify("character varying(20)", "text").is_none());
        assert!(super::classify("character(20)", "text").is_none());
        assert_eq!(super::classify("character varying(20)", "character(20)").unwrap().probe.unwrap(), "({col})::character(20)::character varying(20) IS DISTINCT FROM {col}");
        assert_eq!(super::classify("bigint", "integer").unwrap().probe.unwrap(), "({col})::integer::bigint IS DISTINCT FROM {col}");
        // Nothing but a type name reaches the probe.
        assert!(super::classify("bigint", "integer); DROP TABLE t; --").is_none());
    }
}
