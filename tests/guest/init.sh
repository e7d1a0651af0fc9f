#!/bin/busybox sh
# /init of the cartoflash test guest (packed into the initramfs by build-guest.sh).
#
# Loads the kernel modules listed in /modules/order, mounts the host's root file
# system read-only (virtio-9p tag "hostroot") on /newroot and the run folder
# (tag "work", writable) at the same path it has on the host, so every path
# means the same thing inside and outside. Then it runs <run>/run.sh (written by
# run-guest.sh) as root in a chroot, records its exit status and powers off.
#
# Kernel command line: cf.work=<run folder on the host>.

/bin/busybox --install -s /bin
export PATH=/bin

/bin/busybox mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "cf-guest: init: $*"
	echo "cf-guest-exit: 125"
	poweroff -f
	sleep 5
}

work=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	cf.work=*) work=${arg#cf.work=} ;;
	esac
done
[ -n "$work" ] || fail "no cf.work= on the kernel command line"

while read -r m; do
	insmod "/modules/$m" || fail "insmod $m failed"
done </modules/order

# msize: larger 9p messages make reading binaries and images much faster.
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,ro,cache=loose" hostroot /newroot || fail "cannot mount the host root (9p)"
mount -t 9p -o "$opts" work "/newroot$work" || fail "cannot mount the run folder $work (9p)"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/gadget
mount -t devpts devpts /newroot/dev/pts
# What udev would create: bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs tmpfs /newroot/run
mount -t configfs configfs /newroot/sys/kernel/config
mount -t gadgetfs gadgetfs /newroot/dev/gadget
ip link set lo up
hostname cartoflash-guest
# Plain "\n" on the console: the host reads it as a stream, not a terminal.
stty -F /dev/console -onlcr 2>/dev/null

# udevd, as on any Debian or Raspberry Pi OS host: libusb's hotplug events
# come from it (without it libusb reports hotplug support but never calls back).
# systemd's tools refuse to act in a chroot unless told this is intended.
export SYSTEMD_IGNORE_CHROOT=1
if chroot /newroot /usr/bin/test -x /lib/systemd/systemd-udevd; then
	PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot /newroot /lib/systemd/systemd-udevd \
		--resolve-names=never >/dev/null 2>&1 &
	i=0
	while [ ! -S /newroot/run/udev/control ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S /newroot/run/udev/control ] || echo "cf-guest: init: udevd did not start"
fi

chroot /newroot /bin/bash "$work/run.sh"
status=$?
echo "cf-guest-exit: $status"
sync
poweroff -f
sleep 5
