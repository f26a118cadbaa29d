#!/usr/bin/env bash
# Peak resident memory (RSS) of the real desk process during a first sync:
# a real platformd holding orders-10k for cw01 on 127.0.0.1, and for each
# run a fresh profile that signs in and runs `streetdesk sync --once` under
# /usr/bin/time -v. RSS is the whole process (Go heap, SQLite's page caches,
# mapped database pages, the program's own code), not the Go heap.
#
#   scripts/sync-rss.sh [ROUNDS] [STREETDESK_BINARY...]
#
# ROUNDS (default 3) rounds; each round runs every binary once, in turn, so
# an A/B sees the same load (default: streetdesk built from this tree). Per
# run it prints the peak RSS (time -v's "Maximum resident set size"), the
# CPU time (user + system), the wall time and, sampled from /proc every
# 10 ms, the peaks of RssAnon (heap: Go's and SQLite's) and RssFile (code
# and mapped database pages); then the ranges per binary.
set -euo pipefail

rounds=${1:-3}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin
for tool in python3 go; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sync-rss.XXXXXX")
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bins=("$@")
(cd "$root" && go build -o "$work/platformd" ./cmd/platformd)
if [ ${#bins[@]} -eq 0 ]; then
  (cd "$root" && go build -o "$work/streetdesk" ./cmd/streetdesk)
  bins=("$work/streetdesk")
fi

"$work/platformd" seed --db "$work/p.db" --demo --password bench-pass --orders 1 \
  --bench "$root/testdata/bench/orders-10k.jsonl.gz" --assignee cw01 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/platformd" serve --db "$work/p.db" --listen "127.0.0.1:$port" --media "$work/media" >"$work/serve.log" 2>&1 &
srv_pid=$!
for _ in $(seq 50); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then break; fi
  sleep 0.2
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); orders-10k, streetdesk sync --once on a fresh profile"
n=0
for r in $(seq "$rounds"); do
  for i in "${!bins[@]}"; do
    n=$((n + 1))
    d="$work/desk-$n"
    echo bench-pass | "${bins[$i]}" --data "$d" login --server "http://127.0.0.1:$port" --user cw01 --password-stdin >/dev/null
    python3 - "$work/run-$i-$r" "${bins[$i]}" "$d" <<'EOF'
import os, subprocess, sys, time
out, binary, data = sys.argv[1:4]
p = subprocess.Popen(["/usr/bin/time", "-v", binary, "--data", data, "sync", "--once"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
child, peak = None, {"RssAnon": 0, "RssFile": 0}
start = time.monotonic()
while p.poll() is None:
    try:
        if child is None:
            kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
            child = kids[0] if kids else None
        if child:
            for line in open(f"/proc/{child}/status"):
                k = line.split(":")[0]
                if k in peak:
                    peak[k] = max(peak[k], int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
    time.sleep(0.01)
wall = time.monotonic() - start
err = p.stderr.read()
if p.returncode != 0:
    sys.exit(f"sync --once failed:\n{err}")
v = {}
for line in err.splitlines():
    k, _, val = line.strip().rpartition(": ")
    v[k] = val
rss = int(v["Maximum resident set size (kbytes)"]) / 1024
cpu = (float(v["User time (seconds)"]) + float(v["System time (seconds)"])) * 1000
open(out, "w").write(f"{rss} {cpu} {wall * 1000} {peak['RssAnon'] / 1024} {peak['RssFile'] / 1024}\n")
EOF
    read -r rss cpu wall anon file <"$work/run-$i-$r"
    printf '%-40s round %d: peak RSS %6.1f MB  CPU %5.0f ms  wall %5.0f ms  (sampled peaks: anon %5.1f MB, file %5.1f MB)  load %s\n' \
      "$(basename "${bins[$i]}")" "$r" "$rss" "$cpu" "$wall" "$anon" "$file" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!bins[@]}"; do
  cat "$work"/run-"$i"-* | python3 -c '
import sys
rows = [list(map(float, l.split())) for l in sys.stdin]
def r(k, d):
    lo, hi = min(x[k] for x in rows), max(x[k] for x in rows)
    return f"{lo:.{d}f}" if lo == hi else f"{lo:.{d}f}–{hi:.{d}f}"
print(f"{sys.argv[1]}: peak RSS {r(0, 1)} MB, CPU {r(1, 0)} ms, wall {r(2, 0)} ms, sampled anon {r(3, 1)} MB, file {r(4, 1)} MB ({len(rows)} runs)")
' "$(basename "${bins[$i]}")"
done
