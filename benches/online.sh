#!/usr/bin/env bash
# Production keeps running: a table of SCALE×100,000 rows (pgbench_accounts) under a steady
# read/write workload while `schemagate apply` adds an index, a foreign key, a NOT NULL
# constraint and a check. The same change is applied twice, from the same starting point:
#   naive   SCHEMAGATE_ONLINE=false (every statement in the one transaction)
#   online  the default plan (CONCURRENTLY, NOT VALID + VALIDATE, SET NOT NULL via a check)
# and the longest stall any client saw during apply is reported for each (pgbench's
# per-transaction log). A third run holds a long transaction on the table: apply must give up
# within its lock timeout, and readers must never wait longer than that.
#
#   bash benches/online.sh [SCALE] [CLIENTS]      (defaults 20 → 2M rows, 4 clients)
# Needs: pgbench, psql, a PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432),
# a release or debug build of schemagate ($SCHEMAGATE, default target/release/schemagate).
set -euo pipefail
SCALE=${1:-20}
CLIENTS=${2:-4}
BASE=${PGURL:-postgres://postgres@127.0.0.1:5432}
BIN=${SCHEMAGATE:-target/release/schemagate}
DB=sg_bench_online
URL="$BASE/$DB"
DEV="$BASE/postgres"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql -q "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set SCHEMAGATE)" >&2; exit 1; }

cat > "$WORK/desired.sql" <<'SQL'
CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler character(88));
CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler character(84));
CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler character(22));
CREATE TABLE pgbench_accounts (
  aid int NOT NULL PRIMARY KEY,
  bid int NOT NULL REFERENCES pgbench_branches (bid),
  abalance int,
  filler character(84),
  CONSTRAINT accounts_balance_sane CHECK (abalance > -1000000000)
);
CREATE INDEX accounts_bid_balance ON pgbench_accounts (bid, abalance);
SQL

cat > "$WORK/workload.sql" <<'SQL'
\set aid random(1, 100000 * :scale)
BEGIN;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
END;
SQL

setup() {
  psql -q "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  pgbench -q -i -s "$SCALE" -I dtgvp "$URL" >/dev/null 2>&1
  # pgbench leaves bid nullable and without the foreign key: the plan adds both.
  psql -q "$URL" -c "VACUUM ANALYZE" >/dev/null
}

# Runs the workload for DURATION seconds, applies after a second, and prints
# "<apply seconds> <worst latency ms> <transactions>".
run() {
  local label=$1; shift
  rm -f "$WORK"/pgbench_log.*
  (cd "$WORK" && pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T 20 -s "$SCALE" -f workload.sql -l --log-prefix=pgbench_log "$URL" >/dev/null 2>&1) &
  local bench=$!
  sleep 2
  local t0=$(date +%s.%N)
  env "$@" "$BIN" apply -u "$URL" --to "file://$WORK/desired.sql" --dev-url "$DEV" --auto-approve >"$WORK/$label.out" 2>&1 || { echo "$label: apply failed" >&2; cat "$WORK/$label.out" >&2; }
  local t1=$(date +%s.%N)
  wait $bench || true
  python3 - "$WORK" "$t0" "$t1" <<'PY'
import glob, sys
work, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
worst, n, during = 0, 0, 0
for f in glob.glob(f"{work}/pgbench_log.*"):
    for line in open(f):
        p = line.split()
        # client transaction latency_us script epoch_s epoch_us
        lat_ms = int(p[2]) / 1000.0
        end = int(p[4]) + int(p[5]) / 1e6
        n += 1
        # a transaction that overlapped the apply window
        if end >= t0 and end - lat_ms / 1000.0 <= t1 + 1:
            during += 1
            worst = max(worst, lat_ms)
print(f"{t1 - t0:.2f} {worst:.0f} {n}")
PY
}

echo "== $((SCALE * 100000)) rows, $CLIENTS clients reading and updating by primary key"
setup
read -r naive_s naive_ms naive_n < <(run naive SCHEMAGATE_ONLINE=false)
setup
read -r online_s online_ms online_n < <(run online SCHEMAGATE_ONLINE=true)
printf "%-8s %10s %22s %14s\n" plan "apply (s)" "worst client stall (ms)" "transactions"
printf "%-8s %10s %22s %14s\n" naive "$naive_s" "$naive_ms" "$naive_n"
printf "%-8s %10s %22s %14s\n" online "$online_s" "$online_ms" "$online_n"

echo "== blocked by a long transaction (lock timeout 1 s, 2 retries)"
setup
psql -q "$URL" -c "ALTER TABLE pgbench_accounts ALTER COLUMN bid SET NOT NULL" >/dev/null
( printf 'BEGIN;\nSELECT abalance FROM pgbench_accounts WHERE aid = 2;\nSELECT pg_sleep(30);\n' | psql -q "$URL" >/dev/null 2>&1 ) &
holder=$!
sleep 1
python3 - "$URL" > "$WORK/readers" <<'PY' &
import subprocess, sys, time
url, worst, end = sys.argv[1], 0.0, time.time() + 12
while time.time() < end:
    t = time.time()
    subprocess.run(["psql", "-Atqc", "SELECT abalance FROM pgbench_accounts WHERE aid = 1", url], capture_output=True)
    worst = max(worst, time.time() - t)
    time.sleep(0.05)
print(f"{worst * 1000:.0f}")
PY
readers=$!
t0=$(date +%s.%N)
set +e
"$BIN" apply -u "$URL" --to "file://$WORK/desired.sql" --dev-url "$DEV" --auto-approve --ddl-lock-timeout 1s --lock-retries 2 >"$WORK/blocked.out" 2>&1
code=$?
set -e
t1=$(date +%s.%N)
wait $readers
psql -q "$URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null 2>&1 || true
kill $holder 2>/dev/null || true
printf "apply exit %s after %s s (4 = refused, nothing changed); worst reader wait %s ms (psql start-up included)\n" "$code" "$(python3 -c "print(f'{$t1 - $t0:.1f}')")" "$(cat "$WORK/readers")"
