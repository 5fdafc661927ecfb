//! Object kinds the pipeline handles generically: each is one named object of a schema, matched
//! by kind and name, added, dropped or changed as a whole. Diff, plan, lint, report and apply
//! read them through `Object`'s methods and never name a kind; each engine's `kinds.rs` says
//! which statements a change of each kind takes (and inspects them).
//!
//! Adding a kind: its struct and `Object` arm here, its HCL block in `source/hcl/kinds.rs`, and
//! one arm in `engine/<name>/kinds.rs` for each engine (docs/architecture.md, "How to add an
//! object kind"). Kinds that reference other objects in ways the planner must order (views,
//! routines, triggers) or that tables depend on column by column (enums, domains, sequences)
//! keep their own changes in `diff::Change`.

use serde::Serialize;

/// One object of a kind handled generically.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Object {
    Extension(Extension),
}

impl Object {
    /// The kind as its HCL block and lint spell it (`extension`): lint sees `add_<kind>`,
    /// `drop_<kind>`, `modify_<kind>`.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Extension(_) => "extension",
        }
    }

    /// The kind in the plan's words (`create extension`, `drop composite type`).
    pub fn noun(&self) -> &'static str {
        match self {
            Object::Extension(_) => "extension",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Object::Extension(x) => &x.name,
        }
    }

    /// Whether columns can be of this kind (`type = composite.address`): then it is created
    /// before the tables and dropped after them, and a column type naming it is a reference.
    pub fn is_type(&self) -> bool {
        match self {
            Object::Extension(_) => false,
        }
    }

    /// Whether changing `self` into `to` can lose stored data (a drop always can).
    pub fn change_loses_data(&self, to: &Object) -> bool {
        match (self, to) {
            // Versions are not compared, so an extension never changes in place.
            (Object::Extension(_), Object::Extension(_)) => false,
        }
    }

    /// The (kind, name) pair objects are matched by.
    pub fn key(&self) -> (&'static str, &str) {
        (self.kind(), self.name())
    }
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
}
