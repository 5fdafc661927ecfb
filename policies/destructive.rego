# Destructive changes: dropping a schema, a table or a column loses data. Denied unless
# overridden (nolint comment, allow list in data, or the PR's allow label).
package schemagate.rules.destructive

import data.schemagate.lib
import rego.v1

deny contains f if {
	some c in input.changes
	c.kind == "drop_schema"
	f := lib.finding("DS101", "error", sprintf("Dropping schema %q and everything in it", [c.schema]), c)
}

deny contains f if {
	some c in input.changes
	c.kind == "drop_table"
	f := lib.finding("DS102", "error", sprintf("Dropping table %q (%s rows)", [c.table, rows_text(c)]), c)
}

deny contains f if {
	some c in input.changes
	c.kind == "drop_column"
	not c.old.generated
	f := lib.finding("DS103", "error", sprintf("Dropping non-virtual column %q of table %q", [c.column, c.table]), c)
}

rows_text(c) := "unknown number of" if lib.rows(c) < 0
rows_text(c) := sprintf("about %d", [lib.rows(c)]) if lib.rows(c) >= 0
