#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (2 stages): a handover that is not taken over
# gives its memory back. Instance "held" is mounted after kexec with too small
# a size= (ENOSPC: held for a larger mount), then discarded; instance "gone"
# is discarded without ever being mounted. MemFree must grow by what each held
# (at least 128 of 160 MiB: freed pages may sit on per-CPU lists, which MemFree
# does not count; before the fix nothing came back).
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
memfree() { awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo; }
mkdir -p /mnt/held /mnt/gone
if [ "$1" = 1 ]; then
	mount -t khofs held /mnt/held
	mount -t khofs gone /mnt/gone
	t 'khofs_bench fill-big /mnt/held/data 160 >/dev/null' "160 MiB written to instance held"
	t 'khofs_bench fill-big-4k /mnt/gone/data 160 >/dev/null' "160 MiB written to instance gone in 4 KiB writes"
else
	m0=$(memfree)
	t '! mount -t khofs -o size=1m held /mnt/held 2>/dev/null' "a mount too small for the handover fails"
	t 'dmesg | grep -q "held: the handover holds .*mount with larger limits"' "and says why"
	khofsctl discard held
	m1=$(memfree)
	t '[ $((m1 - m0)) -ge 128 ]' "discarding the held handover frees its memory (MemFree $m0 -> $m1 MiB)"
	t 'mount -t khofs held /mnt/held && [ -z "$(ls -A /mnt/held)" ]' "the discarded instance starts empty"
	khofsctl discard gone
	m2=$(memfree)
	t '[ $((m2 - m1)) -ge 128 ]' "discarding a handover never mounted frees its memory (MemFree $m1 -> $m2 MiB)"
	t 'mount -t khofs gone /mnt/gone && [ -z "$(ls -A /mnt/gone)" ]' "and that instance starts empty"
	t 'dmesg | grep -q "gone: discarded the handover from the previous kernel (40960 pages freed)"' \
		"every folio of the discarded handover was freed"
fi
exit 0
