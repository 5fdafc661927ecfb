//! No silent loss: changes that used to rewrite or lose values without a word, each against the
//! real server — MariaDB sessions in strict mode with the server's own `||`, SQLite rebuilds that
//! keep rowids and AUTOINCREMENT counters, enum values with backslashes, and the first-apply rule
//! (DS110) decided per database, with `--allow-destructive` as the documented way through.

mod common;

use common::{run, TestDb};
use schemagate::schema::Dialect;
use std::process::Command;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    format!("file://{}", p.display())
}

fn mariadb(sql: &str) -> String {
    let out = Command::new("mariadb").args(["-uroot", "-h127.0.0.1", "-P3306", "-N", "--raw", "-e", sql]).output().unwrap();
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A narrowing conversion on a non-transactional table: MariaDB's default mode only warns after
/// the first row and stores 0; schemagate's sessions are strict, so apply stops and every value
/// stays. And `||` keeps the server's meaning (OR), not sqlx's PIPES_AS_CONCAT.
#[tokio::test]
async fn mariadb_sessions_are_strict_and_keep_the_servers_operators() {
    let db = TestDb::new(Dialect::Mysql).await;
    db.exec("CREATE TABLE m (v varchar(10)) ENGINE=MyISAM").await;
    db.exec("INSERT INTO m VALUES ('12'), ('abc')").await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE TABLE m (v int) ENGINE=MyISAM;\n");
    let dev = db.dev_url().unwrap();
    // Lint sees it first (LS101, counted on the target)…
    let (code, _, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("LS101"), "{err}");
    // …and without the data checks the strict session still refuses to zero 'abc'.
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve", "--no-data-checks"]);
    assert_ne!(code, 0, "a lossy conversion applied:\n{out}");
    assert!(err.contains("Incorrect integer value") || err.contains("Truncated"), "{err}");
    assert_eq!(mariadb(&format!("SELECT GROUP_CONCAT(v ORDER BY v) FROM `{}`.m", db.name)), "12,abc");
    let to = write(dir.path(), "v.sql", "CREATE TABLE m (v varchar(10)) ENGINE=MyISAM;\nCREATE VIEW pipes AS SELECT 'a' || 'b' AS x;\n");
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "sql"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.to_ascii_lowercase().contains("concat"), "`||` was read as concatenation:\n{out}");
    db.drop().await;
}

/// A SQLite table rebuild keeps each row's rowid (a table without an INTEGER PRIMARY KEY) and
/// the AUTOINCREMENT counter (numbers of deleted rows are never reused).
#[tokio::test]
async fn sqlite_rebuilds_keep_rowids_and_counters() {
    let db = TestDb::new(Dialect::Sqlite).await;
    let sqlite = |sql: &str| {
        let out = Command::new("sqlite3").args([&db.name, sql]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().replace('\n', " ")
    };
    sqlite("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v text); INSERT INTO a (v) VALUES ('1'),('2'),('3'),('4'),('5'); DELETE FROM a WHERE id IN (2, 4, 5); CREATE TABLE b (x text, y text); INSERT INTO b VALUES ('p','q'),('r','s'),('t','u'); DELETE FROM b WHERE x = 'r';");
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v int);\nCREATE TABLE b (x text, y int);\n");
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rebuild \"a\"") && out.contains("rebuild \"b\""), "{out}");
    assert_eq!(sqlite("SELECT seq FROM sqlite_sequence WHERE name = 'a'"), "5");
    assert_eq!(sqlite("SELECT rowid || ':' || x FROM b ORDER BY rowid"), "1:p 3:t");
    sqlite("INSERT INTO a (v) VALUES (9)");
    assert_eq!(sqlite("SELECT max(id) FROM a"), "6", "AUTOINCREMENT reused a number");
}

/// MariaDB enum values holding a backslash keep it: planned once, applied, planned again empty.
#[tokio::test]
async fn mariadb_enum_backslashes_survive() {
    let db = TestDb::new(Dialect::Mysql).await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE TABLE e (s enum('a\\\\b','c''d','x'));\n");
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    mariadb(&format!("INSERT INTO `{}`.e VALUES ('a\\\\b')", db.name));
    assert_eq!(mariadb(&format!("SELECT HEX(s) FROM `{}`.e", db.name)), "615C62");
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "{out}");
    db.drop().await;
}

