# Constraint drops: a dropped foreign key stops protecting references.
package schemagate.rules.condrop

import data.schemagate.lib
import rego.v1

warn contains {"code": "CD101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("drop_foreign_key")
	not c.replaced
	msg := sprintf("Dropping foreign key %q of table %q", [c.constraint, c.table])
}
