# Helpers for guest test scripts (sourced; runs inside the guest as root).
#
# Environment (set by CTest through run-guest.sh, or by run-all.sh):
#   CF_CARTOFLASH   the cartoflash binary under test
#   CF_DFU_GADGET   the dfu_gadget binary (tests/guest/gadget)
#   CF_FIRMWARE_DIR ../shared/firmware (read-only; copy before changing)
# Provided: $T (a fresh writable folder for this script), assertions that
# count, gadget_* to run the emulated bootloader as a USB device, and
# finish, which prints "N passed, M failed" and sets the exit status.
set -uo pipefail

: "${CF_CARTOFLASH:?CF_CARTOFLASH must name the cartoflash binary}"
: "${CF_DFU_GADGET:?CF_DFU_GADGET must name the dfu_gadget binary}"
: "${CF_FIRMWARE_DIR:?CF_FIRMWARE_DIR must name ../shared/firmware}"
[ "${CF_IN_GUEST:-0}" = 1 ] || { echo "this script runs inside the guest: tests/guest/run-guest.sh $0" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-$CF_RUN/tmp}/$(basename "$0" .sh).XXXXXX")
passed=0
failed=0
GADGET_PID=
GADGET_LOG=
gadget_runs=0

say() { printf '%s\n' "$*"; }
pass() { passed=$((passed + 1)); say "ok: $*"; }
fail() { failed=$((failed + 1)); say "FAIL: $*"; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; return 1; fi
}

# run_logged NAME COMMAND...: runs it with output in $T/NAME.out (also shown),
# sets $rc.
run_logged() {
  local name=$1
  shift
  say "\$ $*"
  "$@" >"$T/$name.out" 2>&1
  rc=$?
  sed 's/^/    /' "$T/$name.out" | tail -n "${CF_GUEST_SHOW_LINES:-25}"
  return 0
}

# expect_rc NAME WANT: the last run_logged exited WANT.
expect_rc() {
  if [ "$rc" -eq "$2" ]; then pass "$1: exit $rc"; else fail "$1: exit $rc, expected $2"; fi
}

# expect_out NAME REGEX: the output of run_logged NAME matches REGEX (grep -E).
expect_out() {
  if grep -qE -- "$2" "$T/$1.out"; then pass "$1 says /$2/"; else fail "$1 does not say /$2/"; fi
}

# flash_has IMAGE FLASHFILE: the emulated flash starts with IMAGE.
flash_has() {
  cmp -n "$(stat -c %s "$1")" "$1" "$2" >/dev/null
}

# dfu_devices: how many 0483:df11 devices the kernel has now.
dfu_devices() {
  local n=0 d
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] || continue
    [ "$(cat "$d/idVendor"):$(cat "$d/idProduct")" = 0483:df11 ] && n=$((n + 1))
  done
  echo "$n"
}

# wait_for SECONDS COMMAND...: polls every 20 ms until the command succeeds
# or SECONDS of wall time have passed.
wait_for() {
  local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
  shift
  until "$@"; do
    [ "${EPOCHREALTIME/./}" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}

no_dfu_device() { [ "$(dfu_devices)" -eq 0 ]; }

# gadget_start SPEC [dfu_gadget options...]: plugs in the emulated bootloader
# and waits until the host has configured it (and udev has seen it).
gadget_start() {
  local spec=$1
  shift
  gadget_runs=$((gadget_runs + 1))
  GADGET_LOG="$T/gadget-$gadget_runs.log"
  rm -f "$T/gadget.ready"
  "$CF_DFU_GADGET" --log "$GADGET_LOG" --ready "$T/gadget.ready" "$@" "$spec" &
  GADGET_PID=$!
  if ! wait_for 30 test -e "$T/gadget.ready"; then
    fail "the emulated device ($spec) did not enumerate within 30 s"
    tail -n 20 "$GADGET_LOG"
    return 1
  fi
  command -v udevadm >/dev/null && udevadm settle -t 10 2>/dev/null
  return 0
}

# gadget_start_bg SPEC [options...]: starts it without waiting (appear= tests).
gadget_start_bg() {
  local spec=$1
  shift
  gadget_runs=$((gadget_runs + 1))
  GADGET_LOG="$T/gadget-$gadget_runs.log"
  rm -f "$T/gadget.ready"
  "$CF_DFU_GADGET" --log "$GADGET_LOG" --ready "$T/gadget.ready" "$@" "$spec" &
  GADGET_PID=$!
}

gadget_exited() { ! kill -0 "$GADGET_PID" 2>/dev/null; }

# gadget_wait [SECONDS]: waits for the gadget to exit; sets $gadget_rc
# (124 if it was still running and had to be stopped).
gadget_wait() {
  local limit=${1:-10}
  gadget_rc=124
  [ -n "$GADGET_PID" ] || return 0
  if wait_for "$limit" gadget_exited; then
    wait "$GADGET_PID"
    gadget_rc=$?
  else
    kill "$GADGET_PID" 2>/dev/null
    wait "$GADGET_PID" 2>/dev/null
  fi
  GADGET_PID=
  wait_for 10 no_dfu_device
}

# gadget_stop: unplugs it (SIGTERM) if still running.
gadget_stop() {
  if [ -n "$GADGET_PID" ]; then
    kill "$GADGET_PID" 2>/dev/null
    wait "$GADGET_PID" 2>/dev/null
    GADGET_PID=
  fi
  wait_for 10 no_dfu_device
}

# gadget_event NAME: the monotonic time (seconds) of the first NAME event in the log.
gadget_event() {
  sed -n "s/^t=\([0-9.]*\) $1.*/\1/p" "$GADGET_LOG" | head -n1
}

# A fresh flash file holding CONTENT (erased, or a copy of a file).
new_flash() { # PATH SIZE [FILE]
  if [ -n "${3:-}" ]; then
    head -c "$2" /dev/zero | tr '\0' '\377' >"$1"
    dd if="$3" of="$1" conv=notrunc status=none
  else
    head -c "$2" /dev/zero | tr '\0' '\377' >"$1"
  fi
}

# Real combined images (one copy of each distinct file), F042 (v2-v3) or G431 (v4).
combined_images() { # v2-v3 | v4
  find "$CF_FIRMWARE_DIR" -path "*/$1/combined-firmware/*" -name '*.bin' -type f -print0 |
    xargs -0 sha256sum | sort -k1,1 -u | awk '{ print $2 }' | sort
}

finish() {
  gadget_stop
  say "$(basename "$0" .sh): $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
