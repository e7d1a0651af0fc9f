#!/usr/bin/env bash
# The other order: firmware chosen first, then the device. Selecting the device
# re-checks the chosen firmware against its chip and must keep it (a regression:
# the firmware was once cleared, leaving "Flash Selected Firmware" with no file).
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin --firmware-dir "$COMBINED"
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 2
wait_for "SELECT FIRMWARE"
wait_prompt
choose "$(number_of "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin")"
wait_for "Firmware Selected: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
wait_prompt
select_dfu_device
has "Firmware Selected: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
choose 4
wait_for "Confirm DFU Flash"
wait_prompt
has "Firmware to Flash: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
lacks "cannot be flashed"
choose 1
wait_for "Press Enter to continue..." 30
flash_matches "$USB_IMAGE"
key Enter
wait_for "Flashed Successfully"
wait_prompt
choose 0
expect_exit 0
finish
