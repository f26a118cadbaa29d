#!/usr/bin/env bash
# check-cjk.sh SHOT.png — a fixed Chinese label of the main window (the
# search box hint 搜索工单号、诉求人、地址、备注…) must appear in the top-left of the
# screenshot looking like the reference crop (testdata/smoke/cjk-ref.png, taken
# from a good run on this kind of machine). The label is searched for, so
# layout shifts above it do not matter. Missing CJK glyphs render as boxes or
# nothing, which match the reference far worse than the limit.
# STREETDESK_CJK_REF=update rewrites the reference from SHOT at the geometry
# in testdata/smoke/cjk-geometry.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
shot="$1"
ref=testdata/smoke/cjk-ref.png
dir="$(dirname "$shot")"
if [ "${STREETDESK_CJK_REF:-}" = update ]; then
  convert "$shot" -crop "$(cat testdata/smoke/cjk-geometry.txt)" +repage "$ref"
  echo "check-cjk: reference updated from $shot"; exit 0
fi
convert "$shot" -crop 520x320+0+0 +repage "$dir/cjk-area.png"
# compare prints "abs (normalised) @ x,y" and exits 1 when not identical.
res=$(compare -metric RMSE -subimage-search "$dir/cjk-area.png" "$ref" "$dir/cjk-match.png" 2>&1 || true)
rmse=$(printf '%s' "$res" | sed -nE 's/.*\(([0-9.e+-]+)\).*/\1/p' | head -1)
where=$(printf '%s' "$res" | sed -nE 's/.*@ *([0-9]+,[0-9]+).*/\1/p' | head -1)
[ -n "$rmse" ] || { echo "check-cjk: compare failed: $res" >&2; exit 1; }
echo "check-cjk: best match of the Chinese label at $where, rmse=$rmse (limit 0.08)"
awk -v v="$rmse" 'BEGIN{exit !(v < 0.08)}' || { echo "check-cjk: the Chinese label does not render like the reference ($ref); see $shot" >&2; exit 1; }
