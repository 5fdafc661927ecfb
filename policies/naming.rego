# Naming (off unless configured): names of new tables, columns and indexes must match
# data.schemagate.config.naming.match, e.g. {"match": "^[a-z][a-z0-9_]*$", "message": "snake_case"}.
package schemagate.rules.naming

import data.schemagate.lib
import rego.v1

naming := data.schemagate.config.naming

named(c) := [n, "NM102", "table"] if {
	c.kind == "add_table"
	n := c.table
}

named(c) := [n, "NM103", "column"] if {
	c.kind == "add_column"
	n := c.column
}

named(c) := [n, "NM104", "index"] if {
	c.kind == "add_index"
	n := c.index
}

warn contains {"code": code, "target": c.target, "change": c.id, "msg": msg} if {
	naming.match
	some kind in ["add_table", "add_column", "add_index"]
	some c in lib.of_kind(kind)
	[name, code, what] := named(c)
	not regex.match(naming.match, name)
	rule := object.get(naming, "message", sprintf("must match %s", [naming.match]))
	msg := sprintf("%s name %q %s", [what, name, rule])
}
