//! The object kinds handled generically (`schema::kinds`) → their HCL blocks. A new kind is an
//! arm in `encode`.

use super::{hcl_str, ref_name};
use crate::schema::{Object, Schema};
use std::fmt::Write;

/// The blocks of `s`'s objects, appended to `out`.
/// `ty` spells a field's type as a column's (`type_expr`).
pub fn encode(out: &mut String, s: &Schema, ty: &dyn Fn(&str) -> String) {
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
            Object::Composite(c) => {
                let _ = writeln!(out, "composite {} {{", hcl_str(&c.name));
                let _ = writeln!(out, "  schema = schema{}", ref_name(&s.name));
                for f in &c.fields {
                    let _ = writeln!(out, "  field {} {{", hcl_str(&f.name));
                    let _ = writeln!(out, "    type = {}", ty(&f.ty));
                    if let Some(col) = &f.collate {
                        let _ = writeln!(out, "    collate = {}", hcl_str(col));
                    }
                    out.push_str("  }\n");
                }
                if let Some(cm) = &c.comment {
                    let _ = writeln!(out, "  comment = {}", hcl_str(cm));
                }
                out.push_str("}\n");
            }
        }
    }
}
