#!/usr/bin/env bash
# Side-by-side measurements on this machine, in one run (numbers go to BENCHMARKS.md):
#   1. inspect of a synthetic N-table PostgreSQL schema: schemagate vs the same catalog
#      queries through psql (benches/pg_catalog_baseline.sql);
#   2. plan URL-to-URL on two such databases: schemagate vs migra (PyPI, in a temp venv;
#      skipped with a message when it cannot be installed);
#   3. plan from HCL with 1% of the tables changed, disposable database included;
#   4. how soon ephemeral://postgres is ready (first start, then from the cached template);
#   5. the in-process stages (HCL decode, diff + DDL, lint of 10,000 changes; cargo bench).
# usage: benches/compare.sh [N=1000] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-5}
PG=${SG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
base=${PG%/*}
A=sg_bench_a; B=sg_bench_b
cargo build --release --quiet
SG=./target/release/schemagate
work=$(mktemp -d); trap 'rm -rf "$work"; psql "$PG" -qc "DROP DATABASE IF EXISTS $A" -c "DROP DATABASE IF EXISTS $B" >/dev/null 2>&1 || true' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
time_runs() { # time_runs CMD... → median seconds over RUNS
  for _ in $(seq 1 "$RUNS"); do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}

stages() { # one more run with SCHEMAGATE_TIMINGS: where the time goes, and its peak memory
  echo "  stages of one run:"
  if [ -x /usr/bin/time ]; then
    SCHEMAGATE_TIMINGS=1 /usr/bin/time -f 'peak RSS %M KB' "$@" 2>&1 >/dev/null | sed -n 's/^timing: /    /p; s/^peak RSS/    peak RSS/p'
  else
    SCHEMAGATE_TIMINGS=1 "$@" 2>&1 >/dev/null | sed -n 's/^timing: /    /p'
  fi
}

echo "== generating $N tables (deterministic) and loading them into $A and $B (1% changed)"
python3 benches/gen_schema.py "$N" > "$work/a.sql"
python3 benches/gen_schema.py "$N" --change 1 > "$work/b.sql"
psql "$PG" -qc "DROP DATABASE IF EXISTS $A" -c "DROP DATABASE IF EXISTS $B" -c "CREATE DATABASE $A" -c "CREATE DATABASE $B" >/dev/null
# One statement per transaction, none waiting for its WAL to reach disk (10,000 tables in one
# transaction would run out of lock slots; with a flush per statement the load takes minutes).
export PGOPTIONS="-c synchronous_commit=off"
psql "$base/$A" -q -v ON_ERROR_STOP=1 -f "$work/a.sql" >/dev/null
psql "$base/$B" -q -v ON_ERROR_STOP=1 -f "$work/b.sql" >/dev/null
unset PGOPTIONS

echo "== 1. inspect ($N tables), median of $RUNS"
t_psql=$(time_runs psql "$base/$A" -q -f benches/pg_catalog_baseline.sql)
t_sg=$(time_runs $SG inspect -u "$base/$A" --format json)
printf 'psql catalog queries: %.3f s\nschemagate inspect:   %.3f s\nratio (schemagate/psql): %.2f\n' "$t_psql" "$t_sg" "$(echo "$t_sg / $t_psql" | bc -l)"

echo "== 2. plan URL → URL"
t_plan=$(time_runs $SG plan -u "$base/$A" --to "$base/$B" --dev-url "$PG")
printf 'schemagate plan (rehearsed): %.3f s\n' "$t_plan"
stages "$SG" plan -u "$base/$A" --to "$base/$B" --dev-url "$PG"
# SQLAlchemy 2 (what migra pulls in) no longer accepts `postgres://`, and `postgresql://` means
# psycopg 3 there; name the driver migra is installed with.
mbase=${base/#postgres:\/\//postgresql+psycopg2://}
if python3 -m venv "$work/venv" >/dev/null 2>&1 && "$work/venv/bin/pip" install -q migra 'sqlbag' psycopg2-binary setuptools >/dev/null 2>&1; then
  # migra exits 2 when it found differences, 0 when none; anything else is a failure.
  set +e; "$work/venv/bin/migra" --unsafe "$mbase/$A" "$mbase/$B" > "$work/migra.sql" 2> "$work/migra.err"; rc=$?; set -e
  if [ "$rc" -le 2 ] && [ -s "$work/migra.sql" ]; then
    t_migra=$(time_runs "$work/venv/bin/migra" --unsafe "$mbase/$A" "$mbase/$B")
    printf 'migra (%s statements):        %.3f s\nratio (migra/schemagate): %.1f\n' "$(grep -c ';' "$work/migra.sql")" "$t_migra" "$(echo "$t_migra / $t_plan" | bc -l)"
  else
    echo "migra: installed but failed (exit $rc): $(tail -n 1 "$work/migra.err")"
  fi
else
  echo "migra: not measured (could not install it from PyPI here)"
fi

echo "== 3. plan from HCL, 1% of tables changed, disposable database included"
# The HCL a team keeps: what `schemagate inspect` prints, with a column added to every 100th table.
$SG inspect -u "$base/$A" > "$work/a.hcl"
python3 - "$work/a.hcl" "$work/b.hcl" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
def add(m):
    n = int(m.group(1))
    extra = '  column "added" {\n    null = true\n    type = text\n  }\n' if n % 100 == 0 else ''
    return m.group(0) + extra
out = re.sub(r'table "t(\d{5})" \{\n  schema = schema.public\n', add, src)
open(sys.argv[2], "w").write(out)
PY
t_hcl=$(time_runs $SG plan -u "$base/$A" --to "file://$work/b.hcl" --dev-url "$PG")
printf 'schemagate plan (HCL, normalized + rehearsed): %.3f s\n' "$t_hcl"
stages "$SG" plan -u "$base/$A" --to "file://$work/b.hcl" --dev-url "$PG"
$SG plan -u "$base/$A" --to "file://$work/b.hcl" --dev-url "$PG" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("changes:", len(d["changes"]), "statements:", len(d["statements"]), "verified:", d["verified"])'

echo "== 4. ephemeral://postgres ready (a private server from the local binaries, template cached)"
if [ -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)/postgres" ]; then
  # A cache of its own, so that the first start builds the template (root uses TMPDIR; the
  # server runs as postgres, which must be able to enter it: mktemp -d makes it 0700).
  mkdir -p "$work/eph" && chmod 755 "$work" "$work/eph"
  for run in first again again; do
    t=$(XDG_CACHE_HOME="$work/eph" TMPDIR="$work/eph" SCHEMAGATE_TIMINGS=1 $SG plan -u "$base/$A" --to "file://$work/b.hcl" --dev-url ephemeral://postgres 2>&1 >/dev/null | sed -n 's/^timing: ephemeral:\/\/postgres ready //p')
    echo "  $run: $t"
  done
else
  echo "  not measured: no PostgreSQL server binaries under /usr/lib/postgresql"
fi

echo "== 5. in-process stages (cargo bench --bench stages)"
cargo bench --quiet --bench stages 2>/dev/null | sed 's/^/  /'
