#!/usr/bin/env bash
# Faults through the real USB stack: each injected fault stops cartoflash with
# a clear message and a failure exit code, the probe is never told to leave,
# the device is recoverable (still in DFU, or back in DFU after a disconnect,
# as after a replug) and a retry succeeds. Plus the wrong-chip gate.
. "$(dirname "$0")/../lib.sh"

FW="$CF_FIRMWARE_DIR/cartographer_firmware/firmware"
IMG="$FW/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_USB.bin"
OLD="$FW/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
G431="$FW/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_USB.bin"

# The device was configured again after dropping off (a replug).
reconfigured() { [ "$(grep -c " configured$" "$GADGET_LOG")" -ge 2 ]; }

fault_case() { # kind@N message-regex [cartoflash flash options]
  local fault=$1 message=$2 kind=${1%@*}${3:+-pages} flash="$T/${1%@*}.flash"
  local -a extra=()
  [ -n "${3:-}" ] && extra=("$3" "${4:-}")
  say "== fault $fault"
  new_flash "$flash" 32768 "$OLD" # every page of IMG differs: erase + write
  gadget_start "dfu,flash=$flash,timing=off,fault=$fault" --replug 300 || return
  run_logged "$kind" "$CF_CARTOFLASH" flash dfu --yes "${extra[@]}" "$IMG"
  if [ "$rc" -ne 0 ]; then pass "$kind: cartoflash fails (exit $rc)"; else fail "$kind: cartoflash exit 0 despite $fault"; fi
  expect_out "$kind" "^cartoflash: error: "
  expect_out "$kind" "$message"
  if grep -q " left " "$GADGET_LOG"; then fail "$kind: leave was sent after a failure"; else pass "$kind: never left DFU"; fi
  if [ "$kind" = disconnect ]; then
    check "$kind: the device dropped off the bus" grep -q "detached (disconnect fault)" "$GADGET_LOG"
    check "$kind: it comes back in DFU mode (replug)" wait_for 20 reconfigured
  else
    check "$kind: the device is still there" test "$(dfu_devices)" -eq 1
  fi
  run_logged "$kind-retry" "$CF_CARTOFLASH" flash dfu --yes --wait 10 "$IMG"
  expect_rc "$kind: retry" 0
  expect_out "$kind-retry" "Came back: the probe is back on"
  check "$kind: after the retry the flash holds the image" flash_has "$IMG" "$flash"
  check "$kind: after the retry the device left DFU" grep -q " left jump=0x08000000" "$GADGET_LOG"
  gadget_stop
}

fault_case disconnect@5 "dropped off USB|disconnected|gone"
fault_case stall@3 "still in DFU mode"
fault_case errwrite@4 "errWRITE"
# Most pages differ, so one mass erase replaces the page erases (the 1st erase);
# with --erase pages the 2nd page erase fails.
fault_case errerase@1 "refuses mass erase, flash with --erase pages"
fault_case errerase@2 "errERASE" --erase pages
fault_case bitflip@6 "verify failed at 0x080"
fault_case timeout@3 "still in DFU mode"

# The new firmware never enumerates (noapp), while another 1d50:614e (a second
# Cartographer running Klipper, another chip) sits on another port: written,
# verified and started, but not seen (exit 6), and the other device is named
# as ignored, never taken for the probe.
NODE=${CF_KATAPULT_NODE:?CF_KATAPULT_NODE must name the emulated Katapult node (tests/guest/CMakeLists.txt sets it)}
say "== noapp, with an unrelated 1d50:614e on another port"
"$NODE" --log "$T/other.log" --ready "$T/other.ready" "katapult-usb,uid=3E0027000E51353432383931" &
OTHER_PID=$!
check "the other device enumerated" wait_for 30 test -e "$T/other.ready"
flash="$T/noapp.flash"
new_flash "$flash" 32768 "$OLD"
gadget_start "dfu,flash=$flash,timing=off,noapp" || true
run_logged noapp "$CF_CARTOFLASH" flash dfu --yes --back-wait 4 "$IMG"
expect_rc "noapp: not seen again" 6
expect_out noapp "not seen on USB port"
expect_out noapp "ignored 1d50:614e on port [0-9.-]+ \\(serial 3E0027000E51353432383931\\): not the probe's port"
check "noapp: the image was written anyway" flash_has "$IMG" "$flash"
gadget_stop
kill "$OTHER_PID" 2>/dev/null
wait "$OTHER_PID" 2>/dev/null

# Wrong chip: a G431 (v4) image offered to an F042 is refused before anything
# is erased; the flash is untouched and the right image then goes in.
say "== wrong chip"
flash="$T/wrong.flash"
new_flash "$flash" 32768 "$OLD"
cp "$flash" "$T/wrong.before"
gadget_start "dfu,flash=$flash,timing=off" || true
run_logged wrong "$CF_CARTOFLASH" flash dfu --yes "$G431"
expect_rc "wrong chip: refused by the safety gate" 3
expect_out wrong "stm32g431"
check "wrong chip: the flash is untouched" cmp "$flash" "$T/wrong.before"
check "wrong chip: the device is still there in DFU mode" test "$(dfu_devices)" -eq 1
run_logged wrong-retry "$CF_CARTOFLASH" flash dfu --yes "$IMG"
expect_rc "wrong chip: the right image then flashes" 0
check "wrong chip: the flash holds the right image" flash_has "$IMG" "$flash"
finish
