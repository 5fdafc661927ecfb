# Backward-incompatible changes: renames break application code still using the old name; a
# column that changes place breaks code that reads columns by position (SELECT *, COPY).
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

# BC103 (schemagate): PostgreSQL (before 17) cannot change a generation expression in place: the
# column is dropped and added, so it moves to the end of the table. Atlas refuses this change.
warn contains {"code": "BC103", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine == "postgres"
	some c in lib.of_kind("modify_column")
	"generated" in c.changed
	c.new.generated
	msg := sprintf("Generating %q.%q anew drops and adds it: it moves to the end of table %q, which breaks code that reads columns by position", [c.table, c.column, c.table])
}
