//! Atlas HCL decoding: every block and attribute per dialect, and each error kind with its exact
//! file:line:col.

use schemagate::schema::*;
use schemagate::source::hcl::{decode_files, HclFile};
use std::collections::HashMap;

fn decode(src: &str, d: Dialect) -> Realm {
    decode_files(&[HclFile { path: "schema.hcl".into(), src: src.into() }], d, &HashMap::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn error(src: &str, d: Dialect) -> schemagate::error::SourceError {
    decode_files(&[HclFile { path: "schema.hcl".into(), src: src.into() }], d, &HashMap::new()).expect_err("should fail")
}

const PG: &str = r#"
schema "public" {
  comment = "main schema"
}
enum "status" {
  schema = schema.public
  values = ["active", "inactive"]
}
domain "posint" {
  schema = schema.public
  type   = integer
  null   = false
  check "positive" {
    expr = "VALUE > 0"
  }
}
sequence "ticket_seq" {
  schema    = schema.public
  type      = bigint
  start     = 100
  increment = 5
}
variable "prefix" {
  type    = string
  default = "app"
}
locals {
  users = "${var.prefix}_users"
}
table "users" {
  schema  = schema.public
  comment = "people"
  column "id" {
    type = bigint
    identity {
      generated = ALWAYS
      start     = 10
      increment = 2
    }
  }
  column "email" {
    type    = varchar(255)
    collate = "C"
  }
  column "status" {
    type    = enum.status
    default = "active"
  }
  column "score" {
    type    = domain.posint
    null    = true
  }
  column "meta" {
    type = jsonb
    null = true
  }
  column "tags" {
    type = sql("text[]")
    null = true
  }
  column "price" {
    type    = decimal(10, 2)
    default = 0
  }
  column "created_at" {
    type    = timestamptz
    default = sql("now()")
  }
  column "email_lower" {
    type = text
    as {
      expr = "lower(email)"
      type = STORED
    }
  }
  primary_key {
    columns = [column.id]
  }
  index "users_email_key" {
    unique = true
    columns = [column.email]
  }
  index "users_meta_gin" {
    type    = GIN
    columns = [column.meta]
  }
  index "users_lower" {
    on {
      expr = "lower(email)"
      ops  = text_pattern_ops
    }
    on {
      column = column.created_at
      desc   = true
      nulls_last = true
    }
    where   = "status = 'active'"
    include = [column.price]
    comment = "partial"
  }
  unique "users_status_score" {
    columns = [column.status, column.score]
    nulls_distinct = false
  }
  check "price_positive" {
    expr = "price >= 0"
  }
}
table "public" "orders" {
  column "id" {
    type = uuid
  }
  column "user_id" {
    type = bigint
  }
  primary_key "orders_pk" {
    columns = [column.id]
  }
  foreign_key "orders_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
    on_update   = NO_ACTION
    deferrable  = true
  }
}
table "events" {
  schema = schema.public
  column "at" {
    type = timestamp(3)
  }
  partition {
    type    = RANGE
    columns = [column.at]
  }
}
table "events_2024" {
  schema          = schema.public
  partition_of    = table.events
  partition_bound = "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
  column "at" {
    type = timestamp(3)
  }
}
"#;

#[test]
fn postgres_blocks_and_attributes() {
    let r = decode(PG, Dialect::Postgres);
    let s = r.schema("public").unwrap();
    assert_eq!(s.comment.as_deref(), Some("main schema"));
    assert_eq!(s.enums[0].values, vec!["active", "inactive"]);
    assert_eq!(s.domains[0].checks[0].expr, "VALUE > 0");
    assert!(!s.domains[0].null);
    assert_eq!((s.sequences[0].start, s.sequences[0].increment, s.sequences[0].max_value), (100, 5, i64::MAX));
    let u = r.table("public", "users").unwrap();
    assert_eq!(u.comment.as_deref(), Some("people"));
    let id = u.column("id").unwrap();
    assert_eq!(id.ty, "bigint");
    assert!(!id.null, "NOT NULL unless null = true");
    assert_eq!(id.identity, Some(Identity { always: true, start: 10, increment: 2, min_value: None, max_value: None }));
    assert_eq!(u.column("email").unwrap().ty, "character varying(255)");
    assert_eq!(u.column("email").unwrap().collate.as_deref(), Some("C"));
    assert_eq!(u.column("status").unwrap().ty, "public.status");
    assert_eq!(u.column("status").unwrap().default, Some(ColumnDefault::Str("active".into())));
    assert_eq!(u.column("score").unwrap().ty, "public.posint");
    assert!(u.column("score").unwrap().null);
    assert_eq!(u.column("tags").unwrap().ty, "text[]");
    assert_eq!(u.column("price").unwrap().ty, "numeric(10,2)");
    assert_eq!(u.column("price").unwrap().default, Some(ColumnDefault::Num("0".into())));
    assert_eq!(u.column("created_at").unwrap().ty, "timestamp with time zone");
    assert_eq!(u.column("created_at").unwrap().default, Some(ColumnDefault::Raw("now()".into())));
    assert_eq!(u.column("email_lower").unwrap().generated, Some(Generated { expr: "lower(email)".into(), stored: true }));
    assert_eq!(u.primary_key.as_ref().unwrap().columns, vec!["id"]);
    let idx = |n: &str| u.indexes.iter().find(|i| i.name == n).unwrap();
    assert!(idx("users_email_key").unique);
    assert_eq!(idx("users_meta_gin").method.as_deref(), Some("GIN"));
    let l = idx("users_lower");
    assert_eq!(l.parts[0].expr.as_deref(), Some("lower(email)"));
    assert_eq!(l.parts[0].opclass.as_deref(), Some("text_pattern_ops"));
    assert!(l.parts[1].desc);
    assert_eq!(l.parts[1].nulls_first, Some(false));
    assert_eq!(l.where_clause.as_deref(), Some("status = 'active'"));
    assert_eq!(l.include, vec!["price"]);
    assert_eq!(l.comment.as_deref(), Some("partial"));
    let uq = idx("users_status_score");
    assert!(uq.constraint && uq.unique && !uq.nulls_distinct);
    assert_eq!(u.checks[0].expr, "price >= 0");
    let o = r.table("public", "orders").unwrap();
    assert_eq!(o.primary_key.as_ref().unwrap().name.as_deref(), Some("orders_pk"));
    let fk = &o.foreign_keys[0];
    assert_eq!((fk.ref_schema.as_str(), fk.ref_table.as_str(), fk.ref_columns.clone()), ("public", "users", vec!["id".to_string()]));
    assert_eq!((fk.on_delete, fk.on_update, fk.deferrable), (RefAction::Cascade, RefAction::NoAction, true));
    let e = r.table("public", "events").unwrap();
    assert_eq!(e.partition, Some(PartitionKey { kind: "RANGE".into(), parts: vec![PartKey::Column("at".into())] }));
    assert_eq!(e.column("at").unwrap().ty, "timestamp(3) without time zone");
    let p = r.table("public", "events_2024").unwrap();
    assert_eq!(p.partition_of.as_ref().unwrap().table, "events");
}

#[test]
fn mysql_blocks_and_attributes() {
    let r = decode(
        r#"
schema "shop" {
  charset = "utf8mb4"
  collate = "utf8mb4_bin"
}
table "items" {
  schema         = schema.shop
  engine         = InnoDB
  charset        = "latin1"
  collate        = "latin1_swedish_ci"
  auto_increment = 100
  comment        = "catalog"
  column "id" {
    type           = int
    unsigned       = true
    auto_increment = true
  }
  column "flag" {
    type    = bool
    default = false
  }
  column "size" {
    type = enum("S", "M", "L")
  }
  column "opts" {
    type = set("a", "b")
    null = true
  }
  column "title" {
    type    = varchar(100)
    charset = "utf8mb4"
    collate = "utf8mb4_bin"
  }
  column "body" {
    type = text
  }
  column "updated" {
    type      = timestamp
    default   = sql("CURRENT_TIMESTAMP")
    on_update = sql("CURRENT_TIMESTAMP")
  }
  column "total" {
    type = decimal(10,2)
    as {
      expr = "1 + 1"
      type = VIRTUAL
    }
  }
  primary_key {
    columns = [column.id]
  }
  index "ft" {
    type    = FULLTEXT
    columns = [column.body]
  }
  index "prefix" {
    on {
      column = column.title
      prefix = 10
    }
  }
  check "positive" {
    expr     = "id > 0"
    enforced = true
  }
}
"#,
        Dialect::Mysql,
    );
    let s = r.schema("shop").unwrap();
    assert_eq!((s.charset.as_deref(), s.collate.as_deref()), (Some("utf8mb4"), Some("utf8mb4_bin")));
    let t = r.table("shop", "items").unwrap();
    assert_eq!(t.options.engine.as_deref(), Some("InnoDB"));
    assert_eq!(t.options.auto_increment, Some(100));
    assert_eq!(t.column("id").unwrap().ty, "int(10) unsigned");
    assert!(t.column("id").unwrap().auto_increment);
    assert_eq!(t.column("flag").unwrap().ty, "tinyint(1)");
    assert_eq!(t.column("size").unwrap().ty, "enum('S','M','L')");
    assert_eq!(t.column("opts").unwrap().ty, "set('a','b')");
    assert_eq!(t.column("title").unwrap().charset.as_deref(), Some("utf8mb4"));
    assert_eq!(t.column("updated").unwrap().on_update.as_deref(), Some("CURRENT_TIMESTAMP"));
    assert_eq!(t.column("total").unwrap().generated, Some(Generated { expr: "1 + 1".into(), stored: false }));
    assert_eq!(t.indexes.iter().find(|i| i.name == "ft").unwrap().method.as_deref(), Some("FULLTEXT"));
    assert_eq!(t.indexes.iter().find(|i| i.name == "prefix").unwrap().parts[0].prefix, Some(10));
}

#[test]
fn sqlite_blocks_and_attributes() {
    let r = decode(
        r#"
schema "main" {}
table "t" {
  schema        = schema.main
  without_rowid = true
  strict        = true
  column "id" {
    type = integer
  }
  column "name" {
    type = text
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "t_name" {
    columns = [column.name]
    where   = "name IS NOT NULL"
  }
}
"#,
        Dialect::Sqlite,
    );
    let t = r.table("main", "t").unwrap();
    assert!(t.options.without_rowid && t.options.strict);
    assert_eq!(t.indexes[0].where_clause.as_deref(), Some("name IS NOT NULL"));
}

#[test]
fn variables_locals_and_heredocs() {
    let src = r#"
variable "tenant" {
  type    = string
  default = "acme"
}
locals {
  note = "for ${var.tenant}"
}
schema "main" {}
table "t" {
  schema  = schema.main
  comment = local.note
  column "id" {
    type = integer
  }
  check "c" {
    expr = <<-SQL
      id > 0
    SQL
  }
}
"#;
    let r = decode(src, Dialect::Sqlite);
    let t = r.table("main", "t").unwrap();
    assert_eq!(t.comment.as_deref(), Some("for acme"));
    assert_eq!(t.checks[0].expr.trim(), "id > 0");
    let vars = HashMap::from([("tenant".to_string(), "globex".to_string())]);
    let r = decode_files(&[HclFile { path: "a.hcl".into(), src: src.into() }], Dialect::Sqlite, &vars).unwrap();
    assert_eq!(r.table("main", "t").unwrap().comment.as_deref(), Some("for globex"));
}

#[test]
fn files_merge() {
    let a = HclFile { path: "a.hcl".into(), src: "schema \"main\" {}\ntable \"a\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n}\n".into() };
    let b = HclFile { path: "b.hcl".into(), src: "table \"b\" {\n  schema = schema.main\n  column \"a_id\" {\n    type = int\n  }\n  foreign_key \"fk\" {\n    columns = [column.a_id]\n    ref_columns = [table.a.column.id]\n  }\n}\n".into() };
    let r = decode_files(&[a, b], Dialect::Sqlite, &HashMap::new()).unwrap();
    assert_eq!(r.table_count(), 2);
    assert_eq!(r.table("main", "b").unwrap().foreign_keys[0].ref_table, "a");
}

fn at(e: &schemagate::error::SourceError) -> (usize, usize) {
    (e.line, e.col)
}

#[test]
fn unknown_attribute_points_at_it_and_suggests() {
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n    nul = true\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(e.file, "schema.hcl");
    assert_eq!(at(&e), (6, 5), "{e}");
    assert!(e.msg.contains("unknown attribute `nul`"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("did you mean `null`"), "{e}");
    assert!(e.to_string().starts_with("schema.hcl:6:5: "), "{e}");
}

#[test]
fn wrong_type_points_at_the_value() {
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n    null = \"yes\"\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (6, 12), "{e}");
    assert!(e.msg.contains("must be true or false"), "{e}");
}

#[test]
fn unresolved_references() {
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.nope]\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (8, 15), "{e}");
    assert!(e.msg.contains("unresolved reference column.nope"), "{e}");
    let e = error("table \"t\" {\n  schema = schema.other\n  column \"id\" {\n    type = int\n  }\n}\n", Dialect::Postgres);
    assert_eq!(at(&e), (2, 12), "{e}");
    assert!(e.msg.contains("schema.other"), "{e}");
    let e = error(
        "schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"x\" {\n    type = int\n  }\n  foreign_key \"f\" {\n    columns = [column.x]\n    ref_columns = [table.missing.column.id]\n  }\n}\n",
        Dialect::Sqlite,
    );
    assert_eq!(at(&e), (9, 19), "{e}");
    assert!(e.msg.contains("table.missing"), "{e}");
    let e = error("schema \"public\" {}\ntable \"t\" {\n  schema = schema.public\n  column \"s\" {\n    type = enum.mood\n  }\n}\n", Dialect::Postgres);
    assert_eq!(at(&e), (5, 12), "{e}");
}

#[test]
fn duplicate_blocks() {
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n  column \"id\" {\n    type = text\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (7, 3), "{e}");
    assert!(e.msg.contains("duplicate column \"id\""), "{e}");
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    type = int\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (8, 1), "{e}");
}

