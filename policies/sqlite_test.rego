package schemagate.rules.sqlite_test

import data.schemagate.rules.sqlite
import rego.v1

test_lt101 if {
	c := {"id": 1, "kind": "modify_column", "schema": "main", "table": "t", "column": "c", "changed": ["null"], "old": {"null": true}, "new": {"null": false}}
	some f in sqlite.warn with input as {"engine": "sqlite", "changes": [c]}
	f.code == "LT101"
}
