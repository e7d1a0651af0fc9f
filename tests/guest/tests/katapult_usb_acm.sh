#!/usr/bin/env bash
# Katapult over a real USB serial gadget (configfs + usb_f_acm on dummy_hcd)
# and the host's cdc-acm driver: the emulated node serves /dev/ttyGS0 and
# re-binds the gadget with its new identity whenever it reboots. usb_f_acm
# hides the host's line coding and DTR from the device side, so the node
# starts in Katapult (the 1200-baud touch is covered by katapult_usb.sh over
# USB/IP). cartoflash finds it in sysfs, flashes the real app image, verifies
# it byte for byte, completes, and sees it come back as 1d50:614e.
. "$(dirname "$0")/../lib.sh"

NODE=${CF_KATAPULT_NODE:?CF_KATAPULT_NODE must name the emulated Katapult node (tests/guest/CMakeLists.txt sets it)}
IMG="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
G=/sys/kernel/config/usb_gadget/cartoflash_kp
UDC=$(ls /sys/class/udc | head -n1)
holds() { cmp -s -n "$(stat -c %s "$2")" -i 8192:0 "$1" "$2"; }

check "a UDC exists ($UDC)" test -n "$UDC"
mkdir -p "$G/strings/0x409" "$G/functions/acm.usb0" "$G/configs/c.1"
ln -s "$G/functions/acm.usb0" "$G/configs/c.1/"
check "the acm function is linked" test -L "$G/configs/c.1/acm.usb0"

NODE_LOG=$T/node.log
"$NODE" --log "$NODE_LOG" --ready "$T/node.ready" --tty /dev/ttyGS0 --gadget "$G" --udc "$UDC" \
  "katapult-usb,mode=katapult,flash=$T/acm.flash" &
NODE_PID=$!
check "the gadget was bound" wait_for 20 test -e "$T/node.ready"
command -v udevadm >/dev/null && udevadm settle -t 10 2>/dev/null
check "the host sees /dev/ttyACM*" wait_for 20 bash -c 'ls /dev/ttyACM* >/dev/null 2>&1'

run_logged list "$CF_CARTOFLASH" list
expect_rc list 0
expect_out list "USB probe /dev/ttyACM[0-9]+ \\(port [0-9.-]+\\): 1d50:6177 katapult stm32f042x6, serial 16000C000F43304253373820 - in Katapult"

run_logged flash "$CF_CARTOFLASH" flash usb --yes "$IMG"
expect_rc flash 0
expect_out flash "Written and verified 22464 bytes"
expect_out flash "Came back: the probe is back on"
check "COMPLETE after verification" grep -q " complete" "$NODE_LOG"
check "the gadget re-bound as the app" grep -q "attached 1d50:614e Cartographer 614e" "$NODE_LOG"
check "the node's flash equals the image byte for byte" holds "$T/acm.flash" "$IMG"

kill "$NODE_PID" 2>/dev/null
wait "$NODE_PID" 2>/dev/null
rm -f "$G/configs/c.1/acm.usb0"
rmdir "$G/configs/c.1" "$G/functions/acm.usb0" "$G/strings/0x409" "$G" 2>/dev/null
finish
