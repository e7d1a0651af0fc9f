#!/usr/bin/env bash
# `cartoflash switch` on the guest's real stacks: a v3 probe running the USB
# app is a USB/IP CDC-ACM device (tests/katapult/katapult_node); the switch
# to CAN at 1 Mbit/s flashes the CAN deployer over USB (1200-baud touch,
# Katapult on USB), stops after it, and the node moves to vcan0 in its new
# Katapult as a re-cabled probe would. The second run continues there: finds
# the same chip on vcan0 by its UUID, flashes the CAN app and shows its
# status on CAN; the state file is gone. Then back to USB in one run.
. "$(dirname "$0")/../lib.sh"

NODE=${CF_KATAPULT_NODE:?CF_KATAPULT_NODE must name the emulated Katapult node (tests/guest/CMakeLists.txt sets it)}
CAT="$CF_FIRMWARE_DIR/cartographer_firmware"
V3="$CAT/firmware/v2-v3"
START_APP="$V3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
export XDG_STATE_HOME="$T/state"
STATE="$XDG_STATE_HOME/cartoflash/switch"
NODE_LOG="$T/node.log"
# holds FLASH IMAGE: the app region (offset 8192) equals IMAGE.
holds() { cmp -s -n "$(stat -c %s "$2")" -i 8192:0 "$1" "$2"; }
# logged REGEX: the node's log has a line matching it.
logged() { grep -qE -- "$1" "$NODE_LOG"; }
# state_is STEP: the state file says the switch stands after STEP.
state_is() { grep -qx "step=$1" "$STATE" 2>/dev/null; }
# app_of OUTFILE: the catalogue path of the application a run picked.
app_of() { sed -n 's/^Application: \([^ ,]*\).*/\1/p' "$1" | head -n1; }
sw() { "$CF_CARTOFLASH" switch --source "$CAT" --offline --yes "$@"; }

check "vcan0 created" ip link add dev vcan0 type vcan
check "vcan0 up" ip link set vcan0 up

say "== a v3 probe on USB running the 5.1.0 USB app"
"$NODE" --log "$NODE_LOG" --ready "$T/node.ready" --can vcan0 \
  "katapult-usb,flash=$T/sw.flash,app=$START_APP" &
NODE_PID=$!
if ! check "the node enumerated on USB" wait_for 30 test -e "$T/node.ready"; then
  cat "$NODE_LOG"
fi
command -v udevadm >/dev/null && udevadm settle -t 10 2>/dev/null
check "the host sees /dev/ttyACM*" wait_for 10 bash -c 'ls /dev/ttyACM* >/dev/null 2>&1'

say "== switch --to can@1000000, stopped after the deployer"
run_logged deploy sw --to can@1000000 --interface vcan0 --stop-after deployed
expect_rc deploy 0
expect_out deploy "^Deployer: v2-v3/katapult-deployer/katapult-deployer-1m.bin"
expect_out deploy "fit its 120 ohm terminator jumper"
expect_out deploy "vcan0 must be up at 1000000 bit/s"
expect_out deploy "Stopped after the deployer"
check "the state file says: deployed" state_is deployed
check "the touch arrived as line coding 1200 with DTR low" logged "line baud=1200 dtr=0"
check "it went to Katapult on USB" logged "attached 1d50:6177 katapult"
check "the deployer ran" wait_for 10 logged "deployer-run"
check "the node left USB for vcan0" wait_for 10 logged "moved to can vcan0"
check "and serves on vcan0" logged "listening on vcan0"
UUID=$(sed -n 's/.*listening on vcan0 uuid=\([0-9a-f]*\).*/\1/p' "$NODE_LOG" | head -n1)
check "the USB device is gone" wait_for 10 bash -c '! ls /dev/ttyACM* >/dev/null 2>&1'
run_logged list "$CF_CARTOFLASH" list
expect_out list "canbus_uuid $UUID - in Katapult"

say "== switch again: continues on CAN"
run_logged resume sw
expect_rc resume 0
expect_out resume "^Continuing the switch from USB to CAN .* after step \"deployed\""
expect_out resume "Waiting up to 120 s for the probe in Katapult on CAN"
expect_out resume "^Application: v2-v3/survey/[0-9.]+/.*CAN_1M.*_8kib_offset.bin"
expect_out resume "^Status: CAN vcan0 uuid $UUID: stm32f042x6 \\(v2/v3\\) runs .* \\(CAN 1000000\\)"
check "the state file is gone" test ! -e "$STATE"
CAN_APP=$(app_of "$T/resume.out")
check "the node's flash holds the CAN app ($CAN_APP)" holds "$T/sw.flash" "$CAT/firmware/$CAN_APP"
check "the app started after the move to CAN" \
  awk '/moved to can/ { moved = 1 } moved && / app-start/ { ok = 1 } END { exit !ok }' "$NODE_LOG"

say "== status on CAN"
"$CF_CARTOFLASH" status --json --source "$CAT" --offline >"$T/status.json" 2>"$T/status.err"
rc=$?
expect_rc status 0
sed 's/^/    /' "$T/status.json"
CAN_SEMVER=$(sed -n 's|^v2-v3/survey/\([0-9.]*\)/.*|\1|p' <<<"$CAN_APP")
if jq -e --arg u "$UUID" --arg v "$CAN_SEMVER" \
  '.probes[] | select(.uuid == $u) | select(.connection == "can" and .can_bitrate == 1000000 and .semver == $v)' \
  "$T/status.json" >/dev/null; then
  pass "status: the probe answers on CAN at 1000000 with $CAN_SEMVER"
else
  fail "status does not show the probe on CAN at 1000000 with $CAN_SEMVER"
fi

say "== back to USB in one run"
run_logged back sw --to usb --wait 30
expect_rc back 0
expect_out back "^Deployer: v2-v3/katapult-deployer/katapult-deployer-usb.bin"
expect_out back "Waiting up to 30 s for the probe in Katapult on USB \\(CAN UUID $UUID\\)"
expect_out back "^Status: USB .*runs .* \\(USB\\)"
check "the node left vcan0 for USB" logged "moved to usb"
check "the state file is gone" test ! -e "$STATE"
USB_APP=$(app_of "$T/back.out")
check "the node's flash holds the USB app ($USB_APP)" holds "$T/sw.flash" "$CAT/firmware/$USB_APP"

kill "$NODE_PID" 2>/dev/null
wait "$NODE_PID" 2>/dev/null
if [ "$failed" -ne 0 ]; then
  say "== the node's log"
  sed 's/^/    /' "$NODE_LOG"
fi
finish
