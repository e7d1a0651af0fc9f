#!/usr/bin/env bash
# Each injected fault stops the flash with a clear message, never leaves DFU,
# and a retry without the fault succeeds.
set -e
. "$(dirname "$0")/lib.sh"

IMG="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
OLD="$KLIPPER_FW/combined-firmware/4.0.0/Full_Cartographer_CAN_1M_4_0_1.bin"

# Most pages of IMG differ from OLD, so by default one mass erase replaces the
# page erases: "errerase" fails that (the 1st erase); "errerase-pages" fails
# the 3rd page erase of a flash made with --erase pages.
for fault in stall timeout errwrite errerase errerase-pages bitflip disconnect busy; do
    F="$TMP/$fault.flash"
    rm -f "$F"
    run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$OLD"
    expect_status 0 "$fault: setup"
    case $fault in
    errerase) spec=errerase@1 erase=auto ;;
    errerase-pages) spec=errerase@3 erase=pages ;;
    *) spec=$fault@3 erase=auto ;;
    esac
    run --simulate=dfu,flash="$F",timing=off,fault=$spec flash dfu --yes --erase $erase "$IMG"
    expect_nonzero "$fault: flash fails"
    expect_err "cartoflash: error: (erase|download|verify) failed" "$fault: names the phase"
    [ "$fault" = errerase ] && expect_err "refuses mass erase, flash with --erase pages" \
        "$fault: offers page erases when the mass erase fails"
    if [ "$fault" = disconnect ]; then
        expect_err "dropped off USB" "$fault: says the probe dropped off"
    else
        expect_err "still in DFU mode" "$fault: says the probe is still in DFU mode"
    fi
    if grep -q "Left DFU mode" <<<"$OUT"; then fail "$fault: left DFU after a failure"; else pass "$fault: did not leave DFU"; fi
    run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG"
    expect_status 0 "$fault: retry without the fault succeeds"
    flash_starts_with "$F" "$IMG" "$fault: flash holds the image after the retry"
done

# Device-reported errors are named with their DFU status (each from a flash
# holding IMG, so flashing OLD must erase and write).
status_case() { # fault expected-pattern description
    local F="$TMP/status-$1.flash"
    run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG"
    run --simulate=dfu,flash="$F",timing=off,fault=$1@1 flash dfu --yes "$OLD"
    expect_err "$2" "$3"
}
status_case errwrite "errWRITE" "errwrite names the DFU status"
status_case errerase "errERASE" "errerase names the DFU status"
status_case bitflip "verify failed at 0x080" "bitflip is caught by verify with its address"

# A device that answers dfuDNBUSY for ever: the wait ends at the chip's bound
# (10x the F042 datasheet's longest operation, at least 2 s), naming the state.
F="$TMP/busy.flash"
run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$OLD"
t0=$(date +%s%N)
run --simulate=dfu,flash="$F",timing=off,fault=busy@1 flash dfu --yes "$IMG"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_nonzero "endless busy: flash fails"
expect_err "still answers dfuDNBUSY 2000 ms after" "endless busy: names the state and the bound"
[ "$ms" -lt 8000 ] && pass "endless busy: gave up after ${ms} ms" || fail "endless busy: took ${ms} ms"

# The ROM's start-up quirk (dfuERROR/errFIRMWARE) is recovered from.
F="$TMP/start.flash"
run --simulate=dfu,flash="$F",timing=off,start=error flash dfu --yes "$IMG"
expect_status 0 "starts from dfuERROR and recovers"

finish
