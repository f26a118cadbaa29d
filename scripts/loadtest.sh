#!/usr/bin/env bash
# A load test on this machine: builds platformd and sdload, makes a fresh
# platform database with USERS load accounts, serves it on a free loopback
# port, runs sdload against it (its RSS and CPU watched) and prints sdload's
# report, which ends with the platform's peak RSS and the exactly-once check.
#
#   scripts/loadtest.sh USERS [sdload flags…]
#   scripts/loadtest.sh 1000 --duration 30s --pull-every 0 --push-every 0 --photo-every 0
#
# PLATFORMD=path runs another platformd binary (an older build, for an A/B);
# PLATFORMD_FLAGS adds serve flags; KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
users=${1:?usage: scripts/loadtest.sh USERS [sdload flags…]}
shift
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

go build -o "$work/platformd" ./cmd/platformd
go build -o "$work/sdload" ./cmd/sdload
server=${PLATFORMD:-$work/platformd}
password=load-test-pass
echo "$password" | "$work/platformd" user bulk --db "$work/p.db" --prefix load --count "$users" --bcrypt-cost 4 >&2

# Listen on port 0 and read the address from the first line of stdout.
mkfifo "$work/out"
# shellcheck disable=SC2086
"$server" serve --db "$work/p.db" --media "$work/media" --listen 127.0.0.1:0 --log-level error ${PLATFORMD_FLAGS:-} \
  >"$work/out" 2>"$work/serve.log" &
pid=$!
exec 3<"$work/out"
read -r line <&3
addr=${line#listening on }
cat <&3 >/dev/null &
echo "platformd $pid at $addr; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$work/sdload" --target "$addr" --users "$users" --password "$password" \
  --verify-db "$work/p.db" --watch-pid "$pid" "$@"
