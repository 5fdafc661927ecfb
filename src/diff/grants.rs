//! Privileges: the GRANT and REVOKE changes that take one object's grants (or a schema's default
//! privileges) from what they are to what they should be, one change per role and grant option.

use super::Change;
use crate::schema::*;
use std::collections::BTreeMap;

/// (grantee, privilege) → grantable.
fn flat(grants: &[Grant]) -> BTreeMap<(&str, &str), bool> {
    let mut m = BTreeMap::new();
    for g in grants {
        for p in &g.privileges {
            let e = m.entry((g.grantee.as_str(), p.as_str())).or_insert(false);
            *e |= g.grantable;
        }
    }
    m
}

/// What to grant, what to revoke and which grant options to take back, grouped by role.
pub struct Delta {
    pub grant: Vec<Grant>,
    pub revoke: Vec<Grant>,
    pub revoke_option: Vec<Grant>,
}

pub fn delta(from: &[Grant], to: &[Grant]) -> Delta {
    let (old, new) = (flat(from), flat(to));
    let mut grant: BTreeMap<(&str, bool), Vec<String>> = BTreeMap::new();
    let mut revoke: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut revoke_option: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (&(role, p), &was) in &old {
        match new.get(&(role, p)) {
            None => revoke.entry(role).or_default().push(p.to_string()),
            Some(false) if was => revoke_option.entry(role).or_default().push(p.to_string()),
            _ => {}
        }
    }
    for (&(role, p), &wanted) in &new {
        match old.get(&(role, p)) {
            None => grant.entry((role, wanted)).or_default().push(p.to_string()),
            Some(false) if wanted => grant.entry((role, true)).or_default().push(p.to_string()),
            _ => {}
        }
    }
    let as_grants = |m: BTreeMap<&str, Vec<String>>| m.into_iter().map(|(r, ps)| Grant { grantee: r.to_string(), privileges: ps, grantable: false }).collect();
    Delta {
        grant: grant.into_iter().map(|((r, g), ps)| Grant { grantee: r.to_string(), privileges: ps, grantable: g }).collect(),
        revoke: as_grants(revoke),
        revoke_option: as_grants(revoke_option),
    }
}

/// Changes for one object's grants.
pub fn object(schema: &str, on: GrantOn, from: &[Grant], to: &[Grant], out: &mut Vec<Change>) {
    if from == to {
        return;
    }
    let d = delta(from, to);
    for g in d.revoke {
        out.push(Change::Revoke { schema: schema.to_string(), on: on.clone(), grant: g, option_only: false });
    }
    for g in d.revoke_option {
        out.push(Change::Revoke { schema: schema.to_string(), on: on.clone(), grant: g, option_only: true });
    }
    for g in d.grant {
        out.push(Change::Grant { schema: schema.to_string(), on: on.clone(), grant: g });
    }
}

/// The grants of every object of two versions of a schema (objects on one side only: their
/// grants go with their creation, or their drop).
pub fn schema(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    if !has_grants(from) && !has_grants(to) {
        return;
    }
    let sn = to.name.as_str();
    object(sn, GrantOn::Schema, &from.grants, &to.grants, out);
    let empty = Table::default();
    let old_tables: std::collections::HashMap<&str, &Table> = from.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in &to.tables {
        let old = old_tables.get(t.name.as_str()).copied().unwrap_or(&empty);
        object(sn, GrantOn::Table(t.name.clone()), &old.grants, &t.grants, out);
        for c in &t.columns {
            let was = old.column(&c.name).map(|x| x.grants.as_slice()).unwrap_or(&[]);
            object(sn, GrantOn::Column(t.name.clone(), c.name.clone()), was, &c.grants, out);
        }
    }
    let old_views: std::collections::HashMap<&str, &[Grant]> = from.views.iter().map(|v| (v.name.as_str(), v.grants.as_slice())).collect();
    for v in &to.views {
        object(sn, GrantOn::Table(v.name.clone()), old_views.get(v.name.as_str()).copied().unwrap_or(&[]), &v.grants, out);
    }
    let old_seqs: std::collections::HashMap<&str, &[Grant]> = from.sequences.iter().map(|q| (q.name.as_str(), q.grants.as_slice())).collect();
    for q in &to.sequences {
        object(sn, GrantOn::Sequence(q.name.clone()), old_seqs.get(q.name.as_str()).copied().unwrap_or(&[]), &q.grants, out);
    }
    let old_fns: std::collections::HashMap<String, &[Grant]> = from.functions.iter().map(|f| (f.signature(), f.grants.as_slice())).collect();
    for f in &to.functions {
        object(sn, GrantOn::routine(f), old_fns.get(&f.signature()).copied().unwrap_or(&[]), &f.grants, out);
    }
    // Default privileges, by (owner, object kind).
    let key = |d: &DefaultPrivilege| (d.owner.clone(), d.on.clone());
    let mut groups: BTreeMap<(String, String), (Vec<Grant>, Vec<Grant>)> = BTreeMap::new();
    for d in &from.default_privileges {
        groups.entry(key(d)).or_default().0.push(Grant { grantee: d.grantee.clone(), privileges: d.privileges.clone(), grantable: d.grantable });
    }
    for d in &to.default_privileges {
        groups.entry(key(d)).or_default().1.push(Grant { grantee: d.grantee.clone(), privileges: d.privileges.clone(), grantable: d.grantable });
    }
    for ((owner, on), (a, b)) in groups {
        let d = delta(&a, &b);
        let mk = |g: Grant| DefaultPrivilege { owner: owner.clone(), on: on.clone(), grantee: g.grantee, privileges: g.privileges, grantable: g.grantable };
        for g in d.revoke {
            out.push(Change::DefaultPrivileges { schema: sn.to_string(), value: mk(g), revoke: true, option_only: false });
        }
        for g in d.revoke_option {
            out.push(Change::DefaultPrivileges { schema: sn.to_string(), value: mk(g), revoke: true, option_only: true });
        }
        for g in d.grant {
            out.push(Change::DefaultPrivileges { schema: sn.to_string(), value: mk(g), revoke: false, option_only: false });
        }
    }
}

/// Whether a schema holds any privilege at all (most do not: then there is nothing to compare).
fn has_grants(s: &Schema) -> bool {
    !s.default_privileges.is_empty() || s.all_grants().next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(role: &str, ps: &[&str], grantable: bool) -> Grant {
        Grant { grantee: role.into(), privileges: ps.iter().map(|s| s.to_string()).collect(), grantable }
    }

    #[test]
    fn grants_revokes_and_grant_options() {
        let d = delta(&[g("app", &["INSERT", "SELECT"], false), g("ops", &["SELECT"], true)], &[g("app", &["SELECT", "UPDATE"], false), g("ops", &["SELECT"], false), g("bi", &["SELECT"], true)]);
        assert_eq!(d.revoke, vec![g("app", &["INSERT"], false)]);
        assert_eq!(d.revoke_option, vec![g("ops", &["SELECT"], false)]);
        assert_eq!(d.grant, vec![g("app", &["UPDATE"], false), g("bi", &["SELECT"], true)]);
        let same = delta(&[g("app", &["SELECT"], false)], &[g("app", &["SELECT"], false)]);
        assert!(same.grant.is_empty() && same.revoke.is_empty() && same.revoke_option.is_empty());
    }
}
