#!/usr/bin/env bash
# `make run`: a local platformd on loopback with seeded demo data, and the
# app signed in as a demo caseworker. The platform stops when the window closes.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "make run: no display found (DISPLAY and WAYLAND_DISPLAY are empty)." >&2
  echo "StreetDesk is a desktop app and needs a graphical session; on a server, use the" >&2
  echo "command line instead (bin/streetdesk --help), or try: xvfb-run -a make run" >&2
  exit 1
fi

demo="${STREETDESK_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/streetdesk-demo}"
user="${STREETDESK_DEMO_USER:-cw01}"
listen="${STREETDESK_DEMO_LISTEN:-127.0.0.1:8420}"
mkdir -p "$demo"
chmod 700 "$demo"

if [ ! -s "$demo/password" ]; then
  head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 12 > "$demo/password"
  chmod 600 "$demo/password"
fi
pw="$(cat "$demo/password")"

if [ ! -f "$demo/platform.db" ]; then
  echo "seeding the demo platform in $demo …"
  bin/platformd seed --db "$demo/platform.db" --media "$demo/media" --demo --password "$pw" > "$demo/accounts.txt"
fi
echo "demo accounts (password: $pw):"
sed 's/^/  /' "$demo/accounts.txt" | head -40

log="$demo/platformd.log"
bin/platformd serve --db "$demo/platform.db" --listen "$listen" --media "$demo/media" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT INT TERM

url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "platformd did not start:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done
[ -n "$url" ] || { echo "platformd did not report its address" >&2; exit 1; }
echo "platform at $url (log: $log)"

export STREETDESK_NO_KEYRING="${STREETDESK_NO_KEYRING:-1}"
printf '%s\n' "$pw" | bin/streetdesk --data "$demo/app" login --server "$url" --user "$user" --password-stdin
bin/streetdesk --data "$demo/app"
