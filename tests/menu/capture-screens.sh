#!/usr/bin/env bash
# Regenerates docs/screens/: one plain-text capture (<name>.txt) and one with
# the colours as ANSI escapes (<name>.ansi, view with `cat` or `less -R`) of
# every screen of the interactive flasher, taken from the real binary in a
# 100x50 tmux terminal against the simulated probe.
#   usage: CARTOFLASH=build/src/cli/cartoflash CF_FIRMWARE_DIR=DIR \
#          tests/menu/capture-screens.sh [OUTDIR]
. "$(dirname "$0")/lib.sh"
OUT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/docs/screens"}
mkdir -p "$OUT"

# snap NAME: save the visible screen, trailing blank lines and the temp paths
# of this run removed (and the simulated probe's pty number) so captures do not
# change from one run to the next.
snap() {
  # $WORK/home is HOME, $WORK/cfg XDG_CONFIG_HOME, $WORK/state XDG_STATE_HOME (lib.sh)
  local sed_args=(-e "s|$WORK/state|/home/pi/.local/state|g" -e "s|$WORK/cfg|/home/pi/.config|g"
    -e "s|$WORK/home|/home/pi|g" -e "s|$WORK|/home/pi|g" -e 's/[0-9]\{8\}-[0-9]\{6\}/20250101-120000/g'
    -e 's|/dev/pts/[0-9]*|/dev/pts/N|g')
  T capture-pane -p -J | sed "${sed_args[@]}" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$OUT/$1.txt"
  T capture-pane -p -e -J | sed "${sed_args[@]}" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$OUT/$1.ansi"
}

start -- --simulate=dfu,appear=2,timing=off,flash=$WORK/flash.bin --firmware-dir "$COMBINED"
wait_prompt; snap main-menu
choose 3; wait_for "Find DFU Firmware"; wait_prompt; snap dfu-menu
choose 1; wait_for "Waiting for a device in DFU mode:"; snap dfu-querying
wait_for "Success: DFU Device Found"; wait_prompt; snap dfu-device-found
choose 1; wait_for "Device Selected:"; wait_prompt
choose 2; wait_for "SELECT FIRMWARE"; wait_prompt; snap dfu-firmware-select
choose "$(number_of "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin")"
wait_for "Flash Selected Firmware"; wait_prompt; snap dfu-both-selected
choose 4; wait_for "Are these details correct?"; wait_prompt; snap dfu-confirm
choose 1; wait_for "Press Enter to continue..." 30; snap dfu-flashing
key Enter; wait_for "Flashed Successfully"; wait_prompt; snap dfu-flashed
choose 1; wait_for "MAIN MENU"; wait_prompt
choose 5; wait_for "Disable Advanced Mode"; wait_prompt; snap main-menu-advanced
choose "$(number_of "Switch Branch")"; wait_for "SELECT A BRANCH"; wait_prompt; snap branch-menu
choose "$(number_of "Back to Main Menu")"; wait_for "Disable Advanced Mode"; wait_prompt
choose "$(number_of "Set Custom Directories")"; wait_for "WHICH DIRECTORY"; wait_prompt
snap directories-menu
choose "$(number_of "Back to Main Menu")"; wait_for "Disable Advanced Mode"; wait_prompt
choose "$(number_of "Switch Flash Mode")"; wait_for "SELECT A FLASHING MODE"; wait_prompt; snap mode-menu
choose "$(number_of "Back to Main Menu")"; wait_for "Disable Advanced Mode"; wait_prompt
choose 1; wait_for " 2. Select CAN Firmware"; wait_prompt; snap katapult-can
choose "$(number_of "Back to main menu")"; wait_for "MAIN MENU"; wait_prompt
choose 6; wait_for "udev rule for 0483:df11"; wait_prompt; snap prerequisites
choose 0; expect_exit 0

