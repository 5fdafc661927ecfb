package schemagate.rules.condrop_test

import data.schemagate.rules.condrop
import rego.v1

test_cd101 if {
	c := {"id": 1, "kind": "drop_foreign_key", "schema": "public", "table": "orders", "constraint": "orders_user_fk"}
	some f in condrop.warn with input as {"changes": [c]}
	f.code == "CD101"
}

test_replaced_fk_is_not_a_drop if {
	c := {"id": 1, "kind": "drop_foreign_key", "schema": "public", "table": "orders", "constraint": "orders_user_fk", "replaced": true}
	count(condrop.warn) == 0 with input as {"changes": [c]}
}
