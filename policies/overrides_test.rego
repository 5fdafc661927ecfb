package schemagate.overrides_test

import data.schemagate.overrides
import rego.v1

finding := {"code": "DS103", "target": "public.users.created_at", "severity": "error"}

test_nolint_on_table_covers_its_columns if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {"public.users": ["DS103"]}}, "labels": []}
	r["DS103|public.users.created_at"] == "nolint comment on public.users"
}

test_nolint_by_analyzer_name if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {"public.users.created_at": ["destructive"]}}, "labels": []}
	count(r) == 1
}

test_nolint_for_other_code_does_not_apply if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {"public.users": ["MF103"]}}, "labels": []}
	count(r) == 0
}

test_allow_list if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {}}, "labels": []}
		with data.schemagate.config.allow_drop_column as ["users.created_at"]
	r["DS103|public.users.created_at"] == "allow_drop_column lists users.created_at"
}

test_label if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {}, "allow_destructive_label": "schema:allow-destructive"}, "labels": ["schema:allow-destructive"]}
	contains(r["DS103|public.users.created_at"], "schema:allow-destructive")
}

test_label_absent if {
	r := overrides.reasons with input as {"findings": [finding], "overrides": {"nolint": {}, "allow_destructive_label": "schema:allow-destructive"}, "labels": ["other"]}
	count(r) == 0
}

test_allow_destructive_flag_covers_destructive_codes_only if {
	mf := {"code": "MF103", "target": "public.users.email", "severity": "error"}
	r := overrides.reasons with input as {"findings": [finding, mf], "overrides": {"nolint": {}, "allow_destructive": true}, "labels": []}
	r["DS103|public.users.created_at"] == "--allow-destructive (this run)"
	not r["MF103|public.users.email"]
}
