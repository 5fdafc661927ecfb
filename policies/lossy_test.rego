package schemagate.rules.lossy_test

import data.schemagate.rules.lossy
import rego.v1

narrow := {"id": 1, "kind": "modify_column", "schema": "public", "table": "prices", "column": "amount", "changed": ["type"], "old": {"type": "numeric(10,2)"}, "new": {"type": "integer"}, "lossy": {"reason": "fractional digits (values are rounded)", "probe": "x"}}

doc(facts) := {"engine": "postgres", "changes": [narrow], "facts": {"tables": {}, "changes": {"1": facts}}}

test_ls101_warns_without_facts if {
	some f in lossy.warn with input as doc({})
	f.code == "LS101"
	count(lossy.deny) == 0 with input as doc({})
}

test_ls101_denies_when_values_change if {
	some f in lossy.deny with input as doc({"changed_rows": 3})
	f.code == "LS101"
	contains(f.msg, "alters 3 value(s)")
}

test_ls101_denies_when_values_do_not_convert if {
	some f in lossy.deny with input as doc({"conversion_fails": true})
	contains(f.msg, "do not convert")
}

test_ls101_silent_when_the_target_proves_no_loss if {
	count(lossy.deny) == 0 with input as doc({"changed_rows": 0})
	count(lossy.warn) == 0 with input as doc({"changed_rows": 0})
}

test_ls101_ignores_lossless_changes if {
	c := object.remove(narrow, ["lossy"])
	count(lossy.warn) == 0 with input as {"engine": "postgres", "changes": [c], "facts": {"tables": {}, "changes": {}}}
}
