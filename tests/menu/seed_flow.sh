#!/usr/bin/env bash
# The whole DFU flow of the Cartographer docs' "via DFU" page, pressing the
# numbers its pictures show:
# main menu -> 3. DFU -> 1. Find Cartographer Device -> 1. Select 0483:df11 ->
# 2. Find DFU Firmware -> pick -> 4. Flash Selected Firmware -> 1. Yes ->
# Flashed Successfully; then the emulated flash must hold the image.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,appear=2,timing=off,flash=$WORK/flash.bin --firmware-dir "$COMBINED"
wait_prompt
has "CARTOGRAPHER FIRMWARE FLASHER v"
has "BRANCH: MASTER"
has "MAIN MENU"
has " 1. Katapult - CAN    [For Flashing via CAN]"
has " 2. Katapult - USB    [For Flashing via USB]"
has " 3. DFU"
has " 5. Enable Advanced Mode"
has " 0. Exit"

choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
has " 1. Find Cartographer Device"
has " 2. Find DFU Firmware"
has " 4. Back to main menu"
lacks "Flash Selected Firmware"

choose 1
wait_for "Querying DFU devices.."
has "bridge the BOOT0 pins"
wait_for "Detected DFU device: 0483:df11" 10
has "Success: DFU Device Found"
wait_prompt
has " 1. Select 0483:df11"
has " 3. Check Again"
has " 5. Back"
has " 6. Back to main menu"

choose 1
wait_for "Device Selected: 0483:df11"
wait_prompt
choose 2
wait_for "SELECT FIRMWARE"
wait_prompt
has "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin  (5.0.0, USB, stm32f042x6)"
has "5.0.0/Full_Survey_Cartographer_CAN_1M_5_0_0.bin  (5.0.0, CAN 1000000, stm32f042x6)"
lacks "Katapult_USB.bin" # not a combined image
# a K-series image is marked and refused with a short reason that fits the
# page (K-series is off); choosing it gives the whole reason and the setting
has "Images marked [refused] cannot be flashed with these settings; choose one to see why."
has " 8. 5.0.0/Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin  [refused: K-series image]"
if screen | awk '/^ [0-9]+\. / && length > 89 { bad = 1 } END { exit !bad }'; then
  fatal "a firmware line is wider than the 89-column page"
fi
choose "$(number_of "Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin")"
wait_for "(5.0.0 K1, USB, stm32f042x6) cannot be flashed over DFU: K-series (K1) image"
has 'To flash it, choose "Enable Creality K Series Firmware" in advanced mode (or start cartoflash with -k).'
wait_for "Press Enter to continue..."
key Enter
wait_for "SELECT FIRMWARE"
wait_prompt
lacks "Firmware Selected:"
n=$(number_of "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin")
choose "$n"

wait_for "Firmware Selected: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
wait_prompt
has " 4. Flash Selected Firmware"
has " 6. Back to main menu"
choose 4

wait_for "Confirm DFU Flash"
wait_prompt
has "Device to Flash: 0483:df11"
has "Firmware to Flash: 5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
has "Are these details correct?"
has " 1. Yes, proceed to flash"
has " 2. No, return to DFU menu"
choose 1

wait_for "Flashing via DFU.."
wait_for "Press Enter to continue..." 30
has "Erase     [=========================] 100%"
has "Download  [=========================] 100%"
has "Verify    [=========================] 100%"
has "Leaving DFU mode"
flash_matches "$USB_IMAGE"
key Enter

wait_for "Flashed Successfully"
has "Success: Firmware flashed successfully to device!"
has "This is USB firmware"
# the simulated probe boots what it was flashed with: Katapult starts the USB
# app, which enumerates as the Cartographer on the port the ROM was on
wait_for "Success: Came back: the probe is back on 1-1.3 after" 12
has "it runs CARTOGRAPHER"
lacks "not seen on USB port"
lacks "does not run firmware"
wait_prompt

# Looking for a DFU device now finds the probe running its firmware: the
# blue-LED case, with the BOOT0 advice
choose "$(number_of "Back to main menu")"
wait_for "MAIN MENU"
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 1
wait_for "Waiting for a device in DFU mode:"
wait_for "1d50:614e at 1-1.3 is in run-time mode (Cartographer/Klipper firmware; the blue-LED case)"
key x
wait_for "Stopped: no device in DFU mode was found yet."
wait_prompt
choose 0
expect_exit 0
finish
