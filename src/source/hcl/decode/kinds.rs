//! Blocks of the object kinds handled generically (`schema::kinds`): `extension`, `composite`.
//! A new kind is a name in `BLOCKS` (and `TYPE_BLOCKS` if it is a type) and an arm in
//! `Decoder::kind`.

use super::*;

/// The top-level blocks decoded here.
pub(super) const BLOCKS: &[&str] = &["extension", "composite"];

/// Those of `BLOCKS` whose objects are types (`Object::is_type`): columns and fields may name
/// them before their block.
pub(super) const TYPE_BLOCKS: &[&str] = &["composite"];

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
            "composite" => {
                if self.dialect != Dialect::Postgres {
                    return Err(self.files[fi].err(b.span(), format!("composite types exist only on PostgreSQL, not {}", self.dialect.name()), None));
                }
                let mut c = Composite { name: self.one_label(fi, b)?, ..Default::default() };
                for a in attrs(&b.body) {
                    match a.key.as_str() {
                        "schema" => schema = Some(self.schema_ref(fi, a)?),
                        "comment" => c.comment = Some(self.string(fi, a)?),
                        _ => return Err(self.unknown(fi, a, "composite", &["schema", "comment", "field"])),
                    }
                }
                for fb in blocks(&b.body) {
                    if fb.ident.as_str() != "field" {
                        return Err(self.unknown_block(fi, fb, "composite", &["field"]));
                    }
                    let mut f = CompositeField { name: self.one_label(fi, fb)?, ..Default::default() };
                    for a in attrs(&fb.body) {
                        match a.key.as_str() {
                            "type" => f.ty = self.column_type(fi, a)?,
                            "collate" | "collation" => f.collate = Some(self.string(fi, a)?),
                            _ => return Err(self.unknown(fi, a, "field", &["type", "collate"])),
                        }
                    }
                    if f.ty.is_empty() {
                        return Err(self.files[fi].err(fb.span(), format!("field \"{}\" of composite \"{}\" needs a `type`", f.name, c.name), Some("e.g. type = text".into())));
                    }
                    if c.fields.iter().any(|x| x.name == f.name) {
                        return Err(self.files[fi].err(fb.span(), format!("duplicate field \"{}\" in composite \"{}\"", f.name, c.name), None));
                    }
                    c.fields.push(f);
                }
                Object::Composite(c)
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