/// DS110 ("the first apply drops an object made outside schemagate") asks whether *this*
/// database was applied to before: a revision of `<name>2` on the same server does not count.
/// `--allow-destructive` lets one run through, and says so.
#[tokio::test]
async fn first_apply_is_decided_per_database() {
    let a = TestDb::new(Dialect::Mysql).await;
    let b_name = format!("{}2", a.name);
    mariadb(&format!("CREATE DATABASE `{b_name}`"));
    let b_url = a.url.replace(&format!("/{}", a.name), &format!("/{b_name}"));
    let dir = tempfile::tempdir().unwrap();
    let dev = a.dev_url().unwrap();
    let plain = write(dir.path(), "plain.sql", "CREATE TABLE t (id int, v int);\n");
    // The sibling database is applied to (a revision row naming it).
    let (code, out, err) = run(&["apply", "-u", &b_url, "--to", &plain, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    // This one never was; an index made outside schemagate would be dropped.
    a.exec("CREATE TABLE t (id int, v int)").await;
    a.exec("CREATE INDEX made_by_hand ON t (v)").await;
    let (code, out, err) = run(&["plan", "-u", &a.url, "--to", &plain, "--dev-url", &dev]);
    assert_eq!(code, 3, "DS110 must deny:\n{out}{err}");
    assert!(out.contains("DS110"), "{out}");
    let (code, out, err) = run(&["plan", "-u", &a.url, "--to", &plain, "--dev-url", &dev, "--allow-destructive"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("overridden: --allow-destructive (this run)"), "{out}");
    mariadb(&format!("DROP DATABASE `{b_name}`"));
    a.drop().await;
}

/// LS101: a type change that rounds, cuts or refuses values is denied when the target holds such
/// values (counted), warned about when it cannot tell, and silent when the target proves none.
#[tokio::test]
async fn lossy_type_changes_are_found_and_counted() {
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let db = TestDb::new(dialect).await;
        let (ts, date, float) = match dialect {
            Dialect::Postgres => ("timestamptz", "date", "real"),
            _ => ("datetime", "date", "float"),
        };
        let dbl = if dialect == Dialect::Postgres { "double precision" } else { "double" };
        // f: CHAR drops the trailing space of 'a '. g, ok2: a fixed width (MySQL BINARY pads
        // shorter values with zero bytes; PostgreSQL char(n) drops trailing spaces): 'ab' / 'ab  ' change, values
        // that already have the full width do not.
        let (var, fixed) = if dialect == Dialect::Postgres { ("varchar(4)", "char(4)") } else { ("varbinary(4)", "binary(4)") };
        db.exec(&format!("CREATE TABLE m (a decimal(10,2), b {ts}, c varchar(10), d {dbl}, e bigint, ok decimal(10,2), f varchar(10), g {var}, ok2 {var})")).await;
        let short = if dialect == Dialect::Postgres { "ab  " } else { "ab" };
        db.exec(&format!("INSERT INTO m VALUES (1.5, '2024-01-01 10:30:00', '12', 1.1, 5000000000, 2, 'a ', '{short}', 'abcd'), (2, '2024-01-02 00:00:00', 'x1', 2.5, 1, 3, 'b', 'wxyz', 'wxyz')")).await;
        let dir = tempfile::tempdir().unwrap();
        let to = write(dir.path(), "s.sql", &format!("CREATE TABLE m (a int, b {date}, c int, d {float}, e int, ok int, f char(10), g {fixed}, ok2 {fixed});\n"));
        let dev = db.dev_url().unwrap();
        let (code, out, err) = run(&["lint", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
        assert_eq!(code, 3, "{dialect:?}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let ls: Vec<(String, String)> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "LS101").map(|f| (f["target"].as_str().unwrap().rsplit('.').next().unwrap().to_string(), f["severity"].as_str().unwrap().to_string())).collect();
        for col in ["a", "b", "c", "d", "e", "f", "g"] {
            assert!(ls.contains(&(col.to_string(), "error".to_string())), "{dialect:?}: {col} not denied: {ls:?}");
        }
        // Whole numbers only, full-width values only: the target proves the change keeps every value.
        assert!(!ls.iter().any(|(c, _)| c == "ok" || c == "ok2"), "{dialect:?}: {ls:?}");
        // Without data checks the same changes are warnings.
        let (code, out, _) = run(&["lint", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--no-data-checks"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("LS101") && out.contains("warning"), "{out}");
        db.drop().await;
    }
}

/// A regular column made generated: planned on every engine (PostgreSQL used to ignore it),
/// denied as destructive (DS104) with the rows whose stored values are replaced, and applied
/// when the run accepts destructive changes.
#[tokio::test]
async fn columns_made_generated_are_planned_and_reported() {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let db = TestDb::new(dialect).await;
        db.exec("CREATE TABLE g (a int, b int, c int)").await;
        db.exec("INSERT INTO g VALUES (1, 2, 99)").await;
        let dir = tempfile::tempdir().unwrap();
        let gen = match dialect {
            Dialect::Mysql => "c int AS (a + b) STORED",
            _ => "c int GENERATED ALWAYS AS (a + b) STORED",
        };
        let to = write(dir.path(), "s.sql", &format!("CREATE TABLE g (a int, b int, {gen});\n"));
        let dev = db.dev_url();
        let mut args = vec!["lint", "-u", &db.url, "--to", &to];
        if let Some(d) = &dev {
            args.extend(["--dev-url", d]);
        }
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{dialect:?}: {out}{err}");
        assert!(out.contains("DS104") && out.contains("about 1 rows"), "{dialect:?}: {out}");
        args[0] = "apply";
        args.push("--auto-approve");
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{dialect:?}: refused without an override: {out}{err}");
        args.push("--allow-destructive");
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        args[0] = "plan";
        args.pop();
        args.pop();
        let (_, out, _) = run(&args);
        assert!(out.contains("no changes"), "{dialect:?}: {out}");
        db.drop().await;
    }
}

/// `inspect --format sql` of a database-bound MySQL URL is a script for any database: no
/// database name in it, no CREATE DATABASE, every byte of a literal escaped (a NUL used to be
/// written raw and stopped the mariadb client). Loaded into another database, it gives the same
/// schema.
#[tokio::test]
async fn mysql_sql_scripts_load_into_another_database() {
    let (a, b) = (TestDb::new(Dialect::Mysql).await, TestDb::new(Dialect::Mysql).await);
    a.exec("CREATE TABLE t (id int PRIMARY KEY, v varchar(10) DEFAULT 'x\\0y\\nz')").await;
    a.exec("CREATE TABLE c (id int, t_id int, FOREIGN KEY (t_id) REFERENCES t (id))").await;
    a.exec("CREATE VIEW w AS SELECT id FROM t").await;
    let (code, sql, err) = run(&["inspect", "-u", &a.url, "--format", "sql"]);
    assert_eq!(code, 0, "{err}");
    assert!(!sql.contains(&a.name) && !sql.contains("CREATE DATABASE") && !sql.contains('\0'), "{sql}");
    b.load_sql(&sql);
    let (mut ra, mut rb) = (a.inspect().await, b.inspect().await);
    ra.rename_schemas(&std::collections::HashMap::from([(a.name.clone(), "x".to_string())]));
    rb.rename_schemas(&std::collections::HashMap::from([(b.name.clone(), "x".to_string())]));
    assert!(schemagate::diff::diff(&ra, &rb).is_empty(), "{sql}");
    a.drop().await;
    b.drop().await;
}

/// What the model cannot hold is reported in every output and left alone: SQLite virtual tables
/// (FTS; their shadow tables were read as plain tables) and PostgreSQL extended statistics,
/// operators, statistics targets and NOT VALID constraints.
#[tokio::test]
async fn unmanaged_objects_are_reported_and_left_alone() {
    let lite = TestDb::new(Dialect::Sqlite).await;
    let sqlite = |sql: &str| Command::new("sqlite3").args([&lite.name, sql]).output().unwrap();
    assert!(sqlite("CREATE TABLE docs (id integer PRIMARY KEY, body text); CREATE VIRTUAL TABLE docs_fts USING fts5(body); INSERT INTO docs_fts VALUES ('hello');").status.success());
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE TABLE docs (id integer PRIMARY KEY, body text, title text);\n");
    let (code, out, err) = run(&["apply", "-u", &lite.url, "--to", &to, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("virtual table main.docs_fts (target)"), "{out}");
    assert!(!out.contains("docs_fts_data"), "a shadow table was planned: {out}");
    assert_eq!(String::from_utf8_lossy(&sqlite("SELECT body FROM docs_fts WHERE docs_fts MATCH 'hello'").stdout).trim(), "hello");
    let pg = TestDb::new(Dialect::Postgres).await;
    pg.exec("CREATE TABLE t (a int, b int); CREATE STATISTICS st (dependencies) ON a, b FROM t; ALTER TABLE t ALTER COLUMN a SET STATISTICS 500; ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (int4range(a, b) WITH &&)").await;
    // The exclusion constraint is modelled now: the desired state declares it.
    let to = write(dir.path(), "p.sql", "CREATE TABLE t (a int, b int, CONSTRAINT c CHECK (a > 0), CONSTRAINT no_overlap EXCLUDE USING gist (int4range(a, b) WITH &&));\n");
    let dev = pg.dev_url().unwrap();
    for format in ["text", "json", "sql", "markdown"] {
        let (code, out, err) = run(&["plan", "-u", &pg.url, "--to", &to, "--dev-url", &dev, "--format", format]);
        assert_eq!(code, 0, "{err}");
        for what in ["extended statistics public.st", "column statistics target public.t.a = 500", "NOT VALID constraint (validity) public.t.c"] {
            assert!(out.contains(what), "{format}: {what} missing:\n{out}");
        }
        assert!(!out.contains("no_overlap\""), "{format}: the exclusion constraint is in sync, nothing to do:\n{out}");
    }
    pg.drop().await;
}

/// Rails' structure.sql declares sequences and gives them to columns afterwards (`OWNED BY`):
/// planned into an empty database, the ownership is there (it used to be dropped unless the
/// column looked like a serial), and a re-plan is empty.
#[tokio::test]
async fn sequences_owned_by_columns_are_kept() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(
        dir.path(),
        "structure.sql",
        "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\
         CREATE TABLE public.users (id bigint NOT NULL, counter integer NOT NULL);\n\
         CREATE SEQUENCE public.users_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;\n\
         ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;\n\
         CREATE SEQUENCE public.counters_seq AS integer START WITH 100 INCREMENT BY 5 NO MINVALUE NO MAXVALUE CACHE 1;\n\
         ALTER SEQUENCE public.counters_seq OWNED BY public.users.counter;\n\
         ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);\n\
         ALTER TABLE ONLY public.users ALTER COLUMN counter SET DEFAULT nextval('public.counters_seq'::regclass);\n\
         ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n",
    );
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    let owners = Command::new("psql")
        .args(["-Atc", "SELECT c.relname || '>' || a.attname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public' AND d.deptype IN ('a', 'i') ORDER BY 1", &db.url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&owners.stdout).trim().replace('\n', " "), "counters_seq>counter users_id_seq>id");
    db.drop().await;
}

/// A table's character set changes (utf8 → utf8mb4, a real MediaWiki upgrade): the columns that
/// inherit it are converted (CONVERT TO; DEFAULT CHARACTER SET alone left them as they were and
/// the plan unverified), TEXT keeps its type, a column with its own character set keeps it, and
/// the values survive.
#[tokio::test]
async fn mariadb_charset_conversion_converts_the_columns() {
    let db = TestDb::new(Dialect::Mysql).await;
    db.exec("CREATE TABLE page (id int PRIMARY KEY, title varchar(255), body text, code varchar(10) CHARACTER SET latin1, KEY title (title)) CHARACTER SET utf8 COLLATE utf8_general_ci").await;
    db.exec("INSERT INTO page VALUES (1, 'ä€', 'x', 'ok')").await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE TABLE page (id int PRIMARY KEY, title varchar(255), body text, code varchar(10) CHARACTER SET latin1, KEY title (title)) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;\n");
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("CONVERT TO CHARACTER SET utf8mb4") && out.contains("columns title, body"), "{out}");
    let cols = mariadb(&format!("SELECT GROUP_CONCAT(CONCAT(column_name, ':', character_set_name, ':', column_type) ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '{}' AND character_set_name IS NOT NULL", db.name));
    assert_eq!(cols, "title:utf8mb4:varchar(255),body:utf8mb4:text,code:latin1:varchar(10)");
    assert_eq!(mariadb(&format!("SELECT HEX(title) FROM `{}`.page", db.name)), "C3A4E282AC");
    let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert!(out.contains("no changes"), "{out}");
    db.drop().await;
}

/// PostgreSQL partitioning (Lago's upgrade): a column added to a partitioned table is planned
/// on the table (PostgreSQL refuses it on a partition), a new partition is attached, a detached
/// one is detached with its rows, and a partition key change is refused with the way to do it
/// instead of reported "synced".
#[tokio::test]
async fn postgres_partitioning_changes_are_planned_or_refused() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let dev = db.dev_url().unwrap();
    let base = "CREATE TABLE events (id bigint NOT NULL, ts timestamptz NOT NULL, kind text{extra}) PARTITION BY RANGE ({key});\n\
                CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ({lo}) TO ({hi});\n";
    let v = |extra: &str, key: &str, lo: &str, hi: &str, tail: &str| base.replace("{extra}", extra).replace("{key}", key).replace("{lo}", lo).replace("{hi}", hi) + tail;
    let default_part = "CREATE TABLE events_default PARTITION OF events DEFAULT;\n";
    let apply = |name: &str, sql: String| {
        let to = write(dir.path(), name, &sql);
        run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"])
    };
    let (code, out, err) = apply("v1.sql", v("", "ts", "'2024-01-01'", "'2025-01-01'", default_part));
    assert_eq!(code, 0, "{out}{err}");
    db.exec("INSERT INTO events VALUES (1, '2024-06-01', 'a'), (2, '2030-01-01', 'b')").await;
    let (code, out, err) = apply("v2.sql", v(", source text DEFAULT 'api'", "ts", "'2024-01-01'", "'2025-01-01'", &format!("{default_part}CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n")));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ALTER TABLE \"public\".\"events\" ADD COLUMN \"source\"") && !out.contains("\"events_2024\" ADD COLUMN"), "{out}");
    assert!(out.contains("ATTACH PARTITION \"public\".\"events_2026\""), "{out}");
    // events_default becomes a table of its own, with its row.
    let (code, out, err) = apply("v3.sql", v(", source text DEFAULT 'api'", "ts", "'2024-01-01'", "'2025-01-01'", "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nCREATE TABLE events_default (id bigint NOT NULL, ts timestamptz NOT NULL, kind text, source text DEFAULT 'api');\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DETACH PARTITION \"public\".\"events_default\""), "{out}");
    let rows = Command::new("psql").args(["-Atc", "SELECT count(*) FROM events_default", &db.url]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&rows.stdout).trim(), "1");
    let to = write(dir.path(), "v4.sql", &v(", source text DEFAULT 'api'", "id", "0", "100", ""));
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("partition key of table \"events\" cannot be changed from PARTITION BY RANGE (\"ts\") to PARTITION BY RANGE (\"id\") (drop and add is required): PostgreSQL cannot change public.events"), "{err}");
    db.drop().await;
}

