#!/usr/bin/env bash
# Old flags straight to the confirmation screen (-f DFU -d 0483:df11 --firmware),
# a write fault (errWRITE on the 3rd block) -> failure page that says the probe
# is still in DFU mode -> Retry -> Flashed Successfully, flash content checked.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,appear=2,timing=off,fault=errwrite@3,flash=$WORK/flash.bin \
  -f DFU -d 0483:df11 --firmware "$CAN_IMAGE"
wait_for "Confirm DFU Flash"
wait_prompt
has "DFU MODE"
has "Device to Flash: 0483:df11"
has "Firmware to Flash: 5.0.0/Full_Survey_Cartographer_CAN_1M_5_0_0.bin"
choose 1

wait_for "Flash Failed" 30
wait_prompt
has "Error:"
has "errWRITE"
has "Failed during: download"
has "probe is still in DFU mode"
has " 1. Retry"
has " 2. Back"
choose 1

wait_for "Press Enter to continue..." 30
has "Verify    [=========================] 100%"
flash_matches "$CAN_IMAGE"
key Enter
wait_for "Flashed Successfully"
has "Success: Firmware flashed successfully to device!"
has "This is CAN firmware (1000000 bit/s): unplug the USB cable"
wait_prompt
# a CAN build is on the CAN bus, which the simulation does not have: not
# looked for, the user is told how to check, and nothing is claimed on USB
has "Not looked for: the simulated probe has no CAN bus"
has "canbus_query.py"
lacks "Came back"
choose 0
expect_exit 0
finish
