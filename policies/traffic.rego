# Traffic (LK = "lock"): a statement that holds up the application for longer than a deploy
# should. Every planned statement carries what it does to traffic (c.traffic, one entry per
# statement of the change): `lock` (PostgreSQL's lock mode; MySQL's algorithm), `blocks`
# ("nothing", "writes", "reads_and_writes"), `work` ("catalog", "scan", "rewrite") and, where
# the target's statistics could be read, `estimate` {rows, bytes, seconds}.
#
# The size limit is 1 GB unless policy data sets `schemagate.limits.blocking_bytes`
# (`--policy-data limits.json` with {"schemagate": {"limits": {"blocking_bytes": 5e8}}}).
package schemagate.rules.traffic

import data.schemagate.lib
import rego.v1

limit := object.get(data, ["schemagate", "limits", "blocking_bytes"], 1000000000)

gb(bytes) := bytes / 1000000000.0

# LK101: reads and writes wait while a table over the limit is scanned or rewritten.
deny contains {"code": "LK101", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.changes
	some t in c.traffic
	t.blocks == "reads_and_writes"
	t.work != "catalog"
	t.estimate.bytes > limit
	msg := sprintf("%s takes %s on %s (%.1f GB) and blocks reads and writes for its %s, about %.0f s", [c.kind, t.lock, t.table, gb(t.estimate.bytes), t.work, t.estimate.seconds / 1.0])
}

# LK102: writes wait while a table over the limit is scanned or rewritten (reads go on).
warn contains {"code": "LK102", "target": c.target, "change": c.id, "msg": msg} if {
	some c in lib.changes
	some t in c.traffic
	t.blocks == "writes"
	t.work != "catalog"
	t.estimate.bytes > limit
	msg := sprintf("%s takes %s on %s (%.1f GB) and blocks writes for its %s, about %.0f s", [c.kind, t.lock, t.table, gb(t.estimate.bytes), t.work, t.estimate.seconds / 1.0])
}
