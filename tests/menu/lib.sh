# Helpers of the menu tests on top of the shared assertions (tests/lib/lib.sh):
# run the real cartoflash binary in a real terminal (a private tmux server,
# 100x50), type into it, read the screen. Every test sources this file and
# ends with finish; CARTOFLASH and CF_FIRMWARE_DIR come from CTest. A failed
# check stops the test (fatal): the screens after it would mean nothing.
set -eo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
need_firmware
: "${CARTOFLASH:?CARTOFLASH must point at the cartoflash binary}"
command -v tmux >/dev/null || fatal "tmux is required (scripts/install-deps.sh)"

COMBINED="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3/combined-firmware"
USB_IMAGE="$COMBINED/5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
CAN_IMAGE="$COMBINED/5.0.0/Full_Survey_Cartographer_CAN_1M_5_0_0.bin"

WORK=$TMP
SESSION_N=0
SOCK="cf-menu-$$-0"
mkdir -p "$WORK/home" "$WORK/cfg" "$WORK/state" "$WORK/bin"
: >"$WORK/flash.bin"

T() { tmux -L "$SOCK" -f /dev/null "$@"; }
# end_session: closes the terminal and makes sure what ran in it is gone. A
# sanitizer build hung up mid-exit (LeakSanitizer's stop-the-world) can spin
# for ever once its terminal is gone; nothing of a finished test may outlive it.
end_session() {
  T kill-server 2>/dev/null || true
  local p
  for p in $(pgrep -x cartoflash); do # ours: started with this test's state folder
    grep -qzx -- "XDG_STATE_HOME=$WORK/state" "/proc/$p/environ" 2>/dev/null && kill -KILL "$p"
  done
  return 0
}
# The Moonraker stand-ins (moonraker_serve) go first, then the terminal.
MR_PIDS=()
cleanup_hook() {
  local p
  for p in "${MR_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  end_session
}

# ---- Klipper and Moonraker stand-ins ----
# klipper_active: a fake systemctl (first in PATH) that says every unit is
# active and logs what it is asked in $WORK/systemctl.log (emptied here).
klipper_active() {
  cat >"$WORK/bin/systemctl" <<SH
#!/bin/sh
echo "\$@" >>"$WORK/systemctl.log"
case "\$1" in is-active) echo active; exit 0;; esac
exit 0
SH
  chmod +x "$WORK/bin/systemctl"
  : >"$WORK/systemctl.log"
}
# moonraker_serve NAME STATE: a local HTTP server (tests/catalog/server.py) that
# answers Moonraker's print_stats query with STATE; its port goes in PORT_NAME.
# It is stopped at the end of the test.
moonraker_serve() {
  local root="$WORK/mr-$1"
  mkdir -p "$root/printer/objects"
  echo "{\"result\":{\"status\":{\"print_stats\":{\"state\":\"$2\"}}}}" \
    >"$root/printer/objects/query"
  python3 "$(dirname "${BASH_SOURCE[0]}")/../catalog/server.py" "$root" "$WORK/port.$1" \
    --lifetime 120 &
  MR_PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$WORK/port.$1" ] && break; sleep 0.05; done
  eval "PORT_$1=$(cat "$WORK/port.$1")"
}
# moonraker_conf DIR PORT: ~/DIR/config/moonraker.conf (DIR: printer_data,
# printer_data_2, ...) as Moonraker writes it, on PORT.
moonraker_conf() {
  mkdir -p "$WORK/home/$1/config"
  printf '[server]\nhost: 0.0.0.0\nport: %s  # a comment after the value\n\n[authorization]\ncors_domains:\n  *.local\n' \
    "$2" >"$WORK/home/$1/config/moonraker.conf"
}

# start [ENV=VALUE ...] -- cartoflash-args...
# The shell line records the terminal settings before and after, and the exit
# status, so tests can check that the terminal was put back.
start() {
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  args=("$@")
  # each session gets its own tmux server: no race with one shutting down
  end_session
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

# show_context: what fatal prints after the failure, the screen as it is.
show_context() {
  echo "----- screen -----"
  screen || true
  echo "------------------"
}

# shows TEXT: the screen, captured first, holds TEXT (fixed string). The
# capture goes into a variable before grep reads it: grep -q stops reading at
# its first match, and a pipe would turn that into a SIGPIPE that pipefail
# counts as "not found" (and `!` then as a pass).
shows() {
  local s
  s=$(screen) || fatal "could not capture the screen"
  grep -qF -- "$1" <<<"$s"
}
# shows_ansi TEXT: the same on the screen with its escape sequences.
shows_ansi() {
  local s
  s=$(screen_ansi) || fatal "could not capture the screen"
  grep -qF -- "$1" <<<"$s"
}

# wait_for TEXT [SECONDS]: until TEXT (fixed string) is on the screen.
wait_for() {
  local text=$1 limit=${2:-15} i=0
  while ! shows "$text"; do
    i=$((i + 1))
    [ $i -le $((limit * 10)) ] || fatal "timed out after ${limit}s waiting for: $text"
    sleep 0.1
  done
  pass "screen shows: $text"
}

# wait_prompt: a menu is waiting for a choice (the prompt is the last text).
wait_prompt() { wait_for "Select an option:" "${1:-15}"; }

has() { if shows "$1"; then pass "screen has: $1"; else fatal "screen lacks: $1"; fi; }
lacks() { if shows "$1"; then fatal "screen unexpectedly shows: $1"; else pass "screen lacks: $1"; fi; }
has_ansi() { if shows_ansi "$1"; then pass "screen has: $2"; else fatal "screen lacks: $2"; fi; }
lacks_ansi() { if shows_ansi "$1"; then fatal "screen unexpectedly shows: $2"; else pass "screen lacks: $2"; fi; }

# choose N: type a menu number and Enter. Tests then wait for text that only
# the next screen shows (the old screen stays visible until it is cleared).
choose() {
  [ -n "$1" ] || fatal "nothing to choose (a menu line was not found)"
  T send-keys -l "$1"
  T send-keys Enter
}
key() { T send-keys "$@"; }

# number_of TEXT: the menu number on the line that shows TEXT.
number_of() {
  local s n
  s=$(screen) || fatal "could not capture the screen"
  n=$(grep -F -- "$1" <<<"$s" | sed -nE '1s/^ *([0-9]+)\. .*/\1/p')
  # called in $(...): a failure here is reported by choose, which gets nothing
  [ -n "$n" ] || { echo "not ok - no menu line shows: $1" >&2; return 1; }
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
  if cmp -n "$size" "$1" "$WORK/flash.bin"; then pass "emulated flash holds $(basename "$1")"; else
    fatal "emulated flash does not hold $(basename "$1")"
  fi
}
