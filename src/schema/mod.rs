//! The schema model every stage speaks: readers produce a [`Realm`], engines inspect into one,
//! and diff/plan/lint only ever look at the model. Identifiers keep their exact case; quoting
//! happens only in `engine/*/ddl.rs`.

pub mod kinds;
pub mod refs;
pub mod type_ref;

// The kinds are part of the model: a new one needs no line here.
pub use kinds::*;
use serde::Serialize;

/// Which SQL engine a realm belongs to. Canonical spellings (types, defaults) differ per engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Mysql,
    Sqlite,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }
}

/// Where an object was declared in a source file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub struct Pos {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

/// A whole database: its schemas plus what inspection saw but the model does not cover yet.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Realm {
    pub schemas: Vec<Schema>,
    /// Objects present in the database that the model does not manage (views, routines, …),
    /// reported with a count so nothing is dropped silently.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// `atlas:nolint` / `schemagate:nolint` directives of the desired source: object path
    /// ("schema.table", "schema.table.column", "schema.table index") → codes or analyzer names
    /// (empty: all). Passed to the lint policies, which decide.
    #[serde(skip)]
    pub nolint: std::collections::BTreeMap<String, Vec<String>>,
    /// PostgreSQL roles declared by the desired state (`role` blocks): their privileges are
    /// managed, and they are created where the server lacks them (never dropped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The roles an inspected PostgreSQL server has (all of them; roles are cluster-wide).
    #[serde(skip)]
    pub server_roles: Vec<String>,
}

/// Privileges granted to one role (or PUBLIC) on an object; `grantable` is WITH GRANT OPTION.
/// A role holding some privileges with and some without the option has two grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub grantee: String,
    /// Sorted names (`INSERT`, `SELECT`, …).
    pub privileges: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub grantable: bool,
}

impl Grant {
    /// One role's privileges (name → grantable) → at most two grants, with and without the
    /// grant option, privileges sorted.
    pub fn split(grantee: &str, privs: &std::collections::BTreeMap<String, bool>) -> Vec<Grant> {
        let mut out = Vec::new();
        for grantable in [false, true] {
            let ps: Vec<String> = privs.iter().filter(|(_, g)| **g == grantable).map(|(p, _)| p.clone()).collect();
            if !ps.is_empty() {
                out.push(Grant { grantee: grantee.to_string(), privileges: ps, grantable });
            }
        }
        out
    }
}

/// PostgreSQL `ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA s GRANT … ON {on} TO grantee`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DefaultPrivilege {
    pub owner: String,
    /// TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS.
    pub on: String,
    pub grantee: String,
    pub privileges: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub grantable: bool,
}

/// What a GRANT applies to, within a schema. Views go as tables (GRANT … ON TABLE).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantOn {
    Schema,
    Table(String),
    Sequence(String),
    Column(String, String),
    /// Name, kind and the input argument types.
    Routine(String, RoutineKind, String),
}

