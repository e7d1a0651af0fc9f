#!/usr/bin/env bash
# Downloads from a local HTTPS (and HTTP) server started here on 127.0.0.1,
# serving tarballs made from the firmware trees (CF_FIRMWARE_DIR) in GitHub's layout: list,
# pick, cache, offline reuse, an interrupted download (kept cache, then a
# resumed one), a corrupt archive, hostile archive entries (nothing written
# outside the cache), a tree whose names lie, TLS verification, size limit,
# and the default URL/branch.
set -e
. "$(dirname "$0")/lib.sh"

WWW="$TMP/www"
KL_PATH=/Cartographer3D/cartographer-klipper/tar.gz/refs/heads
CF_PATH=/Cartographer3D/cartographer_firmware/tar.gz/refs/heads
make_tarball "$CF_FIRMWARE_DIR/cartographer-klipper" cartographer-klipper-master "$WWW$KL_PATH/master"
make_tarball "$CF_FIRMWARE_DIR/cartographer_firmware" cartographer_firmware-master "$WWW$CF_PATH/master"
cp "$WWW$CF_PATH/master" "$WWW$CF_PATH/beta"
make_ca
start_server tls "$WWW" --tls
start_server plain "$WWW"
export CARTOFLASH_CA_FILE="$TMP/tls/ca.pem"
BASE="https://127.0.0.1:$PORT_tls"
KL_URL="$BASE$KL_PATH/{branch}"
CACHE="$XDG_CACHE_HOME/cartoflash/firmware"
PICK_1M=(firmware pick --mode dfu --mcu stm32f042x6 --interface can --bitrate 1000000)

# ---- list and pick over HTTPS ----
run firmware list --mode dfu --mcu stm32f042x6 --source "$KL_URL"
expect_status 0 "list over HTTPS"
expect_err "source: download $BASE$KL_PATH/master" "the download is named as the source"
expect_err "^downloading: 100% \([0-9]+ of [0-9]+ KiB\)$" "download progress reported (to 100%)"
expect_out "^CARTOGRAPHER 5\.1\.0 +stm32f042x6 +can +1000000 +combined +363f7f84424b334f11840d94409717ba1f3629a6d19f49c773394ff624eb0d08 v2-v3/combined-firmware/5\.1\.0/Full_Survey_Cartographer_CAN_1M_5_1_0\.bin$" \
    "rows are relative to the repository's firmware/ folder, with sha256"
slug=$(ls "$CACHE")
expect_eq "$(ls "$CACHE" | wc -l)" "1" "one cache entry"
grep -q "^cartographer-klipper-master-[0-9a-f]\{8\}$" <<<"$slug" && pass "cache entry named after repo and branch ($slug)" ||
    fail "cache entry name: $slug"
snap1=$(readlink "$CACHE/$slug/current")
grep -q "363f7f84424b334f11840d94409717ba1f3629a6d19f49c773394ff624eb0d08	[0-9]*	cartographer-klipper-master/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin" \
    "$CACHE/$slug/$snap1/manifest.tsv" && pass "sha256 recorded in the cache manifest" || fail "cache manifest"
n_recorded=$(wc -l <"$CACHE/$slug/$snap1/manifest.tsv")
n_files=$(find "$CF_FIRMWARE_DIR/cartographer-klipper" -type f | wc -l)
expect_eq "$n_recorded" "$n_files" "every extracted file has its sha256 recorded"
grep -q "^archive_sha256=$(sha256sum "$WWW$KL_PATH/master" | cut -d' ' -f1)$" "$CACHE/$slug/$snap1/source.txt" &&
    pass "the archive's sha256 is recorded" || fail "archive sha256 in source.txt"

run "${PICK_1M[@]}" --source "$KL_URL"
expect_status 0 "pick over HTTPS"
expect_err "source: download .* \(cached copy, up to date\)" "second run revalidates (ETag) instead of downloading again"
grep -q "^GET $KL_PATH/master range=- inm=\"[0-9a-f]*\"$" "$TMP/requests.tls" && pass "with If-None-Match and the cached ETag" ||
    fail "no conditional request: $(cat "$TMP/requests.tls")"
