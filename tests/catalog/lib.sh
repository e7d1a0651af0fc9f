# Shared helpers for the catalogue's script tests: run the real binary and
# assert on its output; start/stop the local HTTP(S) server (server.py).
set -u

: "${CARTOFLASH:?set CARTOFLASH to the cartoflash binary}"
: "${FIRMWARE:?set FIRMWARE to ../shared/firmware}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

TMP=$(mktemp -d /tmp/cf_catalog_test.XXXXXX)
SERVER_PIDS=()
cleanup() {
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" HOME="$TMP/home" NO_COLOR=1
unset CARTOFLASH_CA_FILE CARTOFLASH_FIRMWARE_URL
mkdir -p "$HOME"
failures=0
checks=0

pass() { checks=$((checks + 1)); echo "ok - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $1"; }

run() {
    set +e
    "$CARTOFLASH" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    STATUS=$?
    set -e
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}
show() { echo "--- stdout"; echo "$OUT" | head -40; echo "--- stderr"; echo "$ERR" | head -20; }
expect_status() {
    if [ "$STATUS" -eq "$1" ]; then pass "$2 (exit $1)"; else
        fail "$2: exit $STATUS, expected $1"; show; fi
}
expect_nonzero() {
    if [ "$STATUS" -ne 0 ]; then pass "$1 (exit $STATUS)"; else fail "$1: exit 0, expected failure"; show; fi
}
expect_out() { if grep -qE -- "$1" <<<"$OUT"; then pass "$2"; else fail "$2: stdout lacks /$1/"; show; fi; }
expect_no_out() { if grep -qE -- "$1" <<<"$OUT"; then fail "$2: stdout has /$1/"; show; else pass "$2"; fi; }
expect_err() { if grep -qE -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2: stderr lacks /$1/"; show; fi; }
expect_no_err() { if grep -qE -- "$1" <<<"$ERR"; then fail "$2: stderr has /$1/"; show; else pass "$2"; fi; }
expect_eq() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi; }
finish() { # a script that checked nothing has not passed
    echo "$((checks - failures)) passed, $failures failed"
    [ "$checks" -gt 0 ] || { echo "not ok - no checks ran"; return 1; }
    [ "$failures" -eq 0 ]
}

# make_ca: a CA and a server certificate for 127.0.0.1/localhost in $TMP/tls.
make_ca() {
    local d="$TMP/tls"
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cartoflash test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" \
        -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
}

# start_server NAME ROOT [--tls]: starts server.py, sets PORT_<NAME>.
start_server() {
    local name=$1 root=$2 tls=${3:-}
    local portfile="$TMP/port.$name"
    rm -f "$portfile"
    if [ "$tls" = "--tls" ]; then
        python3 "$HERE/server.py" "$root" "$portfile" --tls "$TMP/tls/server.pem" \
            "$TMP/tls/server.key" --lifetime 120 --log "$TMP/requests.$name" &
    else
        python3 "$HERE/server.py" "$root" "$portfile" --lifetime 120 --log "$TMP/requests.$name" &
    fi
    local pid=$!
    SERVER_PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 1 100); do
        [ -s "$portfile" ] && break
        sleep 0.05
    done
    [ -s "$portfile" ] || { echo "server $name did not start"; exit 1; }
    eval "PORT_$name=$(cat "$portfile")"
}

stop_server() {
    local pid
    eval "pid=\$PID_$1"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# make_tarball SRC TOP OUT: OUT is a .tar.gz holding SRC's content under TOP/
# (GitHub's layout: one top folder named <repo>-<branch>).
make_tarball() {
    local stage="$TMP/stage.$$"
    rm -rf "$stage"
    mkdir -p "$stage/$2"
    cp -r "$1"/. "$stage/$2/"
    mkdir -p "$(dirname "$3")"
    tar -C "$stage" -czf "$3" "$2"
    rm -rf "$stage"
}
