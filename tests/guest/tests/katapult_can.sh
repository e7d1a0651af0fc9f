#!/usr/bin/env bash
# Katapult over CAN on the guest's real SocketCAN stack (vcan): the emulated
# node (tests/katapult/katapult_node) starts "running Klipper"; cartoflash
# lists it, sends it to Katapult by UUID, flashes the real app image, verifies
# it byte for byte and starts it. Faults end with a clear message, COMPLETE is
# never sent after a failed write, and a retry succeeds.
. "$(dirname "$0")/../lib.sh"

NODE=${CF_KATAPULT_NODE:?CF_KATAPULT_NODE must name the emulated Katapult node (tests/guest/CMakeLists.txt sets it)}
FW="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey/5.1.0"
IMG="$FW/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
NODE_PID=
nodes=0

node_start() { # SPEC
  nodes=$((nodes + 1))
  NODE_LOG="$T/node-$nodes.log"
  rm -f "$T/node.ready"
  "$NODE" --log "$NODE_LOG" --ready "$T/node.ready" --can vcan0 "$1" &
  NODE_PID=$!
  wait_for 10 test -e "$T/node.ready" || fail "the node did not start ($1)"
}
node_stop() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  NODE_PID=
}
# holds FLASH IMAGE: the app region (offset 8192) equals IMAGE.
holds() { cmp -s -n "$(stat -c %s "$2")" -i 8192:0 "$1" "$2"; }

check "vcan0 created" ip link add dev vcan0 type vcan
check "vcan0 up" ip link set vcan0 up

say "== list"
node_start "katapult-can,flash=$T/can.flash"
run_logged list "$CF_CARTOFLASH" list
expect_rc list 0
expect_out list "CAN vcan0: vcan interface, no bitrate"
expect_out list "canbus_uuid [0-9a-f]{12} - running Klipper"
UUID=$(sed -n 's/.*canbus_uuid \([0-9a-f]\{12\}\) - running Klipper.*/\1/p' "$T/list.out" | head -1)

say "== the bus bitrate must be known (vcan has none)"
run_logged nobitrate "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 "$IMG"
if [ "$rc" -ne 0 ]; then pass "refused without a bitrate (exit $rc)"; else fail "flashed without knowing the bitrate"; fi
expect_out nobitrate "reports no bitrate"
expect_out nobitrate "--bitrate"
run_logged wrongrate "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 500000 "$IMG"
if [ "$rc" -ne 0 ]; then pass "a 1M image on a 500k bus is refused"; else fail "wrong bitrate accepted"; fi
check "nothing was sent to the node" bash -c "! grep -q bootloader-request '$NODE_LOG'"

say "== a running Klipper host is stopped first"
bash -c 'exec -a klippy.py sleep 60' &
KLIPPY=$!
sleep 0.2
run_logged klippy "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 1000000 "$IMG"
if [ "$rc" -ne 0 ]; then pass "refused while klippy runs (exit $rc)"; else fail "flashed under a running klippy"; fi
expect_out klippy "Klipper is running \\(process $KLIPPY\\)"
expect_out klippy "systemctl stop klipper"
kill "$KLIPPY"; wait "$KLIPPY" 2>/dev/null

say "== flash from running Klipper"
run_logged flash "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 1000000 "$IMG"
expect_rc flash 0
expect_out flash "Written and verified 21824 bytes"
expect_out flash "Came back: the probe is back on"
check "the node was sent to Katapult" grep -q bootloader-request "$NODE_LOG"
check "COMPLETE after verification" grep -q " complete" "$NODE_LOG"
check "the app started" grep -q app-start "$NODE_LOG"
check "the node's flash equals the image byte for byte" holds "$T/can.flash" "$IMG"
node_stop

fault_case() { # KIND@N expected-exit(0|fail) message
  local fault=$1 want=$2 message=$3 kind=${1%@*}
  say "== fault $fault"
  rm -f "$T/$kind.flash"
  node_start "katapult-can,flash=$T/$kind.flash,fault=$fault,timing=off"
  run_logged "$kind" "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 1000000 --timeout 400 "$IMG"
  if [ "$want" = 0 ]; then
    expect_rc "$kind" 0
  else
    if [ "$rc" -ne 0 ]; then pass "$kind: fails (exit $rc)"; else fail "$kind: exit 0"; fi
    expect_out "$kind" "$message"
    expect_out "$kind" "next: "
    check "$kind: COMPLETE never sent" bash -c "! grep -q ' complete' '$NODE_LOG'"
  fi
  node_stop
  # A failed flash never sent COMPLETE, so the real probe is still in
  # Katapult; a fresh node would start the half-verified app instead.
  local stay=""
  [ "$want" = 0 ] || stay=",mode=katapult"
  node_start "katapult-can,flash=$T/$kind.flash,timing=off$stay"
  run_logged "$kind-retry" "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 1000000 "$IMG"
  expect_rc "$kind: retry" 0
  check "$kind: after the retry the flash holds the image" holds "$T/$kind.flash" "$IMG"
  node_stop
}
fault_case readback@4 fail "read-back differs"
fault_case disconnect@30 fail "no answer to SEND_BLOCK"
fault_case lost@6 0 ""
fault_case nack@3 0 ""
fault_case busy@8 0 ""

say "== the new app never answers; another node runs Klipper on the bus"
node_start "katapult-can,flash=$T/noapp.flash,noapp,timing=off"
PROBE_PID=$NODE_PID
"$NODE" --log "$T/other.log" --ready "$T/other.ready" --can vcan0 "katapult-can,uid=3E0027000E51353432383931" &
OTHER_PID=$!
wait_for 10 test -e "$T/other.ready" || fail "the other node did not start"
run_logged noapp "$CF_CARTOFLASH" flash can --yes --uuid "$UUID" --interface vcan0 --bitrate 1000000 --back-wait 3 "$IMG"
expect_rc "noapp: written and started, not seen" 6
expect_out noapp "node $UUID did not answer on vcan0 as Klipper"
expect_out noapp "ignored CAN node [0-9a-f]{12}: not the probe's UUID"
expect_out noapp "termination"
check "noapp: the image was written" holds "$T/noapp.flash" "$IMG"
kill "$OTHER_PID" 2>/dev/null
wait "$OTHER_PID" 2>/dev/null
node_stop

say "== a node claimed by a running Klipper does not answer a query"
node_start "katapult-can,claimed"
run_logged claimed "$CF_CARTOFLASH" list
expect_out claimed "no unassigned node answered"
expect_out claimed "Note: A node only answers a CAN query while it has no node id"
node_stop

finish
