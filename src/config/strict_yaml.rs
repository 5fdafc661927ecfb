//! YAML into JSON values, refusing duplicate keys. `serde_json::Value`'s own deserializer keeps
//! the last of two equal keys, so `autoapply: true` followed by `autoapply: false` would silently
//! win or lose; Terrateam rejects such a file, and so does this.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};
use std::fmt;

/// A JSON value read from YAML with duplicate keys rejected (at their position).
pub struct Strict(pub Json);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(V).map(Strict)
    }
}

struct V;

impl<'de> Visitor<'de> for V {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Number::from_f64(v).map(Json::Number).unwrap_or(Json::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = a.next_element()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(Strict(k)) = a.next_key()? {
            // Keys such as `1:` or `true:` arrive as numbers/bools; JSON keys are strings.
            let key = match k {
                Json::String(s) => s,
                other => other.to_string(),
            };
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}` (a later value would silently replace the earlier one)")));
            }
            let Strict(v) = a.next_value()?;
            out.insert(key, v);
        }
        Ok(Json::Object(out))
    }
}

/// The parser reports a duplicate at the start of its mapping; point at the second occurrence
/// of the key instead (block style: the second `key:` line at the mapping's indentation).
pub fn duplicate_position(src: &str, msg: &str, line: usize, col: usize) -> Option<(usize, usize)> {
    let key = msg.split("duplicate key `").nth(1)?.split('`').next()?;
    let indent = col.saturating_sub(1);
    let mut seen = 0;
    for (n, text) in src.lines().enumerate().skip(line.saturating_sub(1)) {
        let body = text.get(indent..).unwrap_or("");
        let lead = text.len() - text.trim_start_matches([' ', '-']).len();
        if lead > indent && !body.starts_with("- ") {
            continue; // deeper: a nested mapping
        }
        if lead < indent && n + 1 > line {
            break; // the mapping ended
        }
        let body = body.trim_start_matches("- ");
        let bare = body.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'));
        let quoted = [format!("\"{key}\""), format!("'{key}'")].iter().any(|q| body.strip_prefix(q.as_str()).is_some_and(|r| r.trim_start().starts_with(':')));
        if bare || quoted {
            seen += 1;
            if seen == 2 {
                return Some((n + 1, indent + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_errors_with_a_position() {
        let e = yaml_serde::from_str::<Strict>("a: 1\nb:\n  c: true\n  c: false\n").err().unwrap();
        assert!(e.to_string().contains("duplicate key `c`"), "{e}");
        let l = e.location().unwrap();
        assert_eq!(duplicate_position("a: 1\nb:\n  c: true\n  c: false\n", &e.to_string(), l.line(), l.column()), Some((4, 3)), "{e}");
        let Strict(v) = yaml_serde::from_str("x: &a {k: [1, 2.5, null, 'y']}\ny: *a\n").unwrap();
        assert_eq!(v["y"]["k"], serde_json::json!([1, 2.5, null, "y"]));
    }
}
