#!/usr/bin/env bash
# check-cjk.sh SHOT.png — the region of a fixed Chinese label in the main
# window must match the reference crop (testdata/smoke/cjk-ref.png, taken from
# a good run on this kind of machine) and must not be empty. Missing CJK
# glyphs (boxes) or missing text differ from it by far more than the limit.
# STREETDESK_CJK_REF=update rewrites the reference from SHOT.
set -euo pipefail
cd "$(dirname "$0")/.."
shot="$1"
geom="$(cat testdata/smoke/cjk-geometry.txt)"   # WxH+X+Y of the label
ref=testdata/smoke/cjk-ref.png
crop="$(dirname "$shot")/cjk-crop.png"
convert "$shot" -crop "$geom" +repage "$crop"
if [ "${STREETDESK_CJK_REF:-}" = update ]; then
  cp "$crop" "$ref"; echo "check-cjk: reference updated from $shot ($geom)"; exit 0
fi
ink=$(convert "$crop" -colorspace Gray -format '%[fx:standard_deviation]' info:)
awk -v v="$ink" 'BEGIN{exit !(v > 0.05)}' || { echo "check-cjk: no text in $geom (stddev $ink)" >&2; exit 1; }
# RMSE prints "abs (normalised)"; compare exits 1 when images differ at all.
rmse=$(compare -metric RMSE "$crop" "$ref" null: 2>&1 | sed -E 's/.*\(([0-9.e+-]+)\).*/\1/' || true)
echo "check-cjk: label region $geom rmse=$rmse (limit 0.08)"
awk -v v="$rmse" 'BEGIN{exit !(v < 0.08)}' || { echo "check-cjk: the Chinese label does not render like the reference ($crop vs $ref)" >&2; exit 1; }
