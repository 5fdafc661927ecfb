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

# LS102: a regular column becomes generated — its stored values are replaced by computed ones
# (PostgreSQL and MariaDB replace the column; SQLite rebuilds the table without them). The
# expression is the pull request's and is never run on the target, so this stays a warning,
# with the table's row count.
warn contains {"code": "LS102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_column")
	"generated" in c.changed
	c.new.generated
	not c.old.generated
	msg := sprintf("Making %q.%q a generated column replaces the stored values of %s row(s) with computed ones", [c.table, c.column, rows_text(c.rows)])
}

rows_text(n) := "an unknown number of" if n < 0

rows_text(n) := sprintf("%d", [n]) if n >= 0
