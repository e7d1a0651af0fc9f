#!/usr/bin/env bash
# The Debian package on this machine, as CI runs it (root, Debian bookworm):
# installs what it needs, builds the .deb (scripts/deb.sh, lintian 0 errors),
# installs it with apt-get, runs the installed /usr/bin/cartoflash --version and
# flashes a real image onto the simulated probe with it (content checked), purges
# it and shows that none of its files is left. Refuses to run where cartoflash is
# already installed as a package (it would be purged).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
FIRMWARE=${FIRMWARE:-$PWD/../shared/firmware}
IMG="$FIRMWARE/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0
pass() { checks=$((checks + 1)); echo "ok - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $1"; }
finish() { echo "deb: $((checks - failures)) passed, $failures failed"; [ "$failures" -eq 0 ]; exit; }

if dpkg-query -W -f='${Status}' cartoflash 2>/dev/null | grep -q "installed"; then
    echo "deb-ci: cartoflash is already installed as a package here; not touching it" >&2
    exit 1
fi
[ -f "$IMG" ] || { echo "deb-ci: $IMG missing" >&2; exit 1; }

if deb=$(bash scripts/deb.sh | tail -n 1) && [ -f "$deb" ]; then
    pass "built $deb, lintian: no errors"
else
    fail "the package did not build or lintian found errors"; finish
fi
deb=$(realpath "$deb")
echo "--- contents"
dpkg-deb -c "$deb"
dpkg-deb -f "$deb" Depends Recommends

find / -xdev \( -path /proc -o -path /sys -o -path /tmp -o -path /work -o -path /var/cache \
    -o -path /var/log -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /root \) -prune \
    -o -print 2>/dev/null | LC_ALL=C sort >"$TMP/before"

export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -q "$deb" >"$TMP/apt.log" 2>&1; then pass "apt-get install ./$(basename "$deb")"; else
    fail "apt-get install failed"; cat "$TMP/apt.log"; finish; fi
dpkg -L cartoflash | LC_ALL=C sort >"$TMP/files"
echo "--- dpkg -L cartoflash"
cat "$TMP/files"

v=$(/usr/bin/cartoflash --version 2>&1)
[ "$v" = "cartoflash $(dpkg-query -W -f='${Version}' cartoflash | sed 's/-[^-]*$//')" ] &&
    pass "/usr/bin/cartoflash --version: $v" || fail "--version printed '$v'"
[ -f /lib/udev/rules.d/70-cartoflash.rules ] && pass "udev rule installed" || fail "udev rule missing"
man -w cartoflash >/dev/null 2>&1 && pass "man cartoflash finds the page" || fail "man page not found"

export XDG_STATE_HOME="$TMP/state" XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" NO_COLOR=1
if /usr/bin/cartoflash --simulate=dfu,timing=off,flash="$TMP/flash.bin" flash dfu --yes "$IMG" \
    >"$TMP/flash.log" 2>&1; then pass "installed binary flashed the simulated probe"; else
    fail "flash failed"; cat "$TMP/flash.log"; fi
if cmp -s -n "$(stat -c %s "$IMG")" "$TMP/flash.bin" "$IMG"; then pass "flash holds the image"; else
    fail "flash differs from the image"; fi

if apt-get purge -y -q cartoflash >"$TMP/purge.log" 2>&1; then pass "apt-get purge cartoflash"; else
    fail "purge failed"; cat "$TMP/purge.log"; fi
dpkg-query -W -f='${Status}' cartoflash 2>/dev/null | grep -q "installed" &&
    fail "dpkg still knows cartoflash" || pass "dpkg: cartoflash not installed"
left=""
while read -r f; do
    [ -d "$f" ] && continue # shared folders (/usr/bin, ...) stay
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$TMP/files"
[ -z "$left" ] && pass "none of the package's files is left" || fail "left behind:$left"
find / -xdev \( -path /proc -o -path /sys -o -path /tmp -o -path /work -o -path /var/cache \
    -o -path /var/log -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /root \) -prune \
    -o -print 2>/dev/null | LC_ALL=C sort >"$TMP/after"
new=$(comm -13 "$TMP/before" "$TMP/after" | grep -i cartoflash)
[ -z "$new" ] && pass "no new path naming cartoflash outside /tmp, /var/log and /var/cache" ||
    fail "new paths after purge: $new"
finish
