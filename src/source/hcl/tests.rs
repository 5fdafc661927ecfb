//! HCL without a database: decode → model → encode → decode gives the same model, on each
//! engine, and errors point at file:line:col.

use super::decode::{decode_files, HclFile};
use super::encode::encode;
use crate::schema::{Dialect, Realm};
use std::collections::HashMap;

fn decode(src: &str, d: Dialect) -> Realm {
    decode_files(&[HclFile { path: "schema.hcl".into(), src: src.into() }], d, &HashMap::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn round_trip(src: &str, d: Dialect) -> (Realm, String) {
    let mut first = decode(src, d);
    let text = encode(&first, d);
    let mut again = decode(&text, d);
    first.sort();
    again.sort();
    assert_eq!(serde_json::to_value(&first.schemas).unwrap(), serde_json::to_value(&again.schemas).unwrap(), "{d:?}: encode → decode differs:\n{text}");
    (first, text)
}

const PG: &str = r#"
schema "public" {}
enum "status" {
  schema = schema.public
  values = ["on", "off"]
}
table "users" {
  schema = schema.public
  column "id" {
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "email" {
    type = varchar(255)
  }
  column "st" {
    type = enum.status
    default = "on"
  }
  column "tags" {
    type = sql("text[]")
    null = true
  }
  primary_key {
    columns = [column.id]
    include = [column.email]
  }
  index "users_email" {
    unique = true
    columns = [column.email]
    where = "st = 'on'"
  }
  check "email_at" {
    expr = "email LIKE '%@%'"
  }
}
table "posts" {
  schema = schema.public
  column "id" {
    type = int
  }
  column "author" {
    type = bigint
  }
  column "at" {
    type = timestamp(3)
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "posts_author" {
    columns = [column.author]
    ref_columns = [table.users.column.id]
    on_delete = CASCADE
  }
  index "posts_at" {
    columns = [column.at]
    type = BRIN
    page_per_range = 16
  }
}
"#;

#[test]
fn postgres_round_trip() {
    let (r, text) = round_trip(PG, Dialect::Postgres);
    let users = r.table("public", "users").unwrap();
    assert_eq!(users.primary_key.as_ref().unwrap().include, vec!["email".to_string()]);
    // `=` aligned as hclwrite aligns it.
    assert!(text.contains("page_per_range = 16") && text.contains("on_delete   = CASCADE"), "{text}");
    // Type aliases are canonical without a database.
    assert_eq!(users.column("email").unwrap().ty, "character varying(255)");
}

#[test]
fn mysql_round_trip() {
    let src = r#"
schema "app" {
  charset = "utf8mb4"
}
table "t" {
  schema = schema.app
  column "id" {
    type = int
    auto_increment = true
  }
  column "kind" {
    type = enum("a", "b")
  }
  column "n" {
    type = decimal(10, 2)
    unsigned = true
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  auto_increment = 100
}
"#;
    let (r, text) = round_trip(src, Dialect::Mysql);
    assert_eq!(r.table("app", "t").unwrap().options.auto_increment, Some(100));
    assert!(text.contains("auto_increment = 100"), "{text}");
}

#[test]
fn sqlite_round_trip() {
    let src = "schema \"main\" {}\ntable \"kv\" {\n  schema = schema.main\n  column \"k\" {\n    type = text\n  }\n  primary_key {\n    columns = [column.k]\n  }\n  without_rowid = true\n}\n";
    let (r, _) = round_trip(src, Dialect::Sqlite);
    assert!(r.table("main", "kv").unwrap().options.without_rowid);
}

#[test]
fn errors_point_at_the_line() {
    let e = decode_files(&[HclFile { path: "s.hcl".into(), src: "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  colum \"x\" {}\n}\n".into() }], Dialect::Postgres, &HashMap::new()).unwrap_err().to_string();
    assert!(e.starts_with("s.hcl:4:"), "{e}");
    let e = decode_files(&[HclFile { path: "s.hcl".into(), src: "schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"x\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.x]\n    include = [column.x]\n  }\n}\n".into() }], Dialect::Mysql, &HashMap::new()).unwrap_err().to_string();
    assert!(e.contains("s.hcl:9:") && e.contains("include"), "primary key include is PostgreSQL's: {e}");
}

/// Atlas's `composite` block: fields in order with their types and collations, a comment, and
/// columns of the type written `composite.<name>`; another engine refuses it with the reason.
#[test]
fn composite_types_round_trip() {
    let src = "schema \"public\" {}\ncomposite \"address\" {\n  schema = schema.public\n  field \"street\" {\n    type = varchar(80)\n  }\n  field \"zip\" {\n    type = text\n    collate = \"C\"\n  }\n  comment = \"postal\"\n}\ntable \"shops\" {\n  schema = schema.public\n  column \"at\" {\n    type = composite.address\n  }\n}\n";
    let (r, text) = round_trip(src, Dialect::Postgres);
    let s = r.schema("public").unwrap();
    let crate::schema::Object::Composite(c) = &s.objects[0] else { panic!("{:?}", s.objects) };
    assert_eq!(c.fields.iter().map(|f| (f.name.as_str(), f.ty.as_str(), f.collate.as_deref())).collect::<Vec<_>>(), [("street", "character varying(80)", None), ("zip", "text", Some("C"))]);
    assert_eq!(r.table("public", "shops").unwrap().columns[0].ty, "public.address");
    assert!(text.contains("type = composite.address"), "{text}");
    let e = decode_files(&[HclFile { path: "s.hcl".into(), src: "schema \"app\" {}\ncomposite \"a\" {\n  schema = schema.app\n}\n".into() }], Dialect::Mysql, &HashMap::new()).unwrap_err().to_string();
    assert!(e.starts_with("s.hcl:2:") && e.contains("only on PostgreSQL"), "{e}");
    let e = decode_files(&[HclFile { path: "s.hcl".into(), src: "schema \"public\" {}\ncomposite \"a\" {\n  schema = schema.public\n  field \"x\" {}\n}\n".into() }], Dialect::Postgres, &HashMap::new()).unwrap_err().to_string();
    assert!(e.starts_with("s.hcl:4:") && e.contains("needs a `type`"), "{e}");
    // A field may name a composite declared further on.
    let nested = decode("schema \"public\" {}\ncomposite \"a\" {\n  schema = schema.public\n  field \"x\" {\n    type = composite.b\n  }\n}\ncomposite \"b\" {\n  schema = schema.public\n  field \"y\" {\n    type = int\n  }\n}\n", Dialect::Postgres);
    let crate::schema::Object::Composite(a) = &nested.schema("public").unwrap().objects[0] else { panic!() };
    assert_eq!(a.fields[0].ty, "public.b");
}
