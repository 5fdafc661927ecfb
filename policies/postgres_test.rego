package schemagate.rules.postgres_test

import data.schemagate.rules.postgres
import rego.v1

test_pg101_plain_index if {
	c := {"id": 1, "kind": "add_index", "schema": "public", "table": "t", "index": "i", "statements": ["CREATE INDEX \"i\" ON \"public\".\"t\" (\"a\")"]}
	some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}
	f.code == "PG101"
}

test_pg101_concurrent_is_fine if {
	c := {"id": 1, "kind": "add_index", "schema": "public", "table": "t", "index": "i", "statements": ["CREATE INDEX CONCURRENTLY \"i\" ON \"t\" (\"a\")"]}
	count(postgres.warn) == 0 with input as {"engine": "postgres", "changes": [c]}
}

test_pg301_rewrite if {
	c := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "a", "changed": ["type"], "old": {"type": "integer"}, "new": {"type": "bigint"}}
	some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}
	f.code == "PG301"
}

test_varchar_widening_does_not_rewrite if {
	c := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "a", "changed": ["type"], "old": {"type": "character varying", "length": 10}, "new": {"type": "character varying", "length": 20}}
	count(postgres.warn) == 0 with input as {"engine": "postgres", "changes": [c]}
}

test_pg302_volatile_default if {
	c := {"id": 1, "kind": "add_column", "schema": "public", "table": "t", "column": "u", "new": {"type": "uuid", "null": false, "default": "gen_random_uuid()"}}
	some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}
	f.code == "PG302"
}

test_pg_rules_only_on_postgres if {
	c := {"id": 1, "kind": "add_index", "schema": "s", "table": "t", "index": "i", "statements": ["CREATE INDEX i ON t (a)"]}
	count(postgres.warn) == 0 with input as {"engine": "mysql", "changes": [c]}
}

test_pg306_fk if {
	c := {"id": 1, "kind": "add_foreign_key", "schema": "public", "table": "t", "constraint": "fk", "statements": ["ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)"]}
	some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}
	f.code == "PG306"
}

test_pg303_silent_when_the_plan_sets_not_null_through_a_validated_check if {
	c := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "a", "changed": ["null"], "new": {"null": false}, "traffic": [{"lock": "ACCESS EXCLUSIVE", "blocks": "reads_and_writes", "work": "catalog"}, {"lock": "SHARE UPDATE EXCLUSIVE", "blocks": "nothing", "work": "scan"}]}
	count([f | some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}; f.code == "PG303"]) == 0
}

test_pg303_warns_when_the_plan_scans_under_access_exclusive if {
	c := {"id": 1, "kind": "modify_column", "schema": "public", "table": "t", "column": "a", "changed": ["null"], "new": {"null": false}, "traffic": [{"lock": "ACCESS EXCLUSIVE", "blocks": "reads_and_writes", "work": "scan"}]}
	some f in postgres.warn with input as {"engine": "postgres", "changes": [c]}
	f.code == "PG303"
}
