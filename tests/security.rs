//! Row-level security as code (PostgreSQL): policies and ENABLE/FORCE ROW LEVEL SECURITY round
//! trip through inspect → HCL → apply with identical catalogs (pg_policy, relrowsecurity), change
//! in place where PostgreSQL allows (ALTER POLICY), and a plan that removes a policy is denied
//! with SC101 in the text and JSON output.

mod common;

use common::{run, TestDb};
use schemagate::engine::Conn;
use schemagate::schema::Dialect;

/// Roles are cluster-wide: each test makes its own, named after its database.
async fn roles(db: &TestDb, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        let role = format!("{n}_{}", &db.name[8..]);
        db.exec(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role}")).await;
        out.push(role);
    }
    out
}

/// After the databases that use them are gone.
async fn drop_roles(roles: &[String]) {
    let admin = Conn::connect(&schemagate::url::DbUrl::parse(&common::pg_admin()).unwrap()).await.unwrap();
    for r in roles {
        admin.execute(&format!("DROP ROLE IF EXISTS {r}")).await.unwrap();
    }
    admin.close().await;
}

/// What PostgreSQL itself records about the policies and RLS flags, comparable across databases.
async fn catalog(db: &TestDb) -> Vec<String> {
    let Conn::Postgres(p) = db.conn().await else { unreachable!() };
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT format('%s %s %s %s %s %s', c.relname, p.polname, p.polcmd, p.polpermissive, \
           ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r ORDER BY 1), \
           coalesce(pg_get_expr(p.polqual, p.polrelid), '-') || ' / ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')) \
         FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid",
    )
    .fetch_all(&p)
    .await
    .unwrap();
    let flags: Vec<String> = sqlx::query_scalar("SELECT format('%s rls=%s force=%s', relname, relrowsecurity, relforcerowsecurity) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
        .fetch_all(&p)
        .await
        .unwrap();
    rows.extend(flags);
    rows.sort();
    rows
}

