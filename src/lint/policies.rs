//! The default policies, compiled into the binary so the CLI and the container need no files.
//! They live in `policies/` at the repository root, one rule family per file with its tests.

pub const RULES: &[(&str, &str)] = &[
    ("policies/lib.rego", include_str!("../../policies/lib.rego")),
    ("policies/destructive.rego", include_str!("../../policies/destructive.rego")),
    ("policies/data_depend.rego", include_str!("../../policies/data_depend.rego")),
    ("policies/lossy.rego", include_str!("../../policies/lossy.rego")),
    ("policies/incompatible.rego", include_str!("../../policies/incompatible.rego")),
    ("policies/condrop.rego", include_str!("../../policies/condrop.rego")),
    ("policies/postgres.rego", include_str!("../../policies/postgres.rego")),
    ("policies/mysql.rego", include_str!("../../policies/mysql.rego")),
    ("policies/sqlite.rego", include_str!("../../policies/sqlite.rego")),
    ("policies/traffic.rego", include_str!("../../policies/traffic.rego")),
    ("policies/naming.rego", include_str!("../../policies/naming.rego")),
    ("policies/security.rego", include_str!("../../policies/security.rego")),
    ("policies/overrides.rego", include_str!("../../policies/overrides.rego")),
];

pub const TESTS: &[(&str, &str)] = &[
    ("policies/destructive_test.rego", include_str!("../../policies/destructive_test.rego")),
    ("policies/data_depend_test.rego", include_str!("../../policies/data_depend_test.rego")),
    ("policies/lossy_test.rego", include_str!("../../policies/lossy_test.rego")),
    ("policies/incompatible_test.rego", include_str!("../../policies/incompatible_test.rego")),
    ("policies/condrop_test.rego", include_str!("../../policies/condrop_test.rego")),
    ("policies/postgres_test.rego", include_str!("../../policies/postgres_test.rego")),
    ("policies/mysql_test.rego", include_str!("../../policies/mysql_test.rego")),
    ("policies/sqlite_test.rego", include_str!("../../policies/sqlite_test.rego")),
    ("policies/traffic_test.rego", include_str!("../../policies/traffic_test.rego")),
    ("policies/naming_test.rego", include_str!("../../policies/naming_test.rego")),
    ("policies/security_test.rego", include_str!("../../policies/security_test.rego")),
    ("policies/overrides_test.rego", include_str!("../../policies/overrides_test.rego")),
];

/// One line per code, for `schemagate lint` output and docs.
pub fn explain(code: &str) -> &'static str {
    match code {
        "DS101" => "dropping a schema drops every table in it with its rows",
        "DS102" => "dropping a table loses its rows; add a nolint comment or allow_drop_table entry if intended",
        "DS105" => "a type changed in place (a composite type losing a field) drops the values stored in the columns of that type; copy them elsewhere first, then override (nolint, the PR's allow label, --allow-destructive)",
        "DS110" => "the first apply on this target would drop an object made outside schemagate; keep it in the desired state, exclude it, or override",
        "SC101" => "dropping a row-level security policy widens who can read or write the table's rows",
        "SC102" => "disabling row-level security on a table with policies turns them all off",
        "DS103" => "dropping a column loses its values; add a nolint comment, an allow_drop_column entry or the PR's allow label if intended",
        "DS104" => "a column made generated loses its stored values to computed ones; copy them elsewhere first, then override (nolint, the PR's allow label, --allow-destructive)",
        "MF101" => "a unique index fails to build when existing rows hold duplicates",
        "MF102" => "making an index unique fails when existing rows hold duplicates",
        "MF103" => "a NOT NULL column without a default cannot be added to a table that has rows; add a default or make it nullable first",
        "MF104" => "SET NOT NULL fails when the column holds NULLs; backfill first",
        "MF105" => "a shorter character type fails (or truncates, on MySQL) when longer values exist",
        "LS101" => "the new type cannot hold every old value (narrower integer, fewer digits, a date for a timestamp, text read as a number): values are rounded, cut or refused; check the data, or convert in steps",
        "BC101" => "renaming a table breaks code still using the old name; consider a view with the old name",
        "BC102" => "renaming a column breaks code still using the old name",
        "BC103" => "the column moves to the end of the table; list columns by name in queries, or leave the expression as it is",
        "CD101" => "a dropped foreign key no longer protects references",
        "PG101" => "CREATE INDEX blocks writes while it builds; CONCURRENTLY does not",
        "PG102" => "DROP INDEX takes an ACCESS EXCLUSIVE lock; CONCURRENTLY does not",
        "PG301" => "this type change rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
        "PG302" => "a volatile default is computed for every existing row, rewriting the table",
        "PG303" => "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock; a validated CHECK (c IS NOT NULL) first avoids it",
        "PG305" => "ADD CHECK scans the table under lock; add it NOT VALID and VALIDATE later",
        "PG306" => "ADD FOREIGN KEY scans and locks both tables; add it NOT VALID and VALIDATE later",
        "LK101" => "reads and writes wait while this statement scans or rewrites a large table; use the online form, or schedule it (the limit is policy data schemagate.limits.blocking_bytes)",
        "LK102" => "writes wait while this statement scans or rewrites a large table",
        "MY101" => "MySQL fills existing rows with the type's zero value",
        "LT101" => "SQLite rebuilds the table; the copy fails on NULLs",
        _ if code.starts_with("NM") => "the name does not match the configured naming rule",
        _ => "a rule from a user policy",
    }
}
