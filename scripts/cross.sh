#!/usr/bin/env bash
# scripts/cross.sh ARCH: a cartoflash binary for a probe's host, built with
# Debian's cross toolchain and checked under qemu-user (qemu-user-static):
#   arm64, armhf  Raspberry Pi OS and other Debian-based SBCs: multiarch -dev
#                 packages (dpkg --add-architecture), a normal dynamic binary
#                 linked against Debian's libraries, plus the .deb
#                 (scripts/deb.sh ARCH) with CROSS_DEB=1;
#   mipsel        the Creality K1 (buildroot, no Debian): a self-contained
#                 folder build/cross/mipsel/cartoflash-mipsel/ holding the
#                 binary, every shared library it needs (glibc's loader
#                 included) and a sh wrapper that starts it with them, so the
#                 DFU and Katapult paths need nothing from the target;
#                 libcurl/libarchive/libcrypto are loaded from the target
#                 only for downloads and a missing one is reported as such.
# Checks: --version, `inspect --json` on real images byte-identical to the
# native binary's, a --simulate DFU flash and a Katapult USB flash whose
# emulated flash holds the image. Needs root for apt-get (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: scripts/cross.sh arm64|armhf|mipsel}
case $arch in
arm64) triplet=aarch64-linux-gnu proc=aarch64 qemu=qemu-aarch64-static ;;
armhf) triplet=arm-linux-gnueabihf proc=arm qemu=qemu-arm-static ;;
mipsel) triplet=mipsel-linux-gnu proc=mips qemu=qemu-mipsel-static ;;
*) echo "cross: unknown arch '$arch' (arm64, armhf, mipsel)" >&2; exit 64 ;;
esac
FIRMWARE=${FIRMWARE:-$PWD/../shared/firmware}
jobs=${JOBS:-$(nproc)}
out="build/cross/$arch"
mkdir -p "$out"
libs=(libusb-1.0-0-dev libjansson-dev zlib1g-dev libcurl4-openssl-dev libarchive-dev libssl-dev libudev-dev)

apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@"; }
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# --- toolchain and libraries
bash scripts/install-deps.sh
need=()
for p in qemu-user-static "gcc-$triplet" "libc6-dev-$arch-cross"; do have "$p" || need+=("$p"); done
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    dpkg --add-architecture "$arch"
    apt_get update
fi
if [ "$arch" != mipsel ]; then
    # pkgconf:ARCH brings ARCH's pkg-config wrapper, which debhelper uses to cross-build the .deb.
    for p in "${libs[@]}" pkgconf; do have "$p:$arch" || need+=("$p:$arch"); done
    [ "${#need[@]}" -eq 0 ] || { apt_get update; apt_get install -y --no-install-recommends "${need[@]}"; }
    pcdir="/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig"
    sysroot=""
else
    [ "${#need[@]}" -eq 0 ] || { apt_get update; apt_get install -y --no-install-recommends "${need[@]}"; }
    # bookworm's mipsel libraries lag the amd64 security updates, so multiarch
    # -dev packages cannot be co-installed: unpack them into a sysroot instead.
    sysroot="$PWD/$out/sysroot"
    if [ ! -f "$sysroot/.done" ]; then
        rm -rf "$sysroot" "$out/debs"
        mkdir -p "$sysroot" "$out/debs"
        pkgs=("${libs[@]}" libusb-1.0-0 libjansson4 zlib1g libcurl4 libarchive13 libssl3 libudev1)
        (cd "$out/debs" && apt-get download "${pkgs[@]/%/:mipsel}")
        for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
        touch "$sysroot/.done"
    fi
    pcdir="$sysroot/usr/lib/$triplet/pkgconfig:$sysroot/usr/share/pkgconfig"
fi

# --- build (binary only) and a native reference for the JSON comparison
env PKG_CONFIG_LIBDIR="$pcdir" ${sysroot:+PKG_CONFIG_SYSROOT_DIR="$sysroot"} \
    cmake -S . -B "$out/build" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$proc" \
    -DCMAKE_C_COMPILER="$triplet-gcc" -DCMAKE_BUILD_TYPE=Release -DCF_TESTS=OFF -DCF_WERROR=ON \
    -DCF_MANPAGE=OFF -DCMAKE_SKIP_RPATH=ON \
    ${sysroot:+"-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$sysroot/usr/lib/$triplet:$sysroot/lib/$triplet"} \
    >"$out/configure.log"
nice cmake --build "$out/build" -j"$jobs" >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; exit 1; }
cmake -S . -B build/cross/native -DCMAKE_BUILD_TYPE=Release -DCF_TESTS=OFF -DCF_MANPAGE=OFF >/dev/null
nice cmake --build build/cross/native -j"$jobs" >/dev/null
native=build/cross/native/src/cli/cartoflash
bin="$out/build/src/cli/cartoflash"

