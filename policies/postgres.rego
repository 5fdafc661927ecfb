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

# The change's statements, as planned, scan or rewrite the table under a lock that blocks reads
# and writes (each statement's traffic facts; a change written by hand without them is taken to).
blocking_work(c) if not c.traffic

blocking_work(c) if {
	some t in c.traffic
	t.blocks == "reads_and_writes"
	t.work != "catalog"
}

warn contains {"code": "PG101", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("add_index")
	not concurrently(c)
	msg := sprintf("Creating index %q without CONCURRENTLY blocks writes to %q while it builds", [c.index, c.table])
}

warn contains {"code": "PG102", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("drop_index")
	not c.replaced
	not concurrently(c)
	msg := sprintf("Dropping index %q without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on %q", [c.index, c.table])
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

warn contains {"code": "PG301", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("modify_column")
	"type" in c.changed
	not binary_compatible(c)
	blocking_work(c)
	msg := sprintf("Changing the type of %q.%q rewrites the table under an ACCESS EXCLUSIVE lock", [c.table, c.column])
}

volatile_default(c) if {
	regex.match(`(?i)(random\(|gen_random_uuid\(|uuid_generate_v[14]\(|clock_timestamp\(|nextval\(|timeofday\()`, c.new.default)
}

warn contains {"code": "PG302", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("add_column")
	volatile_default(c)
	msg := sprintf("Adding column %q with a volatile default rewrites table %q", [c.column, c.table])
}

warn contains {"code": "PG303", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("modify_column")
	"null" in c.changed
	c.new.null == false
	blocking_work(c)
	msg := sprintf("SET NOT NULL on %q.%q scans the whole table under an ACCESS EXCLUSIVE lock", [c.table, c.column])
}

warn contains {"code": "PG305", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("add_check")
	not not_valid(c)
	msg := sprintf("Adding check %q without NOT VALID scans table %q under lock", [c.constraint, c.table])
}

warn contains {"code": "PG306", "target": c.target, "change": c.id, "msg": msg} if {
	pg
	some c in lib.of_kind("add_foreign_key")
	not not_valid(c)
	msg := sprintf("Adding foreign key %q without NOT VALID scans %q and locks both tables", [c.constraint, c.table])
}
