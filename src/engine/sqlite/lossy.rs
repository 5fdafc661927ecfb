//! SQLite keeps every value as it was stored when a column's declared type changes (a table
//! rebuild copies values; type affinity converts only what it can convert without loss), so no
//! type change loses values there.

use crate::lint::lossy::Lossy;

pub fn classify(_old: &str, _new: &str) -> Option<Lossy> {
    None
}
