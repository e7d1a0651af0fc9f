#!/usr/bin/env bash
# Invalid input re-prompts; Ctrl-C during the countdown (raw terminal) exits
# cleanly with status 130 and the terminal settings put back.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,appear=60,timing=off
wait_prompt
choose abc
wait_for 'Invalid input "abc". Please enter a number.'
choose 8 # a separator's number is not a choice
wait_for "Invalid choice 8. Please try again."
has "Enter one of: 1, 2, 3, 4, 5, 6, 7, 0"
choose 3
wait_for "Find Cartographer Device"
wait_prompt
choose 1
wait_for "Waiting for a device in DFU mode:"
key C-c
expect_exit 130
has "Interrupted. Exiting..."
cmp -s "$WORK/stty.before" "$WORK/stty.after" || fatal "terminal settings were not restored"
finish
