#!/usr/bin/env bash
# Prepares the QEMU test guest from Debian packages and prints its folder.
#
#   tests/guest/build-guest.sh            # prints e.g. ~/.cache/cartoflash-guest/6.1.0-56-amd64_6.1.192-2
#
# The guest is Debian's own kernel (linux-image-amd64, fetched with
# `apt-get download` and unpacked with `dpkg -x`, never installed) plus a small
# initramfs: busybox, the kernel modules the tests need (with their
# dependencies resolved from that kernel's modules.dep) and tests/guest/init.sh.
# The guest's root file system is the host's own, shared read-only over
# virtio-9p, so every tool (cartoflash, dfu-util, ip, the test scripts) runs
# inside exactly as built on the host.
#
# Cached in ${CF_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cartoflash-guest}/<kernel>_<version>/,
# keyed by the kernel package version; the initramfs is rebuilt only when
# init.sh, the module list or $guest_format below changes.
#
# Environment:
#   CF_GUEST_CACHE       cache root (see above)
#   CF_GUEST_KERNEL_DEB  use this linux-image-*.deb instead of asking apt
#   CF_GUEST_MODULES     extra module names to pack (space-separated)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${CF_GUEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/cartoflash-guest}

# Modules loaded at boot, in this order after their dependencies. Add what a new
# guest test needs here (see README.md).
modules=(
  virtio_pci 9pnet_virtio 9p                 # host root file system over virtio-9p
  usbcore dummy_hcd udc-core gadgetfs        # USB host + device on one machine (GadgetFS)
  usbip-core vhci-hcd                        # USB/IP virtual host controller (DFU device server)
  libcomposite usb_f_acm u_serial cdc-acm    # configfs USB serial gadget (Katapult over USB)
  can can-raw can-bcm can-dev vcan           # virtual CAN (Katapult over CAN)
)
# shellcheck disable=SC2206
modules+=(${CF_GUEST_MODULES:-})

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: run scripts/install-deps.sh (it installs $2)"
}
need dpkg-deb dpkg
need depmod kmod
need cpio cpio
need gzip gzip
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox is missing: run scripts/install-deps.sh (it installs busybox-static)"
# The initramfs needs a static busybox (no libraries in there).
if ldd "$busybox" >/dev/null 2>&1; then
  die "$busybox is dynamically linked: install busybox-static"
fi

# One builder at a time (CTest may run guest tests in parallel).
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- 1. the kernel package: name and version ----
# linux-image-amd64 is a metapackage; the real image is its dependency, pinned
# to one version: "Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)".
kernel_pkg() {
  apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
    sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -n1
}

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

if [ -n "${CF_GUEST_KERNEL_DEB:-}" ]; then
  deb=$CF_GUEST_KERNEL_DEB
  [ -f "$deb" ] || die "CF_GUEST_KERNEL_DEB=$deb: no such file"
else
  deb=
  # Asking apt costs seconds on a busy machine; the answer only changes when
  # the package lists do, so it is remembered against their timestamp.
  lists_sig=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
  resolved="$cache_root/resolved"
  if [ -f "$resolved" ] && [ "$(sed -n 1p "$resolved")" = "$lists_sig" ]; then
    read -r pkg version < <(sed -n 2p "$resolved")
  else
    pv=$(kernel_pkg)
    if [ -z "$pv" ]; then
      log "apt has no package lists yet; running apt-get update"
      as_root apt-get update -q >&2
      lists_sig=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
      pv=$(kernel_pkg)
    fi
    [ -n "$pv" ] || die "apt knows no linux-image-amd64 (is a Debian mirror configured?)"
    read -r pkg version <<<"$pv"
    mkdir -p "$cache_root"
    printf '%s\n%s %s\n' "$lists_sig" "$pkg" "$version" >"$resolved"
  fi
fi
if [ -n "$deb" ]; then
  pkg=$(dpkg-deb -f "$deb" Package)
  version=$(dpkg-deb -f "$deb" Version)
