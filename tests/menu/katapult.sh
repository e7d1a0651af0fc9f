#!/usr/bin/env bash
# Katapult - CAN and Katapult - USB flash through the Katapult layer against
# the emulated node: find the probe (CAN query / USB sysfs), pick an app image
# (wrong bitrate refused), confirm, flash, Flashed Successfully; the node's
# flash then holds the image at 0x08002000. A block stored wrong fails the
# read-back (COMPLETE not sent) and Retry works.
. "$(dirname "$0")/lib.sh"
SURVEY="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey"
CAN_APP="$SURVEY/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
USB_APP="$SURVEY/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"

app_matches() { # IMAGE: the node's flash holds IMAGE from 8 KiB on
  cmp -i 0:8192 -n "$(stat -c %s "$1")" "$1" "$WORK/flash.bin" ||
    fatal "node flash does not hold $(basename "$1") at 0x08002000"
}

start -- --simulate=katapult-can,flash=$WORK/flash.bin,fault=readback@3 --firmware-dir "$SURVEY"
wait_prompt
choose 1
wait_for " 2. Select CAN Firmware"
wait_prompt
choose 1
wait_for "Querying CAN devices.."
wait_for "(Klipper, CAN query on can0)"
wait_prompt
choose 1
wait_for "Device Selected:"
wait_prompt
choose 2
wait_for "can0 runs at 1000000 bit/s"
wait_prompt
has "5.1.0/Survey_Cartographer_CAN_500000_8kib_offset.bin  [refused: other bitrate]"
has "5.1.0/HT/Survey_Cartographer_CAN_1000000_8kib_offset.bin  [refused: HT image]"
choose "$(number_of "5.1.0/Survey_Cartographer_CAN_500000_8kib_offset.bin")"
wait_for "cannot be flashed over Katapult"
key Enter
wait_for "SELECT FIRMWARE"
wait_prompt
choose "$(number_of "5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin")"
wait_for "Flash Selected Firmware"
wait_prompt
choose 4
wait_for "Confirm CAN Flash"
wait_prompt
has " 2. No, return to CAN menu"
choose 1
wait_for "Flash Failed" 60
wait_prompt
has "COMPLETE was not sent: the probe stays in Katapult"
choose 1
wait_for "Press Enter to continue..." 60
has "Verify    [=========================] 100%"
key Enter
wait_for "Flashed Successfully"
has "Success: Firmware flashed successfully to device!"
has "Came back: the probe is back on"
wait_prompt
choose 0
expect_exit 0
app_matches "$CAN_APP"

: >"$WORK/flash.bin"
start -- --simulate=katapult-usb,flash=$WORK/flash.bin --firmware-dir "$SURVEY"
wait_prompt
choose 2
wait_for " 2. Select USB Firmware"
wait_prompt
choose 1
wait_for "Querying USB devices.."
wait_for "Success: 1 device found"
wait_prompt
choose 1
wait_for "Device Selected:"
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
choose 0
expect_exit 0
app_matches "$USB_APP"
finish
