#!/usr/bin/env bash
# "7. Switch USB <-> CAN": a simulated v3 probe on USB running the USB app is
# asked the new link (CAN 1M), shown with the deployer, asked before each
# flash, told how to re-cable, found on CAN in its new Katapult and given the
# CAN app; the screen ends with its status on CAN and the state file is gone.
# Then a switch left after the deployer by the command line is continued from
# the menu: the wait for a probe that is not on the new link counts down and
# any key stops it (the state stays), and once the probe is there it finishes.
# With Klipper running it is asked whether to stop it, and offered to start it after.
. "$(dirname "$0")/lib.sh"
CAT="$CF_FIRMWARE_DIR/cartographer_firmware/firmware"
USB_APP="$CAT/v2-v3/survey/6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin"
CAN_APP="$CAT/v2-v3/survey/6.1.0/CartographerV3_6.1.0_CAN_1M_full_8kib_offset.bin"
STATE=$WORK/state/cartoflash/switch
REC=$WORK/rec
record_is() { # KEY VALUE MSG
  local got
  got=$(sed -n "s/^$1=//p" "$REC")
  if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: the node's record has $1=$got, not $2"; fi
}
app_matches() { # IMAGE FLASH: FLASH holds IMAGE from 8 KiB on
  if cmp -s -i 0:8192 -n "$(stat -c %s "$1")" "$1" "$2"; then pass "the flash holds $(basename "$1")"
  else fail "the flash does not hold $(basename "$1") at 0x08002000"; fi
}

start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$USB_APP,timing=off,record=$REC \
  --firmware-dir "$CAT"
wait_prompt 30
has " 4. Update Cartographer (automatic)"
has " 5. Enable Advanced Mode"
has " 6. Install Prerequisites"
has " 7. Switch USB <-> CAN"
choose 7
wait_for "Which link should the probe use from now on?"
wait_prompt
has " 1. USB"
choose "$(number_of "CAN at 1000000 bit/s")"
wait_for "Yes, flash the deployer" 60
wait_prompt
has "stm32f042x6 (v2/v3), runs CARTOGRAPHER V3 6.1.0 (USB)"
has "Deployer: v2-v3/katapult-deployer/katapult-deployer-1m.bin (installs Katapult for stm32f042x6 on CAN"
if grep -qx "step=found" "$STATE"; then pass "the state file says: found"; else fail "no state before the deployer"; fi
choose 1
wait_for "Yes, flash the application" 90
wait_prompt
has "fit its 120 ohm terminator jumper"
has "Waiting up to 120 s for the probe in Katapult on CAN"
has "Application: v2-v3/survey/6.1.0/CartographerV3_6.1.0_CAN_1M_full_8kib_offset.bin"
if grep -qx "step=arrived" "$STATE"; then pass "the state file says: arrived"; else fail "the state is not arrived"; fi
choose 1
wait_for "Success: Switched to CAN. Status: CAN can0 uuid" 90
has "runs CARTOGRAPHER V3 6.1.0 (CAN 1000000)"
wait_prompt
if [ ! -e "$STATE" ]; then pass "the state file is gone"; else fail "state left behind"; fi
choose 0
expect_exit 0
record_is link can "the simulated probe answers on CAN"
record_is deployer_runs 1 "the deployer ran once"
app_matches "$CAN_APP" "$WORK/flash.bin"

# A switch the command line stopped after the deployer (the probe of F2 is in
# its CAN Katapult now); the menu is started on a probe that is not (F3, still
# the USB app): the wait counts down and a key stops it, the state stays.
F2=$WORK/f2.bin F3=$WORK/f3.bin
: >"$F2"
: >"$F3"
env HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/cfg" XDG_STATE_HOME="$WORK/state" "$CARTOFLASH" \
  --simulate=katapult-usb,flash="$F2",app="$USB_APP",timing=off switch --to can@1000000 \
  --stop-after deployed --yes --source "$CAT" --offline >"$WORK/cli.out" 2>&1 ||
  fail "switch --stop-after deployed: $(cat "$WORK/cli.out")"
if grep -qx "step=deployed" "$STATE"; then pass "the command line left the switch after the deployer"; else fail "no deployed state"; fi
start -- --simulate=katapult-usb,flash=$F3,app=$USB_APP,timing=off --firmware-dir "$CAT"
wait_prompt 30
choose 7
wait_for "A switch from USB to CAN is under way (stm32f042x6, after step \"deployed\")."
wait_prompt
choose "$(number_of "Continue it")"
wait_for "Waiting for the probe on the new link:" 60
has "Press any key to stop."
has "Now move the probe to CAN:"
sleep 2.5
left=$(screen | grep -o "Waiting for the probe on the new link: *[0-9]* s" | tail -1 | grep -o "[0-9]* s")
case $left in 11[0-8]" s") pass "the countdown runs ($left left)" ;; *) fail "the countdown shows '$left'" ;; esac
key x
wait_for "Error: stopped waiting for the probe on CAN" 10
has "The switch stands after step \"deployed\": choose Switch USB <-> CAN again to continue."
wait_prompt
if grep -qx "step=deployed" "$STATE"; then pass "the state stays at deployed"; else fail "the state moved"; fi
choose 0
expect_exit 0

# The probe is on the new link now: continued from the menu, it finishes.
start -- --simulate=katapult-usb,flash=$F2,timing=off --firmware-dir "$CAT"
wait_prompt 30
choose 7
wait_for "after step \"deployed\")."
wait_prompt
choose "$(number_of "Continue it")"
wait_for "Yes, flash the application" 60
wait_prompt
has "Continuing the switch from USB to CAN"
choose 1
wait_for "Success: Switched to CAN." 90
wait_prompt
app_matches "$CAN_APP" "$F2"
if [ ! -e "$STATE" ]; then pass "the state file is gone"; else fail "state left behind"; fi
choose 0
expect_exit 0

# Klipper running (systemctl says active, Moonraker says standby): asked as on
# the other flash pages before the switch looks at the probe; stopped, and
# offered to start again at the end (here after a "no" to the deployer).
moonraker_serve one standby
moonraker_conf printer_data "$PORT_one"
klipper_active
F4=$WORK/f4.bin
: >"$F4"
start -- --simulate=katapult-usb,flash=$F4,app=$USB_APP,timing=off,record=$WORK/rec4 --firmware-dir "$CAT"
wait_prompt 30
choose 7
wait_for "Which link should the probe use from now on?"
wait_prompt
choose "$(number_of "CAN at 1000000 bit/s")"
wait_for "Klipper is running" 30
wait_prompt
choose "$(number_of "Stop Klipper for the flash (offered to start it again after)")"
wait_for "Yes, flash the deployer" 60
wait_prompt
grep -qx -- "--no-ask-password stop klipper.service" "$WORK/systemctl.log" && pass "Klipper was stopped" ||
  fail "Klipper was not stopped"
choose 2
wait_for "not confirmed; nothing was flashed" 15
has "Klipper (klipper.service) was stopped for the switch."
wait_prompt
choose "$(number_of "Start Klipper again (klipper.service)")"
wait_for "klipper.service started." 15
grep -qx -- "--no-ask-password start klipper.service" "$WORK/systemctl.log" && pass "Klipper was started again" ||
  fail "Klipper was not started again"
key Enter
wait_prompt
choose 0
expect_exit 0
REC=$WORK/rec4
record_is bootloader_requests 0 "no bootloader request without a yes"
finish
