#!/usr/bin/env bash
# The single-desk sync benchmarks (first sync of orders-10k, nothing new,
# push of 1,000) against the platform on SQLite and on PostgreSQL, taking
# turns so both see the same machine: ROUNDS rounds (default 3) of one run
# each. PostgreSQL is a throwaway durable cluster (fsync and synchronous
# commit on, as SQLite runs with synchronous=FULL). cpu-ms/op counts the
# test process and, on PostgreSQL, the server's processes.
#   BENCHTIME=5x scripts/bench-stores.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
rounds=${1:-3}
benchtime=${BENCHTIME:-5x}
out=$(mktemp -d)
go test -c -o "$out/sync.test" ./sync
cd sync
for r in $(seq "$rounds"); do
  for db in sqlite postgres; do
    echo "== round $r: $db (load $(cut -d' ' -f1-3 /proc/loadavg))"
    env STREETDESK_TEST_DB="$([ $db = postgres ] && echo postgres || true)" STREETDESK_TEST_PG_DURABLE=1 \
      "$out/sync.test" -test.run '^$' -test.bench 'BenchmarkFirstSync10k$|BenchmarkSyncNothingNew$|BenchmarkPush1000$' \
      -test.benchmem -test.benchtime "$benchtime" 2>&1 | grep -E '^Benchmark|pgtest|FAIL|panic' | sed "s/^/$db /" || true
  done
done
rm -rf "$out"
