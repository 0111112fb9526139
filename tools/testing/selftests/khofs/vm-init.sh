#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the khofs test initramfs. Runs /stage.sh STAGE, then kexecs the same
# kernel and initramfs into the next stage (khofs.stage=N on the command line)
# until khofs.stages=N is reached. Progress markers start with "@@khofs-vm".

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /mnt
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/extra:/selftests HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
stage=$(arg khofs.stage); stage=${stage:-1}
stages=$(arg khofs.stages); stages=${stages:-1}

finish() {
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

# Snapshot the pristine initramfs before the stage changes anything, so the
# next stage boots the same files (the archive cannot contain itself).
if [ "$stage" -lt "$stages" ]; then
	(cd / && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./mnt \) -prune -o -print |
		cpio -o -H newc >/tmp/initrd.cpio 2>/dev/null) || echo "@@khofs-vm snapshot-failed"
fi

echo "@@khofs-vm stage $stage/$stages begin"
/bin/sh /stage.sh "$stage" </dev/console >/dev/console 2>&1
rc=$?
echo "@@khofs-vm stage $stage rc=$rc"
if [ $rc -ne 0 ]; then
	finish
fi
if [ "$stage" -ge "$stages" ]; then
	echo "@@khofs-vm all-stages-done"
	finish
fi

next=$((stage + 1))
cmdline=$(sed -e "s/khofs\.stage=[0-9]*/khofs.stage=$next/" /proc/cmdline)
echo "@@khofs-vm kexec to stage $next"
/bin/kexec_reboot /boot/bzImage /tmp/initrd.cpio "$cmdline"
echo "@@khofs-vm kexec-failed"
finish
