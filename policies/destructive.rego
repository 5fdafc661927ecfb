# Destructive changes: dropping a schema, a table or a column loses data. Denied unless
# overridden (nolint comment, allow list in data, or the PR's allow label).
package schemagate.rules.destructive

import data.schemagate.lib
import rego.v1

deny contains {"code": "DS101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("drop_schema")
	msg := sprintf("Dropping schema %q and everything in it", [c.schema])
}

deny contains {"code": "DS102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("drop_table")
	msg := sprintf("Dropping table %q (%s rows)", [c.table, rows_text(c.rows)])
}

deny contains {"code": "DS103", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("drop_column")
	not c.old.generated
	msg := sprintf("Dropping non-virtual column %q of table %q", [c.column, c.table])
}

# DS104 (schemagate): a regular column made generated is dropped and added again: its stored
# values are gone, replaced by computed ones (the expression is the pull request's and is never
# run on the target, so no count of differing rows). Atlas refuses this change outright.
deny contains {"code": "DS104", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"generated" in c.changed
	c.new.generated
	not c.old.generated
	msg := sprintf("Making %q.%q a generated column drops its stored values (%s rows) for computed ones", [c.table, c.column, rows_text(c.rows)])
}

# DS105 (schemagate): a type changed in place drops values stored in the columns of that type
# (a composite type losing a field: ALTER TYPE … DROP ATTRIBUTE succeeds on a type columns use,
# and their values for that field are gone). Any generically handled kind (its change carries
# the object as `new`, with its `type`) whose change says it loses data.
deny contains {"code": "DS105", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.changes
	startswith(c.kind, "modify_")
	c.destructive == true
	c.new.type
	msg := sprintf("Changing %s %q drops values stored in the columns that use it", [c.new.type, c.target])
}

rows_text(n) := "unknown number of" if n < 0
rows_text(n) := sprintf("about %d", [n]) if n >= 0

# DS110 (schemagate): the first apply on a target drops an object schemagate never managed —
# an index, key, check, type… made outside it that the desired state does not mention. Tables,
# columns and schemas have DS101–DS103 already; policies SC101.
covered := {"drop_schema", "drop_table", "drop_column", "drop_policy"}

deny contains {"code": "DS110", "target": c.target, "change": c.id, "msg": msg} if {
	input.facts.first_run == true
	some c in lib.changes
	startswith(c.kind, "drop_")
	not c.kind in covered
	not c.replaced
	msg := sprintf("First apply on this target: %s drops %s, which was created outside schemagate; add it to the desired state, exclude it, or override", [c.kind, c.target])
}
