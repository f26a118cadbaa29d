#!/usr/bin/env bash
# `make package-test`: the packages in dist/ (from `make package`) used the
# way a street office's IT person and its caseworkers would, each built
# artifact reused by every check:
#
#   1. sha256sum -c SHA256SUMS
#   2. a seeded platformd on loopback, publishing dist/ (--releases)
#   3. streetdesk-cli.exe under Wine: version, login, sync --once, orders --json,
#      export --format xlsx, status --json (the update check saw dist/), with
#      the data folder under C:\users\街道测试\AppData\Roaming\streetdesk
#   4. StreetDesk.exe under Wine + Xvfb: the window opens, signed in, and
#      shows the Chinese search hint (the same sub-image check as the Linux
#      smoke test)
#   5. the arm64 build under qemu-user: version, login, sync --once, orders
#   6. the amd64 .deb: dpkg -i, streetdesk version from /usr/bin, a data
#      folder made by it, dpkg -r, the data folder still there; both .debs'
#      control files (runtime dependencies only) and .desktop (街道工单)
#   7. the amd64 .tar.xz: its Makefile installs into a DESTDIR and the binary runs
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
root=$PWD
version=$(sed -nE 's/^Version *= *"([^"]+)".*/\1/p' FyneApp.toml | head -1)
dist=$root/dist
out=$root/build/package-test # screenshots and logs stay for a look afterwards
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
pids=()
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export WINEPREFIX=$work/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wineserver -k 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${deb_installed:-}" ]; then $SUDO dpkg -r streetdesk >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)
step() { echo "package-test: $* ($(( $(date +%s) - t0 )) s)"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

zip=$dist/StreetDesk-$version-windows-amd64.zip
deb_amd64=$dist/streetdesk_${version}_amd64.deb
deb_arm64=$dist/streetdesk_${version}_arm64.deb
tar_amd64=$dist/streetdesk-$version-linux-amd64.tar.xz
tar_arm64=$dist/streetdesk-$version-linux-arm64.tar.xz
for f in "$zip" "$deb_amd64" "$deb_arm64" "$tar_amd64" "$tar_arm64" "$dist/SHA256SUMS"; do
  [ -f "$f" ] || fail "missing $f (run make package)"
done

# --- 1. checksums
(cd "$dist" && sha256sum -c SHA256SUMS) || fail "SHA256SUMS does not match dist/"
[ "$(wc -l < "$dist/SHA256SUMS")" = 5 ] || fail "SHA256SUMS should list the 5 packages"
step "sha256sum -c SHA256SUMS"

# --- 2. the platform, publishing dist/
pw=package-test-pass-1
bin/platformd seed --db "$work/platform.db" --media "$work/media" --demo --password "$pw" > "$work/accounts.txt"
bin/platformd serve --db "$work/platform.db" --listen 127.0.0.1:0 --media "$work/media" --releases "$dist" > "$work/platformd.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[0-9.:]*' "$work/platformd.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/platformd.log" >&2; fail "platformd did not start"; }
step "platformd on $url"

# checks the JSON of `status --json` ($1) for the update check's answer: the
# platform's newest is this very version, file $2, so nothing is offered.
check_update() {
  grep -q "\"file\": \"$2\"" "$1" || fail "status --json: the update check did not find $2 ($(cat "$1"))"
  grep -q '"available": false' "$1" || fail "status --json: $version offered as an update of itself"
}

# --- 3. the Windows console build under Wine, as a user with a Chinese name
winuser=街道测试
export LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 USER=$winuser
mkdir -p "$work/win"
unzip -q "$zip" -d "$work/win"
exe=$work/win/StreetDesk
for f in StreetDesk.exe streetdesk-cli.exe README.txt fonts/LICENSE-Apache-2.0.txt; do
  [ -f "$exe/$f" ] || fail "the zip lacks StreetDesk/$f"
done
[ "$(go run ./scripts/petool show "$exe/StreetDesk.exe")" = "subsystem=gui rsrc=yes" ] || fail "StreetDesk.exe is not a GUI exe with resources"
[ "$(go run ./scripts/petool show "$exe/streetdesk-cli.exe")" = "subsystem=console rsrc=yes" ] || fail "streetdesk-cli.exe is not a console exe"
mkdir -p "$WINEPREFIX"
wineserver -p # a persistent server until the cleanup: every wine call is then quick
wine wineboot -i > "$out/wineboot.log" 2>&1 || true
profile=$WINEPREFIX/drive_c/users/$winuser
[ -d "$profile" ] || fail "Wine made no profile for $winuser (is the zh_CN.UTF-8 locale generated? scripts/deps.sh does it)"
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  scripts/package/bcryptprimitives.c -ladvapi32
step "wine prefix for $winuser"

cli() { wine "$exe/streetdesk-cli.exe" "$@"; }
cli version > "$out/win-version.txt" || fail "streetdesk-cli.exe version: $(cat "$out/win-version.txt")"
grep -q "^StreetDesk $version\$" <(tr -d '\r' < "$out/win-version.txt") || fail "version: $(cat "$out/win-version.txt")"
grep -q "windows/amd64" "$out/win-version.txt" || fail "version: not windows/amd64"
grep -qF "C:\\users\\$winuser\\AppData\\Roaming\\streetdesk" "$out/win-version.txt" || fail "version: data folder $(grep data: "$out/win-version.txt")"
printf '%s\n' "$pw" | cli login --server "$url" --user cw01 --password-stdin || fail "login under Wine"
cli sync --once || fail "sync --once under Wine"
cli orders --json > "$out/win-orders.json" || fail "orders --json under Wine"
n=$(grep -c '"id": "SZ' "$out/win-orders.json" || true)
[ "$n" -gt 0 ] || fail "orders --json under Wine listed no orders"
cli export --format xlsx --out "C:\\users\\$winuser\\Desktop\\台账.xlsx" || fail "export under Wine"
xlsx=$profile/Desktop/台账.xlsx
[ -s "$xlsx" ] && grep -q xl/workbook.xml <<<"$(unzip -l "$xlsx")" || fail "no valid 台账.xlsx at $xlsx"
cli status --json > "$out/win-status.json" || fail "status --json under Wine"
check_update "$out/win-status.json" "StreetDesk-$version-windows-amd64.zip"
data=$profile/AppData/Roaming/streetdesk
ls "$data"/profiles/cw01@*/local.db > /dev/null || fail "no local database under $data"
step "streetdesk-cli.exe under Wine: $n orders, 台账.xlsx, data in C:\\users\\$winuser\\AppData\\Roaming\\streetdesk"

# --- 4. the Windows GUI under Wine + Xvfb: signed in, the Chinese search hint
cat > "$work/gui.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
cd "$root"
# The dark variant, as the Linux smoke test's reference crop was taken in
# (Windows' own default is light).
FYNE_THEME=dark wine "$exe/StreetDesk.exe" > "$out/win-gui.log" 2>&1 &
app=\$!
wid=""
for _ in \$(seq 1 600); do
  wid="\$(xdotool search --onlyvisible --name '^StreetDesk\$' 2>/dev/null | head -1 || true)"
  [ -n "\$wid" ] && break
  kill -0 "\$app" 2>/dev/null || { echo "StreetDesk.exe exited without a window" >&2; cat "$out/win-gui.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "\$wid" ] || { echo "no window within 60 s" >&2; exit 1; }
# Let the first sync fill the queue, then take the window's picture.
sleep 5
import -window "\$wid" "$out/windows-gui.png"
./scripts/check-cjk.sh "$out/windows-gui.png"
kill "\$app" 2>/dev/null || true
EOF
chmod +x "$work/gui.sh"
# Wine's desktop process (explorer.exe) binds to the display it was started
# with: the console steps above started it with none, and a GUI process that
# joins it cannot create its windows ("Failed to create helper window").
# Stop that server so the GUI step starts a fresh one inside Xvfb.
wineserver -k 2>/dev/null || true
wineserver -w 2>/dev/null || true
xvfb-run -a -s '-screen 0 1280x800x24' "$work/gui.sh" || fail "the Windows window under Wine (see $out/windows-gui.png)"
wineserver -k 2>/dev/null || true
step "StreetDesk.exe under Wine + Xvfb: Chinese search hint found ($out/windows-gui.png)"
unset USER
export LANG=en_US.UTF-8 LC_ALL=C.UTF-8

# --- 5. arm64 under qemu-user
mkdir -p "$work/arm64"
tar -xJf "$tar_arm64" -C "$work/arm64"
arm=$work/arm64/streetdesk-$version-linux-arm64/usr/bin/streetdesk
grep -q "ARM aarch64" <<<"$(file "$arm")" || fail "the arm64 tarball holds no arm64 binary"
a64() { STREETDESK_NO_KEYRING=1 qemu-aarch64-static "$arm" --data "$work/arm64-data" "$@"; }
a64 version > "$out/arm64-version.txt" || fail "arm64 version: $(cat "$out/arm64-version.txt")"
grep -q "^StreetDesk $version\$" "$out/arm64-version.txt" && grep -q "linux/arm64" "$out/arm64-version.txt" || fail "arm64 version: $(cat "$out/arm64-version.txt")"
printf '%s\n' "$pw" | a64 login --server "$url" --user cw02 --password-stdin || fail "arm64 login"
a64 sync --once || fail "arm64 sync --once"
n=$(a64 orders --json | grep -c '"id": "SZ' || true)
[ "$n" -gt 0 ] || fail "arm64 orders --json listed no orders"
a64 status --json > "$out/arm64-status.json"
check_update "$out/arm64-status.json" "streetdesk-$version-linux-arm64.tar.xz"
step "arm64 under qemu-user: version, login, sync --once, $n orders"

# --- 6. the .debs: control, contents; the amd64 one installed and removed
for deb in "$deb_amd64" "$deb_arm64"; do
  ctl=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
  grep -q "^Version: $version\$" <<<"$ctl" || fail "$(basename "$deb"): $ctl"
  dep=$(dpkg-deb -f "$deb" Depends)
  for lib in libgl1 libx11-6 libxcursor1 libxrandr2 libxi6; do
    grep -q "\b$lib\b" <<<"$dep" || fail "$(basename "$deb"): Depends lacks $lib: $dep"
  done
  ! grep -q -- "-dev" <<<"$dep" || fail "$(basename "$deb"): Depends names a -dev package: $dep"
  dpkg-deb -c "$deb" > "$work/contents"
  grep -q " ./usr/bin/streetdesk\$" "$work/contents" || fail "$(basename "$deb"): no /usr/bin/streetdesk"
  mkdir -p "$work/x" && dpkg-deb -x "$deb" "$work/x"
  grep -qx "Name\[zh_CN\]=街道工单" "$work/x/usr/share/applications/org.streetdesk.desk.desktop" || fail "$(basename "$deb"): .desktop without Name[zh_CN]=街道工单"
  [ -s "$work/x/usr/share/icons/hicolor/512x512/apps/org.streetdesk.desk.png" ] || fail "$(basename "$deb"): no icon"
  rm -rf "$work/x"
done
echo "package-test: amd64 Depends: $(dpkg-deb -f "$deb_amd64" Depends)"
echo "package-test: arm64 Depends: $(dpkg-deb -f "$deb_arm64" Depends)"
# One dpkg at a time on this machine (other worktrees may run this test too).
exec 9> /tmp/streetdesk-package-test.lock
flock -w 600 9 || fail "another package test holds /tmp/streetdesk-package-test.lock"
deb_installed=1
$SUDO dpkg -i "$deb_amd64" > "$out/dpkg-i.log" 2>&1 || { cat "$out/dpkg-i.log" >&2; fail "dpkg -i"; }
# (grep -q on a pipe would stop reading early: a SIGPIPE fails the pipeline)
grep -q "^StreetDesk $version\$" <<<"$(/usr/bin/streetdesk version)" || fail "/usr/bin/streetdesk version"
home=$work/home
mkdir -p "$home"
printf '%s\n' "$pw" | HOME=$home XDG_DATA_HOME= STREETDESK_NO_KEYRING=1 /usr/bin/streetdesk login --server "$url" --user cw03 --password-stdin > /dev/null ||
  fail "login with the installed package"
HOME=$home XDG_DATA_HOME= /usr/bin/streetdesk status --json > "$out/deb-status.json"
check_update "$out/deb-status.json" "streetdesk_${version}_amd64.deb"
$SUDO dpkg -r streetdesk > "$out/dpkg-r.log" 2>&1 || { cat "$out/dpkg-r.log" >&2; fail "dpkg -r"; }
deb_installed=""
[ ! -e /usr/bin/streetdesk ] || fail "dpkg -r left /usr/bin/streetdesk"
ls "$home"/.local/share/streetdesk/profiles/cw03@*/local.db > /dev/null || fail "dpkg -r touched the user's data folder"
flock -u 9
step ".deb: dpkg -i, /usr/bin/streetdesk version, dpkg -r kept ~/.local/share/streetdesk"

# --- 7. the amd64 tarball's Makefile
mkdir -p "$work/tar"
tar -xJf "$tar_amd64" -C "$work/tar"
make -s -C "$work/tar/streetdesk-$version-linux-amd64" install DESTDIR="$work/destdir" PREFIX=/usr/local
grep -q "^StreetDesk $version\$" <<<"$("$work/destdir/usr/local/bin/streetdesk" version)" || fail "tarball install: version"
grep -qx "Exec=/usr/local/bin/streetdesk" "$work/destdir/usr/local/share/applications/org.streetdesk.desk.desktop" || fail "tarball install: .desktop Exec"
step ".tar.xz: make install into a DESTDIR"
echo "package-test: ok"
