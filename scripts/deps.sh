#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test
# StreetDesk: the C toolchain and X11/GL headers Fyne's cgo build needs
# (exactly as TOOLCHAIN.md lists them), Xvfb/xdotool/ImageMagick for the
# real-window test, and python3-openpyxl, the independent reader the
# ledger (台账) XLSX test checks its cells with.
set -euo pipefail

pkgs=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth xdotool imagemagick python3-openpyxl)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    echo "Go is at /usr/local/go/bin; add it to PATH" >&2
  else
    echo "Go 1.26 or later is required (https://go.dev/dl/)" >&2
  fi
  exit 1
fi
