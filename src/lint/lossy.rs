//! Lossy type changes: which changes of a column's type can rewrite or lose stored values, and
//! how to count the rows that would change on the target. Each engine says it in its own folder
//! (`engine/<name>/lossy.rs`, same function); the classes are shared here.

use crate::schema::Dialect;

/// A type change that can lose or rewrite values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lossy {
    /// What is lost, for the finding's message ("fractional digits", "the time of day").
    pub reason: String,
    /// A boolean SQL expression over `{col}` that is true for a value the change alters (or
    /// cannot convert); None when the engine offers no exact test.
    pub probe: Option<String>,
}

/// The kinds of value a type holds, as far as losing values goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Integer with this many value bits (a signed 32-bit integer: 31) and signedness.
    Int { bits: u32, unsigned: bool },
    /// Fixed point: precision and scale (None: unbounded, PostgreSQL's bare numeric).
    Decimal { precision: Option<u32>, scale: u32 },
    /// Floating point with this many mantissa bits (24 or 53).
    Float { mantissa: u32 },
    Text,
    /// A fixed-length type that pads: CHAR(n) (values lose trailing spaces), MySQL BINARY(n)
    /// (`bytes`: shorter values gain zero bytes up to `len`).
    Padded { bytes: bool, len: u32 },
    /// Variable-length bytes (VARBINARY, BLOB, bytea).
    Bytes,
    Date,
    /// Date and time with fractional-second digits.
    DateTime { fraction: u32 },
    Other,
}

/// How a change from `old` to `new` loses values, independent of the engine; None if it does not.
pub fn loss(old: Class, new: Class) -> Option<&'static str> {
    use Class::*;
    match (old, new) {
        (Int { bits: a, unsigned: ua }, Int { bits: b, unsigned: ub }) => (b < a || (ub && !ua) || (!ub && ua && b <= a)).then_some("values outside the new integer range"),
        (Int { bits, .. }, Decimal { precision: Some(p), scale }) => (digits(bits) > p.saturating_sub(scale)).then_some("integers with more digits than the new precision"),
        (Int { bits, .. }, Float { mantissa }) => (bits > mantissa).then_some("integers larger than the floating-point type represents exactly"),
        // PostgreSQL's bare numeric holds any scale.
        (Decimal { precision: None, .. }, Int { .. }) => Some("fractional digits (values are rounded)"),
        (Decimal { scale, .. }, Int { .. }) => (scale > 0).then_some("fractional digits (values are rounded)"),
        (Decimal { precision: p1, scale: s1 }, Decimal { precision: p2, scale: s2 }) => {
            let int1 = p1.map(|p| p.saturating_sub(s1));
            let int2 = p2.map(|p| p.saturating_sub(s2));
            let fewer_int = match (int1, int2) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(a), Some(b)) => b < a,
            };
            if s2 < s1 || (p1.is_none() && p2.is_some()) {
                Some("fractional digits (values are rounded)")
            } else if fewer_int {
                Some("values with more integer digits than the new precision")
            } else {
                None
            }
        }
        (Decimal { .. }, Float { .. }) => Some("decimal digits a floating-point type cannot hold exactly"),
        (Float { .. }, Int { .. }) => Some("fractional digits (values are rounded)"),
        (Float { .. }, Decimal { .. }) => Some("digits beyond the new precision and scale"),
        (Float { mantissa: a }, Float { mantissa: b }) => (b < a).then_some("floating-point precision"),
        (Text, Int { .. } | Decimal { .. } | Float { .. } | Date | DateTime { .. }) => Some("text that is not a valid value of the new type"),
        (Text, Padded { bytes: false, .. }) => Some("trailing spaces (a CHAR column pads values and drops trailing spaces)"),
        (Bytes, Padded { bytes: true, .. }) => Some("the length of shorter values (BINARY pads them with zero bytes)"),
        (Padded { bytes: true, len: a }, Padded { bytes: true, len: b }) => (a != b).then_some("the length of values (BINARY pads or cuts them to the new length)"),
        (DateTime { .. }, Date) => Some("the time of day"),
        (DateTime { fraction: a }, DateTime { fraction: b }) => (b < a).then_some("fractional seconds"),
        (Int { .. } | Decimal { .. } | Float { .. } | Text | Padded { .. } | Bytes | Date | DateTime { .. } | Other, _) => None,
    }
}

/// Decimal digits of the largest value of an integer with `bits` value bits.
fn digits(bits: u32) -> u32 {
    ((bits as f64) * std::f64::consts::LOG10_2).floor() as u32 + 1
}

/// The lossy change of a column from `old` to `new` (canonical type spellings), per engine.
pub fn classify(dialect: Dialect, old: &str, new: &str) -> Option<Lossy> {
    crate::engine::of(dialect).lossy(old, new)
}

/// `(p, s)` of a `name(p, s)` spelling.
pub fn args(ty: &str) -> (Option<u32>, Option<u32>) {
    let Some(open) = ty.find('(') else { return (None, None) };
    let inner = ty[open + 1..].split(')').next().unwrap_or("");
    let mut parts = inner.split(',').map(|x| x.trim().parse::<u32>().ok());
    (parts.next().flatten(), parts.next().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Class::*;

    #[test]
    fn narrowing_and_rewriting_changes_lose_values() {
        let i = |bits, unsigned| Int { bits, unsigned };
        assert!(loss(i(63, false), i(31, false)).is_some());
        assert!(loss(i(31, false), i(63, false)).is_none());
        assert!(loss(i(31, false), i(32, true)).is_some(), "negative values");
        assert!(loss(Decimal { precision: Some(10), scale: 2 }, i(63, false)).is_some());
        assert!(loss(Decimal { precision: Some(10), scale: 0 }, i(63, false)).is_none());
        assert!(loss(Decimal { precision: Some(10), scale: 2 }, Decimal { precision: Some(10), scale: 1 }).is_some());
        assert!(loss(Decimal { precision: Some(10), scale: 2 }, Decimal { precision: Some(12), scale: 2 }).is_none());
        assert!(loss(Decimal { precision: None, scale: 0 }, Decimal { precision: Some(8), scale: 2 }).is_some());
        assert!(loss(Float { mantissa: 53 }, Float { mantissa: 24 }).is_some());
        assert!(loss(Float { mantissa: 24 }, Float { mantissa: 53 }).is_none());
        assert!(loss(DateTime { fraction: 6 }, Date).is_some());
        assert!(loss(Bytes, Padded { bytes: true, len: 14 }).is_some(), "varbinary → binary pads");
        assert!(loss(Padded { bytes: true, len: 14 }, Bytes).is_none(), "binary → varbinary keeps the padded value");
        assert!(loss(Text, Padded { bytes: false, len: 10 }).is_some(), "varchar → char drops trailing spaces");
        assert!(loss(Padded { bytes: false, len: 10 }, Text).is_none());
        assert!(loss(Date, DateTime { fraction: 0 }).is_none());
        assert!(loss(Text, i(31, false)).is_some());
        assert!(loss(i(31, false), Text).is_none());
        assert!(loss(i(31, false), Decimal { precision: Some(5), scale: 0 }).is_some());
        assert!(loss(i(15, false), Decimal { precision: Some(5), scale: 0 }).is_none());
    }
}
