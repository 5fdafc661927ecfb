# PostgreSQL lock safety: statements that hold strong locks or scan/rewrite whole tables while
# the application waits.
package schemagate.rules.postgres

import data.schemagate.lib
import rego.v1

pg if input.engine == "postgres"

concurrently(c) if {
	some s in c.statements
	contains(upper(s), "CONCURRENTLY")
}

not_valid(c) if {
	some s in c.statements
	contains(upper(s), "NOT VALID")
}

warn contains f if {
	pg
	some c in lib.of_kind("add_index")
	not concurrently(c)
	f := lib.finding("PG101", "warning", sprintf("Creating index %q without CONCURRENTLY blocks writes to %q while it builds", [c.index, c.table]), c)
}

warn contains f if {
	pg
	some c in lib.of_kind("drop_index")
	not c.replaced
	not concurrently(c)
	f := lib.finding("PG102", "warning", sprintf("Dropping index %q without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on %q", [c.index, c.table]), c)
}

# Type changes PostgreSQL does without rewriting the table.
binary_compatible(c) if {
	c.old.type == "character varying"
	c.new.type in {"character varying", "text"}
	not c.new.length
}

binary_compatible(c) if {
	c.old.type == "character varying"
	c.new.type == "character varying"
	c.new.length >= c.old.length
}

binary_compatible(c) if {
	c.old.type == "character varying"
	c.new.type == "text"
}

warn contains f if {
	pg
	some c in lib.of_kind("modify_column")
	"type" in c.changed
	not binary_compatible(c)
	f := lib.finding("PG301", "warning", sprintf("Changing the type of %q.%q rewrites the table under an ACCESS EXCLUSIVE lock", [c.table, c.column]), c)
}

volatile_default(c) if {
	regex.match(`(?i)(random\(|gen_random_uuid\(|uuid_generate_v[14]\(|clock_timestamp\(|nextval\(|timeofday\()`, c.new.default)
}

warn contains f if {
	pg
	some c in lib.of_kind("add_column")
	volatile_default(c)
	f := lib.finding("PG302", "warning", sprintf("Adding column %q with a volatile default rewrites table %q", [c.column, c.table]), c)
}

warn contains f if {
	pg
	some c in lib.of_kind("modify_column")
	"null" in c.changed
	c.new.null == false
	f := lib.finding("PG303", "warning", sprintf("SET NOT NULL on %q.%q scans the whole table under an ACCESS EXCLUSIVE lock", [c.table, c.column]), c)
}

warn contains f if {
	pg
	some c in lib.of_kind("add_check")
	not not_valid(c)
	f := lib.finding("PG305", "warning", sprintf("Adding check %q without NOT VALID scans table %q under lock", [c.constraint, c.table]), c)
}

warn contains f if {
	pg
	some c in lib.of_kind("add_foreign_key")
	not not_valid(c)
	f := lib.finding("PG306", "warning", sprintf("Adding foreign key %q without NOT VALID scans %q and locks both tables", [c.constraint, c.table]), c)
}
