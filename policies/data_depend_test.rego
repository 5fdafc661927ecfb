package schemagate.rules.data_depend_test

import data.schemagate.rules.data_depend
import rego.v1

add_nn := {"id": 1, "kind": "add_column", "schema": "public", "table": "users", "column": "age", "new": {"type": "integer", "null": false}}

test_mf103_warns_on_empty_table if {
	some f in data_depend.warn with input as {"engine": "postgres", "changes": [add_nn], "facts": {"tables": {"public.users": {"rows": 0}}, "changes": {}}}
	f.code == "MF103"
	count(data_depend.deny) == 0 with input as {"engine": "postgres", "changes": [add_nn], "facts": {"tables": {"public.users": {"rows": 0}}, "changes": {}}}
}

test_mf103_denies_with_rows if {
	some f in data_depend.deny with input as {"engine": "postgres", "changes": [add_nn], "facts": {"tables": {"public.users": {"rows": 3}}, "changes": {}}}
	f.code == "MF103"
}

test_mf103_not_with_default if {
	c := object.union(add_nn, {"new": {"type": "integer", "null": false, "default": "0"}})
	count(data_depend.deny) == 0 with input as {"engine": "postgres", "changes": [c], "facts": {"tables": {"public.users": {"rows": 3}}, "changes": {}}}
}

uniq := {"id": 2, "kind": "add_index", "schema": "public", "table": "users", "index": "users_email_key", "new": {"unique": true}}

test_mf101_deny_on_duplicates if {
	some f in data_depend.deny with input as {"engine": "postgres", "changes": [uniq], "facts": {"tables": {}, "changes": {"2": {"duplicates": true}}}}
	f.code == "MF101"
}

test_mf101_warn_without_facts if {
	some f in data_depend.warn with input as {"engine": "postgres", "changes": [uniq], "facts": {"tables": {}, "changes": {}}}
	f.code == "MF101"
}

nn := {"id": 3, "kind": "modify_column", "schema": "public", "table": "users", "column": "name", "changed": ["null"], "old": {"null": true}, "new": {"null": false}}

test_mf104_deny_on_nulls if {
	some f in data_depend.deny with input as {"engine": "postgres", "changes": [nn], "facts": {"tables": {}, "changes": {"3": {"has_nulls": true}}}}
	f.code == "MF104"
}

test_mf104_warn_otherwise if {
	some f in data_depend.warn with input as {"engine": "postgres", "changes": [nn], "facts": {"tables": {}, "changes": {"3": {"has_nulls": false}}}}
	f.code == "MF104"
}

narrow := {"id": 4, "kind": "modify_column", "schema": "public", "table": "users", "column": "name", "changed": ["type"], "old": {"type": "character varying", "length": 255}, "new": {"type": "character varying", "length": 32}}

test_mf105_deny_when_values_too_long if {
	some f in data_depend.deny with input as {"engine": "postgres", "changes": [narrow], "facts": {"tables": {}, "changes": {"4": {"too_long": true}}}}
	f.code == "MF105"
}

test_widening_is_fine if {
	c := object.union(narrow, {"new": {"type": "character varying", "length": 300}})
	count(data_depend.warn) == 0 with input as {"engine": "postgres", "changes": [c], "facts": {"tables": {}, "changes": {}}}
}
