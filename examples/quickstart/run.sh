#!/usr/bin/env bash
# The quickstart on SQLite: no database server needed. Creates the users table (v1), plans and
# applies v2 (two new columns), shows that re-planning is empty, then shows what going back to
# v1 would do. Run from anywhere: bash examples/quickstart/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
cargo build --quiet
sg() { ./target/debug/schemagate "$@"; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/quickstart.db"

echo "### 1. apply v1 (creates users)"
sg apply -u "$db" --to "file://$here/v1/schema.hcl" --auto-approve
echo
echo "### 2. plan v2 (adds created_at and last_login)"
sg plan -u "$db" --to "file://$here/v2/schema.hcl"
echo
echo "### 3. apply v2"
sg apply -u "$db" --to "file://$here/v2/schema.hcl" --auto-approve
echo
echo "### 4. plan v2 again: nothing left to do"
sg plan -u "$db" --to "file://$here/v2/schema.hcl"
echo
echo "### 5. plan going back to v1: two DROP COLUMNs, denied by the default policy (DS103, exit 3)"
sg plan -u "$db" --to "file://$here/v1/schema.hcl" || echo "(exit $?: the rollback would drop data; see docs/policies.md for how to allow it)"