expect_eq "$OUT" "$CACHE/$slug/$snap1/tree/cartographer-klipper-master/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin" \
    "picks the newest combined F042 CAN 1M image, in the cache"
cmp -s "$OUT" "$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin" &&
    pass "the cached image is byte-identical" || fail "cached image differs"
run firmware pick --mode dfu --mcu stm32f042x6 --interface can --bitrate 500000 --source "$KL_URL"
expect_nonzero "no 500k combined image in the downloaded cartographer-klipper"
expect_err "no combined stm32f042x6 CAN 500000 bit/s image" "... saying so"

run "${PICK_1M[@]}" --source "$BASE$CF_PATH/{branch}"
expect_status 0 "pick from the cartographer_firmware tarball (manifest one level up)"
grep -q "cartographer_firmware-master/firmware/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin$" <<<"$OUT" &&
    pass "newest combined F042 CAN 1M of cartographer_firmware" || fail "cartographer_firmware pick: $OUT"

# ---- offline reuse ----
stop_server tls
run firmware list --mode dfu --offline --source "$KL_URL"
expect_status 0 "offline: the cache is used"
expect_err "source: cache of $BASE$KL_PATH/master \(downloaded " "labelled as the cache, with its date"
expect_out "Full_Survey_Cartographer_CAN_1M_5_1_0\.bin" "cached rows listed"
run "${PICK_1M[@]}" --source "$KL_URL"
expect_status 0 "server stopped: the cache is reused"
expect_err "warning: download failed \(cannot reach .*\); using the copy downloaded" "with a clear warning"
expect_eq "$(readlink "$CACHE/$slug/current")" "$snap1" "cache unchanged"

# ---- interrupted download: the good cache stays ----
start_server tls "$WWW" --tls
BASE="https://127.0.0.1:$PORT_tls"
KL_URL2="$BASE$KL_PATH/{branch}" # new port, new URL: a new cache entry
echo "$KL_PATH/master" >"$WWW/.cut"
run "${PICK_1M[@]}" --source "$KL_URL2"
expect_nonzero "cut-off download without a cache fails"
expect_err "was cut off after [0-9]+ bytes \(the server closed the connection\)" "clear error"
expect_err "next: run the command again" "with what to do"
slug2=$(ls "$CACHE" | grep "^cartographer-klipper-master-" | grep -v "^$slug$")
[ ! -e "$CACHE/$slug2/current" ] && pass "no snapshot from a partial download" || fail "partial became a snapshot"
part=$(stat -c %s "$CACHE/$slug2/download.part")
total=$(stat -c %s "$WWW$KL_PATH/master")
[ "$part" -gt 0 ] && [ "$part" -lt "$total" ] && pass "partial download kept for resuming ($part of $total)" ||
    fail "partial file $part of $total"
# resume: the server honours Range + If-Range
rm -f "$WWW/.cut"
: >"$TMP/requests.tls"
run "${PICK_1M[@]}" --source "$KL_URL2"
expect_status 0 "the next run completes the download"
expect_err "download resumed at byte $part" "by resuming where it stopped"
grep -q "GET $KL_PATH/master range=bytes=$part-" "$TMP/requests.tls" && pass "Range request sent" || fail "no Range request"
grep -q "cartographer-klipper-master/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin$" <<<"$OUT" &&
    pass "resumed archive is complete and correct" || fail "resumed pick: $OUT"

# with a good cache, an interrupted refresh keeps it and says so
snap2=$(readlink "$CACHE/$slug2/current")
echo "$KL_PATH/master" >"$WWW/.cut"
run firmware list --mode dfu --source "$KL_URL2"
expect_status 0 "cut-off refresh falls back to the cache"
expect_err "warning: download failed \(download of .* was cut off after" "the warning says the download was cut off"
expect_eq "$(readlink "$CACHE/$slug2/current")" "$snap2" "previous good cache kept"
expect_out "Full_Survey_Cartographer_CAN_1M_5_1_0\.bin" "and listed from"
rm -f "$WWW/.cut" "$CACHE/$slug2/download.part" "$CACHE/$slug2/download.part.meta"

