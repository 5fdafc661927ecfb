# Which findings are overridden, and by what. Rust only reports what this package decides.
# Sources: `atlas:nolint` / `schemagate:nolint` comments on the HCL block (input.overrides.nolint:
# object path → codes or analyzer names, empty = all), allow lists in data
# (data.schemagate.config.allow_drop_column / allow_drop_table: "table.column" or
# "schema.table.column"), and the pull request's allow label (input.labels).
package schemagate.overrides

import rego.v1

family := {
	"DS": "destructive",
	"MF": "data_depend",
	"BC": "incompatible",
	"CD": "condrop",
	"PG": "concurrent_index",
	"MY": "mysql",
	"LT": "sqlite",
	"NM": "naming",
}

covers(codes, code) if count(codes) == 0
covers(codes, code) if code in codes
covers(codes, code) if family[substring(code, 0, 2)] in codes

# The object a nolint names, or any object it contains.
applies(path, target) if path == target
applies(path, target) if startswith(target, concat("", [path, "."]))
applies(path, target) if startswith(target, concat("", [path, " "]))

reasons[key] := reason if {
	some f in input.findings
	key := sprintf("%s|%s", [f.code, f.target])
	some path, codes in input.overrides.nolint
	applies(path, f.target)
	covers(codes, f.code)
	reason := sprintf("nolint comment on %s", [path])
}

short(target) := concat(".", array.slice(split(target, "."), 1, 99))

reasons[key] := reason if {
	some f in input.findings
	f.code == "DS103"
	key := sprintf("%s|%s", [f.code, f.target])
	not nolinted(key)
	some allowed in data.schemagate.config.allow_drop_column
	allowed in {f.target, short(f.target)}
	reason := sprintf("allow_drop_column lists %s", [allowed])
}

reasons[key] := reason if {
	some f in input.findings
	f.code == "DS102"
	key := sprintf("%s|%s", [f.code, f.target])
	not nolinted(key)
	some allowed in data.schemagate.config.allow_drop_table
	allowed in {f.target, short(f.target)}
	reason := sprintf("allow_drop_table lists %s", [allowed])
}

reasons[key] := reason if {
	some f in input.findings
	startswith(f.code, "DS")
	key := sprintf("%s|%s", [f.code, f.target])
	not nolinted(key)
	not allow_listed(f)
	label := input.overrides.allow_destructive_label
	label in input.labels
	reason := sprintf("pull request label %q", [label])
}

nolinted(key) if {
	some f in input.findings
	key == sprintf("%s|%s", [f.code, f.target])
	some path, codes in input.overrides.nolint
	applies(path, f.target)
	covers(codes, f.code)
}

allow_listed(f) if {
	f.code == "DS103"
	some allowed in data.schemagate.config.allow_drop_column
	allowed in {f.target, short(f.target)}
}

allow_listed(f) if {
	f.code == "DS102"
	some allowed in data.schemagate.config.allow_drop_table
	allowed in {f.target, short(f.target)}
}
