# Row-level security: a table's policies decide who sees which rows. Removing one, or switching
# RLS off on a table that has policies, silently widens access — denied unless overridden.
package schemagate.rules.security

import data.schemagate.lib
import rego.v1

deny contains f if {
	some c in lib.of_kind("drop_policy")
	not c.replaced
	f := lib.finding("SC101", "error", sprintf("Dropping row-level security policy %q of table %q widens who can read or write its rows", [c.policy, c.table]), c)
}

deny contains f if {
	some c in lib.of_kind("modify_row_security")
	c.old.enabled
	not c.new.enabled
	count(c.policies) > 0
	f := lib.finding("SC102", "error", sprintf("Disabling row-level security on %q turns off its %d policies: every role with table privileges sees every row", [c.table, count(c.policies)]), c)
}
