#!/usr/bin/env bash
# Klipper around a flash: a fake systemctl (first in PATH) says klipper is
# active and logs what it is asked; Moonraker's answer comes from a file URL
# (curl drops the query part of a file:// URL).
# Printing -> refused; standby -> stopped before the flash, offered to start
# after it. Never sudo, never a shell.
. "$(dirname "$0")/lib.sh"

klipper_active
mkdir -p "$WORK/cfg/cartoflash" "$WORK/mr/printer/objects"
echo "moonraker_url = file://$WORK/mr" >"$WORK/cfg/cartoflash/config"
echo '{"result":{"status":{"print_stats":{"state":"printing"}}}}' >"$WORK/mr/printer/objects/query"

start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin -f dfu -d 0483:df11 --firmware "$USB_IMAGE"
wait_for "Confirm DFU Flash"
wait_prompt
choose 1
wait_for "Klipper is running"
wait_prompt
has "Moonraker reports the printer as: printing"
has "A print is in progress"
lacks "Flash without stopping Klipper"
! grep -q stop "$WORK/systemctl.log" || fatal "klipper was stopped during a print"

echo '{"result":{"status":{"print_stats":{"state":"standby"}}}}' >"$WORK/mr/printer/objects/query"
choose "$(number_of "Back (flash after the print)")"
wait_for "Flash Selected Firmware"
wait_prompt
choose "$(number_of "Flash Selected Firmware")"
wait_for "Confirm DFU Flash"
wait_prompt
choose 1
wait_for "Moonraker reports the printer as: standby"
wait_prompt
choose "$(number_of "Stop Klipper for the flash")"
wait_for "Press Enter to continue..." 30
grep -qx -- "--no-ask-password stop klipper.service" "$WORK/systemctl.log" || fatal "not stopped"
key Enter
wait_for "Flashed Successfully"
wait_prompt 15
choose "$(number_of "Start Klipper again (klipper.service)")"
wait_for "klipper.service started."
grep -qx -- "--no-ask-password start klipper.service" "$WORK/systemctl.log" || fatal "not started"
key Enter
wait_for "WHAT NEXT?"
wait_prompt
lacks "Start Klipper again"
choose 0
expect_exit 0
flash_matches "$USB_IMAGE"
finish
