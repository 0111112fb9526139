#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (2 stages): the instance outlives umount,
# fsfreeze prepares the handover (and thaw withdraws it), and a writer that
# keeps appending while the system kexecs loses nothing it completed.
M=/mnt/khofs
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
mkdir -p $M
if [ "$1" = 1 ]; then
	mount -t khofs none $M
	mkdir $M/kept && echo "written before umount" > $M/kept/file
	umount $M
	t '! grep -q " $M khofs" /proc/mounts' "umount detaches the mount"
	mount -t khofs none $M
	t 'grep -q "written before umount" $M/kept/file' "contents survive umount and remount"

	echo v1 > $M/frozen.txt
	fsfreeze --freeze $M
	t 'dmesg | grep -q "prepared handover"' "fsfreeze -f prepares the handover"
	(echo blocked > $M/frozen.txt && touch /tmp/writer-done) &
	sleep 1
	t '[ ! -e /tmp/writer-done ] && grep -q v1 $M/frozen.txt' "writers are stopped while frozen"
	fsfreeze --unfreeze $M
	wait
	t '[ -e /tmp/writer-done ] && grep -q blocked $M/frozen.txt' "the stopped writer completes after thaw"
	t 'dmesg | grep -q "handover withdrawn"' "thaw withdraws the prepared handover"
	echo v2 > $M/frozen.txt
	t 'grep -q v2 $M/frozen.txt' "writes work again after thaw"

	# Published for debugging: the FDT in debugfs (dtc -I dtb reads it).
	fsfreeze --freeze $M
	t '[ "$(od -An -tx1 -N4 /sys/kernel/debug/kho/out/sub_fdts/khofs-none | tr -d " ")" = d00dfeed ]' \
		"the handover FDT is in debugfs (kho/out/sub_fdts/khofs-none)"
	# For the host to decode with dtc (scripts/check.sh).
	echo "@@fdt-begin khofs-none"
	od -An -tx1 -v /sys/kernel/debug/kho/out/sub_fdts/khofs-none
	echo "@@fdt-end"
	fsfreeze --unfreeze $M

	# A file open and mapped (MAP_SHARED, written) at kexec time.
	mmap_fill $M/mapped.bin 1048576 held hold > /tmp/hold.out &
	sleep 1
	t 'grep -q holding /tmp/hold.out' "a process holds a written shared mapping"

	# A writer appending numbered lines right through the kexec.
	i=0
	(while :; do echo "line $i" >> $M/appender; i=$((i + 1)); done) &
	sleep 1
	# The kexec happens with the instance unmounted, as after "systemctl kexec".
	umount -l $M
	true
else
	mount -t khofs none $M
	t 'grep -q "written before umount" $M/kept/file' "files of an unmounted instance survived kexec"
	t 'grep -qx v2 $M/frozen.txt' "data written after thaw survived kexec"
	lines=$(wc -l < $M/appender)
	last=$(tail -n 1 $M/appender)
	t '[ "$lines" -gt 10 ] && [ "$last" = "line $((lines - 1))" ] && [ "$(sed -n 1p $M/appender)" = "line 0" ]' \
		"concurrent appender: $lines complete lines, none lost or torn"
	t '[ "$(mmap_fill - 1048576 held | md5sum)" = "$(md5sum < $M/mapped.bin)" ]' \
		"a file mapped and written at kexec time survived intact"
	t 'dmesg | grep -q "khofs: took over"' "the takeover is logged"
fi
exit 0
