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

test_bc103_regenerated_column_moves_on_postgres if {
	some f in incompatible.warn with input as {"engine": "postgres", "changes": [regenerated]}
	f.code == "BC103"
}

test_bc103_not_on_mysql if {
	count(incompatible.warn) == 0 with input as {"engine": "mysql", "changes": [regenerated]}
}

test_bc103_not_when_the_expression_goes if {
	c := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "b", "changed": ["generated"], "old": {"generated": "a * 2"}, "new": {}}
	count(incompatible.warn) == 0 with input as {"engine": "postgres", "changes": [c]}
}

regenerated := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "b", "changed": ["generated"], "old": {"generated": "a * 2"}, "new": {"generated": "a * 3"}}
