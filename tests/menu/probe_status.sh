#!/usr/bin/env bash
# What the probe runs, in the menu: the main screen shows the same line as
# `cartoflash status` (asked from the simulated USB probe running 5.0.0);
# flashing the build it already runs is "nothing to do" with no bootloader
# request (the node's flash stays as it was); flashing 5.1.0 works and the
# main screen then shows 5.1.0.
. "$(dirname "$0")/lib.sh"
SURVEY="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v2-v3/survey"
OLD="$SURVEY/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
NEW="$SURVEY/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"

app_matches() { # IMAGE: the node's flash holds IMAGE from 8 KiB on
  cmp -i 0:8192 -n "$(stat -c %s "$1")" "$1" "$WORK/flash.bin" ||
    fatal "node flash does not hold $(basename "$1") at 0x08002000"
}

pick_and_flash() { # LABEL: device, firmware, flash (stops at the confirm)
  choose 2
  wait_for " 2. Select USB Firmware"
  wait_prompt
  choose 1
  wait_for "Success: 1 device found"
  wait_prompt
  choose 1
  wait_for "Device Selected:"
  wait_prompt
  choose 2
  wait_for "SELECT FIRMWARE"
  wait_prompt
  choose "$(number_of "$1")"
  wait_for "Flash Selected Firmware"
  wait_prompt
  choose 4
  wait_for "Confirm USB Flash"
  wait_prompt
  choose 1
}

start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$OLD --firmware-dir "$SURVEY"
wait_prompt 30
has "runs CARTOGRAPHER 5.0.0 (USB) - update available (CARTOGRAPHER V3 6.1.0)"
has "stm32f042x6 (v2/v3)"
cp "$WORK/flash.bin" "$WORK/before.bin"
pick_and_flash "5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
wait_for "already runs CARTOGRAPHER 5.0.0 (USB); nothing to do" 30
has "No bootloader request was sent."
cmp -s "$WORK/flash.bin" "$WORK/before.bin" || fatal "the node's flash changed"
key Enter
wait_for " 2. Select USB Firmware"
wait_prompt
choose 2
wait_for "SELECT FIRMWARE"
wait_prompt
choose "$(number_of "5.1.0/Survey_Cartographer_USB_8kib_offset.bin")"
wait_for "Flash Selected Firmware"
wait_prompt
choose 4
wait_for "Confirm USB Flash"
wait_prompt
choose 1
wait_for "Press Enter to continue..." 60
key Enter
wait_for "Flashed Successfully"
wait_prompt
choose "$(number_of "Back to main menu")"
wait_for "runs CARTOGRAPHER 5.1.0 (USB) - update available" 30
wait_prompt
choose 0
expect_exit 0
app_matches "$NEW"
finish
