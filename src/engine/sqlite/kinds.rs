//! The object kinds handled generically (`schema::kinds`) on this engine. SQLite has none of
//! them: the HCL decoder refuses their blocks and inspection finds none, so no change of
//! theirs reaches these functions. A new kind is an arm in each.

use crate::schema::Object;
use crate::statement::{Phase, Statement};

pub fn add(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    let _ = schema;
    match o {
        Object::Extension(_) | Object::Composite(_) => vec![],
    }
}

pub fn drop(schema: &str, o: &Object) -> Vec<(Phase, Statement)> {
    let _ = schema;
    match o {
        Object::Extension(_) | Object::Composite(_) => vec![],
    }
}

pub fn modify(schema: &str, from: &Object, to: &Object) -> Vec<(Phase, Statement)> {
    let _ = (schema, from);
    match to {
        Object::Extension(_) | Object::Composite(_) => vec![],
    }
}