# ---- two cartoflash at once: the second waits for the first's lock ----
flock "$CACHE/$slug2/.lock" sleep 1.5 &
lock_pid=$!
for _ in $(seq 1 100); do # until the holder really holds it
    flock -n "$CACHE/$slug2/.lock" true || break
    sleep 0.02
done
t0=$(date +%s%N)
run firmware list --mode dfu --source "$KL_URL2"
t1=$(date +%s%N)
wait "$lock_pid"
expect_status 0 "waits for a concurrent update of the same cache entry"
[ $(((t1 - t0) / 1000000)) -ge 1000 ] && pass "... and did wait for the lock" || fail "did not wait for the lock"

# ---- corrupt archive ----
good="$TMP/good.tgz"
cp "$WWW$KL_PATH/master" "$good"
head -c 20000 "$good" >"$WWW$KL_PATH/master" # a truncated gzip served whole
run firmware list --mode dfu --source "$KL_URL2"
expect_status 0 "corrupt archive: the cache is kept"
expect_err "warning: download failed \(downloaded archive from .* refused" "the archive is reported broken"
expect_eq "$(readlink "$CACHE/$slug2/current")" "$snap2" "previous good cache kept after a corrupt archive"
[ "$(ls -d "$CACHE/$slug2"/snap.* | wc -l)" -eq 1 ] && pass "no half-extracted snapshot left" || fail "stray snapshots"
head -c 5000 /dev/urandom >"$WWW/junk.tar.gz"
run firmware list --source "$BASE/junk.tar.gz"
expect_nonzero "junk archive without a cache fails"
expect_err "not a readable archive" "saying it is not an archive"
cp "$good" "$WWW$KL_PATH/master"

