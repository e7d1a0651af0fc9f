#!/usr/bin/env bash
# sim-options.sh BINARY nosim|nofaults: what a packager's build says about
# the simulator options it lacks.
#   nosim     built with -DCF_SIMULATOR=OFF: --help shows no --simulate, and
#             --simulate, with any command or for the menu, is a usage error
#             (exit 64) saying the simulator was left out of the build
#   nofaults  built with the simulator but without the test suite
#             (-DCF_TESTS=OFF): a fault=KIND@N key is a usage error saying
#             fault injection is not in this build, for DFU and Katapult
. "$(dirname "$0")/../lib/lib.sh"
CARTOFLASH=${1:?usage: sim-options.sh BINARY nosim|nofaults}
mode=${2:?usage: sim-options.sh BINARY nosim|nofaults}

if [ "$mode" = nosim ]; then
    run --help
    expect_status 0 "--help runs"
    expect_no_out 'simulate' "--help does not offer --simulate"
    for args in "list" "flash dfu --yes /dev/null" "status" ""; do
        # shellcheck disable=SC2086 # the words are the command line
        run --simulate=dfu $args
        expect_status 64 "--simulate=dfu ${args:-(the menu)}: usage exit status"
        expect_err 'built without the simulator \(-DCF_SIMULATOR=OFF\)' \
            "--simulate=dfu ${args:-(the menu)}: says the simulator is not built"
    done
    run --simulate list
    expect_status 64 "bare --simulate: usage exit status"
elif [ "$mode" = nofaults ]; then
    run --help
    expect_no_out 'fault=' "--help does not offer fault=KIND@N"
    run --simulate=dfu,fault=stall@1 list
    expect_status 64 "DFU fault=: usage exit status"
    expect_err 'fault injection is not in this build' "DFU fault=: says it is not in this build"
    run --simulate=katapult-usb,fault=lost@1 flash usb --yes /dev/null
    expect_status 64 "Katapult fault=: usage exit status"
    expect_err 'fault injection is not in this build' "Katapult fault=: says it is not in this build"
else
    fatal "unknown mode $mode (nosim or nofaults)"
fi
finish
