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
	"LS": "lossy",
	"BC": "incompatible",
	"CD": "condrop",
	"PG": "concurrent_index",
	"MY": "mysql",
	"LT": "sqlite",
	"NM": "naming",
	"SC": "security",
}

covers(codes, code) if count(codes) == 0
covers(codes, code) if code in codes
covers(codes, code) if family[substring(code, 0, 2)] in codes

# The object a nolint names, or any object it contains.
applies(path, target) if path == target
applies(path, target) if startswith(target, concat("", [path, "."]))
applies(path, target) if startswith(target, concat("", [path, " "]))

# One reason per finding, the first that applies: a nolint comment, an allow list, the label,
# the run's --allow-destructive.
reasons[key] := reason if {
	some f in input.findings
	key := sprintf("%s|%s", [f.code, f.target])
	reason := first_reason(f)
}

first_reason(f) := r if {
	r := nolint_reason(f)
} else := r if {
	r := allow_reason(f)
} else := r if {
	r := label_reason(f)
} else := r if {
	r := flag_reason(f)
}

nolint_reason(f) := sprintf("nolint comment on %s", [paths[0]]) if {
	paths := [path | some path, codes in input.overrides.nolint; applies(path, f.target); covers(codes, f.code)]
	count(paths) > 0
}

short(target) := concat(".", array.slice(split(target, "."), 1, 99))

allow_list := {"DS103": object.get(data.schemagate.config, "allow_drop_column", []), "DS102": object.get(data.schemagate.config, "allow_drop_table", [])}

allow_reason(f) := sprintf("%s lists %s", [list_name[f.code], hits[0]]) if {
	hits := [a | some a in allow_list[f.code]; a in {f.target, short(f.target)}]
	count(hits) > 0
}

list_name := {"DS103": "allow_drop_column", "DS102": "allow_drop_table"}

label_reason(f) := sprintf("pull request label %q", [label]) if {
	startswith(f.code, "DS")
	label := input.overrides.allow_destructive_label
	label in input.labels
}

flag_reason(f) := "--allow-destructive (this run)" if {
	startswith(f.code, "DS")
	input.overrides.allow_destructive == true
}
