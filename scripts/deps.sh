#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test
# StreetDesk: the C toolchain and X11/GL headers Fyne's cgo build needs
# (exactly as TOOLCHAIN.md lists them), Xvfb/xdotool/ImageMagick for the
# real-window test, python3-openpyxl, the independent reader the ledger
# (台账) XLSX test checks its cells with, and for `make package` and
# `make package-test`: the mingw-w64 and arm64 cross compilers with the
# arm64 X11/GL headers (arm64 added as a dpkg foreign architecture), zip,
# Wine (the Windows build's checks), qemu-user (the arm64 build's), and the
# zh_CN.UTF-8 locale (Wine makes a Windows user with a Chinese name only
# under a UTF-8 locale); PostgreSQL 15, which the platform's tests start
# as a throwaway cluster of their own; and HAProxy, the load balancer of the
# failover test (two platformd instances on one PostgreSQL database).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

pkgs=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth xdotool imagemagick python3-openpyxl
      gcc-mingw-w64-x86-64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      libgl1-mesa-dev:arm64 libx11-dev:arm64 libxcursor-dev:arm64 libxrandr-dev:arm64
      libxinerama-dev:arm64 libxi-dev:arm64 libxxf86vm-dev:arm64 libgles-dev:arm64
      dpkg-dev zip unzip xz-utils file wine wine64 qemu-user-static locales postgresql-15 haproxy
      chromium fonts-noto-cjk)

if ! grep -qx arm64 <<<"$(dpkg --print-foreign-architectures)"; then
  echo "adding the arm64 architecture to dpkg (for the arm64 cross-build's X11/GL headers)"
  $SUDO dpkg --add-architecture arm64
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! grep -qix 'zh_CN.utf8' <<<"$(locale -a 2>/dev/null)"; then
  echo "generating the zh_CN.UTF-8 locale"
  $SUDO sed -i 's/^# *zh_CN.UTF-8 UTF-8/zh_CN.UTF-8 UTF-8/' /etc/locale.gen
  grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen || echo 'zh_CN.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen > /dev/null
  $SUDO locale-gen > /dev/null
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    echo "Go is at /usr/local/go/bin; add it to PATH" >&2
  else
    echo "Go 1.26 or later is required (https://go.dev/dl/)" >&2
  fi
  exit 1
fi
