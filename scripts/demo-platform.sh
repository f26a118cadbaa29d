# Sourced by the real-window scripts: a seeded platformd on a free loopback
# port in a temporary folder, stopped (with anything else added to pids)
# when the script exits. Sets work, pids and url; takes the password as $1.
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bin/platformd seed --db "$work/platform.db" --media "$work/media" --demo --password "$1" > "$work/accounts.txt"
bin/platformd serve --db "$work/platform.db" --listen 127.0.0.1:0 --media "$work/media" > "$work/platformd.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[0-9.:]*' "$work/platformd.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "platformd did not start" >&2; cat "$work/platformd.log" >&2; exit 1; }