# ---- hostile entries: traversal, absolute paths, links out of the tree, devices ----
python3 - "$WWW" <<'PY'
import io, sys, tarfile
www = sys.argv[1]
def add(t, name, kind=tarfile.REGTYPE, data=b"x", link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
    if kind == tarfile.REGTYPE:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
cases = {
    "dotdot": [("repo-master/ok.bin",), ("repo-master/../../../../../../tmp/cf_catalog_evil_dotdot",)],
    "abs": [("repo-master/ok.bin",), ("/tmp/cf_catalog_evil_abs",)],
    "symlink": [("repo-master/ok.bin",), ("repo-master/out", tarfile.SYMTYPE, b"", "/tmp"),
                ("repo-master/out/cf_catalog_evil_symlink",)],
    "uplink": [("repo-master/ok.bin",), ("repo-master/up", tarfile.SYMTYPE, b"", "../../../../../../../../../../../.."),
               ("repo-master/up/tmp/cf_catalog_evil_uplink",)],
    "uplink-near": [("repo-master/ok.bin",), ("repo-master/up", tarfile.SYMTYPE, b"", "../.."),
                    ("repo-master/up/cf_catalog_evil_near",)],
    "hardlink": [("repo-master/ok.bin",), ("repo-master/passwd", tarfile.LNKTYPE, b"", "/etc/passwd")],
    "device": [("repo-master/ok.bin",), ("repo-master/null", tarfile.CHRTYPE, b"")],
    "fifo": [("repo-master/ok.bin",), ("repo-master/pipe", tarfile.FIFOTYPE, b"")],
}
for name, entries in cases.items():
    with tarfile.open("%s/evil-%s.tar.gz" % (www, name), "w:gz") as t:
        for e in entries:
            add(t, *e)
PY
# every path under $TMP except the server's files, the captured output and
# the hostile archive's own cache entry
tree_state() {
    find "$TMP" \( -path "$TMP/www" -o -path "$CACHE/evil-*" \) -prune -o -print |
        grep -v "^$TMP/\(out\|err\|requests\..*\)$" | sort
}
for c in dotdot abs symlink uplink uplink-near hardlink device fifo; do
    before=$(tree_state)
    run firmware list --source "$BASE/evil-$c.tar.gz"
    expect_nonzero "hostile archive ($c) refused"
    expect_err "archive refused" "($c) the refusal is explained"
    ls /tmp/cf_catalog_evil_* >/dev/null 2>&1 && fail "($c) a file escaped into /tmp" || pass "($c) nothing written to /tmp"
    expect_eq "$(tree_state)" "$before" "($c) nothing written outside its cache entry"
    evil_slug=$(ls "$CACHE" | grep "^evil-$c-")
    [ -z "$(ls -A "$CACHE/$evil_slug" | grep -v '^\.lock$')" ] && pass "($c) nothing kept in the cache" ||
        fail "($c) cache holds $(ls -A "$CACHE/$evil_slug")"
done

# ---- a tree whose names lie ----
LIES="$TMP/lies-src"
mkdir -p "$LIES/firmware/v2-v3"
cp "$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin" \
    "$LIES/firmware/v2-v3/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
make_tarball "$LIES" lies-master "$WWW/lies/tar.gz/refs/heads/master"
run firmware list --all --source "$BASE/lies/tar.gz/refs/heads/{branch}"
expect_status 0 "list a downloaded tree whose names lie"
expect_out "^CARTOGRAPHER 5\.1\.0 +stm32f042x6 +usb +- +combined .* v2-v3/Full_Survey_Cartographer_CAN_1M_5_1_0\.bin$" \
    "classified by content: USB"
expect_out "note: file name says CAN, the content is USB" "disagreement reported"

# ---- an archive entry whose name holds escape sequences: shown escaped ----
python3 - "$WWW" "$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin" <<'PY'
import sys, tarfile
www, image = sys.argv[1], sys.argv[2]
with tarfile.open("%s/esc.tar.gz" % www, "w:gz") as t:
    t.add(image, "esc-master/firmware/v2-v3/evil\x1b]0;pwned\x07\x1b[2J\u009b31m.bin")
PY
run firmware list --all --source "$BASE/esc.tar.gz"
expect_status 0 "list an archive with an escape sequence in an entry name"
expect_out 'v2-v3/evil\\x1B\]0;pwned\\x07\\x1B\[2J\\xC2\\x9B31m\.bin$' "the name is shown escaped"
if grep -q $'\033\|\a\|\xc2\x9b' <<<"$OUT$ERR"; then fail "a raw control byte reached the terminal"; else pass "no raw control byte in the output"; fi
run firmware list --all --json --source "$BASE/esc.tar.gz"
expect_out '"path": "v2-v3/evil\\u001B\]0;pwned\\u0007\\u001B\[2J\\u009B31m\.bin"' "JSON escapes it (\\u001B, C1 as \\u009B)"

# ---- TLS is verified ----
run firmware list --source "$BASE/lies/tar.gz/refs/heads/{branch}" --branch other
expect_nonzero "unknown branch"
expect_err "HTTP 404" "404 reported"
(
    unset CARTOFLASH_CA_FILE
    export XDG_CACHE_HOME="$TMP/cache-notrust"
    run firmware list --source "$BASE/lies/tar.gz/refs/heads/{branch}"
    [ "$STATUS" -ne 0 ] && grep -q "TLS verification of .* failed" <<<"$ERR"
) && pass "a certificate from an unknown CA is refused" || fail "TLS not verified"

# ---- plain HTTP works for local mirrors, with a warning ----
run firmware list --mode dfu --source "http://127.0.0.1:$PORT_plain$KL_PATH/{branch}"
expect_status 0 "plain HTTP mirror"
expect_err "plain HTTP" "warned as not protected"

# ---- size limit ----
run firmware list --max-download 10000 --source "$BASE$CF_PATH/{branch}" --download
expect_nonzero "size limit"
expect_err "larger than the 10000 bytes allowed" "size limit explained"

# ---- default URLs (configurable) and branches ----
export CARTOFLASH_FIRMWARE_URL="$BASE$CF_PATH/{branch}"
run "${PICK_1M[@]}" --branch beta
expect_status 0 "--branch beta with the configured default URL"
expect_err "source: download $BASE$CF_PATH/beta" "branch beta downloaded"
run firmware list --branch 'x;rm -rf' --offline
expect_status 64 "a branch name that is not one is refused"
finish
