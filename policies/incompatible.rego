# Backward-incompatible changes: renames break application code still using the old name.
package schemagate.rules.incompatible

import data.schemagate.lib
import rego.v1

warn contains f if {
	some c in lib.of_kind("rename_table")
	f := lib.finding("BC101", "warning", sprintf("Renaming table %q to %q breaks code that still uses the old name", [c.old.name, c.table]), c)
}

warn contains f if {
	some c in lib.of_kind("rename_column")
	f := lib.finding("BC102", "warning", sprintf("Renaming column %q to %q of table %q breaks code that still uses the old name", [c.old.name, c.column, c.table]), c)
}
