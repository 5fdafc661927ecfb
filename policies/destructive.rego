# Destructive changes: dropping a schema, a table or a column loses data. Denied unless
# overridden (nolint comment, allow list in data, or the PR's allow label).
package schemagate.rules.destructive

import data.schemagate.lib
import rego.v1

deny contains f if {
	some c in lib.of_kind("drop_schema")
	f := lib.finding("DS101", "error", sprintf("Dropping schema %q and everything in it", [c.schema]), c)
}

deny contains f if {
	some c in lib.of_kind("drop_table")
	f := lib.finding("DS102", "error", sprintf("Dropping table %q (%s rows)", [c.table, rows_text(c)]), c)
}

deny contains f if {
	some c in lib.of_kind("drop_column")
	not c.old.generated
	f := lib.finding("DS103", "error", sprintf("Dropping non-virtual column %q of table %q", [c.column, c.table]), c)
}

rows_text(c) := "unknown number of" if lib.rows(c) < 0
rows_text(c) := sprintf("about %d", [lib.rows(c)]) if lib.rows(c) >= 0

# DS110 (schemagate): the first apply on a target drops an object schemagate never managed —
# an index, key, check, type… made outside it that the desired state does not mention. Tables,
# columns and schemas have DS101–DS103 already; policies SC101.
covered := {"drop_schema", "drop_table", "drop_column", "drop_policy"}

deny contains f if {
	input.facts.first_run == true
	some c in input.changes
	startswith(c.kind, "drop_")
	not c.kind in covered
	not c.replaced
	f := lib.finding("DS110", "error", sprintf("First apply on this target: %s drops %s, which was created outside schemagate; add it to the desired state, exclude it, or override", [c.kind, lib.target(c)]), c)
}
