#!/usr/bin/env bash
# `cmake --install` into a temporary DESTDIR: the tree is exactly the listed
# files, the binary runs, the udev rule is the committed one, the man page
# renders with man -l without warnings and names every option each command's
# --help lists, every exit status and environment variable; the bash and zsh
# completion scripts load and complete the simulated probe's devices.
# Env: BUILD_DIR, SOURCE_DIR.
. "$(dirname "$0")/../lib/lib.sh"
: "${BUILD_DIR:?}" "${SOURCE_DIR:?}"

root="$TMP/root"
if DESTDIR="$root" cmake --install "$BUILD_DIR" --prefix /usr >"$TMP/install.log" 2>&1; then
    pass "cmake --install into DESTDIR"
else
    fail "cmake --install failed"; cat "$TMP/install.log"
fi

expected="usr/bin/cartoflash
usr/lib/udev/rules.d/70-cartoflash.rules
usr/share/bash-completion/completions/cartoflash
usr/share/doc/cartoflash/README.md
usr/share/man/man1/cartoflash.1
usr/share/zsh/vendor-completions/_cartoflash"
got=$(cd "$root" && find . -type f -o -type l | sed 's#^\./##' | LC_ALL=C sort)
if [ "$got" = "$expected" ]; then pass "install tree is exactly the listed files"; else
    fail "install tree differs"; diff <(echo "$expected") <(echo "$got"); fi
if [ -z "$(find "$root" ! -path "$root" ! -path "$root/usr*")" ]; then pass "nothing outside DESTDIR/usr"; else
    fail "files outside usr/"; fi

bin="$root/usr/bin/cartoflash"
[ -x "$bin" ] && pass "binary is executable" || fail "usr/bin/cartoflash not executable"
version=$("$bin" --version 2>&1)
if [[ $version =~ ^cartoflash\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then pass "installed --version: $version"; else
    fail "installed --version printed '$version'"; fi
if cmp -s "$root/usr/lib/udev/rules.d/70-cartoflash.rules" "$SOURCE_DIR/data/udev/70-cartoflash.rules"; then
    pass "udev rule is data/udev/70-cartoflash.rules"; else fail "udev rule differs"; fi

# The man page: renders, no groff warnings, covers what the binary offers.
page="$root/usr/share/man/man1/cartoflash.1"
if MANWIDTH=100 man -l "$page" >"$TMP/man.txt" 2>"$TMP/man.err" && [ ! -s "$TMP/man.err" ] &&
    grep -q '^NAME' "$TMP/man.txt"; then
    pass "man -l renders cartoflash(1) without warnings"
else
    fail "man -l failed or warned"; cat "$TMP/man.err"
fi
# man(1) hyphenates and uses Unicode hyphens; compare against a plain-ASCII rendering.
MANWIDTH=100 MAN_KEEP_FORMATTING= man -E ascii -l "$page" 2>/dev/null | col -b >"$TMP/man.ascii"
sections=("NAME" "SYNOPSIS" "DESCRIPTION" "GLOBAL OPTIONS" "COMMANDS" "EXIT STATUS" "ENVIRONMENT" "FILES")
lacking=""
for s in "${sections[@]}"; do
    grep -qx "$s" "$TMP/man.ascii" || lacking="$lacking '$s'"
done
[ -z "$lacking" ] && pass "man page has its sections" || fail "man page lacks sections:$lacking"
missing=""
for cmd in "" "list" "inspect" "flash dfu" "flash can" "flash usb" "backup dfu" "firmware list"; do
    # shellcheck disable=SC2086 # the command is two words on purpose
    for opt in $("$bin" $cmd --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        grep -qF -- "$opt" "$TMP/man.ascii" || missing="$missing ${cmd:-global}:$opt"
    done
done
if [ -z "$missing" ]; then pass "man page names every option of every command's --help"; else
    fail "man page lacks options:$missing"; fi
missing=""
for code in $(sed -n '/^int cf_exit_status/,/^}/p' "$SOURCE_DIR/src/common/error.c" | grep -oE 'return [0-9]+' | grep -oE '[0-9]+' | sort -u); do
    sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$TMP/man.ascii" | grep -qE "^ +$code\$" || missing="$missing $code"
done
if [ -z "$missing" ]; then pass "man page lists every exit status of cf_exit_status"; else
    fail "man page lacks exit statuses:$missing"; fi
missing=""
for var in $(grep -rhoE 'getenv\("[A-Z_]+"\)' "$SOURCE_DIR/src" | grep -oE '[A-Z_]{2,}' | sort -u) \
    XDG_CONFIG_HOME XDG_STATE_HOME XDG_CACHE_HOME; do
    sed -n '/^ENVIRONMENT/,/^FILES/p' "$TMP/man.ascii" | grep -qE "^ +$var\$" || missing="$missing $var"
done
if [ -z "$missing" ]; then pass "man page lists every environment variable the sources read"; else
    fail "man page lacks environment variables:$missing"; fi

# bash completion: loads, registers, completes commands and the simulated devices.
comp="$root/usr/share/bash-completion/completions/cartoflash"
out=$(PATH="$root/usr/bin:$PATH" bash --norc -c '
    source "$1" || exit 1
    complete -p cartoflash || exit 1
    t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _cartoflash; echo "${COMPREPLY[*]}"; }
    t cartoflash ""
    t cartoflash flash dfu --ma
    t cartoflash --simulate=dfu:g431 flash dfu --device ""
    t cartoflash --simulate=dfu,ti
    t cartoflash --simulate=katapult-usb flash usb --device ""
' bash "$comp" 2>&1)
mapfile -t lines <<<"$out"
[[ ${lines[0]-} == "complete -F _cartoflash"*" cartoflash" || ${lines[0]-} == "complete -o filenames -F _cartoflash cartoflash" ]] &&
    pass "bash completion loads and registers" || fail "bash completion did not register: ${lines[0]-}"
[ "${lines[1]-}" = "list inspect flash backup firmware status update switch help" ] && pass "bash: commands" || fail "bash commands: '${lines[1]-}'"
[ "${lines[2]-}" = "--mass-erase" ] && pass "bash: flash dfu options" || fail "bash options: '${lines[2]-}'"
# The simulated G431 bootloader is at bus path 1-1.3 with its ROM's serial.
[[ "${lines[3]-}" == "0483:df11 1-1.3 serial="* ]] && pass "bash: DFU devices from list --json (${lines[3]})" ||
    fail "bash DFU devices: '${lines[3]-}'"
[ "${lines[4]-}" = "--simulate=dfu,timing=on --simulate=dfu,timing=off" ] && pass "bash: --simulate items" ||
    fail "bash --simulate items: '${lines[4]-}'"
[[ "${lines[5]-}" == /dev/* ]] && [[ "${lines[5]-}" == *" 1-1" ]] && pass "bash: Katapult USB devices (${lines[5]})" ||
    fail "bash Katapult USB devices: '${lines[5]-}'"

# zsh: the function autoloads from the installed folder and is bound to cartoflash.
zcomp="$root/usr/share/zsh/vendor-completions"
out=$(HOME="$TMP" zsh -f -c '
    fpath=("$1" $fpath)
    autoload -Uz compinit && compinit -u -d "$2/zcompdump"
    print -r -- "${_comps[cartoflash]}"
    autoload -Uz +X _cartoflash && print loaded
' zsh "$zcomp" "$TMP" 2>&1)
[ "$out" = $'_cartoflash\nloaded' ] && pass "zsh completion loads and is bound to cartoflash" ||
    fail "zsh completion: '$out'"

finish
