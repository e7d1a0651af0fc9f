#!/usr/bin/env bash
# Outside strings on the menu's screens: a firmware file whose name holds
# escape sequences (clear screen, set the window title, a C1 CSI) is listed,
# selected and confirmed with those bytes shown as \xNN, never sent raw.
. "$(dirname "$0")/lib.sh"

DIR="$WORK/fw/5.1.0"
mkdir -p "$DIR"
NAME=$'evil\033]0;pwned\007\033[2J\xc2\x9b31m.bin'
SHOWN='evil\x1B]0;pwned\x07\x1B[2J\xC2\x9B31m.bin'
cp "$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin" \
  "$DIR/$NAME"

start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin --firmware-dir "$WORK/fw"
wait_prompt
choose 3
wait_for "WHAT WOULD YOU LIKE TO DO?"
wait_prompt
choose 2
wait_for "SELECT FIRMWARE"
wait_prompt
has "5.1.0/$SHOWN"
choose "$(number_of "$SHOWN")"
wait_for "Firmware Selected: 5.1.0/$SHOWN"
wait_prompt
select_dfu_device
choose 4
wait_for "Confirm DFU Flash"
wait_prompt
has "Firmware to Flash: 5.1.0/$SHOWN"
# nothing raw reached the terminal: the title was not set, the screen kept
[ "$(T display-message -p '#{pane_title}')" != pwned ] || fatal "the window title was changed"
lacks_ansi $'\xc2\x9b' "a raw C1 byte (CSI) on the terminal"
choose 0
expect_exit 0
finish
