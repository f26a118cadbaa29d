#!/usr/bin/env bash
# StreetDesk's sync beside the peer (PouchDB 9 ↔ express-pouchdb, from
# ../shared/peerbench) and the raw SQLite floor, interleaved in one window:
# each round runs the peer (gzip on, then off), StreetDesk's sync benchmarks
# (first sync of orders-10k, nothing new, push of 1,000, the raw upsert floor)
# and the real `streetdesk sync --once` under /usr/bin/time -v (peak RSS), so
# every side sees the same load. It prints each round and then the ratio
# table with ranges (markdown, for docs/benchmarks.md).
#
#   scripts/bench-vs-peer.sh [ROUNDS]        (default 3; ~2–3 min a round)
#
# PEERBENCH=DIR names the peer's folder (default: ../shared/peerbench beside
# the repository); it is copied to a temporary folder first, as its README
# asks (npm ci needs the npm registry). BENCHTIME (default 5x) is go test's
# -benchtime for StreetDesk's benchmarks.
set -euo pipefail

rounds=${1:-3}
benchtime=${BENCHTIME:-5x}
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$PATH:/usr/local/go/bin

peer=${PEERBENCH:-}
if [ -z "$peer" ]; then
  for d in "$root/../shared/peerbench" "$root/../../shared/peerbench"; do
    if [ -d "$d" ]; then peer=$(cd "$d" && pwd); break; fi
  done
fi
[ -n "$peer" ] && [ -d "$peer" ] || { echo "peer benchmark not found: set PEERBENCH=DIR" >&2; exit 1; }
for tool in node npm python3 go; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-peer.XXXXXX")
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), node $(node --version); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "# preparing the peer in $work/peerbench (npm ci) and building StreetDesk" >&2
cp -r "$peer" "$work/peerbench"
chmod -R u+w "$work/peerbench"
(cd "$work/peerbench/pouch" && npm ci --no-audit --no-fund >/dev/null 2>&1 && node gen.js >/dev/null)
(cd "$root" && go test -c -o "$work/sync.test" ./sync && go build -o "$work/platformd" ./cmd/platformd && go build -o "$work/streetdesk" ./cmd/streetdesk)

# A real platformd holding orders-10k for cw01, for the RSS of the real client.
"$work/platformd" seed --db "$work/p.db" --demo --password bench-pass --orders 1 \
  --bench "$root/testdata/bench/orders-10k.jsonl.gz" --assignee cw01 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/platformd" serve --db "$work/p.db" --listen "127.0.0.1:$port" --media "$work/media" >"$work/serve.log" 2>&1 &
srv_pid=$!
for _ in $(seq 50); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then break; fi
  sleep 0.2
done

out="$work/results"
mkdir -p "$out"
for r in $(seq "$rounds"); do
  echo "## round $r/$rounds, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  cut -d' ' -f1 /proc/loadavg >"$out/load-$r-start"
  (cd "$work/peerbench/pouch" && node bench.js --runs 1 --json "$out/peer-gzip-$r.json" >/dev/null 2>"$out/peer-gzip-$r.log")
  (cd "$work/peerbench/pouch" && node bench.js --runs 1 --no-compression --json "$out/peer-plain-$r.json" >/dev/null 2>"$out/peer-plain-$r.log")
  (cd "$root/sync" && "$work/sync.test" -test.run '^$' -test.benchtime "$benchtime" \
    -test.bench 'BenchmarkFirstSync10k$|BenchmarkSyncNothingNew$|BenchmarkPush1000$|BenchmarkRawUpsert10k/fresh$' >"$out/ours-$r.txt")
  d="$work/desk-$r"
  echo bench-pass | "$work/streetdesk" --data "$d" login --server "http://127.0.0.1:$port" --user cw01 --password-stdin >/dev/null
  /usr/bin/time -v "$work/streetdesk" --data "$d" sync --once >/dev/null 2>"$out/rss-$r.txt"
  cut -d' ' -f1 /proc/loadavg >"$out/load-$r-end"
  grep -h '^Benchmark' "$out/ours-$r.txt" >&2
done

python3 - "$out" "$rounds" "$benchtime" <<'EOF'
import json, re, sys
out, rounds = sys.argv[1], int(sys.argv[2])

def rng(xs, fmt):
    return fmt(min(xs)) if min(xs) == max(xs) else fmt(min(xs)) + "–" + fmt(max(xs))

