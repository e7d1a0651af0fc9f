#!/usr/bin/env bash
# check-hardening.sh BINARY [fortify]: reads the ELF with readelf and fails
# unless it was built with each hardening feature of cmake/cf_hardening.cmake:
#   PIE          ELF type DYN and DT_FLAGS_1 has PIE
#   full RELRO   a PT_GNU_RELRO segment and BIND_NOW (DT_FLAGS) or NOW (DT_FLAGS_1)
#   stack canary an undefined reference to __stack_chk_fail
#   fortify      (only with "fortify") a glibc __*_chk function, which is what
#                -D_FORTIFY_SOURCE turns memcpy/snprintf/... into
# The symbol names are glibc's (its Versions files, GLIBC_2.3.4 / GLIBC_2.4).
# READELF may name a cross readelf; any binutils readelf reads any ELF class.
. "$(dirname "$0")/../lib/lib.sh"
bin=${1:?usage: check-hardening.sh BINARY [fortify]}
want_fortify=${2:-}
readelf=${READELF:-readelf}
command -v "$readelf" >/dev/null || fatal "$readelf not found (install binutils)"
[ -f "$bin" ] || fatal "$bin: no such file"

header=$("$readelf" -hW "$bin") || fatal "$bin is not an ELF file"
dynamic=$("$readelf" -dW "$bin")
segments=$("$readelf" -lW "$bin")
symbols=$("$readelf" --dyn-syms -W "$bin")
has() { grep -qE -- "$1" <<<"$2"; }

check "PIE (ELF type DYN)" has 'Type:[[:space:]]+DYN' "$header"
check "PIE (DT_FLAGS_1 PIE)" has '\(FLAGS_1\).*[[:space:]]PIE' "$dynamic"
check "RELRO (PT_GNU_RELRO)" has '^[[:space:]]*GNU_RELRO' "$segments"
check "immediate binding (-z now)" has '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW' "$dynamic"
check "stack protector (__stack_chk_fail)" has 'UND[[:space:]]+__stack_chk_fail' "$symbols"
if [ "$want_fortify" = fortify ]; then
    check "_FORTIFY_SOURCE (__*_chk calls)" has 'UND[[:space:]]+__[a-z0-9_]+_chk(@|[[:space:]]|$)' "$symbols"
fi
finish
