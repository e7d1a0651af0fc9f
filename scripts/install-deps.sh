#!/usr/bin/env bash
# Installs the Debian packages cartoflash needs to build and test.
# Safe to run repeatedly; needs root (CI runs as root) or sudo for apt-get only.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libusb-1.0-0-dev libcurl4-openssl-dev libarchive-dev zlib1g-dev
  libjansson-dev libcmocka-dev libssl-dev
  valgrind tmux clang-format python3 python3-jsonschema openssl jq
  dfu-util
  qemu-system-x86 busybox-static cpio kmod iproute2 can-utils udev
  scdoc man-db zsh file debhelper lintian
)

apt_get() {
  # Waits for another apt-get (a cross build's, a package test's) instead of failing.
  if [ "$(id -u)" -eq 0 ]; then apt-get -o DPkg::Lock::Timeout=600 "$@"; else
    sudo apt-get -o DPkg::Lock::Timeout=600 "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -q
  apt_get install -y -q --no-install-recommends "${missing[@]}"
fi
