#!/usr/bin/env bash
# Katapult over USB on the guest's real USB stack: the emulated node is a USB
# CDC-ACM device (USB/IP), enumerating as 1d50:614e "Cartographer" while
# running Klipper. cartoflash finds it in sysfs, sends the 1200-baud touch
# through the real cdc-acm driver, waits for 1d50:6177 "katapult" on the same
# port with the same serial, flashes the real app image, verifies it byte for
# byte, completes and sees the probe come back. Faults end with a clear
# message, COMPLETE is never sent after a failed write, and a retry succeeds.
. "$(dirname "$0")/../lib.sh"

NODE=${CF_KATAPULT_NODE:?CF_KATAPULT_NODE must name the emulated Katapult node (tests/guest/CMakeLists.txt sets it)}
FW="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey/5.1.0"
IMG="$FW/Survey_Cartographer_USB_8kib_offset.bin"
NODE_PID=
nodes=0

node_start() { # SPEC
  nodes=$((nodes + 1))
  NODE_LOG="$T/node-$nodes.log"
  rm -f "$T/node.ready"
  "$NODE" --log "$NODE_LOG" --ready "$T/node.ready" "$1" &
  NODE_PID=$!
  if ! wait_for 30 test -e "$T/node.ready"; then
    fail "the USB node did not enumerate ($1)"
    cat "$NODE_LOG"
  fi
  command -v udevadm >/dev/null && udevadm settle -t 10 2>/dev/null
  wait_for 10 bash -c 'ls /dev/ttyACM* >/dev/null 2>&1'
}
node_stop() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  NODE_PID=
  wait_for 10 bash -c '! ls /dev/ttyACM* >/dev/null 2>&1'
}
holds() { cmp -s -n "$(stat -c %s "$2")" -i 8192:0 "$1" "$2"; }

say "== list"
node_start "katapult-usb,flash=$T/usb.flash"
run_logged list "$CF_CARTOFLASH" list
expect_rc list 0
expect_out list "USB probe /dev/ttyACM[0-9]+ \\(port [0-9.-]+\\): 1d50:614e Cartographer 614e, serial 16000C000F43304253373820 - running Cartographer"
PORT=$(sed -n 's/.*(port \([0-9.-]*\)).*/\1/p' "$T/list.out" | head -1)

say "== flash from running Klipper (1200-baud touch)"
run_logged flash "$CF_CARTOFLASH" flash usb --yes "$IMG"
expect_rc flash 0
expect_out flash "asking it to enter Katapult"
expect_out flash "Katapult appeared on /dev/ttyACM[0-9]+ \\(same port $PORT, same chip 16000C000F43304253373820\\)"
expect_out flash "Came back: the probe is back on"
check "the touch arrived as line coding 1200 with DTR low" grep -q "line baud=1200 dtr=0" "$NODE_LOG"
check "it re-enumerated as Katapult" grep -q "attached 1d50:6177 katapult stm32f042x6" "$NODE_LOG"
check "COMPLETE after verification" grep -q " complete" "$NODE_LOG"
check "it came back as the app" bash -c "grep 'attached 1d50:614e' '$NODE_LOG' | wc -l | grep -q 2"
check "the node's flash equals the image byte for byte" holds "$T/usb.flash" "$IMG"

say "== --device by sysfs port, from Katapult mode too"
run_logged byport "$CF_CARTOFLASH" flash usb --yes --device "$PORT" "$IMG"
expect_rc byport 0
node_stop

fault_case() { # KIND@N 0|fail message
  local fault=$1 want=$2 message=$3 kind=${1%@*}
  say "== fault $fault"
  rm -f "$T/$kind.flash"
  node_start "katapult-usb,flash=$T/$kind.flash,fault=$fault,timing=off"
  run_logged "$kind" "$CF_CARTOFLASH" flash usb --yes --timeout 400 "$IMG"
  if [ "$want" = 0 ]; then
    expect_rc "$kind" 0
  else
    if [ "$rc" -ne 0 ]; then pass "$kind: fails (exit $rc)"; else fail "$kind: exit 0"; fi
    expect_out "$kind" "$message"
    expect_out "$kind" "next: "
    check "$kind: COMPLETE never sent" bash -c "! grep -q ' complete' '$NODE_LOG'"
  fi
  node_stop # a replug
  # A failed flash never sent COMPLETE, so the real probe is still in
  # Katapult; a fresh node would start the half-verified app instead.
  local stay=""
  [ "$want" = 0 ] || stay=",mode=katapult"
  node_start "katapult-usb,flash=$T/$kind.flash,timing=off$stay"
  run_logged "$kind-retry" "$CF_CARTOFLASH" flash usb --yes "$IMG"
  expect_rc "$kind: retry" 0
  check "$kind: after the retry the flash holds the image" holds "$T/$kind.flash" "$IMG"
  node_stop
}
fault_case readback@4 fail "read-back differs"
fault_case disconnect@30 fail "went away|no answer"
fault_case lost@6 0 ""
fault_case nack@3 0 ""
fault_case busy@8 0 ""

say "== the new app never enumerates; another 1d50:614e runs on another port"
node_start "katapult-usb,flash=$T/noapp.flash,noapp,timing=off"
PROBE_PID=$NODE_PID
run_logged list2 "$CF_CARTOFLASH" list
PORT=$(sed -n 's/.*(port \([0-9.-]*\)).*/\1/p' "$T/list2.out" | head -1)
node_start "katapult-usb,uid=3E0027000E51353432383931"
OTHER_PID=$NODE_PID
run_logged noapp "$CF_CARTOFLASH" flash usb --yes --device "$PORT" --back-wait 4 "$IMG"
expect_rc "noapp: written and started, not seen" 6
expect_out noapp "not seen on USB port $PORT"
expect_out noapp "ignored 1d50:614e on port [0-9.-]+ \\(serial 3E0027000E51353432383931\\): not the probe's port"
check "noapp: the image was written" holds "$T/noapp.flash" "$IMG"
kill "$OTHER_PID" 2>/dev/null
wait "$OTHER_PID" 2>/dev/null
NODE_PID=$PROBE_PID
node_stop

say "== gates through the real stack"
node_start "katapult-usb,flash=$T/gate.flash"
run_logged combined "$CF_CARTOFLASH" flash usb --yes "$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
if [ "$rc" -ne 0 ]; then pass "a combined image is refused"; else fail "combined image accepted"; fi
expect_out combined "combined"
check "the probe was not touched" bash -c "! grep -q bootloader-request '$NODE_LOG'"
node_stop

finish