/// `serial` is an integer column numbered by a sequence it owns: changing it to `integer` drops
/// the numbering (not a silent no-op), and back to `serial` numbers on after the highest value.
#[tokio::test]
async fn serial_to_integer_and_back_is_planned() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec("CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) VALUES ('a'), ('b')").await;
    let dir = tempfile::tempdir().unwrap();
    let hcl = |ty: &str| format!("schema \"public\" {{}}\ntable \"t\" {{\n  schema = schema.public\n  column \"id\" {{\n    type = {ty}\n  }}\n  column \"v\" {{\n    type = text\n    null = true\n  }}\n  primary_key {{\n    columns = [column.id]\n  }}\n}}\n");
    let f = dir.path().join("s.hcl");
    let to = format!("file://{}", f.display());
    let dev = db.dev_url().unwrap();
    for (ty, want) in [("integer", "DROP SEQUENCE IF EXISTS \"public\".\"t_id_seq\""), ("serial", "SELECT setval(")] {
        std::fs::write(&f, hcl(ty)).unwrap();
        let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(want), "{ty}: {out}");
        let (_, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
        assert!(out.contains("no changes"), "{ty}: {out}");
    }
    // Numbering resumed after the rows that were there.
    db.exec("INSERT INTO t (v) VALUES ('c')").await;
    let schemagate::engine::Conn::Postgres(pool) = db.conn().await else { unreachable!() };
    let id: i32 = sqlx::query_scalar("SELECT id FROM t WHERE v = 'c'").fetch_one(&pool).await.unwrap();
    assert_eq!(id, 3);
    db.drop().await;
}

