//! `role`, `permission` and `default_privileges` blocks (PostgreSQL). Atlas's spelling:
//!
//! ```hcl
//! role "reader" {}
//! permission {
//!   to         = role.reader          # PUBLIC, role.x or "name"
//!   for        = table.orders         # schema.s, table.t, view.v, materialized.m, sequence.q,
//!   privileges = [SELECT, INSERT]     # function.f, table.t.column.c
//!   grantable  = true                 # WITH GRANT OPTION
//! }
//! ```
//!
//! `default_privileges` (ALTER DEFAULT PRIVILEGES … IN SCHEMA) is schemagate's own block
//! (PostgreSQL). On MySQL/MariaDB a role is an account, `role "app@%" {}`, and permissions name
//! databases, tables, views and columns. Declaring a `role` makes schemagate manage its
//! privileges (see `Realm::roles`).

use super::*;

/// MySQL/MariaDB: what ALL means on a table or view, a column and a database.
const MY_TABLE: &[&str] = &["ALTER", "CREATE", "CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "INDEX", "INSERT", "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE"];
const MY_COLUMN: &[&str] = &["INSERT", "REFERENCES", "SELECT", "UPDATE"];
const MY_SCHEMA: &[&str] = &[
    "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES", "CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "EVENT", "EXECUTE", "INDEX", "INSERT", "LOCK TABLES",
    "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE",
];

/// What ALL means on each kind of object.
fn all_privileges(dialect: Dialect, kind: &str) -> &'static [&'static str] {
    if dialect == Dialect::Mysql {
        return match kind {
            "schema" => MY_SCHEMA,
            "column" => MY_COLUMN,
            _ => MY_TABLE,
        };
    }
    match kind {
        "schema" => &["CREATE", "USAGE"],
        "sequence" => &["SELECT", "UPDATE", "USAGE"],
        "function" => &["EXECUTE"],
        "column" => &["INSERT", "REFERENCES", "SELECT", "UPDATE"],
        "TABLES" => &["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"],
        "SEQUENCES" => &["SELECT", "UPDATE", "USAGE"],
        "FUNCTIONS" => &["EXECUTE"],
        "TYPES" => &["USAGE"],
        "SCHEMAS" => &["CREATE", "USAGE"],
        _ => &["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"],
    }
}

/// Add `g` to `grants`, merged with a grant to the same role with the same option.
fn merge(grants: &mut Vec<Grant>, g: Grant) {
    match grants.iter_mut().find(|x| x.grantee == g.grantee && x.grantable == g.grantable) {
        Some(x) => {
            x.privileges.extend(g.privileges);
            x.privileges.sort();
            x.privileges.dedup();
        }
        None => grants.push(g),
    }
}

