#!/usr/bin/env bash
# The test library tested: scripts that source lib.sh are run in a child
# bash and their exit status and output judged here, with plain bash (not
# with the library under test, whose own verdict is what is in question).
set -u
LIB=$(cd "$(dirname "$0")" && pwd)/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cf-libtest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
checks=0
bad=0

# case_ NAME WANT_STATUS WANT_OUTPUT_RE [ARGS...]: runs $WORK/NAME.sh (the body
# on stdin, after the line that sources the library) and judges it.
case_() {
    local name=$1 want=$2 re=$3 rc
    shift 3
    { echo ". \"$LIB\""; cat; } >"$WORK/$name.sh"
    env -u CARTOFLASH bash "$WORK/$name.sh" "$@" >"$WORK/$name.out" 2>&1
    rc=$?
    checks=$((checks + 1))
    if { [ "$want" = nonzero ] && [ "$rc" -ne 0 ]; } || [ "$rc" = "$want" ]; then
        if grep -qE -- "$re" "$WORK/$name.out"; then
            echo "ok - $name (exit $rc)"
            return
        fi
        echo "not ok - $name: output lacks /$re/"
    else
        echo "not ok - $name: exit $rc, expected $want"
    fi
    bad=$((bad + 1))
    sed 's/^/    /' "$WORK/$name.out"
}

case_ no_checks nonzero "ran no checks" <<'EOF_'
echo "nothing checked here"
finish
EOF_

case_ empty_section nonzero "section 'quiet' of empty_section.sh ran no checks" quiet <<'EOF_'
section_args "$@"
if want loud; then pass "only in the loud section"; fi
if want quiet; then :; fi
finish
EOF_

case_ section_with_checks 0 "1 passed, 0 failed" loud <<'EOF_'
section_args "$@"
if want loud; then pass "only in the loud section"; fi
if want quiet; then :; fi
finish
EOF_

case_ failing_check nonzero "1 passed, 1 failed" <<'EOF_'
expect_eq 2 2 "two is two"
expect_eq 2 3 "two is not three"
finish
EOF_

case_ passing_check 0 "ok - true holds" <<'EOF_'
check "true holds" true
finish
EOF_

case_ failed_command nonzero "not ok - false holds" <<'EOF_'
check "false holds" false
finish
EOF_

# fatal stops at once: what follows it never runs (nor counts).
case_ fatal_stops nonzero "0 passed, 1 failed" <<'EOF_'
fatal "stop here"
pass "never reached"
finish
EOF_

# A failure recorded early is not undone by checks that pass after it.
case_ failure_then_passes nonzero "2 passed, 1 failed" <<'EOF_'
fail "an early failure"
pass "a later pass"
pass "another"
finish
EOF_

# A match early in a long output, under pipefail: grep -q quits at the first
# line, which must still count as found (and for expect_no_out as present).
case_ early_match_found 0 "1 passed, 0 failed" <<'EOF_'
set -o pipefail
OUT=$(seq 1 200000)
expect_out '^1$' "the first line is found"
finish
EOF_
case_ early_match_present nonzero "stdout has /\^1\\$/" <<'EOF_'
set -o pipefail
OUT=$(seq 1 200000)
expect_no_out '^1$' "the first line is absent"
finish
EOF_

# run: the binary's status and both streams; errexit survives a failing run.
printf '#!/bin/sh\necho "to out $*"\necho "to err" >&2\nexit 3\n' >"$WORK/fake"
chmod +x "$WORK/fake"
case_ run_captures 0 "4 passed, 0 failed" <<EOF_
set -e
CARTOFLASH=$WORK/fake
run list --json
expect_status 3 "the status is kept"
expect_out "^to out list --json\$" "stdout is captured"
expect_err "^to err\$" "stderr is captured"
case \$- in *e*) pass "errexit is back on" ;; *) fail "errexit was lost" ;; esac
finish
EOF_

case_ temp_cleaned 0 "1 passed" <<EOF_
echo "\$TMP" >"$WORK/tmp_path"
check "TMP exists" test -d "\$TMP"
finish
EOF_
checks=$((checks + 1))
if [ -s "$WORK/tmp_path" ] && [ ! -e "$(cat "$WORK/tmp_path")" ]; then
    echo "ok - TMP is removed on exit"
else
    echo "not ok - TMP is left behind: $(cat "$WORK/tmp_path" 2>/dev/null)"
    bad=$((bad + 1))
fi

echo "$((checks - bad)) of $checks cases as expected"
[ "$checks" -gt 0 ] && [ "$bad" -eq 0 ]
