#!/usr/bin/env bash
# Fails if a C function body is longer than 80 lines.
#
#   usage: scripts/check-function-length.sh [DIR...]   (default: src tests fuzz bench)
#          scripts/check-function-length.sh --self-test
#
# The code is clang-formatted (.clang-format, BreakBeforeBraces: Linux), so a
# function body opens with "{" alone at column 0 and closes with "}" at
# column 0; the lines between them are its length. Each function over the limit
# is printed as file:line (where its signature starts) and name; the last line
# is the tally "functions: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
limit=80

# file...: prints "file:line: name is N lines (limit L)" per long function and
# the tally; exits 1 when any is over.
check_files() {
    awk -v limit="$limit" '
        FNR == 1 { sig = 0; in_body = 0 }
        !in_body && /^[A-Za-z_]/ && !/^{/ { sig = FNR; sigtext = $0 }
        !in_body && /^{[ \t]*$/ { in_body = 1; start = FNR; next }
        in_body && /^}/ {
            in_body = 0
            len = FNR - start - 1
            name = sigtext
            if (match(name, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/))
                name = substr(name, RSTART, RLENGTH - 1)
            if (len > limit) {
                printf "%s:%d: %s is %d lines (limit %d)\n", FILENAME, sig, name, len, limit
                failed++
            } else {
                passed++
            }
        }
        END {
            printf "functions: %d passed, %d failed\n", passed, failed
            exit failed > 0
        }' "$@"
}

# Writes a file with one function of n body lines.
make_function() {
    local file=$1 n=$2
    {
        echo "int f(void)"
        echo "{"
        for ((i = 0; i < n; i++)); do echo "    (void)0;"; done
        echo "}"
    } >"$file"
}

# The check must catch an 81-line function and let an 80-line one pass.
self_test() {
    local dir
    dir=$(mktemp -d)
    make_function "$dir/long.c" 81
    make_function "$dir/ok.c" 80
    local bad=0
    if check_files "$dir/long.c" >/dev/null; then
        echo "self-test: an 81-line function was not caught"
        bad=1
    fi
    if ! check_files "$dir/ok.c" >/dev/null; then
        echo "self-test: an 80-line function was refused"
        bad=1
    fi
    rm -rf "$dir"
    [ "$bad" -eq 0 ] && echo "self-test: passed (81 lines caught, 80 lines let through)"
    return "$bad"
}

if [ "${1:-}" = "--self-test" ]; then
    self_test
    exit
fi
[ "$#" -gt 0 ] || set -- src tests fuzz bench
mapfile -t files < <(find "$@" -name '*.[ch]' -type f | sort)
[ "${#files[@]}" -gt 0 ] || { echo "functions: 0 passed, 0 failed"; exit 0; }
check_files "${files[@]}"
