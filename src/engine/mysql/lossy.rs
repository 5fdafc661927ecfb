//! MySQL/MariaDB's lossy type changes. Strict sessions make a failed conversion an error, but
//! rounding (decimal → int, double → float) and truncating the time of day are only notes, so
//! each class has a probe that finds the values the change would alter.

use crate::lint::lossy::{args, loss, Class, Lossy};

pub fn class(ty: &str) -> Class {
    let t = ty.trim().to_ascii_lowercase();
    let unsigned = t.contains("unsigned");
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let (p, s) = args(&t);
    let int = |bits: u32| Class::Int { bits: if unsigned { bits + 1 } else { bits }, unsigned };
    match base {
        "tinyint" | "bool" | "boolean" => int(7),
        "smallint" => int(15),
        "mediumint" => int(23),
        "int" | "integer" => int(31),
        "bigint" => int(63),
        "decimal" | "numeric" => Class::Decimal { precision: Some(p.unwrap_or(10)), scale: s.unwrap_or(0) },
        "float" => Class::Float { mantissa: 24 },
        "double" | "real" => Class::Float { mantissa: 53 },
        "char" => Class::Padded { bytes: false, len: p.unwrap_or(1) },
        "binary" => Class::Padded { bytes: true, len: p.unwrap_or(1) },
        "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => Class::Text,
        "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Class::Bytes,
        "date" => Class::Date,
        "datetime" | "timestamp" => Class::DateTime { fraction: p.unwrap_or(0) },
        _ => Class::Other,
    }
}

/// The range of an integer class, as SQL literals.
fn range(bits: u32, unsigned: bool) -> (String, String) {
    if unsigned {
        ("0".into(), ((1u128 << bits) - 1).to_string())
    } else {
        (format!("-{}", 1u128 << bits), ((1u128 << bits) - 1).to_string())
    }
}

pub fn classify(old: &str, new: &str) -> Option<Lossy> {
    let (from, to) = (class(old), class(new));
    let reason = loss(from, to)?;
    let probe = match (from, to) {
        (Class::Text, Class::Int { bits, unsigned }) => {
            let (lo, hi) = range(bits, unsigned);
            Some(format!("(TRIM({{col}}) NOT REGEXP '^[+-]?[0-9]+$' OR CAST({{col}} AS DECIMAL(65,0)) NOT BETWEEN {lo} AND {hi})"))
        }
        (Class::Text, Class::Padded { bytes: false, .. }) => Some("{col} LIKE '% '".to_string()),
        (Class::Bytes | Class::Padded { bytes: true, .. }, Class::Padded { bytes: true, len }) => Some(format!("LENGTH({{col}}) <> {len}")),
        (Class::Text, _) => None,
        (_, Class::Int { bits, unsigned }) => {
            let (lo, hi) = range(bits, unsigned);
            Some(format!("({{col}} <> ROUND({{col}}) OR {{col}} NOT BETWEEN {lo} AND {hi})"))
        }
        (_, Class::Decimal { precision, scale }) => {
            let p = precision.unwrap_or(65);
            Some(format!("({{col}} <> ROUND({{col}}, {scale}) OR ABS({{col}}) >= POW(10, {}))", p.saturating_sub(scale)))
        }
        (_, Class::Float { mantissa: 24 }) => Some("{col} <> CAST({col} AS FLOAT)".to_string()),
        (_, Class::Float { .. }) => Some("{col} <> CAST({col} AS DOUBLE)".to_string()),
        (_, Class::Date) => Some("TIME({col}) <> '00:00:00'".to_string()),
        (_, Class::DateTime { fraction }) => Some(format!("MICROSECOND({{col}}) MOD {} <> 0", 10u64.pow(6u32.saturating_sub(fraction)))),
        (_, Class::Text | Class::Padded { .. } | Class::Bytes | Class::Other) => None,
    };
    Some(Lossy { reason: reason.to_string(), probe })
}

#[cfg(test)]
mod tests {
    #[test]
    fn classifies_canonical_spellings() {
        assert!(super::classify("decimal(10,2)", "int(11)").is_some());
        assert!(super::classify("datetime", "date").is_some());
        assert!(super::classify("double", "float").is_some());
        assert!(super::classify("varchar(20)", "int(11)").unwrap().probe.is_some());
        assert!(super::classify("int(11)", "bigint(20)").is_none());
        assert!(super::classify("int(10) unsigned", "int(11)").is_some());
        assert!(super::classify("int(11)", "int(10) unsigned").is_some());
        assert!(super::classify("smallint(5) unsigned", "int(11)").is_none());
        // MediaWiki 1.43: page_links_updated varbinary(14) → binary(14) pads shorter values.
        assert_eq!(super::classify("varbinary(14)", "binary(14)").unwrap().probe.unwrap(), "LENGTH({col}) <> 14");
        assert!(super::classify("binary(14)", "varbinary(14)").is_none());
        assert_eq!(super::classify("varchar(10)", "char(10)").unwrap().probe.unwrap(), "{col} LIKE '% '");
    }
}