# the countdown stopped by a key, the failure page, the Klipper question
start -- --simulate=dfu,appear=60,timing=off -f dfu
wait_prompt; choose 1; wait_for "Waiting for a device in DFU mode:"; key x
wait_for "Stopped:"; wait_prompt; snap dfu-wait-stopped
choose 0; expect_exit 0

start -- --simulate=dfu,appear=1,timing=off,fault=errwrite@3,flash=$WORK/flash.bin \
  -f dfu -d 0483:df11 --firmware "$CAN_IMAGE"
wait_for "Are these details correct?"; wait_prompt; choose 1
wait_for "Flash Failed" 30; wait_prompt; snap dfu-flash-failed
choose 0; expect_exit 0

cat >"$WORK/bin/systemctl" <<SH
#!/bin/sh
case "\$1" in is-active) echo active; exit 0;; esac
exit 0
SH
chmod +x "$WORK/bin/systemctl"
mkdir -p "$WORK/cfg/cartoflash" "$WORK/mr/printer/objects"
echo "moonraker_url = file://$WORK/mr" >"$WORK/cfg/cartoflash/config"
echo '{"result":{"status":{"print_stats":{"state":"printing"}}}}' >"$WORK/mr/printer/objects/query"
start -- --simulate=dfu,timing=off -f dfu -d 0483:df11 --firmware "$USB_IMAGE"
wait_for "Are these details correct?"; wait_prompt; choose 1
wait_for "A print is in progress"; wait_prompt
snap klipper-printing
choose 0; expect_exit 0
# Katapult over CAN against the emulated node
SURVEY="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey"
: >"$WORK/cfg/cartoflash/config"
rm -f "$WORK/bin/systemctl"
start -- --simulate=katapult-can,flash=$WORK/flash.bin --firmware-dir "$SURVEY" -f can
wait_prompt; choose 1; wait_for "(Klipper, CAN query on can0)"; wait_prompt; snap katapult-can-devices
choose 1; wait_for "Device Selected:"; wait_prompt
choose 2; wait_for "can0 runs at"; wait_prompt; snap katapult-can-firmware
choose "$(number_of "5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin")"
wait_for "Flash Selected Firmware"; wait_prompt
choose 4; wait_for "Confirm CAN Flash"; wait_prompt; snap katapult-can-confirm
choose 1; wait_for "Press Enter to continue..." 60; snap katapult-can-flashing
key Enter; wait_for "Flashed Successfully"; wait_prompt; snap katapult-can-flashed
choose 0; expect_exit 0

# Update Cartographer (automatic): a USB probe running 5.0.0
V3="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v2-v3/survey"
: >"$WORK/flash.bin"
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin \
  --firmware-dir "$V3"
wait_prompt 30; choose 4; wait_for "Yes, update the probe" 60; wait_prompt; snap update-confirm
choose 1; wait_for "The probe now runs" 90; wait_prompt; snap update-done
choose "$(number_of "Back to main menu")"; wait_for "up to date" 30; wait_prompt
choose 4; wait_for "Nothing to do" 60; wait_prompt; snap update-nothing-to-do
choose 0; expect_exit 0

# Switch USB <-> CAN: a USB probe running the USB app, moved to CAN at 1 Mbit/s
: >"$WORK/flash.bin"
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$V3/6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin,timing=off \
  --firmware-dir "$CF_FIRMWARE_DIR/cartographer_firmware/firmware"
wait_prompt 30; choose 7; wait_for "Which link should the probe use"; wait_prompt; snap switch-link
choose "$(number_of "CAN at 1000000 bit/s")"; wait_for "Yes, flash the deployer" 60; wait_prompt
snap switch-deployer
choose 1; wait_for "Yes, flash the application" 90; wait_prompt; snap switch-recabled
choose 1; wait_for "Success: Switched to CAN." 90; wait_prompt; snap switch-done
choose 0; expect_exit 0

echo "captured $(ls "$OUT"/*.txt | wc -l) screens into $OUT"
