//! Blocks of the object kinds handled generically (`schema::kinds`): `extension`. A new kind
//! is a name in `BLOCKS` and an arm in `Decoder::kind`.

use super::*;

/// The top-level blocks decoded here.
pub(super) const BLOCKS: &[&str] = &["extension"];

impl Decoder<'_> {
    /// One block named in `BLOCKS`, added to its schema.
    pub(super) fn kind(&mut self, fi: usize, b: &Block) -> R<()> {
        let mut schema = None;
        let object = match b.ident.as_str() {
            "extension" => {
                if self.dialect != Dialect::Postgres {
                    return Err(self.files[fi].err(b.span(), format!("extensions exist only on PostgreSQL, not {}", self.dialect.name()), None));
                }
                let mut x = Extension { name: self.one_label(fi, b)?, version: None };
                for a in attrs(&b.body) {
                    match a.key.as_str() {
                        "schema" => schema = Some(self.schema_ref(fi, a)?),
                        "version" => x.version = Some(self.string(fi, a)?),
                        // Read-only in Atlas (the extension's own comment).
                        "comment" => {}
                        _ => return Err(self.unknown(fi, a, "extension", &["schema", "version", "comment"])),
                    }
                }
                Object::Extension(x)
            }
            other => return Err(self.files[fi].err(b.span(), format!("unknown block `{other}`"), None)),
        };
        let schema = match schema {
            Some(s) => s,
            None => self.default_schema(fi, b.span())?,
        };
        let s = self.schema_mut(&schema);
        if s.objects.iter().any(|o| o.key() == object.key()) {
            return Err(self.files[fi].err(b.span(), format!("duplicate {} \"{}\"", object.kind(), object.name()), Some("each object is declared once; merge the blocks".into())));
        }
        s.objects.push(object);
        Ok(())
    }
}
