package schemagate.rules.traffic_test

import data.schemagate.rules.traffic
import rego.v1

rewrite(bytes) := {"table": "public.events", "lock": "ACCESS EXCLUSIVE", "blocks": "reads_and_writes", "work": "rewrite", "estimate": {"rows": 1, "bytes": bytes, "seconds": bytes / 40000000}}

doc(t) := {"engine": "postgres", "changes": [{"id": 0, "kind": "modify_column", "schema": "public", "table": "events", "column": "id", "traffic": [t]}], "facts": {"tables": {}, "changes": {}}}

test_lk101_denies_a_blocking_rewrite_of_a_large_table if {
	some f in traffic.deny with input as doc(rewrite(5000000000))
	f.code == "LK101"
	contains(f.msg, "ACCESS EXCLUSIVE")
	contains(f.msg, "5.0 GB")
}

test_lk101_silent_under_the_limit if {
	count(traffic.deny) == 0 with input as doc(rewrite(500000000))
}

test_lk101_limit_from_policy_data if {
	some f in traffic.deny with input as doc(rewrite(500000000)) with data.schemagate.limits.blocking_bytes as 100000000
	f.code == "LK101"
}

test_lk101_silent_for_catalog_changes if {
	t := object.union(rewrite(5000000000), {"work": "catalog"})
	count(traffic.deny) == 0 with input as doc(t)
}

test_lk101_silent_without_an_estimate if {
	t := object.remove(rewrite(5000000000), ["estimate"])
	count(traffic.deny) == 0 with input as doc(t)
}

test_lk102_warns_when_writes_wait if {
	t := object.union(rewrite(5000000000), {"lock": "SHARE", "blocks": "writes", "work": "scan"})
	some f in traffic.warn with input as doc(t)
	f.code == "LK102"
	count(traffic.deny) == 0 with input as doc(t)
}

test_online_forms_pass if {
	t := object.union(rewrite(5000000000), {"lock": "SHARE UPDATE EXCLUSIVE", "blocks": "nothing", "work": "scan"})
	count(traffic.deny) == 0 with input as doc(t)
	count(traffic.warn) == 0 with input as doc(t)
}
