# MySQL/MariaDB: a NOT NULL column added without DEFAULT silently gives existing rows the
# type's zero value ('' / 0 / '0000-00-00').
package schemagate.rules.mysql

import data.schemagate.lib
import rego.v1

warn contains {"code": "MY101", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine == "mysql"
	some c in lib.of_kind("add_column")
	c.new.null == false
	not c.new.default
	not c.new.generated
	not c.new.auto_increment
	msg := sprintf("Adding NOT NULL column %q without DEFAULT gives the existing rows of %q the type's zero value", [c.column, c.table])
}
