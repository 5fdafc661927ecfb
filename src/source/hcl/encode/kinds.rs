//! The object kinds handled generically (`schema::kinds`) → their HCL blocks. A new kind is an
//! arm in `encode`.

use super::{hcl_str, ref_name};
use crate::schema::{Object, Schema};
use std::fmt::Write;

/// The blocks of `s`'s objects, appended to `out`.
pub fn encode(out: &mut String, s: &Schema) {
    for o in &s.objects {
        match o {
            Object::Extension(x) => {
                let _ = writeln!(out, "extension {} {{", hcl_str(&x.name));
                let _ = writeln!(out, "  schema = schema{}", ref_name(&s.name));
                if let Some(v) = &x.version {
                    let _ = writeln!(out, "  version = {}", hcl_str(v));
                }
                out.push_str("}\n");
            }
        }
    }
}
