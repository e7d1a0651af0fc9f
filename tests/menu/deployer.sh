#!/usr/bin/env bash
# The deployer path (-t, Katapult - USB) on a v3 probe running the USB app:
# the CAN deployer is offered and flashes without --force, installing its
# Katapult, after which the probe leaves USB for CAN and the screen says what
# to do next; a v4 deployer is refused from what the running firmware says,
# before any bootloader request (the simulated node's record shows none).
. "$(dirname "$0")/lib.sh"
DEP="$CF_FIRMWARE_DIR/cartographer_firmware/firmware"
USB_APP="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
mkdir -p "$WORK/fw"
cp "$DEP"/v2-v3/katapult-deployer/*.bin "$DEP"/v4/katapult-deployer/*.bin "$WORK/fw/"
REC=$WORK/rec

# to_firmware_list: Katapult - USB, find and select the probe, open the list.
to_firmware_list() {
  wait_prompt
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
}

# flash_pick NAME: picks NAME from the list and confirms the flash.
flash_pick() {
  choose "$(number_of "$1")"
  wait_for "Flash Selected Firmware"
  wait_prompt
  choose 4
  wait_for "Confirm USB Flash"
  wait_prompt
  choose 1
}

record() { if grep -qx "$1" "$REC"; then pass "the node's record has $1"; else cat "$REC"; fail "the node's record lacks $1"; fi; }

# A deployer for the other chip: refused before the bootloader request.
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$USB_APP,record=$REC -t \
  --firmware-dir "$WORK/fw"
to_firmware_list
has "katapult_deployer_v4_CAN_1M.bin  (version unknown, installs Katapult for CAN, stm32g431xx)"
flash_pick "katapult_deployer_v4_CAN_1M.bin"
wait_for "the image is for stm32g431xx but the probe is stm32f042x6"
has "No bootloader request was sent: the probe still runs CARTOGRAPHER 5.1.0 (USB) on stm32f042x6."
key Enter
wait_prompt
choose 0
expect_exit 0
record "bootloader_requests=0"
record "blocks_written=0"
cmp -s -i 8192:0 -n "$(stat -c %s "$USB_APP")" "$WORK/flash.bin" "$USB_APP" ||
  fail "the running app was changed"

# The v3 CAN deployer: flashed without --force, end to end.
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$USB_APP,record=$REC -t \
  --firmware-dir "$WORK/fw"
to_firmware_list
flash_pick "katapult-deployer-1m.bin"
wait_for "Press Enter to continue..." 60
has "the probe left USB and waits in Katapult on the CAN bus as UUID e0ef270ca188"
key Enter
wait_for "Flashed Successfully"
has "Firmware flashed successfully to device!"
has "Katapult for CAN is installed and started: the probe has left USB."
has "flash the CAN application to UUID e0ef270ca188"
wait_prompt
choose 0
expect_exit 0
record "bootloader_requests=1"
record "deployer_runs=1"
record "link=can"
finish
