#!/usr/bin/env bash
# Static checks, run by `make test` and `make lint`:
#   staticcheck,
#   errcheck     (non-test code; scripts/lint/errcheck.exclude lists the calls
#                whose errors are idiomatically ignored) and
#   gocyclo      (cyclomatic complexity over 30), each compared with its
#                baseline: the findings that existed when the check was
#                introduced are listed in scripts/lint/*.baseline and
#                tolerated; any other finding fails. Fixing a listed one is welcome: run
#                scripts/lint.sh --update to shrink the baseline (never to
#                grow it for new code).
# The tools are pinned and run with `go run` (fetched through the module proxy
# on first use, then from the build cache).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2
ERRCHECK=github.com/kisielk/errcheck@v1.9.0
GOCYCLO=github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0
base=scripts/lint

update=0
if [ "${1:-}" = "--update" ]; then
  update=1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# errcheck prints "file:line:col:<TAB>call"; a finding is keyed by its file
# and call text, so that edits elsewhere in the file do not move it.
set +e
go run "$ERRCHECK" -ignoretests -exclude "$base/errcheck.exclude" ./... >"$tmp/errcheck.raw" 2>"$tmp/errcheck.err"
status=$?
set -e
if [ "$status" -gt 1 ] || grep -qv '^exit status' "$tmp/errcheck.err"; then
  echo "lint: errcheck did not run (exit $status):" >&2
  cat "$tmp/errcheck.err" >&2
  exit 1
fi
sed -E 's/^([^:]+):[0-9]+:[0-9]+:\t/\1\t/' "$tmp/errcheck.raw" | LC_ALL=C sort >"$tmp/errcheck"

# gocyclo prints "score package function file:line:col"; keyed by package,
# function and file.
set +e
go run "$GOCYCLO" -over 30 . >"$tmp/gocyclo.raw" 2>"$tmp/gocyclo.err"
status=$?
set -e
if [ "$status" -gt 1 ] || grep -qv '^exit status' "$tmp/gocyclo.err"; then
  echo "lint: gocyclo did not run (exit $status):" >&2
  cat "$tmp/gocyclo.err" >&2
  exit 1
fi
awk '{ sub(/:[0-9]+:[0-9]+$/, "", $4); print $2 " " $3 " " $4 }' "$tmp/gocyclo.raw" | LC_ALL=C sort >"$tmp/gocyclo"

# staticcheck prints "file:line:col: message (CODE)"; keyed by file and
# message.
set +e
go run "$STATICCHECK" ./... >"$tmp/staticcheck.raw" 2>"$tmp/staticcheck.err"
status=$?
set -e
if [ "$status" -gt 1 ] || grep -qv '^exit status' "$tmp/staticcheck.err"; then
  echo "lint: staticcheck did not run (exit $status):" >&2
  cat "$tmp/staticcheck.raw" "$tmp/staticcheck.err" >&2
  exit 1
fi
sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1\t/' "$tmp/staticcheck.raw" | LC_ALL=C sort >"$tmp/staticcheck"

checks="errcheck gocyclo staticcheck"
if [ "$update" = 1 ]; then
  for c in $checks; do
    cp "$tmp/$c" "$base/$c.baseline"
    echo "lint: $base/$c.baseline: $(wc -l <"$base/$c.baseline") entries"
  done
  exit 0
fi

fail=0
# comm treats repeated lines as a multiset: a second ignored error of the
# same call in the same file is new.
for c in $checks; do
  LC_ALL=C comm -23 "$tmp/$c" "$base/$c.baseline" >"$tmp/$c.new"
  if [ -s "$tmp/$c.new" ]; then
    case $c in
      errcheck) echo "lint: errcheck — errors ignored in new code (check them, or say why with an explicit _ =):" >&2 ;;
      gocyclo) echo "lint: gocyclo — functions over 30 that are not in the baseline (split them):" >&2 ;;
      staticcheck) echo "lint: staticcheck — new findings:" >&2 ;;
    esac
    sed 's/^/  /' "$tmp/$c.new" >&2
    fail=1
  fi
done
gone=0
for c in $checks; do
  gone=$(( gone + $(LC_ALL=C comm -13 "$tmp/$c" "$base/$c.baseline" | wc -l) ))
done
if [ "$gone" -gt 0 ]; then
  echo "lint: $gone baseline entries are fixed; scripts/lint.sh --update shrinks the baselines"
fi
if [ "$fail" != 0 ]; then
  exit 1
fi
echo "lint: ok (staticcheck, errcheck and gocyclo within their baselines: $(cat "$base"/*.baseline | wc -l) listed findings)"
