//! The planner without a database: changes → ordered SQL per engine, from realms built in code.

use super::*;
use crate::schema::{Column, ForeignKey, Index, IndexPart, PrimaryKey, Realm, Schema, Table};

fn col(name: &str, ty: &str, null: bool) -> Column {
    Column { name: name.into(), ty: ty.into(), null, ..Default::default() }
}

fn table(name: &str, cols: Vec<Column>) -> Table {
    Table { name: name.into(), primary_key: Some(PrimaryKey { columns: vec!["id".into()], ..Default::default() }), columns: cols, ..Default::default() }
}

fn fk(name: &str, column: &str, schema: &str, to: &str) -> ForeignKey {
    ForeignKey { name: name.into(), columns: vec![column.into()], ref_schema: schema.into(), ref_table: to.into(), ref_columns: vec!["id".into()], ..Default::default() }
}

fn realm(schema: &str, tables: Vec<Table>) -> Realm {
    Realm { schemas: vec![Schema { name: schema.into(), tables, ..Default::default() }], ..Default::default() }
}

fn plan(d: Dialect, schema: &str, from: Vec<Table>, to: Vec<Table>) -> Plan {
    let (a, b) = (realm(schema, from), realm(schema, to));
    let changes = crate::diff::diff(&a, &b);
    build_with(&a, &b, changes, d, ConcurrentIndex { add: true, drop: true, constraints: true })
}

fn sqls(p: &Plan) -> Vec<&str> {
    p.statements.iter().map(|s| s.sql.as_str()).collect()
}

fn position(p: &Plan, prefix: &str) -> usize {
    p.statements.iter().position(|s| s.sql.starts_with(prefix)).unwrap_or_else(|| panic!("no statement starts with {prefix}: {:#?}", sqls(p)))
}

#[test]
fn a_new_table_exists_before_the_foreign_key_that_references_it() {
    for d in [Dialect::Postgres, Dialect::Mysql] {
        let schema = if d == Dialect::Postgres { "public" } else { "app" };
        let users = table("users", vec![col("id", "integer", false)]);
        let posts_v1 = table("posts", vec![col("id", "integer", false), col("author", "integer", true)]);
        let posts_v2 = Table { foreign_keys: vec![fk("posts_author_fk", "author", schema, "users")], ..posts_v1.clone() };
        let p = plan(d, schema, vec![posts_v1], vec![users, posts_v2]);
        assert!(position(&p, "CREATE TABLE") < p.statements.iter().position(|s| s.sql.contains("FOREIGN KEY")).unwrap(), "{d:?}: {:#?}", sqls(&p));
        // Every statement knows the change it implements.
        assert!(p.statements.iter().all(|s| s.change.is_some_and(|i| i < p.changes.len()) && s.traffic.is_some()), "{d:?}");
    }
}

