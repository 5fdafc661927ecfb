# Data-dependent changes: they succeed or fail depending on the rows already there. A warning by
# default; denied when the facts gathered from the target prove the change would fail.
package schemagate.rules.data_depend

import data.schemagate.lib
import rego.v1

fact(c, name) := input.facts.changes[sprintf("%d", [c.id])][name]

unique_index_added(c) if {
	c.kind == "add_index"
	c.new.unique
}

deny contains f if {
	some c in lib.of_kind("add_index")
	unique_index_added(c)
	fact(c, "duplicates") == true
	f := lib.finding("MF101", "error", sprintf("Adding unique index %q on %q fails: the table holds duplicate values", [c.index, c.table]), c)
}

warn contains f if {
	some c in lib.of_kind("add_index")
	unique_index_added(c)
	not fact(c, "duplicates") == true
	f := lib.finding("MF101", "warning", sprintf("Adding unique index %q on existing table %q fails if duplicates exist", [c.index, c.table]), c)
}

deny contains f if {
	some c in lib.of_kind("modify_index")
	not c.old.unique
	c.new.unique
	fact(c, "duplicates") == true
	f := lib.finding("MF102", "error", sprintf("Making index %q unique fails: the table holds duplicate values", [c.index]), c)
}

warn contains f if {
	some c in lib.of_kind("modify_index")
	not c.old.unique
	c.new.unique
	not fact(c, "duplicates") == true
	f := lib.finding("MF102", "warning", sprintf("Making index %q unique fails if duplicates exist", [c.index]), c)
}

not_null_without_default(c) if {
	c.kind == "add_column"
	c.new.null == false
	not c.new.default
	not c.new.generated
	not c.new.identity
	not c.new.auto_increment
}

deny contains f if {
	some c in lib.of_kind("add_column")
	not_null_without_default(c)
	input.engine != "mysql"
	lib.rows(c) > 0
	f := lib.finding("MF103", "error", sprintf("Adding NOT NULL column %q without a default to %q fails: the table has about %d rows", [c.column, c.table, lib.rows(c)]), c)
}

warn contains f if {
	some c in lib.of_kind("add_column")
	not_null_without_default(c)
	input.engine != "mysql"
	lib.rows(c) <= 0
	f := lib.finding("MF103", "warning", sprintf("Adding NOT NULL column %q without a default to %q fails if the table has rows", [c.column, c.table]), c)
}

made_not_null(c) if {
	c.kind == "modify_column"
	"null" in c.changed
	c.old.null == true
	c.new.null == false
}

deny contains f if {
	some c in lib.of_kind("modify_column")
	made_not_null(c)
	fact(c, "has_nulls") == true
	f := lib.finding("MF104", "error", sprintf("Making %q.%q NOT NULL fails: it holds NULLs", [c.table, c.column]), c)
}

warn contains f if {
	some c in lib.of_kind("modify_column")
	made_not_null(c)
	not fact(c, "has_nulls") == true
	f := lib.finding("MF104", "warning", sprintf("Making %q.%q NOT NULL fails if it holds NULLs", [c.table, c.column]), c)
}

# MF105 (schemagate): a shorter character type truncates or fails on longer values.
narrowed(c) if {
	c.kind == "modify_column"
	"type" in c.changed
	c.new.length
	not c.old.length
	c.old.type in {"text", "character varying", "longtext", "mediumtext"}
}

narrowed(c) if {
	c.kind == "modify_column"
	"type" in c.changed
	c.new.length < c.old.length
}

deny contains f if {
	some c in lib.of_kind("modify_column")
	narrowed(c)
	fact(c, "too_long") == true
	f := lib.finding("MF105", "error", sprintf("Changing %q.%q to %s fails or truncates: some values are longer than %d", [c.table, c.column, c.new.type, c.new.length]), c)
}

warn contains f if {
	some c in lib.of_kind("modify_column")
	narrowed(c)
	not fact(c, "too_long") == true
	f := lib.finding("MF105", "warning", sprintf("Changing %q.%q to %s fails or truncates values longer than %d", [c.table, c.column, c.new.type, c.new.length]), c)
}
