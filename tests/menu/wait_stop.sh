#!/usr/bin/env bash
# Find device waits up to 30 s with a visible countdown; any key stops it.
# The simulated probe appears only after 60 s, so nothing is found.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,appear=60,timing=off
wait_prompt
choose 3
wait_for "Find Cartographer Device"
wait_prompt
choose 1
wait_for "Waiting for a device in DFU mode:"
first=$(screen | sed -nE 's/.*DFU mode: *([0-9]+) s left.*/\1/p')
[ -n "$first" ] && [ "$first" -le 30 ] && [ "$first" -ge 27 ] || fatal "countdown starts at '$first'"
sleep 2.2
second=$(screen | sed -nE 's/.*DFU mode: *([0-9]+) s left.*/\1/p')
[ -n "$second" ] && [ "$second" -lt "$first" ] || fatal "countdown did not move ($first -> $second)"
has "Press any key to stop."

key x
wait_for "Stopped: no device in DFU mode was found yet." 5
wait_prompt
lacks "Select 0483"
has " 1. Check Again"
has " 3. Back"
has " 4. Back to main menu"
choose 0
expect_exit 0
cmp -s "$WORK/stty.before" "$WORK/stty.after" || fatal "terminal settings were not restored"
finish
