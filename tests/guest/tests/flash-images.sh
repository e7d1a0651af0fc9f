#!/usr/bin/env bash
# cartoflash flash dfu writes every real combined image of ../shared/firmware
# (F042 images to an emulated F042, G431 images to an emulated G431), verifies
# and leaves; after each, the emulated flash starts with the image. One device
# per chip, re-plugged in DFU mode after each leave, so each flash starts from
# the previous image's contents (cartoflash's differential path). Timing off:
# this is about content and exit codes; interop.sh and the benchmark run with
# datasheet timing. After each leave the gadget serves what the flash boots
# (a USB build: its app, answering identify), then returns in DFU mode.
. "$(dirname "$0")/../lib.sh"

flash_all() { # spec image-folder-kind
  local spec=$1 kind=$2 flash="$T/$2.flash" img n=0 lefts
  mapfile -t images < <(combined_images "$kind")
  check "$kind: found combined images to flash (${#images[@]})" test "${#images[@]}" -ge 8
  rm -f "$flash"
  gadget_start "$spec,flash=$flash,timing=off" --replug 20 || return
  for img in "${images[@]}"; do
    n=$((n + 1))
    rm -f "$T/gadget.ready"
    run_logged "$kind-$n" "$CF_CARTOFLASH" flash dfu --yes "$img"
    expect_rc "$kind: flash $(basename "$img")" 0
    check "$kind: flash holds $(basename "$img")" flash_has "$img" "$flash"
    # A USB build comes back as its app (on the same port) and says what it runs;
    # a CAN build is not on USB, and the vhci guest has no CAN bus it is on.
    case $img in
    *USB*) expect_out "$kind-$n" "Came back: the probe is back on /dev/ttyACM[0-9]+ \\([0-9.-]+\\) .* it runs " ;;
    *) expect_out "$kind-$n" "Not looked for: |not up" ;;
    esac
    lefts=$(grep -c " left jump=0x08000000" "$GADGET_LOG")
    check "$kind: the device left DFU (leave #$lefts of $n)" test "$lefts" -eq "$n"
    # The device comes back in DFU mode (as if BOOT0 were held again).
    wait_for 30 test -e "$T/gadget.ready" || { fail "$kind: the device did not come back"; return; }
  done
  gadget_stop
}

CF_GUEST_SHOW_LINES=3
flash_all dfu v2-v3
flash_all dfu:g431 v4
finish
