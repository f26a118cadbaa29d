#!/usr/bin/env bash
# The test run behind `make test`: every package with the race detector, then
# the real binary in a real window under Xvfb, then the release packages
# (make package-test). Test-only config and cache
# folders keep the user's own settings out of it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# Keep the real Go build cache: the XDG_CACHE_HOME override below would
# otherwise send go to an empty one and rebuild Fyne's cgo from scratch.
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_DATA_HOME="$tmp/data"
export LANG=en_US.UTF-8
export STREETDESK_TEST_TMP="$tmp"

start=$(date +%s)
go test -race -timeout 20m -count=1 ./... 2>&1 | tee "$tmp/go-test.log"
status=${PIPESTATUS[0]}
echo "go test took $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
  exit "$status"
fi

# The platform's suite again on PostgreSQL (each test binary starts a
# throwaway cluster of its own), and the sync engine's tests against the
# real platform with it. cmd/sdload's TestFailover (two platformd on
# PostgreSQL behind HAProxy, one killed) ran in the first pass: it is on
# PostgreSQL whatever STREETDESK_TEST_DB says.
start=$(date +%s)
export STREETDESK_TEST_DB=postgres
go test -race -timeout 20m -count=1 -skip '^TestFailover$' ./platform/... ./cmd/platformd/ ./cmd/sdload/ 2>&1 | tee "$tmp/go-test-pg.log"
status=${PIPESTATUS[0]}
if [ "$status" = 0 ]; then
  go test -race -timeout 20m -count=1 \
    -run 'TestReal|TestCrashReal|TestModelReal|TestModelRestore|TestOverlayMatchesPlatform|TestConflictContract' ./sync/ 2>&1 | tee -a "$tmp/go-test-pg.log"
  status=${PIPESTATUS[0]}
fi
unset STREETDESK_TEST_DB
echo "go test on PostgreSQL took $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
  exit "$status"
fi

make --no-print-directory build
./scripts/xvfb-smoke.sh
./scripts/xvfb-screens.sh

# The release packages, built once and used the way the street office would.
start=$(date +%s)
make --no-print-directory package-test
echo "package and package-test took $(( $(date +%s) - start )) s"