if [ "$arch" = mipsel ]; then
    # The K1 bundle: the binary and the closure of its DT_NEEDED libraries.
    bundle="$out/cartoflash-mipsel"
    rm -rf "$bundle"
    mkdir -p "$bundle/lib"
    "$triplet-strip" -o "$bundle/lib/cartoflash" "$bin"
    cp -L "/usr/$triplet/lib/ld.so.1" "$bundle/lib/"
    todo=("$bundle/lib/cartoflash")
    while [ "${#todo[@]}" -gt 0 ]; do
        f=${todo[0]}
        todo=("${todo[@]:1}")
        for n in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$bundle/lib/$n" ] && continue
            src=""
            for d in "/usr/$triplet/lib" "$sysroot/usr/lib/$triplet" "$sysroot/lib/$triplet"; do
                [ -e "$d/$n" ] && { src="$d/$n"; break; }
            done
            [ -n "$src" ] || { echo "cross: $n (needed by $f) not found" >&2; exit 1; }
            cp -L "$src" "$bundle/lib/$n"
            todo+=("$bundle/lib/$n")
        done
    done
    cat >"$bundle/cartoflash" <<'WRAP'
#!/bin/sh
# Starts cartoflash with the libraries next to it (glibc's loader included),
# so nothing is needed from the system; libcurl, libarchive and libcrypto for
# downloads are still looked up on the system when first used.
d=$(dirname "$(readlink -f "$0")")
exec "$d/lib/ld.so.1" --library-path "$d/lib" "$d/lib/cartoflash" "$@"
WRAP
    chmod +x "$bundle/cartoflash"
    tar -C "$out" -czf "$out/cartoflash-mipsel.tar.gz" cartoflash-mipsel
    target() { "$qemu" "$bundle/lib/ld.so.1" --library-path "$bundle/lib" "$bundle/lib/cartoflash" "$@"; }
else
    target() { "$qemu" "$bin" "$@"; }
fi

# --- checks under qemu-user
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_STATE_HOME="$TMP/state" XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" NO_COLOR=1
failures=0
checks=0
pass() { checks=$((checks + 1)); echo "ok - $arch: $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $arch: $1"; }

file "$bin" | grep -q "$(case $arch in arm64) echo aarch64 ;; armhf) echo 'ARM, EABI5' ;; mipsel) echo 'MIPS, MIPS32' ;; esac)" &&
    pass "built for $arch ($(file -b "$bin" | cut -d, -f1-2))" || fail "not a $arch binary: $(file -b "$bin")"
v=$(target --version 2>&1)
[ "$v" = "$("$native" --version)" ] && pass "--version under $qemu: $v" || fail "--version: '$v'"

K=$FIRMWARE/cartographer-klipper/firmware/v2-v3
C=$FIRMWARE/cartographer_firmware/firmware
images=("$K/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
    "$K/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
    "$K/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
    "$K/survey/5.1.0/Survey_Cartographer_K1_USB_8kib_offset.bin"
    "$K/Katapult_USB.bin"
    "$C/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin")
for img in "${images[@]}"; do
    [ -f "$img" ] || { fail "image missing: $img"; continue; }
    target inspect --json "$img" >"$TMP/cross.json" 2>&1 || true
    "$native" inspect --json "$img" >"$TMP/native.json" 2>&1 || true
    if cmp -s "$TMP/cross.json" "$TMP/native.json" && grep -q '"kind"' "$TMP/native.json"; then
        pass "inspect --json equals native: ${img#"$FIRMWARE"/}"
    else
        fail "inspect --json differs: ${img#"$FIRMWARE"/}"; diff "$TMP/native.json" "$TMP/cross.json" | head
    fi
done

img=${images[0]}
if target --simulate=dfu,timing=off,flash="$TMP/dfu.bin" flash dfu --yes "$img" >"$TMP/dfu.log" 2>&1 &&
    cmp -s -n "$(stat -c %s "$img")" "$TMP/dfu.bin" "$img"; then
    pass "simulated DFU flash holds the image"
else
    fail "simulated DFU flash"; tail -n 20 "$TMP/dfu.log"
fi
app=${images[2]}
if target --simulate=katapult-usb,timing=off,flash="$TMP/kp.bin" flash usb --yes "$app" >"$TMP/kp.log" 2>&1 &&
    cmp -s -n "$(stat -c %s "$app")" -i 8192:0 "$TMP/kp.bin" "$app"; then
    pass "simulated Katapult USB flash holds the app at 0x08002000"
else
    fail "simulated Katapult USB flash"; tail -n 20 "$TMP/kp.log"
fi

if [ "$arch" = mipsel ]; then
    # Nothing outside the bundle: every library it needs is in it.
    missing=""
    for f in "$bundle"/lib/*; do
        for n in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -e "$bundle/lib/$n" ] || missing="$missing $n"
        done
    done
    readelf -dW "$bundle/lib/cartoflash" | grep -qE '\((RPATH|RUNPATH)\)' && missing="$missing (a run path)"
    [ -z "$missing" ] && pass "bundle is self-contained ($(ls "$bundle/lib" | tr '\n' ' '))" ||
        fail "bundle lacks:$missing"
    # A download needs the target's libcurl: without one, it says so.
    if target firmware list --source "https://127.0.0.1:9/x.tar.gz" >"$TMP/dl.log" 2>&1; then
        fail "a download without libcurl succeeded"
    elif grep -q "libcurl" "$TMP/dl.log"; then pass "a download without the target's libcurl says so: $(head -n 1 "$TMP/dl.log")"
    else fail "download error does not name libcurl: $(cat "$TMP/dl.log")"; fi
elif [ "${CROSS_DEB:-0}" = 1 ]; then
    if deb=$(bash scripts/deb.sh "$arch" | tail -n 1) && [ -f "$deb" ]; then pass "package $deb (lintian: no errors)"; else
        fail "the $arch package did not build"; fi
fi
echo "cross-$arch: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
