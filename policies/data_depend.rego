# Data-dependent changes: they succeed or fail depending on the rows already there. A warning by
# default; denied when the facts gathered from the target prove the change would fail.
# (Conditions are written out in each rule rather than in helper functions: see lib.rego.)
package schemagate.rules.data_depend

import data.schemagate.lib
import rego.v1

deny contains {"code": "MF101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("add_index")
	c.new.unique
	c.facts.duplicates == true
	msg := sprintf("Adding unique index %q on %q fails: the table holds duplicate values", [c.index, c.table])
}

warn contains {"code": "MF101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("add_index")
	c.new.unique
	not c.facts.duplicates == true
	msg := sprintf("Adding unique index %q on existing table %q fails if duplicates exist", [c.index, c.table])
}

deny contains {"code": "MF102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_index")
	not c.old.unique
	c.new.unique
	c.facts.duplicates == true
	msg := sprintf("Making index %q unique fails: the table holds duplicate values", [c.index])
}

warn contains {"code": "MF102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_index")
	not c.old.unique
	c.new.unique
	not c.facts.duplicates == true
	msg := sprintf("Making index %q unique fails if duplicates exist", [c.index])
}

# MF103: a NOT NULL column without a default (nor a generated or identity value) added.
deny contains {"code": "MF103", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine != "mysql"
	some c in lib.of_kind("add_column")
	c.new.null == false
	not c.new.default
	not c.new.generated
	not c.new.identity
	not c.new.auto_increment
	c.rows > 0
	msg := sprintf("Adding NOT NULL column %q without a default to %q fails: the table has about %d rows", [c.column, c.table, c.rows])
}

warn contains {"code": "MF103", "target": c.target, "change": c.id, "msg": msg} if {
	input.engine != "mysql"
	some c in lib.of_kind("add_column")
	c.new.null == false
	not c.new.default
	not c.new.generated
	not c.new.identity
	not c.new.auto_increment
	c.rows <= 0
	msg := sprintf("Adding NOT NULL column %q without a default to %q fails if the table has rows", [c.column, c.table])
}

# MF104: a column made NOT NULL.
deny contains {"code": "MF104", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"null" in c.changed
	c.old.null == true
	c.new.null == false
	c.facts.has_nulls == true
	msg := sprintf("Making %q.%q NOT NULL fails: it holds NULLs", [c.table, c.column])
}

warn contains {"code": "MF104", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"null" in c.changed
	c.old.null == true
	c.new.null == false
	not c.facts.has_nulls == true
	msg := sprintf("Making %q.%q NOT NULL fails if it holds NULLs", [c.table, c.column])
}

# MF105 (schemagate): a shorter character type truncates or fails on longer values.
narrowed(c) if {
	c.new.length
	not c.old.length
	c.old.type in {"text", "character varying", "longtext", "mediumtext"}
}

narrowed(c) if {
	c.new.length < c.old.length
}

deny contains {"code": "MF105", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"type" in c.changed
	narrowed(c)
	c.facts.too_long == true
	msg := sprintf("Changing %q.%q to %s fails or truncates: some values are longer than %d", [c.table, c.column, c.new.type, c.new.length])
}

warn contains {"code": "MF105", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"type" in c.changed
	narrowed(c)
	not c.facts.too_long == true
	msg := sprintf("Changing %q.%q to %s fails or truncates values longer than %d", [c.table, c.column, c.new.type, c.new.length])
}
