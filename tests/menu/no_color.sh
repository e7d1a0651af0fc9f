#!/usr/bin/env bash
# Colours as in the pictures on a terminal; none at all with NO_COLOR.
. "$(dirname "$0")/lib.sh"
esc=$(printf '\033')

start -- --simulate=dfu,timing=off
wait_prompt
has_ansi "$esc[" "colour on a terminal (the control case)"
choose 0
expect_exit 0
T kill-server

start NO_COLOR=1 -- --simulate=dfu,timing=off
wait_prompt
has "CARTOGRAPHER FIRMWARE FLASHER"
lacks_ansi "$esc" "escape codes on the main menu with NO_COLOR"
choose 3
wait_for "Find DFU Firmware"
wait_prompt
lacks_ansi "$esc" "escape codes on the DFU menu with NO_COLOR"
choose 0
expect_exit 0
finish
