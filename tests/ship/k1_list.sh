#!/usr/bin/env bash
# `cartoflash list` on a fake K1 root (CARTOFLASH_TEST_ROOT): the UUIDs come
# from /usr/data/printer_data (printer.cfg and klippy.log), not from ~; on a
# Debian-shaped root the same files under /usr/data are not read.
. "$(dirname "$0")/../lib/lib.sh"
: "${CARTOFLASH:?}"

k1="$TMP/k1"
mkdir -p "$k1/etc/init.d" "$k1/usr/data/printer_data/config" "$k1/usr/data/printer_data/logs"
printf 'NAME=Buildroot\nID=buildroot\n' >"$k1/etc/os-release"
printf '[scanner]\ncanbus_uuid: 0a1b2c3d4e5f\n' >"$k1/usr/data/printer_data/config/printer.cfg"
printf '===== Config file =====\n[mcu scanner]\ncanbus_uuid = 112233445566\n=======================\n' \
    >"$k1/usr/data/printer_data/logs/klippy.log"
out=$(CARTOFLASH_TEST_ROOT="$k1" HOME=/root timeout 60 "$CARTOFLASH" list --json 2>&1)
if jq -e '.probes[] | select(.mode == "configured" and .uuid == "0a1b2c3d4e5f" and .section == "scanner")' \
    <<<"$out" >/dev/null; then pass "K1: UUID from /usr/data/printer_data/config/printer.cfg"; else
    fail "K1: printer.cfg UUID missing"; echo "$out"; fi
if jq -e '.probes[] | select(.uuid == "112233445566") | .source | test("/usr/data/printer_data/logs/klippy.log")' \
    <<<"$out" >/dev/null; then pass "K1: UUID from /usr/data/printer_data/logs/klippy.log"; else
    fail "K1: klippy.log UUID missing"; echo "$out"; fi

deb="$TMP/deb"
mkdir -p "$deb/etc" "$deb/usr/data/printer_data/config" "$deb/home/pi/printer_data/config"
printf 'ID=debian\n' >"$deb/etc/os-release"
printf '[scanner]\ncanbus_uuid: 0a1b2c3d4e5f\n' >"$deb/usr/data/printer_data/config/printer.cfg"
printf '[scanner]\ncanbus_uuid: 665544332211\n' >"$deb/home/pi/printer_data/config/printer.cfg"
out=$(CARTOFLASH_TEST_ROOT="$deb" HOME=/home/pi timeout 60 "$CARTOFLASH" list --json 2>&1)
uuids=$(jq -r '[.probes[] | select(.mode == "configured") | .uuid] | join(" ")' <<<"$out")
[ "$uuids" = "665544332211" ] && pass "Debian: UUID from ~/printer_data only" ||
    fail "Debian: configured UUIDs '$uuids'"
finish
