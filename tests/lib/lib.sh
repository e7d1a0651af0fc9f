# The one assertion library of the shell tests (sourced). Every check is
# counted, and `finish` passes only when at least one check ran and none
# failed: a script, or a section of one, that checked nothing has not passed.
#
# Provided:
#   $TMP             a fresh folder, removed on exit (after cleanup_hook, if
#                    the script defines one); HOME and the XDG folders point
#                    into it, NO_COLOR=1
#   pass/fail MSG    record one check (fail does not stop the script)
#   fatal MSG        record a failure and stop now (finish's summary first)
#   check MSG CMD... passes when CMD exits 0
#   expect_eq GOT WANT MSG
#   section_args "$@" / want NAME
#                    a script split into sections runs only the one named by
#                    its first argument (none: all of them)
#   run ARGS...      runs $CARTOFLASH ARGS with stdin from /dev/null; sets
#                    STATUS, OUT, ERR
#   expect_status N MSG, expect_nonzero MSG, expect_out RE MSG,
#   expect_no_out RE MSG, expect_err RE MSG, expect_no_err RE MSG,
#   jq_is FILTER VALUE MSG (on $OUT), same_file A B MSG
#   finish           prints "N passed, M failed" and exits with the verdict
#
# Greps read captured text (here-strings or files), never a pipe: grep -q
# stops at its first match, and under pipefail the writer's SIGPIPE would
# turn "found" into "not found".

set -u
: "${CF_FIRMWARE_DIR:=}"

cf_checks=0
cf_failures=0
SECTION=

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cf-test.XXXXXX")
cf_exit() {
    local rc=$?
    if declare -F cleanup_hook >/dev/null; then cleanup_hook || true; fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cf_exit EXIT
mkdir -p "$TMP/home"
export HOME="$TMP/home" XDG_STATE_HOME="$TMP/state" XDG_CACHE_HOME="$TMP/cache" \
    XDG_CONFIG_HOME="$TMP/config" NO_COLOR=1
# Settings of the developer's own shell must not reach the binary under test.
unset CARTOFLASH_CA_FILE CARTOFLASH_FIRMWARE_URL MOONRAKER_API_KEY

pass() {
    cf_checks=$((cf_checks + 1))
    echo "ok - $1"
}
fail() {
    cf_checks=$((cf_checks + 1))
    cf_failures=$((cf_failures + 1))
    echo "not ok - $1"
}
fatal() {
    fail "$1"
    finish
}

check() { # MSG CMD...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
expect_eq() { # GOT WANT MSG
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', expected '$2'"; fi
}

section_args() { SECTION=${1:-}; }
want() { [ -z "$SECTION" ] || [ "$SECTION" = "$1" ]; }

# The firmware trees, required: a test that cannot find them fails, not skips.
need_firmware() {
    [ -n "$CF_FIRMWARE_DIR" ] && [ -d "$CF_FIRMWARE_DIR" ] ||
        fatal "CF_FIRMWARE_DIR ('$CF_FIRMWARE_DIR') is not the shared firmware folder (CTest sets it)"
}

run() {
    local errexit=0
    case $- in *e*) errexit=1 ;; esac
    set +e
    "${CARTOFLASH:?set CARTOFLASH to the cartoflash binary}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    STATUS=$?
    [ "$errexit" -eq 0 ] || set -e
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}
show() {
    echo "--- stdout"
    head -n 80 <<<"$OUT"
    echo "--- stderr"
    head -n 40 <<<"$ERR"
}
expect_status() { # N MSG
    if [ "$STATUS" -eq "$1" ]; then pass "$2 (exit $1)"; else
        fail "$2: exit $STATUS, expected $1"
        show
    fi
}
expect_nonzero() {
    if [ "$STATUS" -ne 0 ]; then pass "$1 (exit $STATUS)"; else
        fail "$1: exit 0, expected failure"
        show
    fi
}
expect_out() {
    if grep -qE -- "$1" <<<"$OUT"; then pass "$2"; else
        fail "$2: stdout lacks /$1/"
        show
    fi
}
expect_no_out() {
    if grep -qE -- "$1" <<<"$OUT"; then
        fail "$2: stdout has /$1/"
        show
    else pass "$2"; fi
}
expect_err() {
    if grep -qE -- "$1" <<<"$ERR"; then pass "$2"; else
        fail "$2: stderr lacks /$1/"
        show
    fi
}
expect_no_err() {
    if grep -qE -- "$1" <<<"$ERR"; then
        fail "$2: stderr has /$1/"
        show
    else pass "$2"; fi
}
jq_is() { # FILTER VALUE MSG: the JSON on stdout gives VALUE for FILTER
    local got
    got=$(jq -r "$1" <<<"$OUT" 2>&1)
    if [ "$got" = "$2" ]; then pass "$3"; else
        fail "$3: $1 is '$got', expected '$2'"
        show
    fi
}
same_file() {
    if cmp -s "$1" "$2"; then pass "$3"; else fail "$3: files differ"; fi
}

finish() {
    local what
    what=$(basename "$0")
    [ -z "$SECTION" ] || what="section '$SECTION' of $what"
    echo "$((cf_checks - cf_failures)) passed, $cf_failures failed"
    if [ "$cf_checks" -eq 0 ]; then
        echo "not ok - $what ran no checks"
        exit 1
    fi
    [ "$cf_failures" -eq 0 ] || exit 1
    exit 0
}
