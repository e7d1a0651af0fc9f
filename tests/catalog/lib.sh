# Helpers of the catalogue's script tests on top of the shared assertions
# (tests/lib/lib.sh): start/stop the local HTTP(S) server (server.py), make
# a CA and GitHub-style tarballs.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
need_firmware
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

SERVER_PIDS=()
cleanup_hook() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
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
