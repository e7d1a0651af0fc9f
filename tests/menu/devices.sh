#!/usr/bin/env bash
# Only Cartographer probes are offered: with a printer mainboard's STM32F446 in
# DFU mode next to the probe, every device line names its chip, the mainboard
# is shown as not a probe and never offered (the probe is 1. Select, the
# number the Cartographer docs show), and flashing writes the probe. With the
# mainboard alone, nothing is offered at all.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,mainboard=f446,timing=off,flash=$WORK/flash.bin --firmware-dir "$COMBINED"
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 1
wait_for "Detected DFU device: 0483:df11 at 1-1.4" 10
wait_prompt
has "Detected DFU device: 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)"
has "Detected DFU device: 0483:df11 at 1-1.4 (STM32F4 family, 512 KiB flash: NOT a Cartographer probe)"
has "Not offered: this menu flashes only Cartographer probes"
has "Success: DFU Device Found"
has " 1. Select 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)"
lacks "Select 0483:df11 at 1-1.4"
lacks " 2. Select"
choose 1
wait_for "Device Selected: 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)"
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
has "Device to Flash: 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)"
choose 1
wait_for "Press Enter to continue..." 30
has "Verify    [=========================] 100%"
flash_matches "$USB_IMAGE"
key Enter
wait_for "Flashed Successfully"
wait_prompt
choose 0
expect_exit 0

# The mainboard already in DFU mode, the probe put in DFU mode 2 s later: the
# mainboard does not end the search; the probe is found and is 1. Select.
start -- --simulate=dfu,appear=2,mainboard=f446,timing=off
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 1
wait_for "still waiting for the probe" 5
lacks "Detected DFU device"
wait_for "Detected DFU device: 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)" 10
wait_prompt
has " 1. Select 0483:df11 at 1-1.3 (stm32f042x6, Cartographer v2/v3)"
lacks "Select 0483:df11 at 1-1.4"
choose 0
expect_exit 0

# The mainboard alone: the search goes on until a key; then it is listed with
# what it is, and there is nothing to select.
start -- --simulate=dfu:f446,timing=off
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 1
wait_for "still waiting for the probe" 5
has "Waiting for a device in DFU mode:"
key x
wait_for "Detected DFU device: 0483:df11 (STM32F4 family, 512 KiB flash: NOT a Cartographer probe)" 10
wait_prompt
has "No Cartographer probe in DFU mode"
lacks "Select 0483"
lacks "Success: DFU Device Found"
has " 1. Check Again"
choose 0
expect_exit 0

# firmware.py's -d names a device directly: the mainboard is still refused
# when the flash starts (the library's device gate), and its flash is untouched.
start -- --simulate=dfu:f446,timing=off,flash=$WORK/mainboard.bin -f dfu -d 0483:df11 --firmware-dir "$COMBINED"
wait_for "SELECT FIRMWARE"
wait_prompt
choose "$(number_of "5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin")"
wait_for "Confirm DFU Flash"
wait_prompt
choose 1
wait_for "not a Cartographer probe" 20
has "refusing to flash 0483:df11 at 1-1.3: STM32F4 family, 512 KiB flash"
head -c 524288 /dev/zero | tr '\0' '\377' >"$WORK/erased.bin"
cmp -s "$WORK/mainboard.bin" "$WORK/erased.bin" || fatal "the mainboard's flash was changed"
T kill-server

# Katapult - USB with a mainboard running Klipper on USB and the probe on CAN:
# the mainboard is named, not offered, and nothing is sent to it.
start -- --simulate=katapult-can,mainboard=usb
wait_prompt
choose 2
wait_for " 2. Select USB Firmware"
wait_prompt
choose 1
wait_for "Querying USB devices.."
wait_for "No Cartographer found on USB."
wait_prompt
has '1-1.2 /dev/pts/'
has '(Klipper, 1d50:614e "Klipper" "stm32f446xx") is not a Cartographer: not offered.'
has "If the probe is connected over CAN, use Katapult - CAN"
lacks "Select 1-1.2"
choose 0
expect_exit 0

# Both on USB: only the Cartographer is offered.
start -- --simulate=katapult-usb,mainboard=usb
wait_prompt
choose 2
wait_for " 2. Select USB Firmware"
wait_prompt
choose 1
wait_for "Success: 1 device found"
wait_prompt
has "is not a Cartographer: not offered."
has " 1. Select 1-1 "
lacks "Select 1-1.2"
choose 0
expect_exit 0
finish
