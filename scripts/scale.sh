#!/usr/bin/env bash
# The runs behind docs/scale.md: SQLite × 1 instance, PostgreSQL × 1 and
# PostgreSQL × 2 (HAProxy) at 300 and 3,000 desks with the target mix
# (together 1,111 pulls/s and 100 pushes/s asked for), then saturated
# pulls, then pull-only and push-only runs for the cost curve. Each run is
# cmd/sdload's TestScale harness (real platformd processes, a durable
# PostgreSQL cluster of its own); one JSON line per run goes to OUT.
# A desk gets 12 orders before the run (100 pushes/s for 5 minutes use
# about 2,700: with 2 the desks ran out of work after 30–40 s), 2 at 3,000
# desks (a tenth of the push rate each; dispatching 36,000 costs minutes).
#
#   scripts/scale.sh [OUT] [DURATION]     (default scale-runs.jsonl, 1m)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
out=${1:-scale-runs.jsonl}
dur=${2:-1m}
run() { # setup users args…
  local setup=$1 users=$2
  shift 2
  echo "== $setup $users desks: $*; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  STREETDESK_SCALE=$setup SCALE_USERS=$users SCALE_ARGS="--duration $dur --photo-every 0 --orders-per-desk 12 --dispatch-every 10m $*" \
    go test -count=1 -run '^TestScale$' -v -timeout 30m ./cmd/sdload/ 2>&1 |
    sed -n 's/^.*SCALE {/{/p' | tee -a "$out"
}
for setup in ${SETUPS:-sqlite pg pg2}; do
  run "$setup" 300 --pull-every 270ms --push-every 3s
  run "$setup" 3000 --pull-every 2.7s --push-every 30s --orders-per-desk 2
  run "$setup" 300 --pull-every 0 --push-every 3s
done
for setup in ${COST_SETUPS:-sqlite pg2}; do
  run "$setup" 300 --pull-every 0 --push-every 0
  run "$setup" 300 --pull-every 1m --push-every 100ms
done
