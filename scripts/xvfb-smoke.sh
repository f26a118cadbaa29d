#!/usr/bin/env bash
# The real binary in a real window: a seeded platformd on loopback, the CLI
# signs in as cw01, the GUI starts under Xvfb, we wait for its window and
# its first sync, take a screenshot (build/smoke/streetdesk.png) and check
# that it is neither blank nor missing its Chinese text.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${XVFB_INNER:-}" ]; then
  mkdir -p build/smoke
  exec xvfb-run -a -s '-screen 0 1280x800x24' env XVFB_INNER=1 "$0" "$@"
fi

out=build/smoke
pw=smoke-pass-1
. scripts/demo-platform.sh "$pw"

export STREETDESK_NO_KEYRING=1 LANG=zh_CN.UTF-8 LANGUAGE=zh_CN
export XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
printf '%s\n' "$pw" | bin/streetdesk --data "$work/app" login --server "$url" --user cw01 --password-stdin
bin/streetdesk --data "$work/app" sync --once || echo "smoke: first sync reported a problem (continuing)"

start=$(date +%s.%N)
bin/streetdesk --data "$work/app" > "$work/app.log" 2>&1 &
app=$!
pids+=($app)
wid=""
for _ in $(seq 1 300); do
  wid="$(xdotool search --onlyvisible --name 'StreetDesk' 2>/dev/null | head -1 || true)"
  [ -n "$wid" ] && break
  if ! kill -0 "$app" 2>/dev/null; then
    echo "smoke: the app exited before showing a window:" >&2; cat "$work/app.log" >&2; exit 1
  fi
  sleep 0.1
done
[ -n "$wid" ] || { echo "smoke: no window within 30 s" >&2; cat "$work/app.log" >&2; exit 1; }
echo "smoke: window $wid after $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"

# Let the queue fill and render, then take the shot.
sleep 3
import -window root "$out/streetdesk.png"
echo "smoke: screenshot $out/streetdesk.png"

# 1. Not blank: real variation and many colours.
sd=$(convert "$out/streetdesk.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
colors=$(convert "$out/streetdesk.png" -format '%k' info:)
echo "smoke: grey stddev=$sd colours=$colors"
awk -v sd="$sd" 'BEGIN{exit !(sd > 0.05)}' || { echo "smoke: the window looks blank" >&2; exit 1; }
[ "$colors" -gt 30 ] || { echo "smoke: too few colours ($colors): blank window?" >&2; exit 1; }

# 2. Chinese text: a fixed Chinese label (the search box hint) must look like
# the reference crop taken from a good run, not like boxes or nothing (missing
# glyphs render as hollow boxes, which differ strongly from the reference).

./scripts/check-cjk.sh "$out/streetdesk.png"

# 3. Open the first order of the queue: the detail pane must fill in.
xdotool mousemove --window "$wid" 200 275 click 1
sleep 1.5
import -window root "$out/detail.png"
right=$(convert "$out/detail.png" -crop 760x600+500+100 +repage -colorspace Gray -format '%[fx:standard_deviation]' info:)
echo "smoke: detail pane stddev=$right ($out/detail.png)"
awk -v v="$right" 'BEGIN{exit !(v > 0.08)}' || { echo "smoke: clicking an order did not show its detail" >&2; exit 1; }
echo "smoke: ok"
