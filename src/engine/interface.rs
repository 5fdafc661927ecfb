//! The one interface between the planner and an engine's SQL. `plan/` orders changes and asks
//! the engine for statements through this trait; it names no engine. Each engine implements it
//! once, in `engine/<name>/engine.rs`, from the functions of its own folder.

use crate::diff::Change;
use crate::schema::refs::ObjKey;
use crate::lint::lossy::Lossy;
use crate::schema::{Column, ColumnDefault, Dialect, Function, Realm, RefAction, Table, Trigger, View};
use crate::statement::{Phase, Statement, Traffic};

/// The online-safe forms a plan takes for tables that exist in the target, all on by default
/// (a diff policy turns each off): Atlas's `diff { concurrent_index { add, drop } }` and
/// `constraints` (foreign keys and checks added NOT VALID then validated, SET NOT NULL through
/// a validated check). Engines without such forms ignore it.
#[derive(Debug, Clone, Copy)]
pub struct Online {
    pub add: bool,
    pub drop: bool,
    pub constraints: bool,
}

impl Default for Online {
    /// All on, unless `SCHEMAGATE_ONLINE=false` (every change in the one apply transaction) or
    /// `SCHEMAGATE_ONLINE_CONSTRAINTS=false` (indexes online, constraints in the transaction).
    fn default() -> Self {
        let off = |k: &str| std::env::var(k).is_ok_and(|v| v == "false" || v == "0");
        let online = !off("SCHEMAGATE_ONLINE");
        Online { add: online, drop: online, constraints: online && !off("SCHEMAGATE_ONLINE_CONSTRAINTS") }
    }
}

/// How apply runs a plan on an engine (`apply::Session::apply` has one arm for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discipline {
    /// DDL is transactional (PostgreSQL): the steps before the transaction (an online scan),
    /// one transaction retried whole on a lock timeout, the steps after it (CONCURRENTLY); the
    /// revision row is written when it ends. A SQL script of the plan has the same layout.
    Transaction,
    /// Each DDL statement commits on its own (MySQL): one statement at a time, a lock timeout
    /// retried, the progress recorded in the revision row after each.
    StatementByStatement,
    /// One write transaction that holds the whole database (SQLite): the statements, a
    /// foreign-key check, the revision row, commit.
    WriteTransaction,
}

pub trait Engine: Sync {
    fn dialect(&self) -> Dialect;

    // ---- changes → statements ------------------------------------------------------------

    /// The statements of one change, each with the phase it runs in. Views, routines and
    /// triggers are ordered among each other by `plan::objects` (which calls the object
    /// methods below), so their changes render nothing here.
    fn render(&self, change: &Change) -> Vec<(Phase, Statement)>;

    /// The plan's statements in their online-safe form (indexes built concurrently, constraints
    /// validated outside the lock). The default keeps them as they are.
    fn online(&self, _changes: &[Change], statements: Vec<Statement>, _o: Online) -> Vec<Statement> {
        statements
    }

    /// Whether `error` is the server refusing the online form a statement asks for.
    fn refused_online(&self, _error: &str) -> bool {
        false
    }

    /// The statement with the next weaker online form, if it asks for one. The rehearsal uses
    /// it on a refusal, so a plan only asks for what a server of the engine accepted.
    fn weaken(&self, _sql: &str) -> Option<String> {
        None
    }

