# Backward-incompatible changes: renames break application code still using the old name.
package schemagate.rules.incompatible

import data.schemagate.lib
import rego.v1

warn contains {"code": "BC101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("rename_table")
	msg := sprintf("Renaming table %q to %q breaks code that still uses the old name", [c.old.name, c.table])
}

warn contains {"code": "BC102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("rename_column")
	msg := sprintf("Renaming column %q to %q of table %q breaks code that still uses the old name", [c.old.name, c.column, c.table])
}
