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

# MY102: MariaDB keeps a unique key longer than InnoDB's 3072-byte limit as a "long unique"
# (USING HASH, checked through a hidden hash column) instead of refusing it. A wider character
# set (utf8 → utf8mb4 multiplies each character's bytes by 4/3) turns a B-tree unique key into
# one without a word: it then serves no range scan, ORDER BY or foreign key.
warn contains {"code": "MY102", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine == "mysql"
	some c in lib.of_kind("modify_index")
	c.new.unique
	method(c.new) == "HASH"
	method(c.old) != "HASH"
	msg := sprintf("Unique index %q on %q becomes a HASH (long unique) index: its key no longer fits InnoDB's 3072-byte limit (a wider character set multiplies it), so uniqueness is checked through a hidden hash and the index stops serving range scans, ORDER BY and foreign keys; give its columns prefix lengths or narrower types to keep a B-tree", [c.index, c.table])
}

# An index's method in capitals; "" when the engine's default (null).
method(i) := upper(i.method) if is_string(i.method)

method(i) := "" if not is_string(i.method)