/// Foreign keys declared without a name are matched by what they say: a target whose keys were
/// added by migrations in another order (`posts_ibfk_1` on `org`) is already what the release
/// declares (`posts_ibfk_1` on `author`), on MariaDB and PostgreSQL. Dropping and re-adding them
/// would lock and re-validate the table for nothing.
#[tokio::test]
async fn auto_named_foreign_keys_are_matched_by_definition() {
    for dialect in [Dialect::Mysql, Dialect::Postgres] {
        let db = TestDb::new(dialect).await;
        db.exec("CREATE TABLE users (id int PRIMARY KEY)").await;
        db.exec("CREATE TABLE orgs (id int PRIMARY KEY)").await;
        db.exec("CREATE TABLE posts (id int PRIMARY KEY, author int, org int)").await;
        db.exec("ALTER TABLE posts ADD FOREIGN KEY (org) REFERENCES orgs (id)").await;
        db.exec("ALTER TABLE posts ADD FOREIGN KEY (author) REFERENCES users (id)").await;
        if dialect == Dialect::Postgres {
            // PostgreSQL names by column; a second key on the same column gets a number.
            db.exec("ALTER TABLE posts ADD FOREIGN KEY (org) REFERENCES orgs (id) ON DELETE CASCADE").await;
        }
        let extra = if dialect == Dialect::Postgres { ", FOREIGN KEY (org) REFERENCES orgs (id) ON DELETE CASCADE" } else { "" };
        let dir = tempfile::tempdir().unwrap();
        let to = write(
            dir.path(),
            "s.sql",
            &format!("CREATE TABLE users (id int PRIMARY KEY);\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE posts (id int PRIMARY KEY, author int, org int, FOREIGN KEY (author) REFERENCES users (id){extra}, FOREIGN KEY (org) REFERENCES orgs (id));\n"),
        );
        let dev = db.dev_url().unwrap();
        let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--detailed-exitcode"]);
        assert_eq!(code, 0, "{dialect:?}: {out}{err}");
        // A key that differs is still planned.
        let changed = write(dir.path(), "c.sql", &format!("CREATE TABLE users (id int PRIMARY KEY);\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE posts (id int PRIMARY KEY, author int, org int, FOREIGN KEY (author) REFERENCES users (id) ON DELETE CASCADE{extra}, FOREIGN KEY (org) REFERENCES orgs (id));\n"));
        let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &changed, "--dev-url", &dev, "--detailed-exitcode"]);
        assert_eq!(code, 2, "{dialect:?}: {out}{err}");
        assert!(out.contains("CASCADE"), "{out}");
        db.drop().await;
    }
}

