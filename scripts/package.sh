#!/usr/bin/env bash
# `make package`: every release artifact into dist/, each built once.
#
#   StreetDesk-<v>-windows-amd64.zip   StreetDesk.exe (GUI subsystem; icon, version
#                                      info and manifest by `fyne package`) and
#                                      streetdesk-cli.exe (the same code, console subsystem)
#   streetdesk_<v>_amd64.deb, streetdesk_<v>_arm64.deb
#   streetdesk-<v>-linux-amd64.tar.xz, streetdesk-<v>-linux-arm64.tar.xz
#   SHA256SUMS
#
# The version comes from FyneApp.toml, the commit from git; both are stamped
# into every binary (internal/buildinfo). `fyne package` rewrites FyneApp.toml
# and writes files next to the main package, so it runs on a copy of the
# source tree under build/package (its -trimpath keeps that copy's location
# out of the Go build cache's keys). The Go build cache keeps every cross
# build's output: never clean it. Cross toolchains: scripts/deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
root=$PWD

fyne_tool=fyne.io/tools/cmd/fyne@v1.7.4
version=$(sed -nE 's/^Version *= *"([^"]+)".*/\1/p' FyneApp.toml | head -1)
[ -n "$version" ] || { echo "package: no Version in FyneApp.toml" >&2; exit 1; }
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
date=$(date -u ${SOURCE_DATE_EPOCH:+-d @$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)
bi=github.com/streetdesk/streetdesk/internal/buildinfo
stamp="-X=$bi.version=$version -X=$bi.commit=$commit -X=$bi.date=$date"

dist=$root/dist
work=$root/build/package
rm -rf "$work" "$dist"
mkdir -p "$work" "$dist"

t0=$(date +%s)
step() { echo "package: $* ($(( $(date +%s) - t0 )) s)"; }

# The source copy: tracked and untracked-but-not-ignored files of the working
# tree. It goes when the script ends (tools that walk the checkout, such as
# gocyclo, would count it twice); its path stays the same, for the cache.
src=$work/src
trap 'rm -rf "$src"' EXIT
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$src"
sed -e 's|^Icon *=.*|Icon = "../../assets/icon.png"|' FyneApp.toml > "$src/cmd/streetdesk/FyneApp.toml"
step "StreetDesk $version ($commit)"

# --- Windows amd64: fyne package builds the GUI exe (release mode, -trimpath,
# -H=windowsgui) with the resource .syso; GOFLAGS carries our -X stamps into
# its go build. -exec sets CC for fyne's build only, not for building fyne.
# Without --executable fyne builds twice (before and after making the .syso)
# and its first build consumes GOFLAGS; an existing --executable skips the
# first build, and the second overwrites the placeholder.
(
  cd "$src/cmd/streetdesk"
  : > streetdesk.exe
  go run -exec "env CC=x86_64-w64-mingw32-gcc GOARCH=amd64 'GOFLAGS=-ldflags=${stamp// / -ldflags=}'" \
    "$fyne_tool" package -os windows --release --name StreetDesk --executable streetdesk.exe
)
win=$work/windows/StreetDesk
mkdir -p "$win"
mv "$src/cmd/streetdesk/StreetDesk.exe" "$win/StreetDesk.exe"
go run ./scripts/petool console "$win/StreetDesk.exe" "$win/streetdesk-cli.exe"
mkdir -p "$win/fonts"
cp ui/font/LICENSE-Apache-2.0.txt ui/font/NOTICE-DroidSansFallback.txt ui/font/LICENSE-DejaVu.txt "$win/fonts/"
cat > "$win/README.txt" <<EOF
StreetDesk $version (街道工单桌面端) for Windows 10 and 11, 64-bit.

StreetDesk.exe       the desktop app (double-click)
streetdesk-cli.exe   the same program for scripts and the command prompt:
                     streetdesk-cli.exe version / login / sync --once / status --json …

Data folder: %AppData%\streetdesk (one folder per user; uninstalling never removes it).
Installation, updates, backups: docs/install.md in the StreetDesk sources, or ask your IT person.
fonts\ holds the licences of the Chinese font built into the program.
EOF
sed -i 's/$/\r/' "$win/README.txt"
(cd "$work/windows" && zip -qr9 "$dist/StreetDesk-$version-windows-amd64.zip" StreetDesk)
step "windows zip"

# --- Linux: one go build per architecture, from the same copy; the .deb and
# the .tar.xz hold the same files. No -trimpath here: with the default cgo
# flags, amd64 then reuses the cgo compile of go-gl from `make build` (about
# 110 s when cold).
build_linux() { # ARCH CC
  local arch=$1 cc=$2 out=$work/linux-$1
  mkdir -p "$out"
  local env=(CGO_ENABLED=1 GOOS=linux GOARCH="$arch")
  if [ "$arch" != "$(go env GOHOSTARCH)" ]; then
    env+=(CC="$cc" PKG_CONFIG_PATH=/usr/lib/aarch64-linux-gnu/pkgconfig)
  fi
  (cd "$src" && env "${env[@]}" go build -tags release,migrated_fynedo -ldflags "-s -w $stamp" \
    -o "$out/streetdesk" ./cmd/streetdesk)
}

stage_linux() { # ARCH → $work/stage-ARCH/root
  local arch=$1 st=$work/stage-$1
  local r=$st/root
  install -Dm755 "$work/linux-$arch/streetdesk" "$r/usr/bin/streetdesk"
  install -Dm644 scripts/package/streetdesk.desktop "$r/usr/share/applications/org.streetdesk.desk.desktop"
  install -Dm644 assets/icon.png "$r/usr/share/icons/hicolor/512x512/apps/org.streetdesk.desk.png"
  install -Dm644 scripts/package/copyright "$r/usr/share/doc/streetdesk/copyright"
  install -Dm644 -t "$r/usr/share/doc/streetdesk/fonts" ui/font/LICENSE-Apache-2.0.txt ui/font/NOTICE-DroidSansFallback.txt ui/font/LICENSE-DejaVu.txt
}

# depends ARCH: the runtime packages (never -dev) that provide the binary's
# shared libraries, from dpkg-shlibdeps and the installed packages' shlibs.
depends() {
  local arch=$1 d=$work/shlibs-$1
  mkdir -p "$d/debian"
  printf 'Source: streetdesk\n\nPackage: streetdesk\nArchitecture: any\n' > "$d/debian/control"
  local triplet; triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
  (cd "$d" && dpkg-architecture -a"$arch" -c dpkg-shlibdeps -O -l/usr/lib/"$triplet" \
      "$work/stage-$arch/root/usr/bin/streetdesk" 2>"$d/warnings") |
    sed -n 's/^shlibs:Depends=//p'
}

deb_linux() { # ARCH
  local arch=$1 st=$work/stage-$1
  local r=$st/root dep
  dep=$(depends "$arch")
  [ -n "$dep" ] || { echo "package: no dependencies found for $arch" >&2; cat "$work/shlibs-$arch/warnings" >&2; exit 1; }
  # GLFW loads these with dlopen (cursors, screens, input), so dpkg-shlibdeps
  # cannot see them; Debian's libglfw3 leaves them to the desktop, a package
  # rolled out to office PCs names them.
  dep="$dep, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1"
  if printf '%s' "$dep" | grep -q -- '-dev\b'; then
    echo "package: a -dev package in the $arch dependencies: $dep" >&2; exit 1
  fi
  mkdir -p "$r/DEBIAN"
  cat > "$r/DEBIAN/control" <<EOF
Package: streetdesk
Version: $version
Architecture: $arch
Maintainer: StreetDesk <streetdesk@example.gov.cn>
Installed-Size: $(du -sk --exclude=DEBIAN "$r" | cut -f1)
Depends: $dep
Section: utils
Priority: optional
Homepage: https://github.com/streetdesk/streetdesk
Description: 街道工单桌面端 StreetDesk — 12345 work orders for street offices
 The desktop app for street-office caseworkers and team leads handling
 citizen requests from a city's 12345 hotline: accept, contact, survey,
 photograph and resolve work orders, offline first; everything is saved
 on this computer and sent to the city platform when the network allows.
 .
 The user's data stays in ~/.local/share/streetdesk; removing the package
 does not touch it.
EOF
  dpkg-deb --root-owner-group -Zxz -z1 --build "$r" "$dist/streetdesk_${version}_${arch}.deb" >/dev/null
  rm -rf "$r/DEBIAN"
}

tar_linux() { # ARCH
  local arch=$1 name=streetdesk-$version-linux-$1
  local t=$work/tar/$name
  mkdir -p "$t"
  cp -a "$work/stage-$arch/root/usr" "$t/"
  cp scripts/package/Makefile.tar "$t/Makefile"
  XZ_OPT=-1 tar -C "$work/tar" --owner=0 --group=0 --numeric-owner -cJf "$dist/$name.tar.xz" "$name"
}

# xz -1 everywhere: about a tenth larger than the default -6 for a fifth of
# its CPU time (4 s instead of 22 s per 33 MB binary on this kind of machine).
build_linux amd64 gcc
step "linux amd64 build"
build_linux arm64 aarch64-linux-gnu-gcc
step "linux arm64 build"
for arch in amd64 arm64; do
  stage_linux "$arch"
  deb_linux "$arch"
  tar_linux "$arch"
done
step "deb and tar.xz"

(cd "$dist" && sha256sum -- *.zip *.deb *.tar.xz > SHA256SUMS)
step "done"
ls -l "$dist"
