#!/usr/bin/env bash
# DFU flash benchmark (not a test): cartoflash against Debian's dfu-util over
# the real Linux USB stack, in one QEMU guest (tests/guest), against the STM32
# bootloader emulator with its datasheet timing on.
#
#   bench/dfu-bench.sh [-n RUNS] [--chip f042|g431] [--image FILE] [--from FILE] [--build DIR]
#
# Each round flashes IMAGE once with cartoflash and once with dfu-util (the
# order alternates between rounds), each time on a freshly plugged device whose
# flash holds FROM: by default the other interface's image of the same release
# (USB <-> CAN), the realistic "switch firmware" case in which most pages
# differ, so both tools erase and write for real; cartoflash still skips the
# pages that already match, which is its design, while dfu-util erases and
# writes every page the image touches. After its flash, cartoflash flashes the
# identical image again (differential: no page changes, only read-back).
#
# Printed: median seconds of each tool (wall time of the command, process start
# to exit), their ratio, the device-bound limit and cartoflash's ratio to it,
# and the re-flash ratio. The limit is what cartoflash's own transfers cost the
# device: the emulator's accounted busy time (cf_emu_busy_ns: erase, program,
# and the polls it holds while busy) plus the time its bytes would take on a
# full-speed bus, estimated as data at 12 Mbit/s with 20% packet overhead
# (sync, PID, CRC, handshakes) plus 50 us per control transfer for its SETUP
# and status stages. USB/IP itself spends no bus time, and frame scheduling
# (up to 1 ms per transfer on real host controllers) is not counted, so the
# limit is optimistic. Last line, machine-readable:
#   dfu-bench: cartoflash_s=X dfuutil_s=Y ratio=R limit_s=L limit_ratio=Q reflash_ratio=S
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

runs=5
chip=f042
image=
from=
build="$repo/build/release"
while [ $# -gt 0 ]; do
  case "$1" in
  -n) runs=$2; shift 2 ;;
  --chip) chip=$2; shift 2 ;;
  --image) image=$2; shift 2 ;;
  --from) from=$2; shift 2 ;;
  --build) build=$2; shift 2 ;;
  -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
  *) echo "dfu-bench: unknown option $1" >&2; exit 64 ;;
  esac
done

fw="${CF_FIRMWARE_DIR:-$repo/../shared/firmware}/cartographer_firmware/firmware"
case "$chip" in
f042)
  spec=dfu flash_size=32768
  : "${image:=$fw/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_USB.bin}"
  : "${from:=$fw/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin}"
  ;;
g431)
  spec=dfu:g431 flash_size=131072
  : "${image:=$fw/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_USB.bin}"
  : "${from:=$fw/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin}"
  ;;
*) echo "dfu-bench: --chip f042 or g431" >&2; exit 64 ;;
esac

# ---------------- host side: build, then run this script in the guest ----------------
if [ "${CF_IN_GUEST:-0}" != 1 ]; then
  for f in "$image" "$from"; do
    [ -f "$f" ] || { echo "dfu-bench: no such image: $f" >&2; exit 66; }
  done
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
  fi
  cmake --build "$build" -j2 --target cartoflash dfu_gadget >/dev/null || exit 1
  export CF_CARTOFLASH="$build/src/cli/cartoflash" CF_DFU_GADGET="$build/tests/guest/dfu_gadget"
  image=$(realpath "$image") from=$(realpath "$from")
  exec "$repo/tests/guest/run-guest.sh" "$0" -n "$runs" --chip "$chip" --image "$image" --from "$from"
fi

# ---------------- guest side ----------------
T=$(mktemp -d)
say() { printf '%s\n' "$*"; }
now_us() { echo "${EPOCHREALTIME/./}"; }

plug() { # starts the emulated chip with FROM (or the current flash) and waits for it
  rm -f "$T/ready" "$T/stats"
  "$CF_DFU_GADGET" --log "$T/gadget.log" --ready "$T/ready" --stats "$T/stats" \
    "$spec,flash=$T/flash.bin" &
  gadget=$!
  local i
  for ((i = 0; i < 1500; i++)); do
    [ -e "$T/ready" ] && break
    sleep 0.02
  done
  [ -e "$T/ready" ] || { say "dfu-bench: the emulated device did not enumerate"; exit 1; }
  udevadm settle -t 10 2>/dev/null
}

reset_flash() { # erased flash holding FROM at its start
  head -c "$flash_size" /dev/zero | tr '\0' '\377' >"$T/flash.bin"
  dd if="$from" of="$T/flash.bin" conv=notrunc status=none
}