#[test]
fn syntax_errors_have_positions() {
    let e = error("schema \"main\" {}\ntable \"t\" {\n  column \"id\" { type = int\n}\n", Dialect::Sqlite);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.msg.contains("syntax error"), "{e}");
    let e = error("table \"t\" {\n  column \"id\" {\n", Dialect::Sqlite);
    assert!(e.line >= 2, "{e}");
}

#[test]
fn missing_variable_and_missing_type() {
    let e = error("variable \"x\" {\n  type = string\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (1, 1), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("--var x="), "{e}");
    let e = error("schema \"main\" {}\ntable \"t\" {\n  schema = schema.main\n  column \"id\" {\n    null = true\n  }\n}\n", Dialect::Sqlite);
    assert_eq!(at(&e), (4, 3), "{e}");
    assert!(e.msg.contains("has no `type`"), "{e}");
}

#[test]
fn seed_example_decodes_on_server_engines() {
    let Some(shared) = std::env::var("SCHEMAGATE_SHARED").ok().map(std::path::PathBuf::from).or_else(|| {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
        p.is_dir().then_some(p)
    }) else {
        eprintln!("SKIPPED: ../shared not found");
        return;
    };
    for v in ["v1", "v2"] {
        let src = std::fs::read_to_string(shared.join(format!("seed-example/{v}/schema.hcl"))).unwrap();
        for d in [Dialect::Postgres, Dialect::Mysql] {
            let r = decode(&src, d);
            assert_eq!(r.table("terrateam", "users").unwrap().column("id").unwrap().ty, "uuid");
        }
        // SQLite has one schema, "main": the seed's "terrateam" is refused with a fix.
        let e = error(&src, Dialect::Sqlite);
        assert_eq!(at(&e), (1, 1));
        assert!(e.hint.unwrap().contains("schema \"main\""));
    }
}

/// Atlas writes column references fully qualified too (`table.users.column.id`,
/// `schema.public.table.users.column.id`) in keys, indexes and foreign keys: the most common
/// reason Atlas's own scripts failed here.
#[test]
fn fully_qualified_column_references() {
    let r = decode(
        r#"schema "public" {}
table "users" {
  schema = schema.public
  column "id" { type = int }
  column "email" { type = text }
  primary_key { columns = [table.users.column.id] }
  index "users_email" { columns = [schema.public.table.users.column.email] }
}
table "posts" {
  schema = schema.public
  column "user_id" { type = int }
  foreign_key "posts_user" {
    columns     = [table.posts.column.user_id]
    ref_columns = [schema.public.table.users.column.id]
  }
}
"#
        .replace("{ type = int }", "{\n    type = int\n  }")
        .replace("{ type = text }", "{\n    type = text\n  }")
        .replace("{ columns = [table.users.column.id] }", "{\n    columns = [table.users.column.id]\n  }")
        .replace("{ columns = [schema.public.table.users.column.email] }", "{\n    columns = [schema.public.table.users.column.email]\n  }")
        .as_str(),
        Dialect::Postgres,
    );
    let users = r.table("public", "users").unwrap();
    assert_eq!(users.primary_key.as_ref().unwrap().columns, vec!["id"]);
    assert_eq!(users.indexes[0].parts[0].column.as_deref(), Some("email"));
    let fk = &r.table("public", "posts").unwrap().foreign_keys[0];
    assert_eq!((fk.ref_table.as_str(), fk.ref_columns.clone()), ("users", vec!["id".to_string()]));
    let e = error("schema \"public\" {}\ntable \"a\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [table.b.column.id]\n  }\n}\n", Dialect::Postgres);
    assert!(e.msg.contains("names a column of table \"b\""), "{e}");
}

/// InnoDB refuses a foreign key that sets a NOT NULL column to NULL; the file says so at the
/// block, in Atlas's words, before any database sees it.
#[test]
fn mysql_set_null_on_a_not_null_column_is_an_error_at_the_block() {
    let src = "schema \"app\" {}\ntable \"users\" {\n  schema = schema.app\n  column \"id\" {\n    type = int\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\ntable \"posts\" {\n  schema = schema.app\n  column \"author_id\" {\n    type = int\n  }\n  foreign_key \"owner_id\" {\n    columns     = [column.author_id]\n    ref_columns = [table.users.column.id]\n    on_delete   = SET_NULL\n  }\n}\n";
    let e = error(src, Dialect::Mysql);
    assert_eq!((e.line, e.col), (16, 3), "{e}");
    assert!(e.msg.contains("foreign key constraint was \"author_id\" SET NULL, but column \"author_id\" is NOT NULL"), "{e}");
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("null = true")), "{e}");
    // PostgreSQL accepts the key (the DELETE fails later), and so does the decoder there.
    decode(&src.replace("\"app\"", "\"public\"").replace("schema.app", "schema.public"), Dialect::Postgres);
    // A nullable column is what SET NULL needs.
    decode(&src.replace("    type = int\n  }\n  foreign_key", "    type = int\n    null = true\n  }\n  foreign_key"), Dialect::Mysql);
}
