//! Declared renames: `renamed_from` in HCL and `-- schemagate:renamed_from` / sqldef's
//! `-- @renamed from=` in SQL become RENAME statements (never drop + add), keep every row, are
//! flagged by lint (BC101/BC102), are idempotent once applied, and a rename whose old name is
//! nowhere is an error at its file and line.

mod common;

use common::{run, TestDb};
use schemagate::engine::Conn;
use schemagate::schema::Dialect;

fn args<'a>(db: &'a TestDb, cmd: &'a str, to: &'a str, dev: &'a Option<String>, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![cmd, "-u", db.url.as_str(), "--to", to];
    if let Some(d) = dev {
        a.extend(["--dev-url", d.as_str()]);
    }
    a.extend(extra);
    a
}

async fn count(db: &TestDb, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    match db.conn().await {
        Conn::Postgres(p) => sqlx::query_scalar(&q).fetch_one(&p).await.unwrap(),
        Conn::Mysql(p) => sqlx::query_scalar(&q).fetch_one(&p).await.unwrap(),
        Conn::Sqlite(p) => sqlx::query_scalar(&q).fetch_one(&p).await.unwrap(),
    }
}

#[tokio::test]
async fn hcl_renamed_from_renames_tables_and_columns_on_every_engine() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = TestDb::new(dialect).await;
        db.load_sql("CREATE TABLE users (id int NOT NULL PRIMARY KEY, username varchar(40), age int);\nCREATE INDEX users_username ON users (username);\nINSERT INTO users VALUES (1, 'ann', 30), (2, 'bob', 40);\n");
        let schema = match dialect {
            Dialect::Postgres => "public".to_string(),
            Dialect::Mysql => db.name.clone(),
            Dialect::Sqlite => "main".to_string(),
        };
        let (int, text) = match dialect {
            Dialect::Postgres => ("integer", "character varying(40)"),
            Dialect::Mysql => ("int", "varchar(40)"),
            Dialect::Sqlite => ("int", "varchar(40)"),
        };
        let hcl = format!(
            "schema \"{schema}\" {{}}\ntable \"people\" {{\n  schema       = schema.{schema}\n  renamed_from = \"users\"\n  column \"id\" {{\n    type = {int}\n  }}\n  column \"login\" {{\n    type         = sql(\"{text}\")\n    null         = true\n    renamed_from = \"username\"\n  }}\n  column \"age\" {{\n    type = {int}\n    null = true\n  }}\n  primary_key {{\n    columns = [column.id]\n  }}\n  index \"users_username\" {{\n    columns = [column.login]\n  }}\n}}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("schema.hcl");
        std::fs::write(&f, hcl).unwrap();
        let to = format!("file://{}", f.display());
        let dev = db.dev_url();
        let (code, out, err) = run(&args(&db, "plan", &to, &dev, &["--format", "json"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
        let sql: Vec<String> = v["statements"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap().to_string()).collect();
        assert!(sql.iter().all(|s| !s.contains("DROP")), "{dialect:?}: a rename became a drop: {sql:#?}");
        // PostgreSQL also renames the table's default-named primary key (`users_pkey`).
        assert!(sql.iter().all(|s| s.contains("RENAME")) && (2..=3).contains(&sql.len()), "{dialect:?}: {sql:#?}");
        let codes: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"BC101") && codes.contains(&"BC102"), "{dialect:?}: {codes:?}");
        let (code, out, err) = run(&args(&db, "apply", &to, &dev, &["--auto-approve"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        assert_eq!(count(&db, "people").await, 2, "{dialect:?}: rows kept");
        // Idempotent: applied once, the directive plans nothing more.
        let (code, out, err) = run(&args(&db, "plan", &to, &dev, &[]));
        assert_eq!(code, 0, "{dialect:?}: {err}");
        assert!(out.contains("no changes"), "{dialect:?}: {out}");
        println!("{dialect:?}: users → people, username → login: {} RENAME statements, rows kept, re-plan empty", sql.len());
        db.drop().await;
    }
}

#[tokio::test]
async fn sql_directives_rename_and_unknown_old_names_are_errors_at_their_line() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE accounts (id int PRIMARY KEY, mail text); INSERT INTO accounts VALUES (1, 'a@b');").await;
    let dir = tempfile::tempdir().unwrap();
    let dev = db.dev_url();
    for (directive, ok) in [("-- schemagate:renamed_from mail", true), ("-- @renamed from=mail", true)] {
        let f = dir.path().join("s.sql");
        std::fs::write(&f, format!("CREATE TABLE accounts (\n  id int PRIMARY KEY,\n  email text {directive}\n);\n")).unwrap();
        let to = format!("file://{}", f.display());
        let (code, out, err) = run(&args(&db, "plan", &to, &dev, &[]));
        assert_eq!(code, 0, "{out}{err}");
        assert!(ok && out.contains("RENAME COLUMN \"mail\" TO \"email\"") && !out.contains("DROP COLUMN"), "{directive}: {out}");
    }
    let f = dir.path().join("missing.hcl");
    std::fs::write(
        &f,
        "schema \"public\" {}\ntable \"accounts\" {\n  schema = schema.public\n  column \"id\" {\n    type = int\n  }\n  column \"email\" {\n    type = text\n    null = true\n    renamed_from = \"e_mail\"\n  }\n  primary_key {\n    columns = [column.id]\n  }\n}\n",
    )
    .unwrap();
    let to = format!("file://{}", f.display());
    let (code, _, err) = run(&args(&db, "plan", &to, &dev, &[]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("missing.hcl:7:") && err.contains("renamed_from \"e_mail\", but neither exists"), "{err}");
    db.drop().await;
}

/// `renamed_from` on an index (HCL) and the directive on a CREATE INDEX line (SQL): PostgreSQL
/// and MySQL rename it in place, SQLite (which cannot) builds it again under the new name; the
/// rows stay, the re-plan is empty, and an old name that is nowhere is an error at its line.
#[tokio::test]
async fn index_renames_on_every_engine() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = TestDb::new(dialect).await;
        db.load_sql("CREATE TABLE users (id int NOT NULL PRIMARY KEY, email varchar(80));\nCREATE UNIQUE INDEX users_mail ON users (email);\nINSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');\n");
        let schema = match dialect {
            Dialect::Postgres => "public".to_string(),
            Dialect::Mysql => db.name.clone(),
            Dialect::Sqlite => "main".to_string(),
        };
        let (int, text) = match dialect {
            Dialect::Postgres => ("integer", "character varying(80)"),
            _ => ("int", "varchar(80)"),
        };
        let dir = tempfile::tempdir().unwrap();
        let dev = db.dev_url();
        let hcl = format!(
            "schema \"{schema}\" {{}}\ntable \"users\" {{\n  schema = schema.{schema}\n  column \"id\" {{\n    type = {int}\n  }}\n  column \"email\" {{\n    type = sql(\"{text}\")\n    null = true\n  }}\n  primary_key {{\n    columns = [column.id]\n  }}\n  index \"users_email_key\" {{\n    unique       = true\n    columns      = [column.email]\n    renamed_from = \"users_mail\"\n  }}\n}}\n"
        );
        let f = dir.path().join("schema.hcl");
        std::fs::write(&f, &hcl).unwrap();
        let to = format!("file://{}", f.display());
        let (code, out, err) = run(&args(&db, "plan", &to, &dev, &["--format", "sql"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        match dialect {
            Dialect::Sqlite => assert!(out.contains("DROP INDEX `users_mail`") && out.contains("CREATE UNIQUE INDEX `users_email_key`"), "{out}"),
            _ => assert!(out.contains("RENAME") && !out.contains("DROP INDEX") && !out.contains("CREATE UNIQUE INDEX"), "{dialect:?}: {out}"),
        }
        let (code, out, err) = run(&args(&db, "apply", &to, &dev, &["--auto-approve"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        assert_eq!(count(&db, "users").await, 2, "{dialect:?}: rows kept");
        let (code, out, err) = run(&args(&db, "plan", &to, &dev, &["--detailed-exitcode"]));
        assert_eq!(code, 0, "{dialect:?}: re-plan not empty: {out}{err}");

        // The SQL directive renames it back.
        let f = dir.path().join("schema.sql");
        std::fs::write(&f, "CREATE TABLE users (id int NOT NULL PRIMARY KEY, email varchar(80));\nCREATE UNIQUE INDEX users_mail ON users (email); -- schemagate:renamed_from users_email_key\n").unwrap();
        let to_sql = format!("file://{}", f.display());
        let (code, out, err) = run(&args(&db, "apply", &to_sql, &dev, &["--auto-approve"]));
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        assert!(!out.contains("DROP INDEX") || dialect == Dialect::Sqlite, "{dialect:?}: {out}");
        assert_eq!(count(&db, "users").await, 2, "{dialect:?}: rows kept");

        // Neither name exists: an error at the index block.
        std::fs::write(dir.path().join("schema.hcl"), hcl.replace("users_mail", "nowhere").replace("users_email_key", "users_new")).unwrap();
        let (code, _, err) = run(&args(&db, "plan", &to, &dev, &[]));
        assert_eq!(code, 1, "{dialect:?}: {err}");
        assert!(err.contains("schema.hcl:14:") && err.contains("renamed_from \"nowhere\", but neither exists"), "{dialect:?}: {err}");
        db.drop().await;
    }
}
