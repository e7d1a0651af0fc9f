#!/usr/bin/env bash
# The flags of cartographer-klipper's scripts/firmware.py keep working:
# -f dfu (any case) opens the DFU menu,
# -f with a bad value is a usage error, -d without a firmware goes to the
# firmware list and from there straight to the confirmation screen.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,timing=off -f dfu
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
has "DFU MODE"
has " 1. Find Cartographer Device"
lacks "MAIN MENU"
choose 0
expect_exit 0
T kill-server

start -- --simulate=dfu,timing=off --flash Dfu -d 0483:df11 --firmware-dir "$COMBINED"
wait_for "SELECT FIRMWARE"
wait_prompt
n=$(number_of "4.0.0/Full_Cartographer_USB_4_0_0.bin")
choose "$n"
wait_for "Confirm DFU Flash"
has "Device to Flash: 0483:df11"
has "Firmware to Flash: 4.0.0/Full_Cartographer_USB_4_0_0.bin"
wait_prompt
choose 2
wait_for "WHAT WOULD YOU LIKE TO DO?"
has "Device Selected: 0483:df11"
has "Firmware Selected: 4.0.0/Full_Cartographer_USB_4_0_0.bin"
wait_prompt
choose 0
expect_exit 0
T kill-server

start -- --simulate=dfu -f flux
wait_for "EXIT="
has "-f/--flash takes CAN, USB or DFU"
lacks "EXIT=0"
finish