# timed NAME COMMAND...: runs it against a plugged device; sets $secs, $busy_ns,
# $requests, $bytes; fails the benchmark if the tool fails or the flash is wrong.
timed() {
  local name=$1 t0 t1 rc
  shift
  t0=$(now_us)
  "$@" >"$T/$name.out" 2>&1
  rc=$?
  t1=$(now_us)
  wait "$gadget"
  if [ "$rc" -ne 0 ] || ! cmp -n "$(stat -c %s "$image")" "$image" "$T/flash.bin" >/dev/null; then
    say "dfu-bench: $name failed (exit $rc) or left the wrong flash content:"
    tail -n 15 "$T/$name.out"
    exit 1
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
  read -r busy_ns requests out_bytes in_bytes < <(sed -E \
    's/.*busy_ns=([0-9]+) requests=([0-9]+) out_bytes=([0-9]+) in_bytes=([0-9]+).*/\1 \2 \3 \4/' "$T/stats")
  bytes=$((out_bytes + in_bytes))
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Bus time of `requests` control transfers moving `bytes` at full speed (see top).
bus_s() { awk -v r="$1" -v b="$2" 'BEGIN { printf "%.4f", b * 8 * 1.2 / 12e6 + r * 50e-6 }'; }

say "dfu-bench: $runs rounds, $(basename "$image") onto a ${chip^^} holding $(basename "$from"), timing on"
cf_times=() du_times=() re_times=() limits=()
for ((round = 1; round <= runs; round++)); do
  order="cartoflash dfu-util"
  [ $((round % 2)) -eq 0 ] && order="dfu-util cartoflash"
  for tool in $order; do
    reset_flash
    plug
    if [ "$tool" = cartoflash ]; then
      timed cartoflash "$CF_CARTOFLASH" flash dfu --yes "$image"
      cf_times+=("$secs")
      limit=$(awk -v n="$busy_ns" -v bus="$(bus_s "$requests" "$bytes")" 'BEGIN { printf "%.3f", n / 1e9 + bus }')
      limits+=("$limit")
      pages=$(grep -oE '[0-9]+ of [0-9]+ pages changed' "$T/cartoflash.out")
      say "  round $round: cartoflash $secs s ($pages; device busy $(awk -v n="$busy_ns" 'BEGIN { printf "%.3f", n / 1e9 }') s, $requests transfers, $bytes bytes; limit $limit s)"
      plug # the same flash, now holding the image: re-flash it
      timed reflash "$CF_CARTOFLASH" flash dfu --yes "$image"
      grep -q "^0 of [0-9]* pages changed" "$T/reflash.out" ||
        { say "dfu-bench: the re-flash changed pages:"; tail -n 5 "$T/reflash.out"; exit 1; }
      re_times+=("$secs")
      say "  round $round: cartoflash re-flash of the identical image $secs s"
    else
      timed dfu-util dfu-util -d 0483:df11 -a 0 -s 0x08000000:leave -D "$image"
      du_times+=("$secs")
      say "  round $round: dfu-util $secs s (device busy $(awk -v n="$busy_ns" 'BEGIN { printf "%.3f", n / 1e9 }') s, $requests transfers, $bytes bytes)"
    fi
  done
done

# What each tool pays before it touches USB (loading itself and its shared
# libraries), to tell the host's share from the device's.
start_s() {
  local t0 t1
  t0=$(now_us)
  "$@" >/dev/null 2>&1
  t1=$(now_us)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}
cf_start=$(for i in 1 2 3 4 5; do start_s "$CF_CARTOFLASH" --version; done | median)
du_start=$(for i in 1 2 3 4 5; do start_s dfu-util -V; done | median)
say "process start alone (--version, median of 5): cartoflash $cf_start s, dfu-util $du_start s"

cf=$(printf '%s\n' "${cf_times[@]}" | median)
du=$(printf '%s\n' "${du_times[@]}" | median)
re=$(printf '%s\n' "${re_times[@]}" | median)
lim=$(printf '%s\n' "${limits[@]}" | median)
ratio=$(awk -v a="$cf" -v b="$du" 'BEGIN { printf "%.2f", a / b }')
limit_ratio=$(awk -v a="$cf" -v b="$lim" 'BEGIN { printf "%.2f", a / b }')
reflash_ratio=$(awk -v a="$re" -v b="$cf" 'BEGIN { printf "%.2f", a / b }')
say "medians: cartoflash $cf s, dfu-util $du s, cartoflash re-flash $re s, device-bound limit $lim s"
say "dfu-bench: cartoflash_s=$cf dfuutil_s=$du ratio=$ratio limit_s=$lim limit_ratio=$limit_ratio reflash_ratio=$reflash_ratio"
