#!/usr/bin/env bash
# check-no-sim.sh BINARY: fails when BINARY holds any of the simulator's code
# (src/sim/, library cf_sim), as a build with -DCF_SIMULATOR=OFF must not.
# Reads the symbol table (nm) and the dynamic one (nm -D) and looks for the
# prefixes the simulator's functions and data carry:
#   cf_emu_  emu_   the STM32 ROM DFU bootloader emulator
#   cf_boot_        what a chip runs after the ROM
#   cf_kpn_         the emulated Katapult node
#   cf_sim_         its in-process buses, the simulated USB backend
# A binary without a symbol table (stripped) cannot be checked: that fails
# too, so the check never passes by seeing nothing. NM may name another nm.
. "$(dirname "$0")/../lib/lib.sh"
bin=${1:?usage: check-no-sim.sh BINARY}
nm=${NM:-nm}
command -v "$nm" >/dev/null || fatal "$nm not found (install binutils)"
[ -f "$bin" ] || fatal "$bin: no such file"

prefixes='^_?(cf_emu_|emu_|cf_boot_|cf_kpn_|cf_sim_)'
# "ADDRESS TYPE NAME" (undefined ones have no address): the name is the last field.
names() { awk 'NF >= 2 { print $NF }' <<<"$1"; }

static=$("$nm" "$bin" 2>&1) || fatal "$nm $bin: $static"
dynamic=$("$nm" -D "$bin" 2>&1) || dynamic=""
check "$bin has a symbol table to check (not stripped)" test -n "$(names "$static")"

for table in static dynamic; do
    found=$(grep -E -- "$prefixes" <<<"$(names "${!table}")" | sort -u)
    if [ -z "$found" ]; then
        pass "no simulator symbol in the $table symbol table"
    else
        fail "$(wc -l <<<"$found") simulator symbols in the $table symbol table"
        sed 's/^/#   /' <<<"$found" # every one, for the log
    fi
done
finish
