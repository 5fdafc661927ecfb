# SQLite: making a column NOT NULL without a default rebuilds the table, and the copy fails on
# rows that hold NULL.
package schemagate.rules.sqlite

import data.schemagate.lib
import rego.v1

warn contains {"code": "LT101", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine == "sqlite"
	some c in lib.of_kind("modify_column")
	"null" in c.changed
	c.old.null == true
	c.new.null == false
	not c.new.default
	msg := sprintf("Making %q.%q NOT NULL without a default: the table copy fails on NULLs", [c.table, c.column])
}