impl Decoder<'_> {
    pub(super) fn roles(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body).filter(|b| b.ident.as_str() == "role") {
            if self.dialect == Dialect::Sqlite {
                return Err(self.files[fi].err(b.span(), "SQLite has no roles or privileges", None));
            }
            let name = self.one_label(fi, b)?;
            if let Some(a) = attrs(&b.body).find(|a| a.key.as_str() != "comment") {
                return Err(self.unknown(fi, a, "role", &["comment"]));
            }
            if !self.realm.roles.contains(&name) {
                self.realm.roles.push(name);
            }
        }
        Ok(())
    }

    /// `role.x`, `PUBLIC` or a string → the role's name; a role.x must be declared.
    fn grantee(&self, fi: usize, a: &Attribute) -> R<String> {
        let e: Expression = a.value.clone().into();
        match &e {
            Expression::Variable(v) if v.as_str().eq_ignore_ascii_case("PUBLIC") => Ok("PUBLIC".into()),
            _ => match path_of(&e).as_deref() {
                Some([k, n]) if k == "role" => {
                    if !self.realm.roles.contains(n) {
                        return Err(self.files[fi].err(a.value.span(), format!("unresolved reference role.{n}"), Some(format!("declare it: role \"{n}\" {{}}"))));
                    }
                    Ok(n.clone())
                }
                _ => self.string(fi, a),
            },
        }
    }

    fn privilege_list(&self, fi: usize, a: &Attribute, kind: &str) -> R<Vec<String>> {
        let e: Expression = a.value.clone().into();
        let items = match &e {
            Expression::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        let mut out = Vec::new();
        for it in items {
            let p = match &it {
                Expression::Variable(v) => v.as_str().to_string(),
                Expression::String(s) => s.clone(),
                _ => return Err(self.files[fi].err(a.value.span(), "privileges are names such as SELECT, INSERT, USAGE, EXECUTE or ALL", None)),
            };
            let p = p.to_ascii_uppercase().replace('_', " ");
            if p == "ALL" || p == "ALL PRIVILEGES" {
                out.extend(all_privileges(self.dialect, kind).iter().map(|s| s.to_string()));
            } else if all_privileges(self.dialect, kind).contains(&p.as_str()) {
                out.push(p);
            } else {
                return Err(self.files[fi].err(a.value.span(), format!("{p} is not a privilege of a {}", kind.to_ascii_lowercase()), Some(format!("allowed: {}, ALL", all_privileges(self.dialect, kind).join(", ")))));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub(super) fn permissions(&mut self, fi: usize, body: &Body) -> R<()> {
        for b in blocks(body) {
            match b.ident.as_str() {
                "permission" => self.permission(fi, b)?,
                "default_privileges" => self.default_privileges(fi, b)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn permission(&mut self, fi: usize, b: &Block) -> R<()> {
        if self.dialect == Dialect::Sqlite {
            return Err(self.files[fi].err(b.span(), "SQLite has no roles or privileges", None));
        }
        let (mut to, mut target, mut privs, mut grantable) = (None, None, None, false);
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "to" => to = Some(self.grantee(fi, a)?),
                "for" => target = Some((path_of(&a.value.clone().into()).unwrap_or_default(), a.value.span())),
                "privileges" => privs = Some(a),
                "grantable" => grantable = self.boolean(fi, a)?,
                "comment" => {}
                _ => return Err(self.unknown(fi, a, "permission", &["to", "for", "privileges", "grantable", "comment"])),
            }
        }
        let need = |what: &str, eg: &str| self.files[fi].err(b.span(), format!("permission needs `{what}`"), Some(format!("e.g. {what} = {eg}")));
        let to = to.ok_or_else(|| need("to", "role.reader"))?;
        let (path, span) = target.ok_or_else(|| need("for", "table.orders"))?;
        let privs = privs.ok_or_else(|| need("privileges", "[SELECT]"))?;
        let one = |s: &Self, n: &str| s.default_schema(fi, span.clone()).map(|d| (d, n.to_string()));
        let named = |s: &Self, q: &str, n: &str| (s.schema_names.get(q).cloned().unwrap_or(q.to_string()), n.to_string());
        let (kind, schema, name, column) = match path.as_slice() {
            [k, n] if k == "schema" => ("schema", self.schema_names.get(n).cloned().unwrap_or(n.clone()), String::new(), None),
            [k, t, c, col] if k == "table" && c == "column" => {
                let (s, t) = one(self, t)?;
                ("column", s, t, Some(col.clone()))
            }
            [k, q, t, c, col] if k == "table" && c == "column" => {
                let (s, t) = named(self, q, t);
                ("column", s, t, Some(col.clone()))
            }
            [k, n] if ["table", "view", "materialized", "sequence", "function"].contains(&k.as_str()) => {
                let (s, n) = one(self, n)?;
                (k.as_str(), s, n, None)
            }
            [k, q, n] if ["table", "view", "materialized", "sequence", "function"].contains(&k.as_str()) => {
                let (s, n) = named(self, q, n);
                (k.as_str(), s, n, None)
            }
            _ => return Err(self.files[fi].err(span, "`for` must reference a schema, table, view, materialized view, sequence, function or column", Some("e.g. for = table.orders or for = table.orders.column.total".into()))),
        };
        if self.dialect == Dialect::Mysql && matches!(kind, "sequence" | "function" | "materialized") {
            return Err(self.files[fi].err(span, format!("{kind} privileges are not managed on MySQL yet (databases, tables, views and columns are)"), None));
        }
        let priv_kind = match kind {
            "view" | "materialized" => "table",
            k => k,
        };
        let g = Grant { grantee: to, privileges: self.privilege_list(fi, privs, priv_kind)?, grantable };
        let missing = || self.files[fi].err(span.clone(), format!("permission for {kind} \"{name}\": no such {kind} in schema \"{schema}\""), None);
        let Some(s) = self.realm.schemas.iter_mut().find(|x| x.name == schema) else {
            return Err(self.files[fi].err(span.clone(), format!("permission for schema \"{schema}\", which is not declared"), None));
        };
        let grants = match kind {
            "schema" => &mut s.grants,
            "table" => match s.tables.iter_mut().find(|t| t.name == name) {
                Some(t) => &mut t.grants,
                None => return Err(missing()),
            },
            "view" | "materialized" => match s.views.iter_mut().find(|v| v.name == name) {
                Some(v) => &mut v.grants,
                None => return Err(missing()),
            },
            "sequence" => match s.sequences.iter_mut().find(|q| q.name == name) {
                Some(q) => &mut q.grants,
                None => return Err(missing()),
            },
            "function" => {
                let mut found = s.functions.iter_mut().filter(|f| f.name == name);
                match (found.next(), found.next()) {
                    (Some(f), None) => &mut f.grants,
                    (None, _) => return Err(missing()),
                    (Some(_), Some(_)) => return Err(self.files[fi].err(span, format!("function \"{name}\" is overloaded; permissions on overloads are not expressible yet"), None)),
                }
            }
            _ => {
                let col = column.unwrap_or_default();
                match s.tables.iter_mut().find(|t| t.name == name).and_then(|t| t.columns.iter_mut().find(|c| c.name == col)) {
                    Some(c) => &mut c.grants,
                    None => return Err(self.files[fi].err(span, format!("permission for column \"{name}\".\"{col}\", which is not declared"), None)),
                }
            }
        };
        merge(grants, g);
        Ok(())
    }

    fn default_privileges(&mut self, fi: usize, b: &Block) -> R<()> {
        if self.dialect != Dialect::Postgres {
            return Err(self.files[fi].err(b.span(), "default_privileges blocks are PostgreSQL's", None));
        }
        let (mut schema, mut owner, mut on, mut to, mut privs, mut grantable) = (None, None, None, None, None, false);
        for a in attrs(&b.body) {
            match a.key.as_str() {
                "schema" => schema = Some(self.schema_ref(fi, a)?),
                "owner" => owner = Some(self.grantee(fi, a)?),
                "on" => {
                    let v = self.constant(fi, a)?.to_ascii_uppercase();
                    if !["TABLES", "SEQUENCES", "FUNCTIONS", "TYPES", "SCHEMAS"].contains(&v.as_str()) {
                        return Err(self.files[fi].err(a.value.span(), format!("`on` is TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS, not {v}"), None));
                    }
                    on = Some(v)
                }
                "to" => to = Some(self.grantee(fi, a)?),
                "privileges" => privs = Some(a),
                "grantable" => grantable = self.boolean(fi, a)?,
                _ => return Err(self.unknown(fi, a, "default_privileges", &["schema", "owner", "on", "to", "privileges", "grantable"])),
            }
        }
        let need = |what: &str| self.files[fi].err(b.span(), format!("default_privileges needs `{what}`"), Some("e.g. schema = schema.public, owner = role.app, on = TABLES, to = role.reader, privileges = [SELECT]".into()));
        let schema = match schema {
            Some(s) => s,
            None => self.default_schema(fi, b.span())?,
        };
        let on = on.ok_or_else(|| need("on"))?;
        let d = DefaultPrivilege {
            owner: owner.ok_or_else(|| need("owner"))?,
            grantee: to.ok_or_else(|| need("to"))?,
            privileges: self.privilege_list(fi, privs.ok_or_else(|| need("privileges"))?, &on)?,
            on,
            grantable,
        };
        self.schema_mut(&schema).default_privileges.push(d);
        Ok(())
    }
}