#[tokio::test]
async fn policies_round_trip_through_hcl_with_identical_catalogs() {
    let src = TestDb::new(Dialect::Postgres).await;
    let r = roles(&src, &["sg_reader", "sg_writer"]).await;
    src.exec(&format!(
        "CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL, team int, body text);
         ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
         CREATE POLICY own_rows ON docs FOR SELECT TO {0}, {1} USING (owner = current_user);
         CREATE POLICY team_write ON docs AS RESTRICTIVE FOR UPDATE TO {1} USING (team > 0) WITH CHECK (team > 0 AND owner = current_user);
         CREATE POLICY everyone_insert ON docs FOR INSERT WITH CHECK (true);
         CREATE TABLE open_data (id int PRIMARY KEY);
         CREATE TABLE audit (id int PRIMARY KEY); ALTER TABLE audit ENABLE ROW LEVEL SECURITY;",
        r[0], r[1]
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let hcl = dir.path().join("schema.hcl");
    let (code, out, err) = run(&["inspect", "-u", &src.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("row_security {") && out.contains("policy \"team_write\"") && unaligned(&out).contains("as = RESTRICTIVE"), "{out}");
    std::fs::write(&hcl, &out).unwrap();
    let to = format!("file://{}", hcl.display());

    let dst = TestDb::new(Dialect::Postgres).await;
    let dev = dst.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &dst.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (a, b) = (catalog(&src).await, catalog(&dst).await);
    assert_eq!(a, b, "pg_policy and RLS flags differ after the round trip");
    assert_eq!(a.len(), 6, "{a:?}");
    let (code, out, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "re-plan not empty: {out}");
    println!("round trip: {} catalog rows identical; re-plan empty", a.len());

    // A change of roles or expressions is an ALTER POLICY, not a drop and a create.
    let edited = std::fs::read_to_string(&hcl).unwrap().replace("(team > 0)", "(team > 1)");
    std::fs::write(&hcl, edited).unwrap();
    let (code, out, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ALTER POLICY \"team_write\" ON \"public\".\"docs\"") && !out.contains("DROP POLICY"), "{out}");

    src.drop().await;
    dst.drop().await;
    drop_roles(&r).await;
}

#[tokio::test]
async fn removing_a_policy_or_disabling_rls_is_denied() {
    let db = TestDb::new(Dialect::Postgres).await;
    db.exec(
        "CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL);
         ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
         CREATE POLICY own_rows ON docs USING (owner = current_user);
         CREATE POLICY admins ON docs FOR DELETE USING (false);",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dev = db.dev_url().unwrap();
    let base = "CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL);\n";
    for (what, sql, code) in [
        ("a removed policy", format!("{base}ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\nCREATE POLICY own_rows ON docs USING (owner = current_user);\n"), "SC101"),
        ("RLS switched off", format!("{base}CREATE POLICY own_rows ON docs USING (owner = current_user);\nCREATE POLICY admins ON docs FOR DELETE USING (false);\n"), "SC102"),
    ] {
        let f = dir.path().join(format!("{code}.sql"));
        std::fs::write(&f, sql).unwrap();
        let to = format!("file://{}", f.display());
        let (exit, out, err) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev]);
        assert_eq!(exit, 3, "{what}: {out}{err}");
        assert!(out.contains(code), "{what}: {out}");
        let (exit, out, _) = run(&["plan", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--format", "json"]);
        assert_eq!(exit, 3);
        let v: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
        assert!(v["denied"] == true && v["findings"].as_array().unwrap().iter().any(|f| f["code"] == code && f["severity"] == "error"), "{what}: {v}");
        let (exit, _, err) = run(&["apply", "-u", &db.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
        assert_eq!(exit, 3, "{what}: the apply must refuse too: {err}");
    }
    assert_eq!(catalog(&db).await.len(), 3, "nothing applied");
    db.drop().await;
}

/// Every privilege PostgreSQL records, comparable across databases: exploded ACLs of relations,
/// columns, routines and the public schema (owners' own rights left out), and default privileges.
async fn acl_catalog(db: &TestDb) -> Vec<String> {
    let Conn::Postgres(p) = db.conn().await else { unreachable!() };
    let who = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END";
    let q = format!(
        "SELECT format('rel %s %s %s %s', c.relname, {who}, a.privilege_type, a.is_grantable) FROM pg_class c, aclexplode(c.relacl) a \
           WHERE c.relnamespace = 'public'::regnamespace AND a.grantee <> c.relowner \
         UNION ALL SELECT format('col %s.%s %s %s %s', c.relname, t.attname, {who}, a.privilege_type, a.is_grantable) \
           FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid, aclexplode(t.attacl) a WHERE c.relnamespace = 'public'::regnamespace \
         UNION ALL SELECT format('fn %s %s %s %s', p.proname, {who}, a.privilege_type, a.is_grantable) FROM pg_proc p, aclexplode(p.proacl) a \
           WHERE p.pronamespace = 'public'::regnamespace AND a.grantee <> p.proowner \
         UNION ALL SELECT format('schema %s %s %s', {who}, a.privilege_type, a.is_grantable) FROM pg_namespace n, aclexplode(n.nspacl) a \
           WHERE n.nspname = 'public' AND a.grantee <> n.nspowner \
         UNION ALL SELECT format('default %s %s %s %s %s', pg_get_userbyid(d.defaclrole), d.defaclobjtype, {who}, a.privilege_type, a.is_grantable) \
           FROM pg_default_acl d, aclexplode(d.defaclacl) a"
    );
    let mut rows: Vec<String> = sqlx::query_scalar(&q).fetch_all(&p).await.unwrap();
    rows.sort();
    rows
}

#[tokio::test]
async fn privileges_round_trip_through_hcl_with_identical_catalogs() {
    let src = TestDb::new(Dialect::Postgres).await;
    let r = roles(&src, &["sg_read", "sg_write"]).await;
    let (reader, writer) = (&r[0], &r[1]);
    src.exec(&format!(
        "CREATE TABLE docs (id int PRIMARY KEY, owner text NOT NULL, body text);
         ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
         CREATE POLICY own_rows ON docs FOR SELECT TO {reader} USING (owner = current_user);
         CREATE SEQUENCE ticket;
         CREATE VIEW doc_ids AS SELECT id FROM docs;
         CREATE FUNCTION doc_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM docs';
         GRANT SELECT ON docs TO {reader};
         GRANT SELECT, INSERT, UPDATE ON docs TO {writer} WITH GRANT OPTION;
         GRANT UPDATE (body) ON docs TO {reader};
         GRANT SELECT ON doc_ids TO {reader}, PUBLIC;
         GRANT USAGE, SELECT ON SEQUENCE ticket TO {writer};
         GRANT EXECUTE ON FUNCTION doc_count() TO {reader};
         GRANT USAGE ON SCHEMA public TO {writer};
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {reader};
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {writer} WITH GRANT OPTION;"
    ))
    .await;
    let before = acl_catalog(&src).await;
    assert!(before.len() >= 12, "{before:#?}");
    let dir = tempfile::tempdir().unwrap();
    let hcl = dir.path().join("schema.hcl");
    let (code, out, err) = run(&["inspect", "-u", &src.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("role \"{reader}\" {{}}")) && out.contains("permission {") && out.contains("default_privileges {") && out.contains("grantable  = true"), "{out}");
    std::fs::write(&hcl, &out).unwrap();
    let to = format!("file://{}", hcl.display());

    // Into an empty database (the roles exist: they are the server's): the same catalogs.
    let dst = TestDb::new(Dialect::Postgres).await;
    let dev = dst.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &dst.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(acl_catalog(&dst).await, before, "relacl/attacl/proacl/nspacl/pg_default_acl differ after the round trip");
    assert_eq!(catalog(&src).await, catalog(&dst).await, "pg_policy differs");
    let (code, out, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "re-plan not empty: {out}");

    // Taking a privilege away is a REVOKE with an SC103 warning; a grant to a role that does not
    // exist is an error that names it.
    let text = std::fs::read_to_string(&hcl).unwrap();
    let revoked = text.replace("privileges = [INSERT, SELECT, UPDATE]", "privileges = [INSERT, SELECT]");
    assert_ne!(revoked, text, "expected the writer's grant in:\n{text}");
    std::fs::write(&hcl, &revoked).unwrap();
    let (code, out, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("REVOKE UPDATE ON TABLE \"public\".\"docs\" FROM \"{writer}\"")) && out.contains("SC103"), "{out}");
    std::fs::write(&hcl, format!("{text}\npermission {{\n  to         = \"sg_nobody_here\"\n  for        = table.docs\n  privileges = [SELECT]\n}}\n")).unwrap();
    let (code, _, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev, "--role", "sg_nobody_here"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("\"sg_nobody_here\", which does not exist") && err.contains("hint:"), "{err}");

    // Without any managed role, grants are left alone: a schema without them plans nothing.
    let bare = text.split("\nrole ").next().unwrap().to_string();
    std::fs::write(&hcl, &bare).unwrap();
    let (code, out, err) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no changes"), "grants of unmanaged roles must stay: {out}");
    src.drop().await;
    dst.drop().await;
    drop_roles(&r).await;
}

/// What PostgreSQL records about table storage: persistence, storage parameters (the TOAST
/// table's too; their order carries no meaning) and replica identity.
async fn storage_catalog(db: &TestDb) -> Vec<String> {
    let Conn::Postgres(p) = db.conn().await else { unreachable!() };
    let mut rows: Vec<String> = sqlx::query_scalar(
        "SELECT format('%s persistence=%s options=%s toast=%s identity=%s index=%s', c.relname, c.relpersistence, \
           ARRAY(SELECT o FROM unnest(c.reloptions) o ORDER BY 1), ARRAY(SELECT o FROM unnest(t.reloptions) o ORDER BY 1), c.relreplident, \
           (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident)) \
         FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace",
    )
    .fetch_all(&p)
    .await
    .unwrap();
    rows.sort();
    rows
}

/// UNLOGGED, storage parameters and REPLICA IDENTITY round trip through HCL, and change in place
/// (SET LOGGED, SET/RESET, REPLICA IDENTITY) with every row kept.
#[tokio::test]
async fn storage_options_round_trip_and_change_in_place() {
    let src = TestDb::new(Dialect::Postgres).await;
    src.exec(
        "CREATE UNLOGGED TABLE events (id int PRIMARY KEY, payload text) WITH (fillfactor = 70, autovacuum_enabled = false, toast.autovacuum_enabled = false);
         CREATE TABLE orders (id int NOT NULL, ref text NOT NULL);
         CREATE UNIQUE INDEX orders_ref ON orders (ref);
         ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_ref;
         CREATE TABLE audit (id int);
         ALTER TABLE audit REPLICA IDENTITY FULL;",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let hcl = dir.path().join("schema.hcl");
    let (code, out, err) = run(&["inspect", "-u", &src.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unlogged = true") && out.contains("\"toast.autovacuum_enabled\" = \"false\"") && out.contains("replica_identity = index.orders_ref") && out.contains("replica_identity = FULL"), "{out}");
    std::fs::write(&hcl, &out).unwrap();
    let to = format!("file://{}", hcl.display());
    let dst = TestDb::new(Dialect::Postgres).await;
    let dev = dst.dev_url().unwrap();
    let (code, out, err) = run(&["apply", "-u", &dst.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(storage_catalog(&src).await, storage_catalog(&dst).await);
    let (code, out, _) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert!(code == 0 && out.contains("no changes"), "re-plan not empty: {out}");

    // In place: logged again, fillfactor changed, autovacuum reset, identity NOTHING.
    dst.exec("INSERT INTO events SELECT g, repeat('x', 50) FROM generate_series(1, 500) g").await;
    let edited = out_of(&hcl).replace("  unlogged = true\n", "").replace("fillfactor = \"70\"", "fillfactor = \"90\"").replace("    autovacuum_enabled = \"false\"\n", "").replace("replica_identity = FULL", "replica_identity = NOTHING");
    std::fs::write(&hcl, edited).unwrap();
    let (code, out, err) = run(&["apply", "-u", &dst.url, "--to", &to, "--dev-url", &dev, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    for want in ["SET LOGGED", "RESET (autovacuum_enabled)", "SET (fillfactor=90)", "REPLICA IDENTITY NOTHING"] {
        assert!(out.contains(want), "`{want}` missing:\n{out}");
    }
    assert!(!out.contains("DROP TABLE"), "{out}");
    let Conn::Postgres(p) = dst.conn().await else { unreachable!() };
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&p).await.unwrap();
    assert_eq!(n, 500, "rows kept");
    let (code, out, _) = run(&["plan", "-u", &dst.url, "--to", &to, "--dev-url", &dev]);
    assert!(code == 0 && out.contains("no changes"), "re-plan not empty: {out}");
    src.drop().await;
    dst.drop().await;
}

/// The HCL file with one space before each `=` (the encoder aligns them, as hclwrite does), so
/// tests can edit attributes by their text.
fn out_of(p: &std::path::Path) -> String {
    unaligned(&std::fs::read_to_string(p).unwrap())
}

fn unaligned(hcl: &str) -> String {
    hcl.lines()
        .map(|l| match l.find(" =") {
            Some(i) => format!("{} {}", l[..i].trim_end(), l[i..].trim_start()),
            None => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}

/// An account's privileges on a database, as information_schema lists them.
async fn mysql_privileges(db: &TestDb, account: &str) -> Vec<String> {
    let name = &db.name;
    let Conn::Mysql(p) = db.conn().await else { unreachable!() };
    let q = format!(
        "SELECT CONCAT('schema ', PRIVILEGE_TYPE, ' ', IS_GRANTABLE) FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = '{name}' AND GRANTEE LIKE '%{account}%' \
         UNION ALL SELECT CONCAT('table ', TABLE_NAME, ' ', PRIVILEGE_TYPE, ' ', IS_GRANTABLE) FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = '{name}' AND GRANTEE LIKE '%{account}%' \
         UNION ALL SELECT CONCAT('column ', TABLE_NAME, '.', COLUMN_NAME, ' ', PRIVILEGE_TYPE, ' ', IS_GRANTABLE) FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = '{name}' AND GRANTEE LIKE '%{account}%'"
    );
    let mut rows: Vec<String> = sqlx::query_scalar(&q).fetch_all(&p).await.unwrap();
    rows.sort();
    rows
}

/// MySQL/MariaDB grants on the managed database (database, table, view and column level) round
/// trip through HCL into another database with the same privileges, revokes warn (SC103), and an
/// account that does not exist is an error naming it.
#[tokio::test]
async fn mysql_grants_round_trip_through_hcl() {
    let src = TestDb::new(Dialect::Mysql).await;
    let account = format!("sg_my_{}", &src.name[8..]);
    src.exec(&format!("DROP USER IF EXISTS '{account}'@'%'; CREATE USER '{account}'@'%'")).await;
    src.exec(&format!(
        "CREATE TABLE orders (id int PRIMARY KEY, total int, note text);
         CREATE VIEW order_ids AS SELECT id FROM orders;
         GRANT SELECT, INSERT ON `{db}`.`orders` TO '{account}'@'%' WITH GRANT OPTION;
         GRANT UPDATE (note) ON `{db}`.`orders` TO '{account}'@'%';
         GRANT SELECT ON `{db}`.`order_ids` TO '{account}'@'%';
         GRANT CREATE VIEW, SHOW VIEW ON `{db}`.* TO '{account}'@'%';",
        db = src.name
    ))
    .await;
    let before = mysql_privileges(&src, &account).await;
    assert_eq!(before.len(), 6, "{before:?}");
    let dst = TestDb::new(Dialect::Mysql).await;
    let dir = tempfile::tempdir().unwrap();
    let hcl = dir.path().join("schema.hcl");
    let (code, out, err) = run(&["inspect", "-u", &src.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("role \"{account}@%\" {{}}")) && out.contains("privileges = [CREATE_VIEW, SHOW_VIEW]"), "{out}");
    // The same schema for the other database (MySQL schemas are databases).
    std::fs::write(&hcl, out.replace(&src.name, &dst.name)).unwrap();
    let to = format!("file://{}", hcl.display());
    let dev = dst.dev_url();
    let mut args = vec!["plan", "-u", dst.url.as_str(), "--to", to.as_str()];
    if let Some(d) = &dev {
        args.extend(["--dev-url", d.as_str()]);
    }
    let mut apply = args.clone();
    apply[0] = "apply";
    apply.push("--auto-approve");
    let (code, out, err) = run(&apply);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(mysql_privileges(&dst, &account).await, before, "privileges differ after the round trip");
    let (code, out, err) = run(&args);
    assert!(code == 0 && out.contains("no changes"), "re-plan not empty: {out}{err}");

    let text = std::fs::read_to_string(&hcl).unwrap();
    std::fs::write(&hcl, text.replace("privileges = [CREATE_VIEW, SHOW_VIEW]", "privileges = [SHOW_VIEW]")).unwrap();
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("REVOKE CREATE VIEW ON `{}`.* FROM '{account}'@'%'", dst.name)) && out.contains("SC103"), "{out}");
    std::fs::write(&hcl, format!("{text}\npermission {{\n  to         = \"nobody_sg@%\"\n  for        = table.orders\n  privileges = [SELECT]\n}}\n")).unwrap();
    let (code, _, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("\"nobody_sg@%\", which does not exist"), "{err}");
    src.drop().await;
    dst.drop().await;
    let admin = Conn::connect(&schemagate::url::DbUrl::parse(&common::mysql_admin()).unwrap()).await.unwrap();
    admin.execute(&format!("DROP USER IF EXISTS '{account}'@'%'")).await.unwrap();
    admin.close().await;
}
