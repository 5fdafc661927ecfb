# Helpers shared by the rule families: the changes of a kind, and how a change names its target.
#
# Speed: regorus spends several microseconds on each function call, and a plan of 10,000 changes
# makes tens of thousands of them. So schemagate computes what every finding needs once, in Rust,
# and puts it on each change — `target`, `rows` (-1 when unknown) and `facts` (the change's entry
# of `input.facts.changes`, {} when none) — and the built-in rules read those fields and build
# their finding objects in the rule head instead of calling helpers. For inputs written by hand
# (policy tests), `of_kind` and `changes` add the same fields.
package schemagate.lib

import rego.v1

# The changes of one kind. schemagate passes `input.kinds` (kind → change ids), so a rule reads
# only the changes it is about instead of scanning all of them.
of_kind(kind) := cs if {
	input.kinds
	cs := [input.changes[i] | some i in object.get(input.kinds, kind, [])]
} else := [with_facts(c) | some c in input.changes; c.kind == kind]

# Every change, with the fields above.
changes := input.changes if {
	input.kinds
} else := [with_facts(c) | some c in input.changes]

# A change written by hand, with what schemagate adds to it.
with_facts(c) := object.union(c, object.union({"rows": rows(c), "facts": facts(c)}, {"target": t | t := target(c)}))

# "schema.table", "schema.table.column", "schema.table index_name", … (schemagate computes the
# same in Rust: lint::target).
target(c) := c.target if {
	c.target
} else := c.object if {
	c.object
} else := t if {
	c.column
	t := sprintf("%s.%s.%s", [c.schema, c.table, c.column])
} else := t if {
	c.index
	t := sprintf("%s.%s %s", [c.schema, c.table, c.index])
} else := t if {
	c.constraint
	t := sprintf("%s.%s %s", [c.schema, c.table, c.constraint])
} else := t if {
	c.policy
	t := sprintf("%s.%s %s", [c.schema, c.table, c.policy])
} else := t if {
	c.table
	t := sprintf("%s.%s", [c.schema, c.table])
} else := t if {
	c.name
	t := sprintf("%s.%s", [c.schema, c.name])
} else := c.schema

# A finding about change `c` (for your own policies; the built-in rules write the same object in
# their heads, leaving `severity` to the rule: deny = error, warn = warning).
finding(code, severity, msg, c) := {
	"code": code,
	"severity": severity,
	"msg": msg,
	"target": target(c),
	"change": c.id,
}

# Row count estimate of the change's table; -1 when unknown.
rows(c) := c.rows if {
	c.rows
} else := n if {
	n := input.facts.tables[sprintf("%s.%s", [c.schema, c.table])].rows
} else := -1

# The facts gathered about the change from the target (`has_nulls`, `duplicates`, `too_long`);
# {} when none.
facts(c) := c.facts if {
	c.facts
} else := f if {
	f := input.facts.changes[sprintf("%d", [c.id])]
} else := {}

# One fact; undefined when not gathered. (Two steps: regorus builds, and throws away, an error
# for an index into a computed value such as `facts(c)[name]`.)
fact(c, name) := v if {
	f := facts(c)
	v := f[name]
}
