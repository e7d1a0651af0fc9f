#!/usr/bin/env bash
# The other main-menu entries open their pages: Katapult - CAN / USB menus
# (a DFU simulation refuses to look at the real bus); Install Prerequisites
# checks and shows the one udev rule (DFU bootloader only) before anything is written.
. "$(dirname "$0")/lib.sh"

start -- --simulate=dfu,timing=off
wait_prompt
choose 1
wait_for " 2. Select CAN Firmware"
wait_prompt
has " 1. Find Cartographer Device"
choose 1 # a DFU simulation never touches the real CAN bus
wait_for "is not on CAN through Katapult"
has "--simulate=katapult-can"
wait_prompt
choose "$(number_of "Back to main menu")"
wait_for "MAIN MENU"
wait_prompt
choose 2
wait_for " 2. Select USB Firmware"
wait_prompt
choose "$(number_of "Back to main menu")"
wait_for "MAIN MENU"
wait_prompt
choose 6
wait_for "udev rule for 0483:df11"
wait_prompt
has "udev rule for 0483:df11 (STM32 DFU bootloader)"
lacks "udev rule for 1d50:6177"
lacks "udev rule for 1d50:614e"
has "need no rule: serial ports, group dialout"
has "CAN interface can0"
has "Klipper service klipper.service"
choose 1
wait_for "would contain:"
has 'ATTR{idVendor}=="0483", ATTR{idProduct}=="df11", MODE="0660", GROUP="plugdev", TAG+="uaccess"'
if [ "$(id -u)" -eq 0 ]; then
  wait_for "WRITE THIS FILE NOW?"
  wait_prompt
  choose 2 # no: nothing is written
else
  has "sudo udevadm control --reload-rules"
fi
wait_for "Press Enter to continue..."
key Enter
wait_for "Check Again"
wait_prompt
choose 0
expect_exit 0
finish
