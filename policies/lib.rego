# Helpers shared by the rule families: how a change names its target.
package schemagate.lib

import rego.v1

# "schema.table", "schema.table.column", "schema.table index_name", …
target(c) := c.object if {
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

finding(code, severity, msg, c) := {
	"code": code,
	"severity": severity,
	"msg": msg,
	"target": target(c),
	"change": c.id,
}

# Row count estimate of the change's table; -1 when unknown.
rows(c) := n if {
	n := input.facts.tables[sprintf("%s.%s", [c.schema, c.table])].rows
} else := -1

# The changes of one kind. schemagate passes `input.kinds` (kind → change ids), so a rule reads
# only the changes it is about instead of scanning all of them; without it (hand-written test
# inputs), the changes are filtered here.
of_kind(kind) := cs if {
	input.kinds
	cs := [input.changes[i] | some i in object.get(input.kinds, kind, [])]
} else := [c | some c in input.changes; c.kind == kind]
