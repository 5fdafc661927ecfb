//! Object kinds the pipeline handles generically: each is one named object of a schema, matched
//! by kind and name, added, dropped or changed as a whole. Diff, plan, lint, report and apply
//! read them through `Object`'s methods and never name a kind; each engine's `kinds.rs` says
//! which statements a change of each kind takes (and inspects them).
//!
//! Adding a kind: its struct and `Object` arm here, its HCL block in `source/hcl/decode/kinds.rs`
//! and `source/hcl/encode/kinds.rs`, and one arm in `engine/<name>/kinds.rs` for each engine
//! (docs/architecture.md, "How to add an object kind"). Kinds that reference other objects in
//! ways the planner must order (views, routines, triggers) or that tables depend on column by
//! column (enums, domains, sequences) keep their own changes in `diff::Change`.

use serde::Serialize;

/// One object of a kind handled generically.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Object {
    Extension(Extension),
    Composite(Composite),
}

impl Object {
    /// The kind as its HCL block and lint spell it (`extension`): lint sees `add_<kind>`,
    /// `drop_<kind>`, `modify_<kind>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Extension(_) => "extension",
            Object::Composite(_) => "composite",
        }
    }

    /// The kind in the plan's words (`create extension`, `drop composite type`).
    pub fn noun(&self) -> &'static str {
        match self {
            Object::Extension(_) => "extension",
            Object::Composite(_) => "composite type",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Object::Extension(x) => &x.name,
            Object::Composite(c) => &c.name,
        }
    }

    /// Whether columns can be of this kind (`type = composite.address`): then it is created
    /// before the tables and dropped after them, and a column type naming it is a reference.
    pub fn is_type(&self) -> bool {
        match self {
            Object::Extension(_) => false,
            Object::Composite(_) => true,
        }
    }

    /// Whether changing `self` into `to` can lose stored data (a drop always can).
    pub fn change_loses_data(&self, to: &Object) -> bool {
        match (self, to) {
            // Versions are not compared, so an extension never changes in place.
            (Object::Extension(_), _) => false,
            // A field dropped or retyped: columns of the type lose (or cannot keep) its values.
            (Object::Composite(old), Object::Composite(new)) => old.fields.iter().any(|f| new.fields.iter().all(|n| n.name != f.name || n.ty != f.ty)),
            (Object::Composite(_), Object::Extension(_)) => false,
        }
    }

    /// The types its definition uses, as columns spell them (`public.address`): it is created
    /// after those and dropped before them.
    pub fn uses(&self) -> Vec<&str> {
        match self {
            Object::Extension(_) => vec![],
            Object::Composite(c) => c.fields.iter().map(|f| f.ty.trim_end_matches("[]")).collect(),
        }
    }

    /// The (kind, name) pair objects are matched by.
    pub fn key(&self) -> (&'static str, &str) {
        (self.kind(), self.name())
    }
}

/// The objects of schema `schema` in the order they can be created: each after the types of
/// the schema it uses (`Object::uses`); otherwise as given. A cycle (which no database can
/// create) keeps its order.
pub fn creation_order<'a>(schema: &str, objects: impl IntoIterator<Item = &'a Object>) -> Vec<&'a Object> {
    // Each object with the name a column would give it (none for kinds that are not types).
    let mut waiting: Vec<(&Object, Option<String>)> = objects.into_iter().map(|o| (o, o.is_type().then(|| super::type_ref::qualified(schema, o.name())))).collect();
    let mut out = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let before = waiting.len();
        let mut i = 0;
        while i < waiting.len() {
            let uses_a_waiting_type = waiting[i].0.uses().iter().any(|t| waiting.iter().enumerate().any(|(j, (_, n))| j != i && n.as_deref() == Some(*t)));
            if uses_a_waiting_type {
                i += 1;
            } else {
                out.push(waiting.remove(i).0);
            }
        }
        if waiting.len() == before {
            out.extend(waiting.drain(..).map(|(o, _)| o));
        }
    }
    out
}

/// A PostgreSQL extension, listed under the schema it is installed in.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Extension {
    pub name: String,
    /// Informational: versions are not compared (upgrades are `ALTER EXTENSION … UPDATE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl PartialEq for Extension {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
    }
}
impl Eq for Extension {}

/// A PostgreSQL composite type: `CREATE TYPE name AS (field type, …)`. Columns may be of it
/// (`type = composite.address`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Composite {
    pub name: String,
    /// In order: the order is the type's (row constructors and `(a).*` follow it).
    pub fields: Vec<CompositeField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One field of a composite type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompositeField {
    pub name: String,
    /// Canonical type, as a column's.
    pub ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collate: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_match_by_name_whatever_their_version() {
        let a = Object::Extension(Extension { name: "citext".into(), version: Some("1.6".into()) });
        let b = Object::Extension(Extension { name: "citext".into(), version: None });
        assert_eq!(a, b);
        assert_eq!(a.key(), ("extension", "citext"));
        assert!(!a.change_loses_data(&b));
    }

    #[test]
    fn a_composite_loses_data_when_a_field_goes_or_changes_type() {
        let field = |n: &str, ty: &str| CompositeField { name: n.into(), ty: ty.into(), collate: None };
        let t = |fields: Vec<CompositeField>| Object::Composite(Composite { name: "address".into(), fields, comment: None });
        let old = t(vec![field("street", "text"), field("zip", "text")]);
        assert!(!old.change_loses_data(&t(vec![field("street", "text"), field("zip", "text"), field("city", "text")])));
        assert!(old.change_loses_data(&t(vec![field("street", "text")])));
        assert!(old.change_loses_data(&t(vec![field("street", "text"), field("zip", "character varying(10)")])));
        assert_eq!((old.kind(), old.noun(), old.is_type()), ("composite", "composite type", true));
    }

    #[test]
    fn composites_are_created_after_the_composites_they_use() {
        let c = |n: &str, ty: &str| Object::Composite(Composite { name: n.into(), fields: vec![CompositeField { name: "f".into(), ty: ty.into(), collate: None }], comment: None });
        let objects = [c("a", "public.b[]"), c("b", "public.c"), c("c", "text"), c("d", "other.a")];
        let order: Vec<&str> = creation_order("public", &objects).iter().map(|o| o.name()).collect();
        assert_eq!(order, ["c", "d", "b", "a"]);
    }
}
