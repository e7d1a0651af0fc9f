#!/usr/bin/env bash
# expect-unhardened.sh CHECKER BINARY: the checker must fail on a binary built
# with no hardening, and name every missing feature.
set -u
out=$(bash "$1" "$2" fortify)
rc=$?
echo "$out"
failures=0
[ "$rc" -ne 0 ] || { echo "not ok - checker passed an unhardened binary"; failures=1; }
for what in "PIE (ELF type DYN)" "PIE (DT_FLAGS_1 PIE)" "RELRO (PT_GNU_RELRO)" \
    "immediate binding" "stack protector" "_FORTIFY_SOURCE"; do
    if grep -qF "not ok - $what" <<<"$out"; then echo "ok - reported: $what"; else
        echo "not ok - not reported missing: $what"; failures=$((failures + 1)); fi
done
echo "$((6 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
