#!/usr/bin/env bash
# The emulated bootloader on the real USB stack, against Debian's dfu-util and
# cartoflash: listing, dfu-util's exact seed command, cartoflash flashing,
# dfu-util upload of what cartoflash wrote, cartoflash backup. Datasheet timing
# on (the emulator holds requests while the modelled chip is busy).
. "$(dirname "$0")/../lib.sh"

F042_IMG="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_USB.bin"
F042_IMG2="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
G431_IMG="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_USB.bin"
G431_IMG2="$CF_FIRMWARE_DIR/cartographer_firmware/firmware/v4/combined-firmware/6.0.0/Katapult_plus_CartographerV4_6.0.0__CAN_1M.bin"

# sysfs name of the one 0483:df11 device ("2-1"): its bus path.
bus_path() {
  local d
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] && [ "$(cat "$d/idVendor"):$(cat "$d/idProduct")" = 0483:df11 ] &&
      basename "$d"
  done
}

# rx TEXT: TEXT as an extended regular expression matching itself.
rx() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

interop() { # chip-spec flash-size image image2 product alt0-name alt1-name
  local spec=$1 size=$2 img=$3 img2=$4 product=$5 alt0=$6 alt1=$7
  local flash="$T/$spec.flash"
  rm -f "$flash"
  say "== $spec"

  # --- listing ---
  gadget_start "$spec,flash=$flash" || return
  local path
  path=$(bus_path)
  check "$spec: the kernel enumerated one 0483:df11 device" test -n "$path"
  run_logged "$spec-dfu-util-l" dfu-util -l
  expect_out "$spec-dfu-util-l" "Found DFU: \[0483:df11\].*path=\"$path\", alt=0, name=\"$(rx "$alt0")\""
  expect_out "$spec-dfu-util-l" "Found DFU: \[0483:df11\].*path=\"$path\", alt=1, name=\"$(rx "$alt1")\""
  run_logged "$spec-list" "$CF_CARTOFLASH" list
  expect_rc "$spec: cartoflash list" 0
  expect_out "$spec-list" "^0483:df11 +path $path .*\"$product\"  DFU mode"
  expect_out "$spec-list" "alt 0: $(rx "$alt0")"
  expect_out "$spec-list" "alt 1: $(rx "$alt1")"
  "$CF_CARTOFLASH" list --json >"$T/$spec-list.json" 2>&1
  check "$spec: list --json has the bus path and both alt names" \
    jq -e --arg p "$path" --arg a0 "$alt0" --arg a1 "$alt1" \
    '.dfu | length == 1 and .[0].bus_path == $p and .[0].alts[0].name == $a0 and .[0].alts[1].name == $a1 and .[0].transfer_size == 2048' \
    "$T/$spec-list.json" >/dev/null

  # --- the seed script's exact dfu-util command ---
  run_logged "$spec-dfu-util-D" dfu-util -d 0483:df11 -a 0 -s 0x08000000:leave -D "$img"
  expect_rc "$spec: dfu-util -D ...:leave" 0
  gadget_wait 10
  check "$spec: after dfu-util's leave the device left DFU and vanished" test "$gadget_rc" -eq 0
  check "$spec: dfu-util wrote the image into the emulated flash" flash_has "$img" "$flash"
  cp "$flash" "$T/$spec.after-dfu-util"

  # --- cartoflash over the same device (holding dfu-util's image) ---
  gadget_start "$spec,flash=$flash" || return
  run_logged "$spec-cartoflash" "$CF_CARTOFLASH" flash dfu --yes "$img2"
  expect_rc "$spec: cartoflash flash dfu" 0
  expect_out "$spec-cartoflash" "Left DFU mode"
  # img2 is a CAN build, and the guest has no CAN interface up: not looked
  # for, and the output says how to check (exit 0)
  expect_out "$spec-cartoflash" "Not looked for: the CAN interface is not up.*canbus_query.py can0"
  gadget_wait 10
  check "$spec: after cartoflash the device left DFU and vanished" test "$gadget_rc" -eq 0
  check "$spec: cartoflash wrote the image into the emulated flash" flash_has "$img2" "$flash"

  # --- dfu-util upload of what cartoflash wrote ---
  gadget_start "$spec,flash=$flash" || return
  local n
  n=$(stat -c %s "$img2")
  run_logged "$spec-dfu-util-U" dfu-util -d 0483:df11 -a 0 -s "0x08000000:$n" -U "$T/$spec.upload"
  expect_rc "$spec: dfu-util -U" 0
  check "$spec: dfu-util's upload equals the image cartoflash wrote" cmp "$img2" "$T/$spec.upload"

  # --- cartoflash backup of the whole flash equals the emulator's flash ---
  run_logged "$spec-backup" "$CF_CARTOFLASH" backup dfu "$T/$spec.backup"
  expect_rc "$spec: cartoflash backup dfu" 0
  check "$spec: backup equals the whole emulated flash ($size bytes)" cmp "$flash" "$T/$spec.backup"
  gadget_stop
}

interop dfu 32768 "$F042_IMG" "$F042_IMG2" "STM32  BOOTLOADER" \
  "@Internal Flash  /0x08000000/032*0001Kg" "@Option Bytes  /0x1FFFF800/01*016 e"
interop dfu:g431 131072 "$G431_IMG" "$G431_IMG2" "DFU in FS Mode" \
  "@Internal Flash   /0x08000000/64*02Kg" "@Option Bytes   /0x1FFF7800/01*40Be"
finish
