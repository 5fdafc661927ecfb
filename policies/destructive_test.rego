package schemagate.rules.destructive_test

import data.schemagate.rules.destructive
import rego.v1

drop_col := {"id": 1, "kind": "drop_column", "schema": "public", "table": "users", "column": "created_at", "old": {"type": "timestamp"}}

test_drop_column_denied if {
	some f in destructive.deny with input as {"changes": [drop_col], "facts": {"tables": {}}}
	f.code == "DS103"
	f.target == "public.users.created_at"
}

test_drop_generated_column_allowed if {
	c := object.union(drop_col, {"old": {"type": "int", "generated": "a + 1"}})
	count(destructive.deny) == 0 with input as {"changes": [c], "facts": {"tables": {}}}
}

test_drop_table_mentions_rows if {
	c := {"id": 2, "kind": "drop_table", "schema": "public", "table": "pets"}
	some f in destructive.deny with input as {"changes": [c], "facts": {"tables": {"public.pets": {"rows": 12}}}}
	f.code == "DS102"
	contains(f.msg, "about 12 rows")
}

test_drop_schema_denied if {
	some f in destructive.deny with input as {"changes": [{"id": 3, "kind": "drop_schema", "schema": "old"}], "facts": {"tables": {}}}
	f.code == "DS101"
}

test_add_column_not_denied if {
	count(destructive.deny) == 0 with input as {"changes": [{"id": 4, "kind": "add_column", "schema": "public", "table": "t", "column": "c"}], "facts": {"tables": {}}}
}

test_ds110_first_run_drop_of_unmanaged_index if {
	c := {"id": 0, "kind": "drop_index", "schema": "public", "table": "t", "index": "legacy_idx"}
	some f in destructive.deny with input as {"changes": [c], "facts": {"first_run": true}}
	f.code == "DS110"
}

test_ds110_not_after_the_first_run if {
	c := {"id": 0, "kind": "drop_index", "schema": "public", "table": "t", "index": "legacy_idx"}
	count(destructive.deny) == 0 with input as {"changes": [c], "facts": {"first_run": false}}
}

to_generated := {"id": 4, "kind": "modify_column", "schema": "public", "table": "g", "column": "c", "changed": ["generated"], "old": {"type": "integer"}, "new": {"type": "integer", "generated": "a + b"}}

test_column_made_generated_denied_with_rows if {
	some f in destructive.deny with input as {"changes": [to_generated], "facts": {"tables": {"public.g": {"rows": 4}}}}
	f.code == "DS104"
	contains(f.msg, "about 4 rows")
}

test_new_expression_of_a_generated_column_allowed if {
	c := object.union(to_generated, {"old": {"type": "integer", "generated": "a"}})
	count(destructive.deny) == 0 with input as {"changes": [c], "facts": {"tables": {}}}
}

test_ds105_type_losing_a_field_denied if {
	c := {"id": 5, "kind": "modify_composite", "schema": "public", "name": "address", "target": "public.address", "destructive": true, "old": {"type": "composite"}, "new": {"type": "composite"}}
	some f in destructive.deny with input as {"changes": [c], "facts": {"tables": {}}}
	f.code == "DS105"
	contains(f.msg, "composite")
}

test_ds105_type_gaining_a_field_allowed if {
	c := {"id": 5, "kind": "modify_composite", "schema": "public", "name": "address", "target": "public.address", "destructive": false, "old": {"type": "composite"}, "new": {"type": "composite"}}
	count(destructive.deny) == 0 with input as {"changes": [c], "facts": {"tables": {}}}
}
