# Shared helpers for the menu tests: run the real cartoflash binary in a real
# terminal (a private tmux server, 100x50), type into it, read the screen.
# Every test sources this file; CARTOFLASH and FIRMWARE come from CTest.
set -euo pipefail

: "${CARTOFLASH:?CARTOFLASH must point at the cartoflash binary}"
: "${FIRMWARE:?FIRMWARE must point at the shared firmware folder}"
command -v tmux >/dev/null || { echo "FAIL: tmux is required (scripts/install-deps.sh)"; exit 1; }

COMBINED="$FIRMWARE/cartographer-klipper/firmware/v2-v3/combined-firmware"
USB_IMAGE="$COMBINED/5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
CAN_IMAGE="$COMBINED/5.0.0/Full_Survey_Cartographer_CAN_1M_5_0_0.bin"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cf-menu-test.XXXXXX")
SESSION_N=0
SOCK="cf-menu-$$-0"
mkdir -p "$WORK/home" "$WORK/cfg" "$WORK/state" "$WORK/bin"
: >"$WORK/flash.bin"

T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
  T kill-server 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# start [ENV=VALUE ...] -- cartoflash-args...
# The shell line records the terminal settings before and after, and the exit
# status, so tests can check that the terminal was put back.
start() {
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  args=("$@")
  # each session gets its own tmux server: no race with one shutting down
  T kill-server 2>/dev/null || true
  SESSION_N=$((SESSION_N + 1))
  SOCK="cf-menu-$$-$SESSION_N"
  local cmd="stty -g >$WORK/stty.before; env -u NO_COLOR"
  cmd+=" HOME=$WORK/home XDG_CONFIG_HOME=$WORK/cfg XDG_STATE_HOME=$WORK/state"
  cmd+=" PATH=$WORK/bin:$PATH"
  local e a
  for e in "${envs[@]+"${envs[@]}"}"; do cmd+=" $(printf '%q' "$e")"; done
  cmd+=" $(printf '%q' "$CARTOFLASH")"
  for a in "${args[@]+"${args[@]}"}"; do cmd+=" $(printf '%q' "$a")"; done
  cmd+="; echo EXIT=\$?; stty -g >$WORK/stty.after; sleep 600"
  T new-session -d -x 100 -y 50 "$cmd"
}

screen() { T capture-pane -p -J; }
screen_ansi() { T capture-pane -p -e -J; }

fail() {
  echo "FAIL: $*"
  echo "----- screen -----"
  screen || true
  echo "------------------"
  exit 1
}

# wait_for TEXT [SECONDS]: until TEXT (fixed string) is on the screen.
wait_for() {
  local text=$1 limit=${2:-15} i=0
  while ! screen | grep -qF -- "$text"; do
    i=$((i + 1))
    [ $i -le $((limit * 10)) ] || fail "timed out after ${limit}s waiting for: $text"
    sleep 0.1
  done
}

# wait_prompt: a menu is waiting for a choice (the prompt is the last text).
wait_prompt() { wait_for "Select an option:" "${1:-15}"; }

# The screen is captured into a variable before grep reads it: grep -q stops
# reading at its first match, and a pipe would turn that into a SIGPIPE that
# pipefail could count as "not found".
has() {
  local s
  s=$(screen) || fail "could not capture the screen"
  grep -qF -- "$1" <<<"$s" || fail "screen lacks: $1"
}
lacks() {
  local s
  s=$(screen) || fail "could not capture the screen"
  ! grep -qF -- "$1" <<<"$s" || fail "screen unexpectedly shows: $1"
}

# choose N: type a menu number and Enter. Tests then wait for text that only
# the next screen shows (the old screen stays visible until it is cleared).
choose() {
  [ -n "$1" ] || fail "nothing to choose (a menu line was not found)"
  T send-keys -l "$1"
  T send-keys Enter
}
key() { T send-keys "$@"; }

# number_of TEXT: the menu number on the line that shows TEXT.
number_of() {
  local n
  n=$(screen | grep -F -- "$1" | head -n1 | sed -nE 's/^ *([0-9]+)\. .*/\1/p')
  [ -n "$n" ] || fail "no menu line shows: $1"
  echo "$n"
}

# select_dfu_device: from the DFU menu, 1. Find Cartographer Device, then
# 1. Select the simulated 0483:df11; back on the DFU menu with it selected.
select_dfu_device() {
  choose 1
  wait_for "Detected DFU device: 0483:df11" 10
  wait_prompt
  choose 1
  wait_for "Device Selected: 0483:df11"
  wait_prompt
}

# expect_exit STATUS: the program ended with STATUS.
expect_exit() {
  wait_for "EXIT=" 15
  has "EXIT=$1"
}

# flash_matches IMAGE: the emulated flash starts with IMAGE's bytes.
flash_matches() {
  local size
  size=$(stat -c %s "$1")
  cmp -n "$size" "$1" "$WORK/flash.bin" || fail "emulated flash does not hold $(basename "$1")"
}
