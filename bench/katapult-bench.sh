#!/usr/bin/env bash
# Katapult CAN flash benchmark against the emulated node (--simulate=katapult-can).
#
# Flashes a ~22 KiB Cartographer app image RUNS times at each bitrate and prints,
# per bitrate: the median time from CONNECT's answer to COMPLETE's answer, the
# CAN frames sent and received, the protocol's bound (the bus time of every one
# of those frames, with bit stuffing computed on the real bits, at the emulated
# bitrate) and the ratio of the two. With flash timing on, the node also spends
# the STM32F042's page-erase and program times (reported as well).
#
# usage: bench/katapult-bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench-katapult}
runs=${2:-3}
fw=$root/../shared/firmware/cartographer-klipper/firmware/v2-v3/survey/5.1.0
if [ ! -x "$build/src/cli/cartoflash" ]; then
    cmake -S "$root" -B "$build" -DCF_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j2 --target cartoflash >/dev/null
fi
bin=$build/src/cli/cartoflash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# UUID of the emulated node (the same on every run).
uuid=$("$bin" --simulate=katapult-can list --json | sed -n 's/.*"uuid": "\([0-9a-f]*\)".*/\1/p' | head -1)
[ -n "$uuid" ] || { echo "katapult-bench: cannot read the emulated node's UUID" >&2; exit 1; }

last=""
for timing in off on; do
    for rate in 1000000 500000 250000; do
        image=$fw/Survey_Cartographer_CAN_${rate}_8kib_offset.bin
        size=$(stat -c %s "$image")
        : >"$tmp/secs"
        for i in $(seq "$runs"); do
            out=$("$bin" --simulate="katapult-can,bitrate=$rate,timing=$timing,flash=$tmp/flash.bin" \
                flash can --uuid "$uuid" --yes "$image")
            echo "$out" | sed -n 's/.* in \([0-9.]*\) s\.$/\1/p' | head -1 >>"$tmp/secs"
            traffic=$(echo "$out" | grep '^CAN traffic:')
        done
        secs=$(median <"$tmp/secs")
        sent=$(echo "$traffic" | sed -n 's/CAN traffic: \([0-9]*\) frames sent.*/\1/p')
        recv=$(echo "$traffic" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
        bound=$(echo "$traffic" | sed -n 's/.*(\([0-9.]*\) s of bus time.*/\1/p')
        ratio=$(awk -v s="$secs" -v b="$bound" 'BEGIN {printf "%.2f", s / b}')
        line="katapult-bench: bitrate=$rate flash_timing=$timing image_bytes=$size seconds=$secs frames_sent=$sent frames_received=$recv bus_bound_s=$bound ratio=$ratio"
        echo "$line"
        if [ "$timing" = off ] && [ "$rate" = 1000000 ]; then last=$line; fi
    done
done
# Last line, machine-readable: the 22 KiB image at 1 Mbit/s, bus time only.
echo "$last"