impl GrantOn {
    pub fn routine(f: &Function) -> GrantOn {
        let ins: Vec<&str> = f.args.iter().filter(|a| a.mode.as_deref() != Some("OUT")).map(|a| a.ty.as_str()).collect();
        GrantOn::Routine(f.name.clone(), f.kind, ins.join(", "))
    }
    /// `schema.object` as reports and lint name it.
    pub fn label(&self, schema: &str) -> String {
        match self {
            GrantOn::Schema => schema.to_string(),
            GrantOn::Table(t) | GrantOn::Sequence(t) => format!("{schema}.{t}"),
            GrantOn::Column(t, c) => format!("{schema}.{t}.{c}"),
            GrantOn::Routine(n, _, args) => format!("{schema}.{n}({args})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub kind: String,
    pub schema: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Schema {
    pub name: String,
    pub tables: Vec<Table>,
    /// PostgreSQL `CREATE TYPE … AS ENUM`.
    pub enums: Vec<EnumType>,
    pub domains: Vec<Domain>,
    pub sequences: Vec<Sequence>,
    /// Views and materialized views.
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    pub triggers: Vec<Trigger>,
    /// Objects of the kinds handled generically (extensions, …): see `kinds`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<kinds::Object>,
    /// Privileges on the schema itself (USAGE, CREATE).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_privileges: Vec<DefaultPrivilege>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub options: TableOptions,
    /// PostgreSQL `PARTITION BY …` of a partitioned parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionKey>,
    /// PostgreSQL: this table is a partition of another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// PostgreSQL row-level security: ENABLE / FORCE ROW LEVEL SECURITY.
    #[serde(skip_serializing_if = "RowSecurity::is_off")]
    pub row_security: RowSecurity,
    /// PostgreSQL row-level security policies, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// The table's previous name (`renamed_from`): planned as a rename, not drop + create.
    #[serde(skip)]
    pub renamed_from: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowSecurity {
    pub enabled: bool,
    /// FORCE: the table owner is subject to the policies too.
    pub forced: bool,
}

impl RowSecurity {
    pub fn is_off(&self) -> bool {
        !self.enabled && !self.forced
    }
}

/// A PostgreSQL row-level security policy (`CREATE POLICY name ON table …`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Policy {
    pub name: String,
    /// ALL, SELECT, INSERT, UPDATE or DELETE.
    pub command: String,
    /// PERMISSIVE (true) or RESTRICTIVE.
    pub permissive: bool,
    /// Role names, sorted; `PUBLIC` for everyone.
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl Policy {
    /// Role names PostgreSQL reads as keywords in a policy's `TO` list (never quoted).
    pub const ROLE_KEYWORDS: [&'static str; 4] = ["PUBLIC", "CURRENT_USER", "CURRENT_ROLE", "SESSION_USER"];

    pub fn is_role_keyword(role: &str) -> bool {
        Self::ROLE_KEYWORDS.contains(&role)
    }
}

impl PartialEq for Policy {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.command == o.command && self.permissive == o.permissive && self.roles == o.roles && self.using == o.using && self.check == o.check
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableOptions {
    /// MySQL storage engine (InnoDB, MyISAM, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collate: Option<String>,
    /// MySQL AUTO_INCREMENT start value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_increment: Option<u64>,
    /// SQLite WITHOUT ROWID.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub without_rowid: bool,
    /// SQLite STRICT.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// PostgreSQL UNLOGGED.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// PostgreSQL storage parameters as `name=value`, sorted (`fillfactor=70`,
    /// `autovacuum_enabled=false`, `toast.autovacuum_enabled=false`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub storage_params: Vec<String>,
    /// PostgreSQL REPLICA IDENTITY: `FULL`, `NOTHING` or `INDEX <name>` (None: DEFAULT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionKey {
    /// RANGE, LIST or HASH.
    pub kind: String,
    pub parts: Vec<PartKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PartKey {
    Column(String),
    Expr(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionOf {
    pub schema: String,
    pub table: String,
    /// The bound as PostgreSQL prints it: `FOR VALUES FROM (…) TO (…)`, `DEFAULT`, ….
    pub bound: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Column {
    pub name: String,
    /// The type in the engine's canonical SQL spelling (`character varying(255)`, `int(11)`, …);
    /// user-defined PostgreSQL types are schema-qualified and quoted (`"public"."mood"`).
    #[serde(rename = "type")]
    pub ty: String,
    pub null: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    /// PostgreSQL identity column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// MySQL AUTO_INCREMENT / SQLite AUTOINCREMENT.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_increment: bool,
    /// MySQL `unsigned` is part of `ty`; this is only `ON UPDATE` for MySQL timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Column privileges (GRANT SELECT (c) ON t).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// The column's previous name (`renamed_from`): a declared rename, planned as RENAME
    /// COLUMN instead of drop + add. Not part of the column's identity.
    #[serde(skip)]
    pub renamed_from: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl PartialEq for Column {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.ty == o.ty
            && self.null == o.null
            && self.default == o.default
            && self.identity == o.identity
            && self.auto_increment == o.auto_increment
            && self.on_update == o.on_update
            && self.generated == o.generated
            && self.charset == o.charset
            && self.collate == o.collate
            && self.comment == o.comment
            && self.grants == o.grants
    }
}

/// A column default. Literals are kept apart from raw expressions so that `default = "x"` in HCL
/// and `'x'::text` in a catalog compare equal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ColumnDefault {
    /// A string literal, unquoted.
    Str(String),
    /// A numeric literal as written (`0`, `-1.5`).
    Num(String),
    Bool(bool),
    /// Any other expression, verbatim SQL (`now()`, `nextval('s'::regclass)`).
    Raw(String),
}

/// Numbers compare by value: `0.50` from a catalog equals `0.5` written in HCL. `true`/`false`
/// equal 1/0: they are the same value where both can stand (MySQL's and SQLite's booleans are
/// integers; a catalog may spell `DEFAULT false` as `0`).
impl PartialEq for ColumnDefault {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (ColumnDefault::Bool(b), ColumnDefault::Num(n)) | (ColumnDefault::Num(n), ColumnDefault::Bool(b)) => n.parse::<f64>().ok() == Some(if *b { 1.0 } else { 0.0 }),
            (ColumnDefault::Num(a), ColumnDefault::Num(b)) => {
                a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
            }
            (ColumnDefault::Str(a), ColumnDefault::Str(b)) => a == b,
            (ColumnDefault::Bool(a), ColumnDefault::Bool(b)) => a == b,
            (ColumnDefault::Raw(a), ColumnDefault::Raw(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ColumnDefault {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// ALWAYS or BY DEFAULT.
    pub always: bool,
    pub start: i64,
    pub increment: i64,
    /// Only when not the default for the direction and type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generated {
    pub expr: String,
    pub stored: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrimaryKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// PostgreSQL: non-key columns stored in the key's index (`INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// PostgreSQL `DEFERRABLE` (uniqueness checked at the end of the statement, or of the
    /// transaction when `initially_deferred`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub parts: Vec<IndexPart>,
    /// Access method when not the engine default (GIN, GIST, BRIN, HASH, FULLTEXT, SPATIAL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Partial index predicate.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_clause: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// PostgreSQL 15 `NULLS NOT DISTINCT` when false.
    pub nulls_distinct: bool,
    /// PostgreSQL BRIN `pages_per_range` (Atlas's `page_per_range`), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_per_range: Option<u32>,
    /// PostgreSQL: the index belongs to a `UNIQUE` constraint (Atlas's `unique` block), or to
    /// an `EXCLUDE` constraint when its parts carry operators (Atlas's `exclude` block).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub constraint: bool,
    /// PostgreSQL: the constraint is `DEFERRABLE` [`INITIALLY DEFERRED`] (constraints only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The index's previous name (`renamed_from`): planned as a rename, not drop + create.
    #[serde(skip)]
    pub renamed_from: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl Index {
    /// A PostgreSQL exclusion constraint (`EXCLUDE USING gist (room WITH =, during WITH &&)`).
    pub fn is_exclusion(&self) -> bool {
        self.constraint && self.parts.iter().any(|p| p.op.is_some())
    }
}

impl PartialEq for Index {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.unique == o.unique
            && self.parts == o.parts
            && self.method == o.method
            && self.where_clause == o.where_clause
            && self.include == o.include
            && self.nulls_distinct == o.nulls_distinct
            && self.page_per_range == o.page_per_range
            && self.constraint == o.constraint
            && self.deferrable == o.deferrable
            && self.initially_deferred == o.initially_deferred
            && self.comment == o.comment
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    pub desc: bool,
    /// MySQL key prefix length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<u32>,
    /// PostgreSQL operator class when not the type's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// PostgreSQL NULLS FIRST/LAST when not the default for the direction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nulls_first: Option<bool>,
    /// PostgreSQL exclusion constraints: the operator this part is compared with (`=`, `&&`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_update: RefAction,
    pub on_delete: RefAction,
    /// PostgreSQL DEFERRABLE (and INITIALLY DEFERRED).
    pub deferrable: bool,
    pub initially_deferred: bool,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl PartialEq for ForeignKey {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.columns == o.columns
            && self.ref_schema == o.ref_schema
            && self.ref_table == o.ref_table
            && self.ref_columns == o.ref_columns
            && self.on_update == o.on_update
            && self.on_delete == o.on_delete
            && self.deferrable == o.deferrable
            && self.initially_deferred == o.initially_deferred
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum RefAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl RefAction {
    pub fn sql(self) -> &'static str {
        match self {
            RefAction::NoAction => "NO ACTION",
            RefAction::Restrict => "RESTRICT",
            RefAction::Cascade => "CASCADE",
            RefAction::SetNull => "SET NULL",
            RefAction::SetDefault => "SET DEFAULT",
        }
    }
    /// Atlas's HCL constant (`NO_ACTION`, `SET_NULL`, …).
    pub fn hcl(self) -> &'static str {
        match self {
            RefAction::NoAction => "NO_ACTION",
            RefAction::Restrict => "RESTRICT",
            RefAction::Cascade => "CASCADE",
            RefAction::SetNull => "SET_NULL",
            RefAction::SetDefault => "SET_DEFAULT",
        }
    }
    pub fn parse(s: &str) -> Option<RefAction> {
        match s.trim().to_ascii_uppercase().replace('_', " ").as_str() {
            "NO ACTION" => Some(RefAction::NoAction),
            "RESTRICT" => Some(RefAction::Restrict),
            "CASCADE" => Some(RefAction::Cascade),
            "SET NULL" => Some(RefAction::SetNull),
            "SET DEFAULT" => Some(RefAction::SetDefault),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Check {
    pub name: String,
    pub expr: String,
    /// MySQL `NOT ENFORCED` when false.
    pub enforced: bool,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl PartialEq for Check {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.expr == o.expr && self.enforced == o.enforced
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub null: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    pub checks: Vec<DomainCheck>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DomainCheck {
    pub name: String,
    pub expr: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY table.column`, as (table, column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
}

/// A view, or a PostgreSQL materialized view. `def` is the query as the engine prints it back
/// (pg_get_viewdef; MySQL's VIEW_DEFINITION without the database qualifier; SQLite's text after
/// `AS`), so two spellings of one query compare equal once both went through a database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct View {
    pub name: String,
    pub def: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub materialized: bool,
    /// Output columns as the engine reports them. Derived from `def`: informational, not part of
    /// the view's identity, but they decide whether `CREATE OR REPLACE VIEW` is allowed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ViewColumn>,
    /// `WITH LOCAL|CASCADED CHECK OPTION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_option: Option<String>,
    /// MySQL `SQL SECURITY DEFINER|INVOKER`; PostgreSQL `security_invoker` (INVOKER).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<String>,
    /// PostgreSQL `security_barrier`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub barrier: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Indexes of a materialized view.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ViewColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

impl PartialEq for View {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.def == o.def
            && self.materialized == o.materialized
            && self.check_option == o.check_option
            && self.security == o.security
            && self.barrier == o.barrier
            && self.comment == o.comment
            && self.indexes == o.indexes
            && self.grants == o.grants
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoutineKind {
    #[default]
    Function,
    Procedure,
    /// PostgreSQL `CREATE AGGREGATE`.
    Aggregate,
}

impl RoutineKind {
    pub fn sql(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Aggregate => "AGGREGATE",
        }
    }
}

/// A function, procedure or aggregate. Every field is in the engine's canonical spelling once
/// read back from a database, so equal routines compare equal field by field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Function {
    pub name: String,
    pub kind: RoutineKind,
    pub args: Vec<FuncArg>,
    /// The RETURNS clause (`integer`, `SETOF integer`, `TABLE(a integer)`, `trigger`); None for
    /// procedures and aggregates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    /// Language, lower case (`sql`, `plpgsql`); MySQL routines are `sql`.
    pub lang: String,
    /// The body as stored (PostgreSQL `prosrc`, MySQL ROUTINE_DEFINITION). For a PostgreSQL
    /// SQL-standard body (`BEGIN ATOMIC … END`, `RETURN …`) it is that text and `sql_body` is set.
    pub body: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sql_body: bool,
    /// PostgreSQL IMMUTABLE / STABLE (None: VOLATILE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volatility: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// SECURITY DEFINER (PostgreSQL) / SQL SECURITY DEFINER (MySQL, which defaults to it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub security_definer: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub leakproof: bool,
    /// PostgreSQL PARALLEL SAFE / RESTRICTED (None: UNSAFE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<String>,
    /// PostgreSQL `SET name = value` clauses, as `name=value` (pg_proc.proconfig).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<String>,
    /// MySQL DETERMINISTIC.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deterministic: bool,
    /// MySQL CONTAINS SQL / NO SQL / READS SQL DATA / MODIFIES SQL DATA (None: CONTAINS SQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_access: Option<String>,
    /// PostgreSQL aggregate options in CREATE AGGREGATE order (`SFUNC`, `STYPE`, `FINALFUNC`,
    /// `INITCOND`, …), values as the catalog prints them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aggregate: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FuncArg {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub ty: String,
    /// OUT, INOUT or VARIADIC (None: IN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

impl PartialEq for Function {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.kind == o.kind
            && self.args == o.args
            && self.returns == o.returns
            && self.lang == o.lang
            && self.body == o.body
            && self.sql_body == o.sql_body
            && self.volatility == o.volatility
            && self.strict == o.strict
            && self.security_definer == o.security_definer
            && self.leakproof == o.leakproof
            && self.parallel == o.parallel
            && self.config == o.config
            && self.deterministic == o.deterministic
            && self.data_access == o.data_access
            && self.aggregate == o.aggregate
            && self.comment == o.comment
            && self.grants == o.grants
    }
}

impl Function {
    /// What tells overloads apart: the name and the input argument types, `f(integer, text)`.
    /// The types a routine takes and returns, as text (what its signature depends on).
    pub fn type_text(&self) -> String {
        let mut text = self.returns.clone().unwrap_or_default();
        for a in &self.args {
            text.push(' ');
            text.push_str(&a.ty);
        }
        text
    }

    pub fn signature(&self) -> String {
        let ins: Vec<&str> = self.args.iter().filter(|a| a.mode.as_deref() != Some("OUT")).map(|a| a.ty.as_str()).collect();
        format!("{}({})", self.name, ins.join(", "))
    }
}

/// A trigger on a table (or, INSTEAD OF, on a view). `def` is the whole CREATE TRIGGER statement
/// as the engine prints it back (pg_get_triggerdef; rebuilt from the catalog columns on MySQL;
/// as written on SQLite) and is what is compared; the other fields are its parts, for HCL.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    pub def: String,
    /// BEFORE, AFTER or INSTEAD OF.
    pub timing: String,
    /// INSERT, UPDATE, DELETE, TRUNCATE.
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub update_of: Vec<String>,
    pub for_each_row: bool,
    #[serde(rename = "when", skip_serializing_if = "Option::is_none")]
    pub when_clause: Option<String>,
    /// PostgreSQL: the function it executes, and its arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// MySQL/SQLite: the trigger body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

/// Triggers compare by their parts, which HCL carries and every catalog yields; the statement
/// text only where its parts could not be read (an unusual SQLite spelling).
impl PartialEq for Trigger {
    fn eq(&self, o: &Self) -> bool {
        let same_parts = if self.timing.is_empty() || o.timing.is_empty() {
            self.def == o.def
        } else {
            self.timing == o.timing
                && self.events == o.events
                && self.update_of == o.update_of
                && self.for_each_row == o.for_each_row
                && self.when_clause == o.when_clause
                && self.function == o.function
                && self.args == o.args
                && self.body == o.body
        };
        self.name == o.name && self.table == o.table && self.comment == o.comment && same_parts
    }
}

impl PartialEq for Table {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.columns == o.columns
            && self.primary_key == o.primary_key
            && self.indexes == o.indexes
            && self.foreign_keys == o.foreign_keys
            && self.checks == o.checks
            && self.comment == o.comment
            && self.options == o.options
            && self.partition == o.partition
            && self.partition_of == o.partition_of
            && self.row_security == o.row_security
            && self.policies == o.policies
            && self.grants == o.grants
    }
}

impl PartialEq for Schema {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.tables == o.tables
            && self.enums == o.enums
            && self.domains == o.domains
            && self.sequences == o.sequences
            && self.views == o.views
            && self.functions == o.functions
            && self.triggers == o.triggers
            && self.objects == o.objects
            && self.grants == o.grants
            && self.default_privileges == o.default_privileges
            && self.charset == o.charset
            && self.collate == o.collate
            && self.comment == o.comment
    }
}

impl PartialEq for Realm {
    fn eq(&self, o: &Self) -> bool {
        self.schemas == o.schemas
    }
}

/// Codes of a `atlas:nolint …` / `schemagate:nolint …` directive in a comment line, if any.
pub fn nolint_directive(line: &str) -> Option<Vec<String>> {
    let idx = line.find("atlas:nolint").map(|i| i + "atlas:nolint".len()).or_else(|| line.find("schemagate:nolint").map(|i| i + "schemagate:nolint".len()))?;
    let rest = line[idx..].trim_end_matches("*/");
    Some(rest.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).map(String::from).collect())
}

impl Realm {
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.schema(schema)?.tables.iter().find(|t| t.name == name)
    }
    pub fn table_count(&self) -> usize {
        self.schemas.iter().map(|s| s.tables.len()).sum()
    }
    /// Sort everything by name so two realms built in different orders compare equal.
    /// Column order is kept: it is meaningful.
    pub fn sort(&mut self) {
        self.schemas.sort_by(|a, b| a.name.cmp(&b.name));
        for s in &mut self.schemas {
            s.tables.sort_by(|a, b| a.name.cmp(&b.name));
            s.enums.sort_by(|a, b| a.name.cmp(&b.name));
            s.domains.sort_by(|a, b| a.name.cmp(&b.name));
            s.sequences.sort_by(|a, b| a.name.cmp(&b.name));
            s.objects.sort_by(|a, b| a.key().cmp(&b.key()));
            s.views.sort_by(|a, b| a.name.cmp(&b.name));
            s.functions.sort_by_key(|f| f.signature());
            s.triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
            for v in &mut s.views {
                v.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            }
            sort_grants(&mut s.grants);
            s.default_privileges.sort_by(|a, b| (&a.owner, &a.on, &a.grantee, a.grantable).cmp(&(&b.owner, &b.on, &b.grantee, b.grantable)));
            for t in &mut s.tables {
                sort_grants(&mut t.grants);
                for c in &mut t.columns {
                    sort_grants(&mut c.grants);
                }
            }
            s.views.iter_mut().for_each(|v| sort_grants(&mut v.grants));
            s.sequences.iter_mut().for_each(|q| sort_grants(&mut q.grants));
            s.functions.iter_mut().for_each(|f| sort_grants(&mut f.grants));
            for t in &mut s.tables {
                t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
                t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
                t.checks.sort_by(|a, b| a.name.cmp(&b.name).then(a.expr.cmp(&b.expr)));
                t.policies.sort_by(|a, b| a.name.cmp(&b.name));
                for p in &mut t.policies {
                    p.roles.sort();
                }
            }
            for d in &mut s.domains {
                d.checks.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        self.skipped.sort_by(|a, b| (&a.kind, &a.schema, &a.name).cmp(&(&b.kind, &b.schema, &b.name)));
    }

    /// A one-line summary of what inspection skipped, e.g. "skipped 7 view, 9 function".
    pub fn skipped_summary(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for s in &self.skipped {
            *counts.entry(s.kind.as_str()).or_default() += 1;
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        Some(format!(
            "not managed yet, left untouched: {}",
            parts.join(", ")
        ))
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Realm {
    /// Rename schemas (and the foreign keys that point into them). Used to map a desired schema
    /// onto the database a MySQL URL names, and onto disposable databases.
    pub fn rename_schemas(&mut self, map: &std::collections::HashMap<String, String>) {
        for s in &mut self.schemas {
            if let Some(n) = map.get(&s.name) {
                s.name = n.clone();
            }
            for t in &mut s.tables {
                for fk in &mut t.foreign_keys {
                    if let Some(n) = map.get(&fk.ref_schema) {
                        fk.ref_schema = n.clone();
                    }
                }
                // Columns typed with a user type of a renamed schema (`app.status[]`).
                for c in &mut t.columns {
                    if let Some(ty) = type_ref::renamed(&c.ty, map) {
                        c.ty = ty;
                    }
                }
                if let Some(of) = &mut t.partition_of {
                    if let Some(n) = map.get(&of.schema) {
                        of.schema = n.clone();
                    }
                }
            }
        }
        for s in &mut self.skipped {
            if let Some(n) = map.get(&s.schema) {
                s.schema = n.clone();
            }
        }
        let nolint = std::mem::take(&mut self.nolint);
        for (path, codes) in nolint {
            let cut = path.find(['.', ' ']).unwrap_or(path.len());
            let renamed = match map.get(&path[..cut]) {
                Some(n) => format!("{n}{}", &path[cut..]),
                None => path,
            };
            self.nolint.insert(renamed, codes);
        }
    }

    /// Remove what `--exclude` globs name: `schema`, `schema.table`, `schema.table.column`
    /// (`*`, `?` and `[ab]` within one level). A pattern without dots matches tables in any
    /// schema.
    pub fn exclude(&mut self, patterns: &[String]) {
        if patterns.is_empty() {
            return;
        }
        let m = |name: &str| patterns.iter().any(|p| glob_match(p, name));
        self.schemas.retain(|s| !m(&s.name));
        for s in &mut self.schemas {
            let sn = s.name.clone();
            s.tables.retain(|t| !m(&format!("{sn}.{}", t.name)) && !m(&t.name));
            for t in &mut s.tables {
                let tn = format!("{sn}.{}", t.name);
                t.columns.retain(|c| !m(&format!("{tn}.{}", c.name)));
            }
            s.views.retain(|v| !m(&format!("{sn}.{}", v.name)) && !m(&v.name));
            s.functions.retain(|f| !m(&format!("{sn}.{}", f.name)) && !m(&f.name));
            let tables: std::collections::HashSet<String> = s.tables.iter().map(|t| t.name.clone()).chain(s.views.iter().map(|v| v.name.clone())).collect();
            // A trigger goes with its table, and can be excluded by `schema.table.trigger`.
            s.triggers.retain(|t| tables.contains(&t.table) && !m(&format!("{sn}.{}.{}", t.table, t.name)));
        }
    }
}

fn sort_grants(gs: &mut [Grant]) {
    for g in gs.iter_mut() {
        g.privileges.sort();
    }
    gs.sort_by(|a, b| (&a.grantee, a.grantable).cmp(&(&b.grantee, b.grantable)));
}

impl Schema {
    /// The types a column can name, as (kind, name): enums, domains, and the generic kinds that
    /// are types (`Object::is_type`). The kind is the HCL reference's (`enum.status`).
    pub fn named_types(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let enums = self.enums.iter().map(|e| ("enum", e.name.as_str()));
        let domains = self.domains.iter().map(|d| ("domain", d.name.as_str()));
        enums.chain(domains).chain(self.objects.iter().filter(|o| o.is_type()).map(|o| o.key()))
    }

    /// Every object grant of the schema: its own, its tables', columns', views', sequences' and
    /// routines' (default privileges are apart).
    pub fn all_grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants
            .iter()
            .chain(self.tables.iter().flat_map(|t| t.grants.iter().chain(t.columns.iter().flat_map(|c| c.grants.iter()))))
            .chain(self.views.iter().flat_map(|v| v.grants.iter()))
            .chain(self.sequences.iter().flat_map(|q| q.grants.iter()))
            .chain(self.functions.iter().flat_map(|f| f.grants.iter()))
    }
}

impl Realm {
    /// Keep only the privileges of `roles` (grantees; default privileges by grantee). With no
    /// roles at all, privileges are not managed and every grant is left out of the comparison.
    pub fn scope_grants(&mut self, roles: &std::collections::BTreeSet<String>) {
        let keep = |gs: &mut Vec<Grant>| gs.retain(|g| roles.contains(&g.grantee));
        for s in &mut self.schemas {
            keep(&mut s.grants);
            s.default_privileges.retain(|d| roles.contains(&d.grantee));
            for t in &mut s.tables {
                keep(&mut t.grants);
                for c in &mut t.columns {
                    keep(&mut c.grants);
                }
            }
            s.views.iter_mut().for_each(|v| keep(&mut v.grants));
            s.sequences.iter_mut().for_each(|q| keep(&mut q.grants));
            s.functions.iter_mut().for_each(|f| keep(&mut f.grants));
        }
    }

    /// Every role a grant or default privilege of the realm names (PUBLIC left out).
    pub fn granted_roles(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for s in &self.schemas {
            out.extend(s.all_grants().map(|g| g.grantee.clone()));
            for d in &s.default_privileges {
                out.insert(d.grantee.clone());
                out.insert(d.owner.clone());
            }
        }
        out.remove("PUBLIC");
        out
    }
}

/// Atlas's exclude globs, one level per dot (`schema.table.column`): `*` any run and `?` one
/// character within a level, `[ab]` / `[a-z]` / `[!a]` a class. A pattern names objects of
/// its own depth only: `*.*` is every table of every schema, not their columns.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), text.split('.').collect());
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| glob_level(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>()))
}

/// One character class at `p[at..]` (`[` included): whether it matches `c`, and its length.
fn glob_class(p: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            hit |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            hit |= p[i] == c;
            i += 1;
        }
        first = false;
    }
    (i < p.len()).then_some((hit != negate, i + 1 - at))
}

fn glob_level(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('?') => Some(1),
            Some('[') => match glob_class(p, pi, t[ti]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (t[ti] == '[').then_some(1),
            },
            Some('*') | None => None,
            Some(c) => (*c == t[ti]).then_some(1),
        };
        if let Some(len) = step {
            pi += len;
            ti += 1;
        } else if p.get(pi) == Some(&'*') {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod glob_tests {
    use super::glob_match;

    #[test]
    fn globs_match_level_by_level() {
        assert!(glob_match("*.tmp_*", "public.tmp_x"));
        assert!(!glob_match("*.tmp_*", "public.users.tmp_x"));
        assert!(glob_match("main.*.[ab]*", "main.users.ab"));
        assert!(glob_match("main.*.[ab]*", "main.users.b"));
        assert!(!glob_match("main.*.[ab]*", "main.users.id"));
        assert!(glob_match("t[0-9]", "t7") && !glob_match("t[!0-9]", "t7"));
        assert!(glob_match("users", "users") && !glob_match("users", "main.users"));
        assert!(glob_match("a?c", "abc") && !glob_match("a?c", "a.c"));
        assert!(glob_match("[", "[") && !glob_match("*", "a.b"));
    }
}
