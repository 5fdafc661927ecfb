package schemagate.rules.security_test

import data.schemagate.rules.security
import rego.v1

test_sc101_dropped_policy if {
	c := {"id": 0, "kind": "drop_policy", "schema": "public", "table": "docs", "policy": "owner_read"}
	some f in security.deny with input as {"changes": [c]}
	f.code == "SC101"
	f.target == "public.docs owner_read"
}

test_recreated_policy_is_not_a_drop if {
	c := {"id": 0, "kind": "drop_policy", "schema": "public", "table": "docs", "policy": "owner_read", "replaced": true}
	count(security.deny) == 0 with input as {"changes": [c]}
}

test_sc102_disabling_rls_with_policies if {
	c := {"id": 0, "kind": "modify_row_security", "schema": "public", "table": "docs", "old": {"enabled": true, "forced": false}, "new": {"enabled": false, "forced": false}, "policies": ["owner_read"]}
	some f in security.deny with input as {"changes": [c]}
	f.code == "SC102"
}

test_disabling_rls_without_policies_is_fine if {
	c := {"id": 0, "kind": "modify_row_security", "schema": "public", "table": "docs", "old": {"enabled": true, "forced": false}, "new": {"enabled": false, "forced": false}, "policies": []}
	count(security.deny) == 0 with input as {"changes": [c]}
}

test_sc103_revoking_privileges_warns if {
	c := {"id": 0, "kind": "revoke", "schema": "public", "object": "public.orders", "grantee": "PUBLIC", "privileges": ["SELECT"], "option_only": false}
	some f in security.warn with input as {"changes": [c]}
	f.code == "SC103"
	contains(f.msg, "SELECT on public.orders from PUBLIC")
	f.target == "public.orders"
}

test_sc103_default_privileges if {
	c := {"id": 0, "kind": "revoke_default_privileges", "schema": "public", "on": "TABLES", "grantee": "reader", "privileges": ["SELECT"], "option_only": true}
	some f in security.warn with input as {"changes": [c]}
	contains(f.msg, "the right to grant SELECT on new tables in public from reader")
}

test_granting_is_quiet if {
	c := {"id": 0, "kind": "grant", "schema": "public", "object": "public.orders", "grantee": "app", "privileges": ["SELECT"], "grantable": false}
	count(security.warn) == 0 with input as {"changes": [c]}
}
