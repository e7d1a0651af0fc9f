#!/usr/bin/env bash
# Advanced mode: toggles show in the mode line and persist in the settings
# file (key = value data); a hostile settings file is read as data only.
. "$(dirname "$0")/lib.sh"

# a settings file with a bad line, a shell-looking value and an unknown key
mkdir -p "$WORK/cfg/cartoflash"
cat >"$WORK/cfg/cartoflash/config" <<CFG
# test settings
branch = "beta"
debug = yes
klipper_service = \$(touch $WORK/pwned)
no equals sign here
colour = purple
CFG

start -- --simulate=dfu,timing=off
wait_prompt
has "BRANCH: BETA | DEBUGGING"
has "Warning: Settings:"
has "line 4: klipper_service:"
[ ! -e "$WORK/pwned" ] || fatal "a settings value was executed"

choose 5
wait_for "Disable Advanced Mode"
wait_prompt
has "BRANCH: BETA | ADVANCED | DEBUGGING"
has "Set Custom Directories"
has "Switch Flash Mode"
has "Switch Branch"
n=$(number_of "Enable Show All Firmware")
choose "$n"
wait_for "Disable Show All Firmware"
wait_prompt
has "BRANCH: BETA | ALL FIRMWARE | ADVANCED | DEBUGGING"
grep -qx "all_firmware = true" "$WORK/cfg/cartoflash/config" || fatal "toggle not saved"
grep -qx "branch = \"beta\"" "$WORK/cfg/cartoflash/config" || fatal "branch not kept"

n=$(number_of "Switch Branch")
choose "$n"
wait_for "SELECT A BRANCH TO FLASH FROM"
wait_prompt
has "Beta (selected)"
n=$(number_of "Custom Branch")
choose "$n"
wait_for "Enter the name of the custom branch:"
choose "feature/new-probe"
wait_for "feature/new-probe (selected)"
wait_prompt
grep -qx "branch = \"feature/new-probe\"" "$WORK/cfg/cartoflash/config" || fatal "branch not saved"
choose "$(number_of "Back to Main Menu")"
wait_for "BRANCH: FEATURE/NEW-PROBE"
wait_prompt
choose 0
expect_exit 0
ls "$WORK/state/cartoflash/menu.log" >/dev/null || fatal "no debug log"
grep -q "branch changed to feature/new-probe" "$WORK/state/cartoflash/menu.log" || fatal "log lacks the change"
finish
