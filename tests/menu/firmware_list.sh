#!/usr/bin/env bash
# The DFU firmware screen lists exactly what `cartoflash firmware list --mode
# dfu` does, in the same order: on both shared trees, without a probe selected
# (every MCU) and with the simulated F042 probe selected (--mcu stm32f042x6).
# Refused images ([refused: ...]) are the extra ones `firmware list --all` adds.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fatal "jq is required (scripts/install-deps.sh)"

# menu_images: file names of the usable images on the firmware screen, in order.
menu_images() {
  screen | sed -nE 's/^ *[0-9]+\. (.*\.bin)  \(.*\)$/\1/p' | sed 's|.*/||'
}
# cli_images ARGS...: file names `firmware list --json` prints, in order.
cli_images() {
  "$CARTOFLASH" firmware list --json --mode dfu "$@" 2>/dev/null |
    jq -r '.entries[] | select(.excluded | not) | .path' | sed 's|.*/||'
}

compare() { # description cli-args...
  local what=$1
  shift
  local want got
  want=$(cli_images "$@")
  got=$(menu_images)
  [ -n "$want" ] || fatal "$what: firmware list printed nothing"
  [ "$got" = "$want" ] || fatal "$what: the screen lists
$got
but firmware list --mode dfu $* lists
$want"
  echo "ok - $what: $(wc -l <<<"$want") images, same list and order"
}

for tree in cartographer-klipper/firmware cartographer_firmware; do
  dir="$CF_FIRMWARE_DIR/$tree"
  # No probe selected: every MCU.
  start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin --firmware-dir "$dir"
  wait_prompt
  choose 3
  wait_for "WHAT WOULD YOU LIKE TO DO?"
  wait_prompt
  choose 2
  wait_for "SELECT FIRMWARE" 30
  wait_prompt
  compare "$tree, no probe selected" --source "$dir"

  # The simulated F042 selected: its MCU only.
  start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin --firmware-dir "$dir"
  wait_prompt
  choose 3
  wait_for "WHAT WOULD YOU LIKE TO DO?"
  wait_prompt
  select_dfu_device
  choose 2
  wait_for "SELECT FIRMWARE" 30
  wait_prompt
  compare "$tree, F042 probe selected" --mcu stm32f042x6 --source "$dir"
done
finish
