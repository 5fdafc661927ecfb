package schemagate.rules.mysql_test

import data.schemagate.rules.mysql
import rego.v1

test_my101 if {
	c := {"id": 1, "kind": "add_column", "schema": "app", "table": "t", "column": "c", "new": {"type": "int(11)", "null": false}}
	some f in mysql.warn with input as {"engine": "mysql", "changes": [c]}
	f.code == "MY101"
}

test_my101_with_default_is_fine if {
	c := {"id": 1, "kind": "add_column", "schema": "app", "table": "t", "column": "c", "new": {"type": "int(11)", "null": false, "default": "0"}}
	count(mysql.warn) == 0 with input as {"engine": "mysql", "changes": [c]}
}

test_my102_a_unique_key_that_becomes_a_hash if {
	c := {"id": 1, "kind": "modify_index", "schema": "app", "table": "t", "index": "u", "old": {"unique": true, "method": null}, "new": {"unique": true, "method": "HASH"}}
	some f in mysql.warn with input as {"engine": "mysql", "changes": [c]}
	f.code == "MY102"
}

test_my102_a_hash_key_that_stays_one_is_fine if {
	c := {"id": 1, "kind": "modify_index", "schema": "app", "table": "t", "index": "u", "old": {"unique": true, "method": "HASH"}, "new": {"unique": true, "method": "HASH", "columns": ["a"]}}
	count(mysql.warn) == 0 with input as {"engine": "mysql", "changes": [c]}
}
