#!/usr/bin/env bash
# The menu's DFU flash ends with the same came-back check as the CLI: the new
# firmware never enumerates (noapp) while a printer mainboard running Klipper
# (1d50:614e) sits on another port. The menu must not call that the probe:
# it says the probe was not seen on its port and names the other device.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,timing=off,noapp,mainboard=usb,flash=$WORK/flash.bin --firmware-dir "$COMBINED"
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 1
wait_for "Success: DFU Device Found" 10
wait_prompt
choose 1
wait_for "Device Selected: 0483:df11"
wait_prompt
choose 2
wait_for "SELECT FIRMWARE"
wait_prompt
choose "$(number_of "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin")"
wait_for "Firmware Selected: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
wait_prompt
choose 4
wait_for "Confirm DFU Flash"
wait_prompt
choose 1
wait_for "Press Enter to continue..." 30
flash_matches "$USB_IMAGE"
key Enter
wait_for "Flashed Successfully"
wait_for "not seen on USB port 1-1.3" 15
has "ignored 1d50:614e on port 1-1.4"
lacks "Came back"
wait_prompt
choose 0
expect_exit 0