#[test]
fn foreign_keys_go_before_the_tables_they_reference_are_dropped() {
    let users = table("users", vec![col("id", "integer", false)]);
    let posts = Table { foreign_keys: vec![fk("posts_author_fk", "author", "public", "users")], ..table("posts", vec![col("id", "integer", false), col("author", "integer", true)]) };
    let p = plan(Dialect::Postgres, "public", vec![users, posts.clone()], vec![Table { foreign_keys: vec![], ..posts }]);
    assert_eq!(
        sqls(&p),
        vec![r#"ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_fk""#, r#"DROP TABLE "public"."users""#],
    );
}

#[test]
fn postgres_online_forms_for_existing_tables() {
    let v1 = table("t", vec![col("id", "integer", false), col("a", "integer", true)]);
    let idx = Index { name: "t_a".into(), parts: vec![IndexPart { column: Some("a".into()), ..Default::default() }], nulls_distinct: true, ..Default::default() };
    let v2 = Table { indexes: vec![idx], columns: vec![col("id", "integer", false), col("a", "integer", false)], ..v1.clone() };
    let p = plan(Dialect::Postgres, "public", vec![v1], vec![v2]);
    let before: Vec<&str> = p.statements.iter().filter(|s| s.before_tx).map(|s| s.sql.as_str()).collect();
    assert_eq!(before, vec![r#"ALTER TABLE "public"."t" ADD CONSTRAINT "t_a_not_null" CHECK ("a" IS NOT NULL) NOT VALID"#, r#"ALTER TABLE "public"."t" VALIDATE CONSTRAINT "t_a_not_null""#]);
    let after: Vec<&str> = p.statements.iter().filter(|s| s.no_tx).map(|s| s.sql.as_str()).collect();
    assert_eq!(after, vec![r#"DROP INDEX CONCURRENTLY IF EXISTS "public"."t_a""#, r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_a" ON "public"."t" ("a")"#]);
    // SET NOT NULL needs no scan after the validated check; the index build blocks no one.
    let set = p.statements.iter().find(|s| s.sql.contains("SET NOT NULL")).unwrap();
    assert_eq!(set.traffic.as_ref().unwrap().work, crate::statement::Work::Catalog);
    let build = p.statements.iter().find(|s| s.sql.starts_with("CREATE INDEX")).unwrap();
    assert_eq!(build.traffic.as_ref().unwrap().blocks, crate::statement::Blocks::Nothing);
}

/// MediaWiki 1.43 drops `externallinks.el_to` and the index `el_from (el_from, el_to)` with it:
/// PostgreSQL drops the index with the column, so a DROP INDEX CONCURRENTLY after the
/// transaction would find nothing. The drop stays in the transaction, before the column's.
#[test]
fn an_index_on_a_dropped_column_is_dropped_in_the_transaction_first() {
    let part = |c: &str| IndexPart { column: Some(c.into()), ..Default::default() };
    let v1 = Table {
        indexes: vec![
            Index { name: "el_from".into(), parts: vec![part("el_from"), part("el_to")], nulls_distinct: true, ..Default::default() },
            Index { name: "el_other".into(), parts: vec![part("el_from")], nulls_distinct: true, ..Default::default() },
        ],
        ..table("el", vec![col("id", "integer", false), col("el_from", "integer", false), col("el_to", "text", false)])
    };
    let v2 = Table { indexes: vec![], ..table("el", vec![col("id", "integer", false), col("el_from", "integer", false)]) };
    let p = plan(Dialect::Postgres, "public", vec![v1], vec![v2]);
    let drop_index = position(&p, r#"DROP INDEX "public"."el_from""#);
    assert!(!p.statements[drop_index].no_tx && drop_index < position(&p, r#"ALTER TABLE "public"."el" DROP COLUMN "el_to""#), "{:#?}", sqls(&p));
    // An index on columns that stay is still dropped CONCURRENTLY.
    assert!(p.statements[position(&p, r#"DROP INDEX CONCURRENTLY "public"."el_other""#)].no_tx);
}

/// Unnamed foreign keys are matched by definition: the target's keys were numbered in the order
/// migrations added them, a fresh load numbers them in declaration order.
#[test]
fn auto_named_foreign_keys_are_matched_by_definition() {
    let cols = || vec![col("id", "integer", false), col("a", "integer", true), col("b", "integer", true)];
    let on = |name: &str, c: &str, to: &str| fk(name, c, "app", to);
    let users = table("users", vec![col("id", "integer", false)]);
    let orgs = table("orgs", vec![col("id", "integer", false)]);
    let target = Table { foreign_keys: vec![on("posts_ibfk_1", "b", "orgs"), on("posts_ibfk_2", "a", "users")], ..table("posts", cols()) };
    let desired = Table { foreign_keys: vec![on("posts_ibfk_1", "a", "users"), on("posts_ibfk_2", "b", "orgs")], ..table("posts", cols()) };
    let p = plan(Dialect::Mysql, "app", vec![users.clone(), orgs.clone(), target.clone()], vec![users.clone(), orgs.clone(), desired]);
    assert!(p.is_empty(), "{:#?}", sqls(&p));
    // A name the user chose is kept to the letter.
    let named = Table { foreign_keys: vec![on("fk_author", "a", "users"), on("posts_ibfk_2", "b", "orgs")], ..table("posts", cols()) };
    let p = plan(Dialect::Mysql, "app", vec![users.clone(), orgs.clone(), target.clone()], vec![users.clone(), orgs.clone(), named]);
    assert!(sqls(&p).iter().any(|s| s.contains("fk_author")), "{:#?}", sqls(&p));
    // A new key that would take the name a matched key holds: planned by name instead.
    let grown = Table { foreign_keys: vec![on("posts_ibfk_1", "id", "users"), on("posts_ibfk_2", "b", "orgs"), on("posts_ibfk_3", "a", "users")], ..table("posts", cols()) };
    let one = Table { foreign_keys: vec![on("posts_ibfk_1", "a", "users"), on("posts_ibfk_2", "b", "orgs")], ..table("posts", cols()) };
    let p = plan(Dialect::Mysql, "app", vec![users.clone(), orgs.clone(), one], vec![users, orgs, grown]);
    let s = sqls(&p).join("\n");
    assert!(s.contains("DROP FOREIGN KEY `posts_ibfk_1`") && s.contains("`posts_ibfk_3`"), "{s}");
}

/// Making a unique constraint deferrable is a change (it used to compare equal and be left as
/// it was): the constraint is replaced with the clause.
#[test]
fn a_unique_constraint_made_deferrable_is_replaced() {
    let unique = Index { name: "t_a_key".into(), unique: true, constraint: true, nulls_distinct: true, parts: vec![IndexPart { column: Some("a".into()), ..Default::default() }], ..Default::default() };
    let v1 = Table { indexes: vec![unique.clone()], ..table("t", vec![col("id", "integer", false), col("a", "integer", true)]) };
    let v2 = Table { indexes: vec![Index { deferrable: true, initially_deferred: true, ..unique }], ..v1.clone() };
    let p = plan(Dialect::Postgres, "public", vec![v1], vec![v2]);
    let s = sqls(&p).join("\n");
    assert!(s.contains(r#"DROP CONSTRAINT "t_a_key""#) && s.contains("DEFERRABLE INITIALLY DEFERRED"), "{s}");
}

#[test]
fn the_same_change_renders_per_engine() {
    let v1 = table("t", vec![col("id", "integer", false)]);
    let v2 = Table { columns: vec![col("id", "integer", false), col("note", "text", true)], ..v1.clone() };
    assert_eq!(sqls(&plan(Dialect::Postgres, "public", vec![v1.clone()], vec![v2.clone()])), vec![r#"ALTER TABLE "public"."t" ADD COLUMN "note" text NULL"#]);
    assert_eq!(sqls(&plan(Dialect::Mysql, "app", vec![v1.clone()], vec![v2.clone()])), vec!["ALTER TABLE `app`.`t` ADD COLUMN `note` text NULL AFTER `id`, ALGORITHM=INSTANT"]);
    assert_eq!(sqls(&plan(Dialect::Sqlite, "main", vec![v1], vec![v2])), vec!["ALTER TABLE `t` ADD COLUMN `note` text NULL"]);
}

#[test]
fn sqlite_rebuilds_a_table_it_cannot_alter_and_says_so() {
    let v1 = table("t", vec![col("id", "integer", false), col("a", "integer", true)]);
    let v2 = Table { columns: vec![col("id", "integer", false), col("a", "integer", false)], ..v1.clone() };
    let p = plan(Dialect::Sqlite, "main", vec![v1], vec![v2]);
    let copy = p.statements.iter().find(|s| s.sql.starts_with("INSERT INTO")).unwrap_or_else(|| panic!("{:#?}", sqls(&p)));
    assert_eq!(copy.traffic.as_ref().unwrap().work, crate::statement::Work::Rewrite);
}

#[test]
fn the_hash_covers_the_statements() {
    let v1 = table("t", vec![col("id", "integer", false)]);
    let v2 = Table { columns: vec![col("id", "integer", false), col("x", "integer", true)], ..v1.clone() };
    let v3 = Table { columns: vec![col("id", "integer", false), col("y", "integer", true)], ..v1.clone() };
    let a = plan(Dialect::Postgres, "public", vec![v1.clone()], vec![v2.clone()]);
    assert_eq!(a.hash, plan(Dialect::Postgres, "public", vec![v1.clone()], vec![v2]).hash);
    assert_ne!(a.hash, plan(Dialect::Postgres, "public", vec![v1], vec![v3]).hash);
}

/// A primary key that gains INCLUDE columns under the same (default) name is rebuilt, not
/// "renamed" to itself; one that only changes its name is renamed.
#[test]
fn primary_key_include_change_rebuilds_the_key() {
    let v1 = table("users", vec![col("id", "integer", false), col("c", "integer", true)]);
    let v2 = Table { primary_key: Some(PrimaryKey { columns: vec!["id".into()], include: vec!["c".into()], ..Default::default() }), ..v1.clone() };
    let p = plan(Dialect::Postgres, "public", vec![v1.clone()], vec![v2]);
    assert_eq!(sqls(&p), vec![r#"ALTER TABLE "public"."users" DROP CONSTRAINT "users_pkey", ADD PRIMARY KEY ("id") INCLUDE ("c")"#], "{:#?}", sqls(&p));
    let named = Table { primary_key: Some(PrimaryKey { name: Some("users_id".into()), columns: vec!["id".into()], ..Default::default() }), ..v1.clone() };
    let current = Table { primary_key: Some(PrimaryKey { name: Some("users_pkey".into()), columns: vec!["id".into()], ..Default::default() }), ..v1 };
    let p = plan(Dialect::Postgres, "public", vec![current], vec![named]);
    assert_eq!(sqls(&p), vec![r#"ALTER TABLE "public"."users" RENAME CONSTRAINT "users_pkey" TO "users_id""#]);
}

/// An exclusion constraint is added with its operators and predicate inside the transaction
/// (it cannot be built CONCURRENTLY and attached USING INDEX as a unique constraint can).
#[test]
fn exclusion_constraints_render_with_their_operators() {
    let v1 = table("booking", vec![col("id", "integer", false), col("during", "tsrange", false)]);
    let excl = Index {
        name: "booking_no_overlap".into(),
        constraint: true,
        method: Some("GIST".into()),
        nulls_distinct: true,
        where_clause: Some("id > 0".into()),
        parts: vec![IndexPart { column: Some("during".into()), op: Some("&&".into()), ..Default::default() }],
        ..Default::default()
    };
    let v2 = Table { indexes: vec![excl], ..v1.clone() };
    let p = plan(Dialect::Postgres, "public", vec![v1], vec![v2]);
    assert_eq!(sqls(&p), vec![r#"ALTER TABLE "public"."booking" ADD CONSTRAINT "booking_no_overlap" EXCLUDE USING gist ("during" WITH &&) WHERE (id > 0)"#]);
    assert!(p.statements.iter().all(|s| !s.no_tx), "{:#?}", sqls(&p));
}

/// MySQL: RESTRICT, the action a key that names none gets, is left unwritten (SHOW CREATE
/// TABLE omits it too); an explicit NO ACTION is written, as MariaDB shows it.
#[test]
fn mysql_foreign_keys_leave_the_default_action_unwritten() {
    let users = table("users", vec![col("id", "integer", false)]);
    let posts = table("posts", vec![col("id", "integer", false), col("author", "integer", true)]);
    let mut key = fk("posts_author", "author", "app", "users");
    key.on_update = crate::schema::RefAction::Restrict;
    key.on_delete = crate::schema::RefAction::Cascade;
    let p = plan(Dialect::Mysql, "app", vec![users.clone(), posts.clone()], vec![users.clone(), Table { foreign_keys: vec![key.clone()], ..posts.clone() }]);
    let s = sqls(&p).join("\n");
    assert!(s.contains("REFERENCES `app`.`users` (`id`) ON DELETE CASCADE") && !s.contains("ON UPDATE"), "{s}");
    key.on_update = crate::schema::RefAction::NoAction;
    let p = plan(Dialect::Mysql, "app", vec![users.clone(), posts.clone()], vec![users, Table { foreign_keys: vec![key], ..posts }]);
    assert!(sqls(&p).join("\n").contains("ON UPDATE NO ACTION ON DELETE CASCADE"), "{:?}", sqls(&p));
}

/// MySQL 8 reports NO ACTION where MariaDB reports RESTRICT for a key that names none: the
/// planner reads one as the other on MySQL, and tells them apart on PostgreSQL.
#[test]
fn restrict_and_no_action_are_one_action_on_mysql_only() {
    let users = table("users", vec![col("id", "integer", false)]);
    let posts = |a| {
        let mut key = fk("posts_author", "author", "app", "users");
        key.on_delete = a;
        Table { foreign_keys: vec![key], ..table("posts", vec![col("id", "integer", false), col("author", "integer", true)]) }
    };
    let (restrict, no_action) = (crate::schema::RefAction::Restrict, crate::schema::RefAction::NoAction);
    let mut current = realm("app", vec![users.clone(), posts(no_action)]);
    let desired = realm("app", vec![users.clone(), posts(restrict)]);
    super::compute::align_ref_actions(Dialect::Mysql, &mut current, &desired);
    assert!(crate::diff::diff(&current, &desired).is_empty());
    let mut current = realm("app", vec![users, posts(no_action)]);
    super::compute::align_ref_actions(Dialect::Postgres, &mut current, &desired);
    assert_eq!(crate::diff::diff(&current, &desired).len(), 1);
}

/// A column generated anew is replaced (drop and add) on PostgreSQL and MySQL, and DROP COLUMN
/// takes its indexes along: the plan builds them again (MySQL drops a multi-column one first,
/// since it would otherwise keep the index without the column).
#[test]
fn indexes_on_a_regenerated_column_are_built_again() {
    let gen = |expr: &str| Column { generated: Some(crate::schema::Generated { expr: expr.into(), stored: true }), null: true, ..col("b", "integer", true) };
    let idx = Index { name: "t_b".into(), parts: vec![IndexPart { column: Some("b".into()), ..Default::default() }, IndexPart { column: Some("c".into()), ..Default::default() }], ..Default::default() };
    let check = crate::schema::Check { name: "b_pos".into(), expr: "b > 0".into(), enforced: true, ..Default::default() };
    let t = |b: Column| Table { indexes: vec![idx.clone()], checks: vec![check.clone()], ..table("t", vec![col("id", "integer", false), col("a", "integer", false), b, col("c", "integer", true)]) };
    let p = plan(Dialect::Postgres, "public", vec![t(gen("a * 2"))], vec![t(gen("a * 3"))]);
    assert!(position(&p, "ALTER TABLE \"public\".\"t\" DROP COLUMN \"b\"") < position(&p, "CREATE INDEX \"t_b\""), "{:#?}", sqls(&p));
    assert!(sqls(&p).iter().any(|s| s.contains("DROP COLUMN \"b\", ADD COLUMN \"b\"") && s.ends_with("ADD CONSTRAINT \"b_pos\" CHECK (b > 0)")), "{:#?}", sqls(&p));
    let p = plan(Dialect::Mysql, "app", vec![t(gen("a * 2"))], vec![t(gen("a * 3"))]);
    let s = sqls(&p).join("\n");
    assert!(s.contains("DROP INDEX `t_b`, DROP CONSTRAINT `b_pos`, DROP COLUMN `b`") && s.contains("ADD KEY `t_b` (`b`, `c`), ADD CONSTRAINT `b_pos` CHECK (b > 0)"), "{s}");
    // An index the plan changes anyway is built once.
    let other = Index { parts: vec![IndexPart { column: Some("b".into()), ..Default::default() }], ..idx.clone() };
    let p = plan(Dialect::Postgres, "public", vec![t(gen("a * 2"))], vec![Table { indexes: vec![other], ..t(gen("a * 3")) }]);
    assert_eq!(sqls(&p).iter().filter(|s| s.starts_with("CREATE INDEX") && s.contains("\"t_b\" ON")).count(), 1, "{:#?}", sqls(&p));
}

/// Every kind of table change renders SQL on every engine that has it: the engines' table
/// renderers go through the changes in passes, and a pass only picks what it knows, so this is
/// the check that a new kind was given a place. The match in `kind` has no wildcard: a new
/// variant stops this test from compiling until a sample of it is added here.
#[test]
fn every_table_change_renders_sql_on_every_engine() {
    use crate::diff::TableChange as T;
    use crate::schema::{Check, PartitionKey, PartitionOf, Policy, RowSecurity, TableOptions};
    fn kind(c: &T) -> usize {
        match c {
            T::AddColumn { .. } => 0,
            T::DropColumn { .. } => 1,
            T::ModifyColumn { .. } => 2,
            T::AddIndex { .. } => 3,
            T::DropIndex { .. } => 4,
            T::AddPrimaryKey { .. } => 5,
            T::DropPrimaryKey { .. } => 6,
            T::AddForeignKey { .. } => 7,
            T::DropForeignKey { .. } => 8,
            T::AddCheck { .. } => 9,
            T::DropCheck { .. } => 10,
            T::ModifyComment { .. } => 11,
            T::ModifyOptions { .. } => 12,
            T::ModifyPartitionOf { .. } => 13,
            T::ModifyPartitionKey { .. } => 14,
            T::ModifyRowSecurity { .. } => 15,
            T::AddPolicy { .. } => 16,
            T::DropPolicy { .. } => 17,
            T::ModifyPolicy { .. } => 18,
        }
    }
    let a = col("a", "integer", true);
    let index = Index { name: "t_a".into(), parts: vec![IndexPart { column: Some("a".into()), ..Default::default() }], ..Default::default() };
    let check = Check { name: "t_a_check".into(), expr: "a > 0".into(), enforced: true, ..Default::default() };
    let key = PrimaryKey { columns: vec!["id".into()], ..Default::default() };
    let policy = |using: &str| Policy { name: "p".into(), command: "ALL".into(), permissive: true, roles: vec!["PUBLIC".into()], using: Some(using.into()), ..Default::default() };
    let samples = vec![
        T::AddColumn { column: a.clone() },
        T::DropColumn { column: a.clone() },
        T::ModifyColumn { from: a.clone(), to: Column { null: false, ..a.clone() }, what: vec!["null"] },
        T::AddIndex { index: index.clone() },
        T::DropIndex { index: index.clone() },
        T::AddPrimaryKey { key: key.clone() },
        T::DropPrimaryKey { key },
        T::AddForeignKey { fk: fk("t_a_fk", "a", "app", "u") },
        T::DropForeignKey { fk: fk("t_a_fk", "a", "app", "u") },
        T::AddCheck { check: check.clone() },
        T::DropCheck { check },
        T::ModifyComment { from: None, to: Some("c".into()) },
        T::ModifyOptions { from: TableOptions::default(), to: TableOptions { engine: Some("MyISAM".into()), storage_params: vec!["fillfactor=70".into()], strict: true, ..Default::default() } },
        T::ModifyPartitionOf { from: None, to: Some(PartitionOf { schema: "app".into(), table: "parent".into(), bound: "DEFAULT".into() }) },
        T::ModifyPartitionKey { from: None, to: Some(PartitionKey { kind: "RANGE".into(), parts: vec![] }) },
        T::ModifyRowSecurity { from: RowSecurity::default(), to: RowSecurity { enabled: true, forced: false } },
        T::AddPolicy { policy: policy("true") },
        T::DropPolicy { policy: policy("true") },
        T::ModifyPolicy { from: policy("true"), to: policy("a > 0") },
    ];
    let covered: std::collections::BTreeSet<usize> = samples.iter().map(kind).collect();
    assert_eq!(covered, (0..19).collect(), "one sample of each kind of table change");
    for tc in &samples {
        for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
            let postgres_only = matches!(tc, T::ModifyPartitionOf { .. } | T::ModifyRowSecurity { .. } | T::AddPolicy { .. } | T::DropPolicy { .. } | T::ModifyPolicy { .. });
            // The planner refuses a partition key change with the way to do it (no SQL can).
            if matches!(tc, T::ModifyPartitionKey { .. }) || (postgres_only && d != Dialect::Postgres) {
                continue;
            }
            let base = table("t", vec![col("id", "integer", false), a.clone()]);
            let change = Change::ModifyTable { schema: "app".into(), table: "t".into(), from: Box::new(base.clone()), to: Box::new(base), changes: vec![tc.clone()] };
            let out = engine::of(d).render(&change);
            assert!(!out.is_empty(), "{d:?} renders nothing for {tc:?}");
        }
    }
}

#[test]
fn a_partition_is_dropped_before_its_partitioned_table() {
    // Dropping the parent drops its partitions too; the partition's own DROP must come first.
    let parent = table("measurement", vec![col("id", "integer", false)]);
    let mut part = table("measurement_y2006m02", vec![col("id", "integer", false)]);
    part.partition_of = Some(crate::schema::PartitionOf { schema: "public".into(), table: "measurement".into(), bound: "FOR VALUES FROM (1) TO (2)".into() });
    let p = plan(Dialect::Postgres, "public", vec![parent, part], vec![]);
    assert!(position(&p, "DROP TABLE \"public\".\"measurement_y2006m02\"") < position(&p, "DROP TABLE \"public\".\"measurement\""), "{:#?}", sqls(&p));
}
