#!/usr/bin/env bash
# Boots the test guest, runs SCRIPT [ARGS...] in it as root, streams its output
# and exits with the script's exit status.
#
#   tests/guest/run-guest.sh tests/guest/tests/dfu-util.sh
#
# Inside the guest the whole host file system is visible read-only at the same
# paths (so SCRIPT, the build tree and ../shared are where they are on the host),
# the current directory is kept, and every CF_* environment variable is passed
# on. Writable places: $CF_RUN (a fresh folder shared with the host, also
# $HOME, $TMPDIR and $XDG_*_HOME), /run, /dev/shm; /tmp is read-only.
#
# Environment:
#   CF_GUEST_TIMEOUT  seconds before the guest is killed (default 600)
#   CF_GUEST_KEEP=1   keep the run folder (printed) for inspection
#   CF_GUEST_ACCEL    kvm or tcg (default: kvm when /dev/kvm is usable)
#   CF_GUEST_MEM      guest memory in MiB (default 512)
# Exit status: the script's; 124 when the guest timed out; 125 when the guest
# failed before or after running the script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ "${1:-}" = "--" ] && shift
if [ $# -lt 1 ]; then
  echo "usage: $0 SCRIPT [ARGS...]" >&2
  exit 2
fi
script=$1
shift
[ -f "$script" ] || { echo "run-guest: no such script: $script" >&2; exit 2; }
script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")

command -v qemu-system-x86_64 >/dev/null ||
  { echo "run-guest: qemu-system-x86_64 is missing: run scripts/install-deps.sh" >&2; exit 125; }

guest=$("$here/build-guest.sh")

run=$(mktemp -d "${TMPDIR:-/tmp}/cf-guest.XXXXXX")
case "$run" in *[[:space:]]*)
  echo "run-guest: the run folder path must not contain spaces: $run" >&2; exit 2 ;;
esac
cleanup() {
  if [ "${CF_GUEST_KEEP:-0}" = 1 ]; then
    echo "run-guest: run folder kept: $run" >&2
  else
    rm -rf "$run"
  fi
}
trap cleanup EXIT
mkdir -p "$run"/{home,tmp,state,cache,config}

# The script the guest's init runs (in bash, chrooted into the host's root).
{
  echo '#!/bin/bash'
  printf 'export PATH=%q\n' "$PATH"
  printf 'export HOME=%q TMPDIR=%q\n' "$run/home" "$run/tmp"
  printf 'export XDG_STATE_HOME=%q XDG_CACHE_HOME=%q XDG_CONFIG_HOME=%q\n' \
    "$run/state" "$run/cache" "$run/config"
  printf 'export CF_RUN=%q CF_IN_GUEST=1 SYSTEMD_IGNORE_CHROOT=1\n' "$run"
  for v in "${!CF_@}"; do
    case "$v" in CF_RUN | CF_IN_GUEST | CF_GUEST_ACCEL) continue ;; esac
    printf 'export %s=%q\n' "$v" "${!v}"
  done
  [ -n "${TERM:-}" ] && printf 'export TERM=dumb\n'
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  printf '%q' "$script"
  [ $# -gt 0 ] && printf ' %q' "$@"
  printf ' </dev/null 2>&1\n'
  printf 'status=$?\necho "$status" >%q\nexit "$status"\n' "$run/status"
} >"$run/run.sh"

# KVM when it works, else software emulation (TCG). A /dev/kvm that opens is
# not proof: nested KVM may refuse CPU features or hang silently, so one short
# trial boot decides, remembered until the host reboots.
kvm_works() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  local mark
  mark="$(dirname "$guest")/kvm-$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)"
  if [ ! -f "$mark" ]; then
    if CF_GUEST_ACCEL=kvm CF_GUEST_TIMEOUT=30 "$0" /bin/true >/dev/null 2>&1; then
      echo yes >"$mark"
    else
      echo no >"$mark"
      echo "run-guest: /dev/kvm is present but a KVM guest did not boot; using TCG" >&2
    fi
  fi
  [ "$(cat "$mark")" = yes ]
}
accel=${CF_GUEST_ACCEL:-}
if [ -z "$accel" ]; then
  if kvm_works; then accel=kvm; else accel=tcg; fi
fi
if [ "$accel" = kvm ]; then
  accel_args=(-accel kvm)
else
  accel_args=(-accel tcg)
fi

kernel="$guest/vmlinux" # uncompressed: boots much faster under TCG (build-guest.sh)
[ -f "$kernel" ] || kernel="$guest/vmlinuz"

# Tell the script how it runs (timing limits differ under emulation).
sed -i "2i export CF_GUEST_ACCEL=$accel" "$run/run.sh"

timeout_s=${CF_GUEST_TIMEOUT:-600}
started=$(date +%s)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  "${accel_args[@]}" -m "${CF_GUEST_MEM:-512}" -smp 1 \
  -nodefaults -no-user-config -display none -serial stdio -monitor none -no-reboot \
  -kernel "$kernel" -initrd "$guest/initramfs.gz" \
  -append "console=ttyS0 ${CF_GUEST_KERNEL_ARGS:-quiet loglevel=3} panic=-1 cf.work=$run" \
  -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev "local,id=work,path=$run,security_model=none,multidevs=remap" \
  -device virtio-9p-pci,fsdev=work,mount_tag=work \
  </dev/null
qemu_status=$?
set -e

if [ -f "$run/status" ]; then
  status=$(cat "$run/status")
  echo "run-guest: $(basename "$script") exited $status (guest $accel, $(($(date +%s) - started)) s)" >&2
  exit "$status"
fi
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
  echo "run-guest: the guest timed out after $timeout_s s (CF_GUEST_TIMEOUT)" >&2
  exit 124
fi
echo "run-guest: the guest stopped without running the script to the end (qemu exit $qemu_status)" >&2
exit 125
