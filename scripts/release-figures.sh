#!/usr/bin/env bash
# Prints, for the native binary and each cross build (scripts/cross.sh ARCH,
# run first for any that is missing), the stripped size, the shared libraries
# it needs (readelf -d) and the mean wall time of `cartoflash --version` over
# RUNS runs (default 20), in ms: natively, and under qemu-user for the others. The
# README's "Release figures" table comes from this output.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
archs=(arm64 armhf mipsel)
for a in "${archs[@]}"; do
    [ -x "build/cross/$a/build/src/cli/cartoflash" ] || bash scripts/cross.sh "$a" >/dev/null
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

mean_ms() { # command...: mean wall time in ms over $runs runs
    local start end
    start=$(date +%s%N)
    for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
    end=$(date +%s%N)
    awk -v ns=$((end - start)) -v n="$runs" 'BEGIN { printf "%.1f", ns / n / 1e6 }'
}
needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

printf '| arch | stripped size | needs | --version |\n|---|---|---|---|\n'
native=build/cross/native/src/cli/cartoflash
strip -o "$TMP/native" "$native"
printf '| amd64 (native) | %s KiB | %s| %s ms |\n' "$(($(stat -c %s "$TMP/native") / 1024))" \
    "$(needed "$TMP/native")" "$(mean_ms "$TMP/native" --version)"
for a in "${archs[@]}"; do
    case $a in
    arm64) t=aarch64-linux-gnu q=qemu-aarch64-static ;;
    armhf) t=arm-linux-gnueabihf q=qemu-arm-static ;;
    mipsel) t=mipsel-linux-gnu q=qemu-mipsel-static ;;
    esac
    "$t-strip" -o "$TMP/$a" "build/cross/$a/build/src/cli/cartoflash"
    size="$(($(stat -c %s "$TMP/$a") / 1024)) KiB"
    if [ "$a" = mipsel ]; then
        b=build/cross/mipsel/cartoflash-mipsel
        size="$size (bundle $(($(du -sk --apparent-size "$b" | cut -f1))) KiB, all in lib/)"
        ms=$(mean_ms "$q" "$b/lib/ld.so.1" --library-path "$b/lib" "$b/lib/cartoflash" --version)
    else
        ms=$(mean_ms "$q" "$TMP/$a" --version)
    fi
    printf '| %s | %s | %s| %s ms under %s |\n' "$a" "$size" "$(needed "$TMP/$a")" "$ms" "$q"
done