ms0 = lambda v: f"{v:,.0f}"
ms1 = lambda v: f"{v:,.1f}"
ratio = lambda v: f"{v:.1f}×"
rows = {k: [] for k in ("peer_first", "peer_first_cfg", "peer_none", "peer_push", "peer_rss",
                        "first", "first_cpu", "none", "none_cpu", "push", "push_cpu", "floor", "floor_cpu", "rss", "rss_cpu", "load")}
for r in range(1, rounds + 1):
    peer = {c: json.load(open(f"{out}/peer-{c}-{r}.json")) for c in ("gzip", "plain")}
    batches = {"(a)": "default batches", "(a')": "batch 500"}
    firsts = [(p["measures"][k]["median_ms"], c + ", " + b) for c, p in peer.items() for k, b in batches.items()]
    best = min(firsts)
    rows["peer_first"].append(best[0]); rows["peer_first_cfg"].append(best[1])
    rows["peer_none"].append(min(p["measures"]["(b)"]["median_ms"] for p in peer.values()))
    rows["peer_push"].append(min(p["measures"]["(c)"]["median_ms"] for p in peer.values()))
    rows["peer_rss"].append(min(p["peak_rss_mb"]["client"] for p in peer.values()))
    ours = {}
    for line in open(f"{out}/ours-{r}.txt"):
        m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+(\d+) ns/op(.*)", line)
        if m:
            cpu = re.search(r"([\d.]+) cpu-ms/op", m.group(3))
            ours[m.group(1)] = (int(m.group(2)) / 1e6, float(cpu.group(1)) if cpu else 0)
    for key, name in (("first", "FirstSync10k"), ("none", "SyncNothingNew"), ("push", "Push1000"), ("floor", "RawUpsert10k/fresh")):
        rows[key].append(ours[name][0]); rows[key + "_cpu"].append(ours[name][1])
    tv = open(f"{out}/rss-{r}.txt").read()
    rows["rss"].append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv).group(1)) / 1024)
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", tv).group(1))
    sysm = float(re.search(r"System time \(seconds\): ([\d.]+)", tv).group(1))
    rows["rss_cpu"].append((user + sysm) * 1000)
    rows["load"] += [float(open(f"{out}/load-{r}-{w}").read()) for w in ("start", "end")]

per = lambda a, b: [x / y for x, y in zip(rows[a], rows[b])]
print(f"{rounds} rounds, interleaved (peer gzip, peer without gzip, StreetDesk, streetdesk sync --once); "
      f"load average {rng(rows['load'], ms1)}; StreetDesk: go test -benchtime {sys.argv[3]} (the mean) per round; peer: one run per configuration per round")
print()
print("| measure | PouchDB, best configuration | StreetDesk | peer ÷ StreetDesk (per round) | goal |")
print("|---|---:|---:|---:|---|")
print(f"| first pull/sync of the 10,000 orders | {rng(rows['peer_first'], ms0)} ms ({', '.join(sorted(set(rows['peer_first_cfg'])))}) | "
      f"{rng(rows['first'], ms0)} ms ({rng(rows['first_cpu'], ms0)} ms CPU) | {rng(per('peer_first', 'first'), ratio)} | ≥ 5× |")
print(f"| nothing new | {rng(rows['peer_none'], ms1)} ms | {rng(rows['none'], ms1)} ms ({rng(rows['none_cpu'], ms1)} ms CPU) | "
      f"{rng(per('peer_none', 'none'), ratio)} | ≥ 5× |")
print(f"| push 1,000 edits | {rng(rows['peer_push'], ms0)} ms | {rng(rows['push'], ms0)} ms ({rng(rows['push_cpu'], ms0)} ms CPU) | "
      f"{rng(per('peer_push', 'push'), ratio)} | ≥ 5× |")
print(f"| client peak RSS, first sync | {rng(rows['peer_rss'], ms0)} MB | {rng(rows['rss'], ms1)} MB (`streetdesk sync --once`, {rng(rows['rss_cpu'], ms0)} ms CPU) | "
      f"{rng(per('peer_rss', 'rss'), ratio)} | ≤ 60 MB |")
print(f"| raw SQLite upsert of the 10,000 rows (floor) | – | {rng(rows['floor'], ms0)} ms ({rng(rows['floor_cpu'], ms0)} ms CPU) | "
      f"first sync = {rng(per('first', 'floor'), ratio)} the floor (CPU: {rng(per('first_cpu', 'floor_cpu'), ratio)}) | ≤ 3× |")
EOF
