//! How the model spells a reference to a user-defined type (an enum, a domain, a composite):
//! `schema.name`, each part as PostgreSQL's `quote_ident` would write it, because that is how
//! the catalog spells it and every reader of the model (inspection, HCL, diff) must agree.

/// PostgreSQL's `quote_ident`: quote only names that are not plain lower-case identifiers or
/// that are reserved words. Catalog output and our own spelling of user types must agree.
pub fn quote_ident_if_needed(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check", "collate", "column",
        "constraint", "create", "current_catalog", "current_date", "current_role", "current_time", "current_timestamp", "current_user",
        "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
        "group", "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
        "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select", "session_user", "some",
        "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when",
        "where", "window", "with", "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
        "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar", "tablesample",
        "verbose", "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists", "extract", "float",
        "greatest", "grouping", "inout", "int", "integer", "interval", "least", "national", "nchar", "none", "normalize", "nullif", "numeric",
        "out", "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring", "time", "timestamp", "treat", "trim",
        "values", "varchar", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi",
        "xmlroot", "xmlserialize", "xmltable",
    ];
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain && !RESERVED.contains(&s) {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// A user-defined type as the catalog query spells it: `public.mood`, `app."Weird"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident_if_needed(schema), quote_ident_if_needed(name))
}

/// `ty` with its schema renamed when it names a user type of a schema in `map`; None when it
/// does not. An empty new name leaves the type unqualified and quoted (`"status"[]`), as Atlas
/// writes a type of the schema its URL is bound to.
pub fn renamed(ty: &str, map: &std::collections::HashMap<String, String>) -> Option<String> {
    map.iter().find_map(|(from, to)| {
        let rest = ty.strip_prefix(&format!("{}.", quote_ident_if_needed(from)))?;
        Some(if to.is_empty() { quoted_bare(rest) } else { format!("{}.{rest}", quote_ident_if_needed(to)) })
    })
}

fn quoted_bare(rest: &str) -> String {
    if rest.starts_with('"') {
        return rest.to_string();
    }
    let (name, dims) = rest.split_at(rest.find('[').unwrap_or(rest.len()));
    format!("\"{name}\"{dims}")
}

/// Every named type of `realm` (enums, domains, composites…), as (schema, name).
fn user_types(realm: &super::Realm) -> Vec<(String, String)> {
    realm.schemas.iter().flat_map(|s| s.named_types().map(move |(_, n)| (s.name.clone(), n.to_string()))).collect()
}

/// Enums and domains that desired columns name but the desired state does not declare, taken
/// from the target as they are: the file depends on them (Atlas's files often do, since Atlas
/// does not manage domains), so they stay rather than being dropped under the columns that use
/// them. A bare name (`sql("positive_int")`) resolves as for declared types. Returns what was
/// kept, as `schema.name`.
pub fn keep_referenced_types(current: &super::Realm, desired: &mut super::Realm) -> Vec<String> {
    let declared = user_types(desired);
    let undeclared: Vec<(String, String)> = user_types(current).into_iter().filter(|(s, n)| desired.schemas.iter().any(|d| &d.name == s) && !declared.iter().any(|(ds, dn)| ds == s && dn == n)).collect();
    qualify_bare(desired, &undeclared);
    let named: std::collections::BTreeSet<String> = desired.schemas.iter().flat_map(|s| s.tables.iter().flat_map(|t| t.columns.iter().map(|c| c.ty.trim_end_matches("[]").to_string()))).collect();
    let mut kept = Vec::new();
    for (schema, name) in undeclared {
        let q = qualified(&schema, &name);
        if !named.contains(&q) {
            continue;
        }
        let (Some(cs), Some(ds)) = (current.schemas.iter().find(|s| s.name == schema), desired.schemas.iter_mut().find(|s| s.name == schema)) else { continue };
        if let Some(e) = cs.enums.iter().find(|e| e.name == name) {
            ds.enums.push(e.clone());
        } else if let Some(d) = cs.domains.iter().find(|d| d.name == name) {
            ds.domains.push(d.clone());
        } else if let Some(o) = cs.objects.iter().find(|o| o.is_type() && o.name() == name) {
            ds.objects.push(o.clone());
        }
        kept.push(q);
    }
    kept
}

/// Column types that name a declared enum or domain without its schema (`sql("status[]")`,
/// as Atlas's files often write them), qualified. Every other type stays as written.
pub fn qualify_bare_user_types(realm: &mut super::Realm) {
    let declared = user_types(realm);
    qualify_bare(realm, &declared);
}

/// Bare column types naming one of `types` (schema, name), resolved as a session whose
/// search_path holds the column's schema would: the type of the table's own schema first,
/// else the only one of that name. Array brackets are kept.
fn qualify_bare(realm: &mut super::Realm, types: &[(String, String)]) {
    let resolve = |schema: &str, ty: &str| -> Option<String> {
        let base = ty.trim_end_matches("[]");
        let dims = &ty[base.len()..];
        if base.contains('.') || base.contains('"') || base.contains('(') || base.contains(' ') {
            return None;
        }
        let here = types.iter().find(|(s, n)| s == schema && n == base);
        let mut anywhere = types.iter().filter(|(_, n)| n == base);
        let found = here.or_else(|| match (anywhere.next(), anywhere.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        })?;
        Some(format!("{}{dims}", qualified(&found.0, &found.1)))
    };
    for s in &mut realm.schemas {
        let name = s.name.clone();
        for t in &mut s.tables {
            for c in &mut t.columns {
                if let Some(q) = resolve(&name, &c.ty) {
                    c.ty = q;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, EnumType, Realm, Schema, Table};

    #[test]
    fn bare_user_types_resolve_to_their_schema() {
        let col = |n: &str, ty: &str| Column { name: n.into(), ty: ty.into(), ..Default::default() };
        let mut realm = Realm {
            schemas: vec![
                Schema { name: "app".into(), enums: vec![EnumType { name: "status".into(), ..Default::default() }], tables: vec![Table { name: "t".into(), columns: vec![col("a", "status[]"), col("b", "status"), col("c", "text"), col("d", "other.status")], ..Default::default() }], ..Default::default() },
                Schema { name: "Other".into(), enums: vec![EnumType { name: "mood".into(), ..Default::default() }], tables: vec![Table { name: "u".into(), columns: vec![col("m", "mood[]")], ..Default::default() }], ..Default::default() },
            ],
            ..Default::default()
        };
        qualify_bare_user_types(&mut realm);
        let types: Vec<&str> = realm.schemas.iter().flat_map(|s| s.tables.iter().flat_map(|t| t.columns.iter().map(|c| c.ty.as_str()))).collect();
        assert_eq!(types, ["app.status[]", "app.status", "text", "other.status", "\"Other\".mood[]"]);
    }

    #[test]
    fn renamed_schemas_carry_their_types() {
        let map = std::collections::HashMap::from([("app".to_string(), "prod".to_string()), ("Old".to_string(), String::new())]);
        assert_eq!(renamed("app.status[]", &map).as_deref(), Some("prod.status[]"));
        assert_eq!(renamed("\"Old\".mood", &map).as_deref(), Some("\"mood\""));
        assert_eq!(renamed("application.x", &map), None);
        assert_eq!(renamed("integer", &map), None);
    }
}