    /// What each statement of a plan does to the traffic on its table, one per statement (in
    /// the plan's order; `changes` are the ones `Statement::change` points into).
    fn traffic(&self, changes: &[Change], statements: &[Statement]) -> Vec<Traffic>;
    /// The session settings that bound every lock wait and statement of an apply (and head
    /// the SQL script `plan --format sql` writes, so the reviewed script does what apply does).
    fn session_limits(&self, lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String>;
    /// The settings of `session_limits` that every server of the engine accepts: a script
    /// stops at its first error, where apply skips a setting the server does not have.
    fn script_limits(&self, lock_timeout: std::time::Duration, statement_timeout: std::time::Duration) -> Vec<String> {
        self.session_limits(lock_timeout, statement_timeout)
    }
    fn discipline(&self) -> Discipline;
    /// A statement to run before retrying `sql` after a lock timeout: what the attempt that
    /// gave up may have left behind (PostgreSQL: the INVALID index of a concurrent build).
    fn leftover_cleanup(&self, _sql: &str) -> Option<String> {
        None
    }
    /// One statement of a SQL script that the engine's own client can run.
    fn script_statement(&self, sql: &str) -> String {
        format!("{sql};\n")
    }

    /// The whole realm's tables, types and schemas as CREATE statements (no views, routines,
    /// triggers or grants: the planner places those).
    fn create_realm(&self, realm: &Realm) -> Vec<String>;

    /// GRANT statements for every grant of the realm (inspect --format sql).
    fn create_grants(&self, realm: &Realm) -> Vec<String>;

    // ---- views, routines, triggers -------------------------------------------------------

    /// Tables whose change breaks the views that read them on this engine (PostgreSQL refuses
    /// to retype a column a view reads; SQLite's rebuild drops what sits on a table).
    fn breaks_dependents(&self, change: &Change) -> Vec<ObjKey>;
    /// Whether changing a table rebuilds it (SQLite), taking its triggers along.
    fn rebuilds_tables(&self) -> bool;
    fn view_replaceable(&self, from: &View, to: &View) -> bool;
    fn function_replaceable(&self, from: &Function, to: &Function) -> bool;
    fn create_view(&self, schema: &str, v: &View) -> Vec<String>;
    fn replace_view(&self, schema: &str, from: &View, to: &View) -> Vec<String>;
    fn drop_view(&self, schema: &str, v: &View) -> String;
    fn create_function(&self, schema: &str, f: &Function) -> Vec<String>;
    fn replace_function(&self, schema: &str, from: &Function, to: &Function) -> Vec<String>;
    /// Empty where the engine has no routines (SQLite).
    fn drop_function(&self, schema: &str, f: &Function) -> Vec<String>;
    fn create_trigger(&self, schema: &str, t: &Trigger) -> Vec<String>;
    fn drop_trigger(&self, schema: &str, t: &Trigger) -> String;

    // ---- spellings (the HCL decoder and encoder ask here; they name no engine) ---------------

    /// The canonical spelling of a type as a schema file writes it: what inspection reports for
    /// it (`varchar(255)` → `character varying(255)` on PostgreSQL, `int` → `int(11)` on MySQL).
    fn canonical_type(&self, raw: &str) -> String;
    /// Atlas's HCL spelling of a canonical type, and whether MySQL's `unsigned = true` goes
    /// with it. None: the type is written `sql("…")`.
    fn hcl_type(&self, ty: &str) -> Option<(String, bool)>;
    /// A table check's expression as Atlas's inspection writes it in HCL (the model keeps it
    /// as the engine's definition reads between `CHECK (` and `)`; the decoder reads either).
    fn hcl_check_expr(&self, expr: &str) -> String {
        expr.to_string()
    }
    /// Why the engine cannot make this change to a column of `table` (as it is now), if it
    /// cannot: the plan stops with this reason and the way to do it, rather than fail in the
    /// rehearsal in the server's words.
    fn column_change_refused(&self, _table: &Table, _from: &Column, _to: &Column) -> Option<String> {
        None
    }
    /// Whether the engine refuses a foreign key that sets a NOT NULL column to NULL (InnoDB
    /// does, at CREATE time; PostgreSQL and SQLite accept it and fail the DELETE later).
    fn refuses_set_null_on_not_null(&self) -> bool {
        false
    }
    /// Atlas's SQL spelling of a canonical type in `inspect --format '{{ sql . }}'`: MySQL's
    /// default display widths left out (`int(11)` → `int`, `tinyint(1)` → `bool`). The SQL
    /// means the same either way; Atlas users diff this output against what they committed.
    fn atlas_sql_type(&self, ty: &str) -> String {
        ty.to_string()
    }
    /// The name the engine gives a primary key nobody named (`users_pkey`), as inspection
    /// reports it: schema files leave it unwritten, as Atlas does.
    fn default_primary_key_name(&self, table: &str) -> Option<String>;
    /// The storage engine a table gets when none is named (MySQL's InnoDB).
    fn default_table_engine(&self) -> Option<&'static str>;
    /// The one schema every table is in, where the engine has one (SQLite's `main`).
    fn only_schema(&self) -> Option<&'static str> {
        None
    }
    /// A table's name in a query of the catalog statistics or of its rows.
    fn table_ref(&self, schema: &str, table: &str) -> String {
        let d = self.dialect();
        format!("{}.{}", crate::engine::quote_ident(d, schema), crate::engine::quote_ident(d, table))
    }
    /// The SQL function that counts a text value's characters.
    fn char_length(&self) -> &'static str {
        "char_length"
    }
    /// The comment a new database gives one of its schemas (PostgreSQL's `public`): a SQL
    /// schema file loaded there did not write it.
    fn default_schema_comment(&self, _schema: &str) -> Option<&'static str> {
        None
    }
    /// The referential action a foreign key that names none gets.
    fn default_ref_action(&self) -> RefAction {
        RefAction::NoAction
    }
    /// Whether two referential actions are one on this engine (InnoDB checks RESTRICT and NO
    /// ACTION alike, at once): the planner reads either spelling as the other.
    fn same_ref_action(&self, a: RefAction, b: RefAction) -> bool {
        a == b
    }
    /// An inline value list type (MySQL's `enum('a','b')` / `set(…)`): its keyword and values.
    fn value_list_type(&self, _ty: &str) -> Option<(&'static str, Vec<String>)> {
        None
    }
    /// A trigger's definition as the engine reports it once created (what the diff compares).
    fn trigger_def(&self, schema: &str, t: &Trigger) -> String;
    /// A column default as this engine's DDL writes it (lint input shows it).
    fn default_sql(&self, d: &ColumnDefault) -> String;

    // ---- schemagate's own tables in the target -------------------------------------------

    /// The directory-lock table in `schema` (see `apply::dir_locks`).
    fn dir_lock_sql(&self, schema: &str) -> DirLockSql;
    /// How to tell whether an apply ever succeeded here (default revisions schema).
    fn revision_probe(&self) -> RevisionProbe;

    // ---- what a change does to stored values (lint) --------------------------------------

    /// How changing a column's type from `old` to `new` (canonical spellings) can lose or
    /// rewrite values, with the probe that counts them; None when it cannot.
    fn lossy(&self, old: &str, new: &str) -> Option<Lossy>;
}

