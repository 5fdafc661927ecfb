package schemagate.rules.naming_test

import data.schemagate.rules.naming
import rego.v1

test_off_by_default if {
	c := {"id": 1, "kind": "add_table", "schema": "public", "table": "BadName"}
	count(naming.warn) == 0 with input as {"changes": [c]}
}

test_configured if {
	c := {"id": 1, "kind": "add_table", "schema": "public", "table": "BadName"}
	some f in naming.warn with input as {"changes": [c]} with data.schemagate.config.naming as {"match": "^[a-z_]+$"}
	f.code == "NM102"
}
