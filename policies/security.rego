# Row-level security: a table's policies decide who sees which rows. Removing one, or switching
# RLS off on a table that has policies, silently widens access — denied unless overridden.
# Privileges: revoking them from a role (or PUBLIC) can break whatever runs as it — a warning.
package schemagate.rules.security

import data.schemagate.lib
import rego.v1

deny contains {"code": "SC101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("drop_policy")
	not c.replaced
	msg := sprintf("Dropping row-level security policy %q of table %q widens who can read or write its rows", [c.policy, c.table])
}

deny contains {"code": "SC102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.of_kind("modify_row_security")
	c.old.enabled
	not c.new.enabled
	count(c.policies) > 0
	msg := sprintf("Disabling row-level security on %q turns off its %d policies: every role with table privileges sees every row", [c.table, count(c.policies)])
}

warn contains {"code": "SC103", "target": c.target, "change": c.id, "msg": msg} if {
	some kind in ["revoke", "revoke_default_privileges"]
	some c in lib.of_kind(kind)
	what := object.get(c, "object", sprintf("new %s in %s", [lower(object.get(c, "on", "objects")), c.schema]))
	option := grant_option(c)
	msg := sprintf("Revoking %s%s on %s from %s: what runs as that role may stop working", [option, concat(", ", c.privileges), what, c.grantee])
}

grant_option(c) := "the right to grant " if {
	c.option_only == true
} else := ""