/// SQL of the directory-lock table (`apply::dir_locks`) in one engine's dialect. Placeholders
/// are written `?`; the caller numbers them for PostgreSQL.
pub struct DirLockSql {
    /// The table, qualified by its schema (a MySQL database) where the engine has one.
    pub table: String,
    /// Statements that create the table (and its schema) if missing.
    pub create: Vec<String>,
    /// Insert `(dir, pr)` unless `dir` already has a row.
    pub insert_if_free: String,
    /// The engine's current timestamp.
    pub now: &'static str,
    /// A condition (` AND …`) keeping a statement to this target's rows: a MySQL server's lock
    /// table is shared by its databases.
    pub own_rows: &'static str,
}

/// Queries that tell whether a schemagate apply ever succeeded on a target (lint's first-apply
/// rule): the revision table's existence, then its count of applied revisions.
pub struct RevisionProbe {
    pub table_exists: &'static str,
    pub applied: &'static str,
    /// For a revision table of an earlier version, where `applied` fails.
    pub applied_legacy: Option<&'static str>,
}

/// Statements that all go in one phase (for `Engine::render`).
pub fn at(phase: Phase, statements: impl IntoIterator<Item = Statement>) -> impl Iterator<Item = (Phase, Statement)> {
    statements.into_iter().map(move |s| (phase, s))
}

/// The engine of a dialect: the one place that maps the model's `Dialect` to code.
pub fn of(d: Dialect) -> &'static dyn Engine {
    match d {
        Dialect::Postgres => &super::postgres::engine::Postgres,
        Dialect::Mysql => &super::mysql::engine::Mysql,
        Dialect::Sqlite => &super::sqlite::engine::Sqlite,
    }
}
