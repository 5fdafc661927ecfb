# Lossy type changes (schemagate; LS = "lossy"): a column's new type cannot hold every value of
# the old one — a narrower integer, fewer integer or fractional digits, a smaller float, a date
# instead of a timestamp, fewer fractional seconds, text parsed as a number. Rust classifies the
# change (c.lossy: reason, probe) and, with the target reachable, counts the rows whose value the
# change alters (c.facts.changed_rows) or finds a value that does not convert at all
# (c.facts.conversion_fails). Character length narrowing is MF105.
package schemagate.rules.lossy

import data.schemagate.lib
import rego.v1

# LS101: values would change or fail to convert — proven on the target.
deny contains {"code": "LS101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	c.lossy
	c.facts.changed_rows > 0
	msg := sprintf("Changing %q.%q from %s to %s alters %d value(s): %s", [c.table, c.column, c.old.type, c.new.type, c.facts.changed_rows, c.lossy.reason])
}

deny contains {"code": "LS101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	c.lossy
	c.facts.conversion_fails == true
	msg := sprintf("Changing %q.%q from %s to %s fails: some values do not convert (%s)", [c.table, c.column, c.old.type, c.new.type, c.lossy.reason])
}

# LS101 as a warning: the change can lose values, and the target did not prove that none are.
warn contains {"code": "LS101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	c.lossy
	not c.facts.changed_rows > 0
	not c.facts.conversion_fails == true
	not c.facts.changed_rows == 0
	msg := sprintf("Changing %q.%q from %s to %s can lose %s", [c.table, c.column, c.old.type, c.new.type, c.lossy.reason])
}

