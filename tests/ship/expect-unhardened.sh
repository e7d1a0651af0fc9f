#!/usr/bin/env bash
# expect-unhardened.sh CHECKER BINARY: the checker must fail on a binary built
# with no hardening, and name every missing feature.
. "$(dirname "$0")/../lib/lib.sh"
out=$(bash "$1" "$2" fortify)
rc=$?
echo "$out"
check "the checker fails an unhardened binary" test "$rc" -ne 0
for what in "PIE (ELF type DYN)" "PIE (DT_FLAGS_1 PIE)" "RELRO (PT_GNU_RELRO)" \
    "immediate binding" "stack protector" "_FORTIFY_SOURCE"; do
    if grep -qF "not ok - $what" <<<"$out"; then pass "reported missing: $what"; else
        fail "not reported missing: $what"
    fi
done
finish
