#!/usr/bin/env bash
# Print state before Klipper is stopped, on a two-instance host: each
# ~/printer_data*/config/moonraker.conf names its Moonraker's port, and every
# one is asked (local HTTP servers on 127.0.0.1 stand in for Moonraker).
# Printing on either -> refused (stopping needs "stop" typed); one that does
# not answer, or answers 401 for want of an API key -> the state is unknown
# and stopping needs "stop" typed; with the key (environment or
# --moonraker-key) and both in standby -> stopping is a plain choice.
. "$(dirname "$0")/lib.sh"

klipper_active
to_klipper_page() { # [ENV=VALUE...] -- [extra args]
  start "$@" --simulate=dfu,timing=off,flash=$WORK/flash.bin -f dfu -d 0483:df11 --firmware "$USB_IMAGE"
  wait_for "Confirm DFU Flash"
  wait_prompt
  choose 1
  wait_for "Klipper is running"
  wait_prompt
}
not_stopped() { ! grep -q -- "stop klipper" "$WORK/systemctl.log" || fatal "klipper was stopped: $1"; }

moonraker_serve one standby
moonraker_serve two printing
moonraker_conf printer_data "$PORT_one"
moonraker_conf printer_data_2 "$PORT_two"

# printing on the second instance: refused; a typed word other than stop goes back
to_klipper_page --
has "A print is in progress"
has "printing (127.0.0.1:$PORT_two)"
has "standby (127.0.0.1:$PORT_one)"
lacks "Flash without stopping Klipper"
choose "$(number_of "Stop Klipper anyway and end the print (type stop)")"
wait_for "Type stop and press Enter"
key "1" Enter
wait_for "Flash Selected Firmware"
not_stopped "printing, confirmation was 1"

# the second instance does not answer: unknown, typed confirmation
moonraker_conf printer_data_2 1
to_klipper_page --
has "Moonraker could not tell whether a print is running"
has "127.0.0.1:1 did not answer"
has "The printer's state is unknown"
lacks "Flash without stopping Klipper"
lacks "offered to start it again after"
choose "$(number_of "Stop Klipper for the flash (type stop to confirm)")"
wait_for "Type stop and press Enter"
key "yes" Enter
wait_for "Flash Selected Firmware"
not_stopped "state unknown, confirmation was yes"

# an API key is required: 401 without one is unknown too
echo sekrit >"$WORK/mr-one/.apikey"
echo '{"result":{"status":{"print_stats":{"state":"standby"}}}}' >"$WORK/mr-two/printer/objects/query"
moonraker_conf printer_data_2 "$PORT_two"
to_klipper_page -- 
has "answered HTTP 401: it wants an API key"
lacks "Flash without stopping Klipper"
not_stopped "401"
# the key from the environment, then from --moonraker-key: both standby, a plain choice
to_klipper_page MOONRAKER_API_KEY=sekrit --
has "Moonraker reports the printer as: standby (127.0.0.1:$PORT_one); standby (127.0.0.1:$PORT_two)"
has "Flash without stopping Klipper"
to_klipper_page -- --moonraker-key sekrit
has "Moonraker reports the printer as: standby (127.0.0.1:$PORT_one)"
choose "$(number_of "Stop Klipper for the flash (offered to start it again after)")"
wait_for "Press Enter to continue..." 30
grep -qx -- "--no-ask-password stop klipper.service" "$WORK/systemctl.log" || fatal "not stopped with the key"

# unknown, and "stop" typed: stopped
: >"$WORK/systemctl.log"
rm "$WORK/mr-one/.apikey"
moonraker_conf printer_data_2 1
to_klipper_page --
choose "$(number_of "Stop Klipper for the flash (type stop to confirm)")"
wait_for "Type stop and press Enter"
key "stop" Enter
wait_for "Press Enter to continue..." 30
grep -qx -- "--no-ask-password stop klipper.service" "$WORK/systemctl.log" || fatal "not stopped after typing stop"
key Enter
wait_for "Flashed Successfully"
flash_matches "$USB_IMAGE"
finish
