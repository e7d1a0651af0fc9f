#!/usr/bin/env bash
# Katapult - CAN in the menu: a UUID that printer.cfg assigns to the
# mainboard ([mcu]) is refused at the confirmation, naming the section and
# the file, and nothing is written to the node.
. "$(dirname "$0")/lib.sh"

SURVEY="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey"
UUID=$("$CARTOFLASH" --simulate=katapult-can list --json | sed -n 's/.*"uuid": "\([0-9a-f]*\)".*/\1/p' | head -1)
[ ${#UUID} -eq 12 ] || fatal "no UUID from the simulated bus"
mkdir -p "$WORK/home/printer_data/config"
printf '[mcu]\ncanbus_uuid: %s\n\n[scanner]\ncanbus_uuid: 0123456789ab\n' "$UUID" \
  >"$WORK/home/printer_data/config/printer.cfg"

start -- --simulate=katapult-can,flash=$WORK/flash.bin --firmware-dir "$SURVEY"
wait_prompt
choose 1
wait_for " 2. Select CAN Firmware"
wait_prompt
choose 1
wait_for "(Klipper, CAN query on can0)"
wait_prompt
choose 1
wait_for "Device Selected:"
wait_prompt
choose 2
wait_for "can0 runs at 1000000 bit/s"
wait_prompt
choose "$(number_of "5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin")"
wait_for "Flash Selected Firmware"
wait_prompt
choose 4
wait_for "Confirm CAN Flash"
wait_prompt
choose 1
wait_for "canbus_uuid $UUID belongs to [mcu]"
has "printer_data/config/printer.cfg:2"
key Enter
wait_for "Flash Selected Firmware"
wait_prompt
# every byte still erased (0xFF): wc reads all of tr's output, so no early
# reader can turn a written byte into a SIGPIPE that reads as "none"
written=$(tr -d '\377' <"$WORK/flash.bin" | wc -c)
expect_eq "$written" 0 "the node's flash was not written"
choose 0
expect_exit 0
finish
