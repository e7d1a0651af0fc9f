#!/usr/bin/env bash
# "4. Update Cartographer (automatic)": a simulated USB probe running 5.0.0
# is shown what it runs and the image picked with the reason, asked, flashed
# with progress bars and read back as the newest; the main screen then shows
# it up to date, and running the update again is nothing to do (the
# simulator's record: one bootloader request in the whole session). With no
# image that fits, it explains and flashes nothing. A probe in DFU mode with
# empty flash is asked which link its firmware talks on, then flashed over DFU.
# With Klipper running it is asked whether to stop it, and offered to start it after.
. "$(dirname "$0")/lib.sh"
CAT="$CF_FIRMWARE_DIR/cartographer_firmware/firmware"
SURVEY="$CAT/v2-v3/survey"
OLD="$SURVEY/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
NEW="$SURVEY/6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin"
record() { sed -n "s/^$2=//p" "$1"; }

app_matches() { # IMAGE: the node's flash holds IMAGE from 8 KiB on
  cmp -i 0:8192 -n "$(stat -c %s "$1")" "$1" "$WORK/flash.bin" ||
    fail "node flash does not hold $(basename "$1") at 0x08002000"
}

start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$OLD,record=$WORK/rec --firmware-dir "$SURVEY"
wait_prompt 30
has " 4. Update Cartographer (automatic)"
has " 5. Enable Advanced Mode"
has " 6. Install Prerequisites"
has "runs CARTOGRAPHER 5.0.0 (USB) - update available (CARTOGRAPHER V3 6.1.0)"
choose 4
wait_for "Yes, update the probe" 60
wait_prompt
has "Probe: /dev/"
has "stm32f042x6 (v2/v3), runs CARTOGRAPHER 5.0.0 (USB) (identify over USB serial)."
has "Image: CARTOGRAPHER V3 6.1.0 (6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin) - the newest app image for stm32f042x6 USB."
has "The probe runs CARTOGRAPHER 5.0.0 (USB) (identify over USB serial); the image is a different build."
cmp -s -n 8192 "$WORK/flash.bin" /dev/zero && fail "nothing should be written before the yes"
choose 1
wait_for "The probe now runs CARTOGRAPHER V3 6.1.0 (USB) (read back with identify over USB serial)." 90
has "Verify    [=========================] 100%"
has "Success: The probe was updated; it now runs CARTOGRAPHER V3 6.1.0 (USB)."
wait_prompt
app_matches "$NEW"
choose "$(number_of "Back to main menu")"
wait_for "runs CARTOGRAPHER V3 6.1.0 (USB) - up to date" 30
wait_prompt
choose 4
wait_for "Already up to date: the newest image that fits is CARTOGRAPHER V3 6.1.0" 60
has "Success: Nothing to do: the probe already runs the newest firmware that fits it."
lacks "Yes, update the probe"
wait_prompt
choose 0
expect_exit 0
[ "$(record "$WORK/rec" bootloader_requests)" = 1 ] ||
  fail "one bootloader request expected in the session, got $(record "$WORK/rec" bootloader_requests)"
app_matches "$NEW"

# No image fits (only v4 firmware in the catalogue): explained, nothing sent.
: >"$WORK/flash.bin"
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$OLD,record=$WORK/rec2 --firmware-dir "$CAT/v4"
wait_prompt 30
choose 4
wait_for "Error: no catalogue image to compare with" 60
lacks "Yes, update the probe"
wait_prompt
choose 0
expect_exit 0
[ "$(record "$WORK/rec2" bootloader_requests)" = 0 ] || fail "a bootloader request was sent without an image"

# A probe in DFU mode with erased flash: the link is asked, then it is flashed over DFU.
: >"$WORK/flash.bin"
start -- --simulate=dfu,timing=off,flash=$WORK/flash.bin --firmware-dir "$CAT/v2-v3/combined-firmware"
wait_prompt 30
choose 4
wait_for "Which one?" 60
has "Its flash holds no Cartographer firmware for stm32f042x6"
wait_prompt
choose "$(number_of "USB")"
wait_for "Yes, update the probe" 60
has "Interface: USB - from your answer."
wait_prompt
choose 1
wait_for "The probe now runs CARTOGRAPHER V3 6.1.0 (USB) (read back with identify" 60
has "The probe is back on"
wait_prompt
choose 0
expect_exit 0
flash_matches "$CAT/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_USB.bin"
# Klipper running (systemctl says active, Moonraker says standby): asked as
# on the other flash pages; stopped for the update and started again after.
moonraker_serve one standby
moonraker_conf printer_data "$PORT_one"
klipper_active
: >"$WORK/flash.bin"
start -- --simulate=katapult-usb,flash=$WORK/flash.bin,app=$OLD --firmware-dir "$SURVEY"
wait_prompt 30
choose 4
wait_for "Yes, update the probe" 60
wait_prompt
choose 1
wait_for "Klipper is running" 30
wait_prompt
has "Moonraker reports the printer as: standby"
choose "$(number_of "Stop Klipper for the flash (offered to start it again after)")"
wait_for "The probe now runs CARTOGRAPHER V3 6.1.0 (USB)" 90
wait_prompt
has "Klipper (klipper.service) was stopped for the update."
grep -qx -- "--no-ask-password stop klipper.service" "$WORK/systemctl.log" || fail "Klipper was not stopped"
choose "$(number_of "Start Klipper again (klipper.service)")"
wait_for "klipper.service started."
grep -qx -- "--no-ask-password start klipper.service" "$WORK/systemctl.log" || fail "Klipper was not started again"
key Enter
wait_prompt
choose 0
expect_exit 0
app_matches "$NEW"
finish
