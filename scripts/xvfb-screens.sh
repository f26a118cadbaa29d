#!/usr/bin/env bash
# The real window on the small screens of office laptops, 1366×768 and
# 1024×768: the window must open inside the screen, and with an order open
# its action buttons (办结) and the sync bar's 立即同步 must be on screen.
# The buttons are found by sub-image search of reference crops taken from a
# good run (testdata/smoke/button-*.png) in the screenshot's bottom and top
# strips, so a button cut off by the screen's edge is not found. Then the
# window is moved and resized, the app quits and starts again: the window
# must reopen where it was.
# Screenshots: build/smoke/screen-WxH.png.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/smoke
mkdir -p "$out"

if [ "${1:-}" = --inner ]; then
  size=$2 data=$3
  sw=${size%x*} sh=${size#*x}
  bin/streetdesk --data "$data" > "$out/screen-$size.log" 2>&1 &
  app=$!
  trap 'kill $app 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  wid=""
  for _ in $(seq 1 300); do
    wid="$(xdotool search --onlyvisible --name 'StreetDesk' 2>/dev/null | head -1 || true)"
    [ -n "$wid" ] && break
    kill -0 "$app" 2>/dev/null || { echo "screens $size: the app exited" >&2; cat "$out/screen-$size.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$wid" ] || { echo "screens $size: no window within 30 s" >&2; exit 1; }
  sleep 2
  eval "$(xdotool getwindowgeometry --shell "$wid")"
  echo "screens $size: window ${WIDTH}x${HEIGHT} at $X,$Y"
  if [ $((X + WIDTH)) -gt "$sw" ] || [ $((Y + HEIGHT)) -gt "$sh" ]; then
    echo "screens $size: the window (${WIDTH}x${HEIGHT} at $X,$Y) does not fit the screen" >&2; exit 1
  fi
  # From the keyboard alone: Ctrl+F, Tab to the state filter, → → 办理中;
  # Ctrl+F again and ↓ opens the first order in progress (no click whose
  # place would follow the layout).
  xdotool mousemove --window "$wid" 5 "$((sh - 5))" key --window "$wid" ctrl+f
  sleep 0.3
  xdotool key --window "$wid" --delay 150 Tab Right Right
  sleep 1.5
  xdotool key --window "$wid" --delay 150 ctrl+f Down
  sleep 1.5
  shot="$out/screen-$size.png"
  import -window root "$shot"
  find() { # find NAME REF CROP LIMIT
    convert "$shot" -crop "$3" +repage "$out/strip-$size-$1.png"
    res=$(compare -metric RMSE -dissimilarity-threshold 1 -subimage-search "$out/strip-$size-$1.png" "$2" null: 2>&1 || true)
    rmse=$(printf '%s' "$res" | sed -nE 's/.*\(([0-9.e+-]+)\).*/\1/p' | head -1)
    where=$(printf '%s' "$res" | sed -nE 's/.*@ *([0-9]+,[0-9]+).*/\1/p' | head -1)
    [ -n "$rmse" ] || { echo "screens $size: compare failed: $res" >&2; exit 1; }
    echo "screens $size: $1 best match at $where in $3, rmse=$rmse (limit $4)"
    awk -v v="$rmse" -v l="$4" 'BEGIN{exit !(v < l)}' || { echo "screens $size: $1 is not on screen; see $shot" >&2; exit 1; }
  }
  find resolve testdata/smoke/button-resolve.png "${sw}x110+0+$((sh - 110))" 0.06
  find sync testdata/smoke/button-sync.png "${sw}x48+0+0" 0.06

  # The user moves and resizes the window and quits; the next start opens
  # it where it was.
  xdotool windowsize "$wid" 900 600 windowmove "$wid" 40 30
  sleep 7 # the app notes its window's place every 3 s: two chances, even under load
  kill "$app"; wait "$app" 2>/dev/null || true
  bin/streetdesk --data "$data" >> "$out/screen-$size.log" 2>&1 &
  app=$!
  wid=""
  for _ in $(seq 1 300); do
    wid="$(xdotool search --onlyvisible --name 'StreetDesk' 2>/dev/null | head -1 || true)"
    [ -n "$wid" ] && break
    sleep 0.1
  done
  [ -n "$wid" ] || { echo "screens $size: no window on the second start" >&2; exit 1; }
  # The window manager-less Xvfb may map it before its size and place are
  # applied: give it up to 10 s to settle there.
  for _ in $(seq 1 50); do
    sleep 0.2
    eval "$(xdotool getwindowgeometry --shell "$wid")"
    [ "$WIDTH" = 900 ] && [ "$HEIGHT" = 600 ] && [ "$X" = 40 ] && [ "$Y" = 30 ] && break
  done
  echo "screens $size: second start: window ${WIDTH}x${HEIGHT} at $X,$Y"
  [ "$WIDTH" = 900 ] && [ "$HEIGHT" = 600 ] && [ "$X" = 40 ] && [ "$Y" = 30 ] ||
    { echo "screens $size: the window did not reopen where it was left (900x600 at 40,30)" >&2; exit 1; }
  exit 0
fi

pw=screens-pass-1
. scripts/demo-platform.sh "$pw"
export STREETDESK_NO_KEYRING=1 LANG=zh_CN.UTF-8 LANGUAGE=zh_CN
export XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
for size in 1366x768 1024x768; do
  data="$work/app-$size" # a first start: no remembered window
  printf '%s\n' "$pw" | bin/streetdesk --data "$data" login --server "$url" --user cw01 --password-stdin > /dev/null
  bin/streetdesk --data "$data" sync --once > /dev/null
  [ -n "$(bin/streetdesk --data "$data" orders --status accepted --limit 1)" ] || { echo "screens: cw01 has no order in progress" >&2; exit 1; }
  xvfb-run -a -s "-screen 0 ${size}x24" "$0" --inner "$size" "$data"
done
echo "screens: ok"
