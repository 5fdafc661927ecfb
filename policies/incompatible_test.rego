package schemagate.rules.incompatible_test

import data.schemagate.rules.incompatible
import rego.v1

test_bc102_column_rename if {
	c := {"id": 1, "kind": "rename_column", "schema": "public", "table": "users", "column": "full_name", "old": {"name": "name"}}
	some f in incompatible.warn with input as {"changes": [c]}
	f.code == "BC102"
}

test_bc101_table_rename if {
	c := {"id": 1, "kind": "rename_table", "schema": "public", "table": "people", "old": {"name": "users"}}
	some f in incompatible.warn with input as {"changes": [c]}
	f.code == "BC101"
}
