#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (2 stages): named instances. The mount source
# names the instance; each is handed over separately and remounted by name.
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
mkdir -p /mnt/db /mnt/db2 /mnt/cache /mnt/bad
if [ "$1" = 1 ]; then
	mount -t khofs db /mnt/db && mount -t khofs cache /mnt/cache
	echo "database page" > /mnt/db/page && mkdir /mnt/cache/objects
	echo "cached object" > /mnt/cache/objects/o1
	mount -t khofs db /mnt/db2
	t '[ "$(cat /mnt/db2/page)" = "database page" ] && [ ! -e /mnt/db2/objects ]' \
		"two mounts of one instance share a tree; instances are separate"
	t '! mount -t khofs bad/name /mnt/bad 2>/dev/null && dmesg | grep -q "invalid instance name"' \
		"an invalid instance name is refused with an error"
	t '! mount -t khofs abcdefghijklmnopqrstuvwxyz0 /mnt/bad 2>/dev/null' \
		"a too long instance name is refused"
	umount /mnt/db2
	umount /mnt/cache

	# Discarding a live instance: it starts empty afterwards.
	mount -t khofs scratch /mnt/bad && echo junk > /mnt/bad/junk && umount /mnt/bad
	khofsctl discard scratch
	mount -t khofs scratch /mnt/bad
	t '[ -z "$(ls -A /mnt/bad)" ]' "a discarded instance comes back empty"
	umount /mnt/bad
	t '! khofsctl discard "../x" 2>/dev/null' "discard refuses an invalid name"
	mount -t khofs keep /mnt/bad && echo kept > /mnt/bad/kept && umount /mnt/bad
	t '[ "$(khofs_op discard-unprivileged keep)" = EPERM ] && mount -t khofs keep /mnt/bad &&
	   [ "$(cat /mnt/bad/kept)" = kept ] && umount /mnt/bad' \
		"discard needs CAP_SYS_ADMIN, even on a descriptor opened by root"
	# To be handed over, and discarded unmounted in the next kernel.
	mount -t khofs unwanted /mnt/bad && echo old > /mnt/bad/old && umount /mnt/bad

	# Limits of an instance: a second mount of a live instance changes them as a
	# remount does; the takeover in the next kernel checks them again.
	mkdir -p /mnt/big
	mount -t khofs -o size=4m,nr_inodes=50,mode=0750 big /mnt/big
	yes khofs-big | head -c 2097152 > /mnt/big/data
	t '! mount -t khofs -o size=1m big /mnt/db2 2>/dev/null && dmesg | grep -q "khofs: too small a size limit for current use"' \
		"mounting a live instance with a size below its use is refused with an error"
	t '! mount -t khofs -o size=12q big /mnt/db2 2>/dev/null && dmesg | grep -q "khofs: bad size value"' \
		"a bad option value is refused with an error"
	t 'mount -t khofs -o size=8m big /mnt/db2 && grep -q " /mnt/big khofs .*size=8192k,nr_inodes=50,mode=750" /proc/mounts' \
		"mounting a live instance with a larger size raises its limit"
	umount /mnt/db2
	mount -t khofs held /mnt/bad && dd if=/dev/zero of=/mnt/bad/z bs=64k count=4 2>/dev/null
	umount /mnt/bad
else
	mount -t khofs cache /mnt/cache
	mount -t khofs db /mnt/db
	t '[ "$(cat /mnt/db/page)" = "database page" ] && [ "$(ls /mnt/db)" = page ]' \
		"instance db came back with its own files"
	t '[ "$(cat /mnt/cache/objects/o1)" = "cached object" ] && [ "$(ls /mnt/cache)" = objects ]' \
		"instance cache (unmounted at kexec) came back with its own files"
	khofsctl discard unwanted
	t 'dmesg | grep -q "unwanted: discarded the handover from the previous kernel (1 pages freed)"' \
		"discarding a handed-over instance frees its memory unmounted"
	mount -t khofs unwanted /mnt/bad
	t '[ -z "$(ls -A /mnt/bad)" ]' "the discarded handover is not restored"
	umount /mnt/bad
	mount -t khofs fresh /mnt/bad
	t '[ -z "$(ls -A /mnt/bad)" ]' "a new instance name starts empty"
	mkdir -p /mnt/big
	t '! mount -t khofs -o size=1m big /mnt/big 2>/dev/null && dmesg | grep -q "big: the handover holds 2048 KiB in 2 inodes, more than size="' \
		"a takeover larger than size= is refused with an error"
	t 'mount -t khofs -o size=4m,mode=0700,uid=12 big /mnt/big && [ "$(md5sum < /mnt/big/data)" = "$(yes khofs-big | head -c 2097152 | md5sum)" ]' \
		"the refused handover is taken over by a mount with larger limits"
	t '[ "$(stat -c %a:%u /mnt/big)" = 700:12 ] && grep -q " /mnt/big khofs .*size=4096k,mode=700,uid=12" /proc/mounts' \
		"mode= and uid= apply to the taken-over root; /proc/mounts shows them"
	t '[ "$(stat -f -c %b:%f /mnt/big)" = "1024:$((1024 - 512))" ]' \
		"statfs counts the taken-over data against size="
	t '! mount -t khofs -o nr_inodes=1 held /mnt/bad 2>/dev/null && khofsctl discard held && dmesg | grep -q "held: discarded the held handover (64 pages freed)"' \
		"a held handover can be discarded"
	t '[ "$(dmesg | grep -c "took over")" = 3 ]' "three handovers taken over"
fi
exit 0
