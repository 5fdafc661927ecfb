# Constraint drops: a dropped foreign key stops protecting references.
package schemagate.rules.condrop

import data.schemagate.lib
import rego.v1

warn contains f if {
	some c in lib.of_kind("drop_foreign_key")
	not c.replaced
	f := lib.finding("CD101", "warning", sprintf("Dropping foreign key %q of table %q", [c.constraint, c.table]), c)
}
