#!/usr/bin/env bash
# Print state before Klipper is stopped, on a two-instance host: each
# ~/printer_data*/config/moonraker.conf names its Moonraker's port, and every
# one is asked (local HTTP servers on 127.0.0.1 stand in for Moonraker).
# Printing on either -> refused (stopping needs "stop" typed); one that does
# not answer, or answers 401 for want of an API key -> the state is unknown
# and stopping needs "stop" typed; with the key (environment or
# --moonraker-key) and both in standby -> stopping is a plain choice.
. "$(dirname "$0")/lib.sh"

SERVER="$(dirname "$0")/../catalog/server.py"
PIDS=()
cleanup_hook() { # the Moonraker stand-ins, then the terminal
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  end_session
}
serve() { # NAME STATE: a Moonraker answering print_stats.state STATE; sets PORT_NAME
  local root="$WORK/mr-$1"
  mkdir -p "$root/printer/objects"
  echo "{\"result\":{\"status\":{\"print_stats\":{\"state\":\"$2\"}}}}" >"$root/printer/objects/query"
  python3 "$SERVER" "$root" "$WORK/port.$1" --lifetime 120 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$WORK/port.$1" ] && break; sleep 0.05; done
  eval "PORT_$1=$(cat "$WORK/port.$1")"
}
instance() { # DIR PORT: a printer_data folder whose moonraker.conf uses PORT
  mkdir -p "$WORK/home/$1/config"
  printf '[server]\nhost: 0.0.0.0\nport: %s  # the second printer\n\n[authorization]\ncors_domains:\n  *.local\n' \
    "$2" >"$WORK/home/$1/config/moonraker.conf"
}
cat >"$WORK/bin/systemctl" <<SH
#!/bin/sh
echo "\$@" >>"$WORK/systemctl.log"
case "\$1" in is-active) echo active; exit 0;; esac
exit 0
SH
chmod +x "$WORK/bin/systemctl"
: >"$WORK/systemctl.log"
to_klipper_page() { # [ENV=VALUE...] -- [extra args]
  start "$@" --simulate=dfu,timing=off,flash=$WORK/flash.bin -f dfu -d 0483:df11 --firmware "$USB_IMAGE"
  wait_for "Confirm DFU Flash"
  wait_prompt
  choose 1
  wait_for "Klipper is running"
  wait_prompt
}
not_stopped() { ! grep -q -- "stop klipper" "$WORK/systemctl.log" || fatal "klipper was stopped: $1"; }

serve one standby
serve two printing
instance printer_data "$PORT_one"
instance printer_data_2 "$PORT_two"

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
instance printer_data_2 1
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
instance printer_data_2 "$PORT_two"
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
instance printer_data_2 1
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
