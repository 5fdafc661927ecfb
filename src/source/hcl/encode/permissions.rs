//! Roles, grants and default privileges → `role`, `permission` and `default_privileges` blocks.

use super::{hcl_str, ref_name};
use crate::schema::*;
use std::collections::BTreeSet;
use std::fmt::Write;

fn grantee(g: &str) -> String {
    if g == "PUBLIC" {
        g.to_string()
    } else {
        format!("role{}", ref_name(g))
    }
}

/// `CREATE VIEW` is written CREATE_VIEW (an HCL identifier; read back with the space).
fn privileges(ps: &[String]) -> String {
    ps.iter().map(|p| p.replace(' ', "_")).collect::<Vec<_>>().join(", ")
}

fn block(out: &mut String, to: &str, target: &str, g: &Grant) {
    let _ = writeln!(out, "permission {{");
    let _ = writeln!(out, "  to         = {}", grantee(to));
    let _ = writeln!(out, "  for        = {target}");
    let _ = writeln!(out, "  privileges = [{}]", privileges(&g.privileges));
    if g.grantable {
        out.push_str("  grantable  = true\n");
    }
    out.push_str("}\n");
}

pub fn encode(out: &mut String, realm: &Realm, dialect: Dialect) {
    if dialect == Dialect::Sqlite {
        return;
    }
    // Every role a grant names is declared, so the references resolve (and, declared, its
    // privileges are managed when this HCL is the desired state).
    let mut roles: BTreeSet<&str> = realm.roles.iter().map(String::as_str).collect();
    for s in &realm.schemas {
        roles.extend(s.all_grants().map(|g| g.grantee.as_str()));
        for d in &s.default_privileges {
            roles.insert(&d.grantee);
            roles.insert(&d.owner);
        }
    }
    roles.remove("PUBLIC");
    for r in &roles {
        let _ = writeln!(out, "role {} {{}}", hcl_str(r));
    }
    let one = realm.schemas.len() == 1;
    for s in &realm.schemas {
        let r = |kind: &str, name: &str| if one { format!("{kind}{}", ref_name(name)) } else { format!("{kind}{}{}", ref_name(&s.name), ref_name(name)) };
        for g in &s.grants {
            block(out, &g.grantee, &format!("schema{}", ref_name(&s.name)), g);
        }
        for t in &s.tables {
            for g in &t.grants {
                block(out, &g.grantee, &r("table", &t.name), g);
            }
            for c in &t.columns {
                for g in &c.grants {
                    block(out, &g.grantee, &format!("{}.column{}", r("table", &t.name), ref_name(&c.name)), g);
                }
            }
        }
        for v in &s.views {
            for g in &v.grants {
                block(out, &g.grantee, &r(if v.materialized { "materialized" } else { "view" }, &v.name), g);
            }
        }
        for q in &s.sequences {
            for g in &q.grants {
                block(out, &g.grantee, &r("sequence", &q.name), g);
            }
        }
        for f in &s.functions {
            // An overloaded name cannot be referenced yet: its grants are left out (and, on
            // decode, unmanaged) rather than given to the wrong overload.
            if s.functions.iter().filter(|x| x.name == f.name).count() > 1 {
                continue;
            }
            for g in &f.grants {
                block(out, &g.grantee, &r("function", &f.name), g);
            }
        }
        for d in &s.default_privileges {
            let _ = writeln!(out, "default_privileges {{");
            let _ = writeln!(out, "  schema     = schema{}", ref_name(&s.name));
            let _ = writeln!(out, "  owner      = {}", grantee(&d.owner));
            let _ = writeln!(out, "  on         = {}", d.on);
            let _ = writeln!(out, "  to         = {}", grantee(&d.grantee));
            let _ = writeln!(out, "  privileges = [{}]", privileges(&d.privileges));
            if d.grantable {
                out.push_str("  grantable  = true\n");
            }
            out.push_str("}\n");
        }
    }
}