fi
kernel_release=${pkg#linux-image-}
guest="$cache_root/${kernel_release}_${version}"
mkdir -p "$guest"

# ---- 2. kernel package (downloaded once per kernel version) ----
# The .deb (about 70 MB) is kept rather than its 400 MB unpacked tree; unpacking
# takes a few seconds and is only needed when the initramfs is rebuilt.
if [ -z "$deb" ]; then
  deb="$guest/$pkg.deb"
  if [ ! -f "$deb" ]; then
    log "downloading $pkg $version"
    if ! (cd "$workdir" && apt-get download -q "$pkg=$version" >&2); then
      # Stale package lists name a version the mirror no longer has.
      log "download failed; refreshing the package lists"
      as_root apt-get update -q >&2
      rm -f "$cache_root/resolved"
      exec "$0" "$@"
    fi
    mv "$workdir"/linux-image-*.deb "$deb"
  fi
fi

# ---- 3. initramfs (rebuilt when its inputs change) ----
# Bump when what this script packs changes (the module list and init.sh are
# part of the stamp already).
guest_format=3
stamp=$(cat "$here/init.sh" <(printf '%s\n' "$guest_format" "${modules[@]}" "$busybox") | sha256sum | cut -c1-16)
if [ -f "$guest/initramfs.gz" ] && [ -f "$guest/vmlinuz" ] && [ "$(cat "$guest/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$guest"
  exit 0
fi

log "unpacking $(basename "$deb")"
tree="$workdir/tree"
dpkg-deb -x "$deb" "$tree"
moddir="$tree/lib/modules/$kernel_release"
# The package ships no modules.dep (depmod runs at install time): make one.
depmod -b "$tree" "$kernel_release"
cp "$tree/boot/vmlinuz-$kernel_release" "$guest/vmlinuz"
# Under software emulation unpacking the kernel (xz) is a third of the boot
# time; the plain ELF image inside it boots directly through its PVH entry
# point. Kept beside vmlinuz; run-guest.sh prefers it.
rm -f "$guest/vmlinux"
if ! python3 - "$guest/vmlinuz" "$guest/vmlinux.tmp" <<'PY' 2>/dev/null; then
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit(1)
elf = lzma.LZMADecompressor().decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
  log "could not unpack vmlinux from vmlinuz; booting the compressed image"
  rm -f "$guest/vmlinux.tmp"
else
  mv "$guest/vmlinux.tmp" "$guest/vmlinux"
fi

# Dependency order from modules.dep: "kernel/x.ko: kernel/dep1.ko kernel/dep2.ko".
declare -A path_of deps_of done_mod
while IFS= read -r line; do
  file=${line%%:*}
  name=$(basename "$file" .ko)
  name=${name//-/_}
  path_of[$name]=$file
  deps_of[$name]=${line#*:}
done <"$moddir/modules.dep"
builtin_names=" $(sed 's#.*/##; s/\.ko$//; s/-/_/g' "$moddir/modules.builtin" | tr '\n' ' ') "

order=()
visit() {
  local name=${1//-/_} dep
  [ -n "${done_mod[$name]:-}" ] && return 0
  done_mod[$name]=1
  if [ -z "${path_of[$name]:-}" ]; then
    case "$builtin_names" in *" $name "*) return 0 ;; esac
    die "module $1 is not in $kernel_release"
  fi
  for dep in ${deps_of[$name]}; do
    dep=$(basename "$dep" .ko)
    visit "$dep"
  done
  order+=("${path_of[$name]}")
}
for m in "${modules[@]}"; do visit "$m"; done

root="$workdir/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$root/bin/busybox"
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
: >"$root/modules/order"
for f in "${order[@]}"; do
  cp "$moddir/$f" "$root/modules/"
  basename "$f" >>"$root/modules/order"
done
log "initramfs: ${#order[@]} modules: $(tr '\n' ' ' <"$root/modules/order")"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$guest/initramfs.gz.tmp"
mv "$guest/initramfs.gz.tmp" "$guest/initramfs.gz"
echo "$stamp" >"$guest/initramfs.stamp"
echo "$guest"
