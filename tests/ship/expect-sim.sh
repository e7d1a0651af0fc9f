#!/usr/bin/env bash
# expect-sim.sh CHECKER BINARY: the simulator check must fail on a binary
# built with the simulator, and name its symbols (so a check that sees
# nothing cannot pass for a working one).
. "$(dirname "$0")/../lib/lib.sh"
out=$(bash "$1" "$2")
rc=$?
echo "$out"
check "the checker fails a binary with the simulator" test "$rc" -ne 0
check "it says the static symbol table has them" \
    grep -qE "^not ok - [0-9]+ simulator symbols in the static symbol table" <<<"$out"
for what in cf_emu_new cf_sim_kp_new cf_sim_usb_open cf_kpn_new cf_boot_decide; do
    if grep -qxF "#   $what" <<<"$out"; then
        pass "reported: $what"
    else
        fail "not reported: $what"
    fi
done
finish