/// utf8 → utf8mb4 pushes a four-column unique key past InnoDB's 3072 bytes: MariaDB does not
/// refuse, it makes the key a HASH "long unique". The plan says so (MY102), and the result is
/// what the release itself gets on a fresh load.
#[tokio::test]
async fn a_unique_key_outgrowing_innodb_under_utf8mb4_is_reported() {
    let db = TestDb::new(Dialect::Mysql).await;
    let table = |cs: &str| format!("CREATE TABLE t (id int PRIMARY KEY, a varchar(255), b varchar(255), c varchar(255), d varchar(255), UNIQUE KEY u (a, b, c, d)) CHARACTER SET {cs}");
    db.exec(&table("utf8mb3")).await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", &format!("{};\n", table("utf8mb4")));
    let dev = db.dev_url().unwrap();
    let (code, out, err) = run(&["lint", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "MY102" && f["msg"].as_str().unwrap_or("").contains("\"u\"")), "{out}");
    let (code, out, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("MY102"), "{out}");
    let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}{err}");
    db.drop().await;
}

/// A SQL source runs in one session, as psql runs it: `SET search_path TO app` holds for the
/// `CREATE TABLE` after it. Over a pool of connections the table landed in `app` or `public`
/// depending on which connection ran it, so the same file planned differently from run to run.
#[tokio::test]
async fn a_sql_source_runs_in_one_session() {
    let db = TestDb::new(Dialect::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let to = write(dir.path(), "s.sql", "CREATE SCHEMA app;\nSET search_path TO app;\nCREATE TABLE orders (id int);\nCREATE TABLE lines (id int);\nCREATE TABLE notes (id int);\n");
    let dev = db.dev_url().unwrap();
    for _ in 0..5 {
        let (code, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "sql"]);
        assert_eq!(code, 0, "{err}");
        for t in ["orders", "lines", "notes"] {
            assert!(out.contains(&format!("CREATE TABLE \"app\".\"{t}\"")), "{t} not in app:\n{out}");
        }
        assert!(!out.contains("\"public\"."), "{out}");
    }
    db.drop().await;
}
