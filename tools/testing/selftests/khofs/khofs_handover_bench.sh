#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" stage script (2 stages, run with KHOFS_VM_MEM=4G): the same data
# handed over by khofs (fsfreeze, mount after kexec) and by memfd + LUO
# (PRESERVE_FD, RETRIEVE_FD after kexec) in the same kexec, and recreated in
# tmpfs. Folio size: khofs.bench_folio=4k (4 KiB writes; memfd without THP)
# or 2m (2 MiB writes; memfd with shmem THP). Needs liveupdate=on.
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
MIB=$(arg khofs.bench_mib); MIB=${MIB:-1024}
FOLIO=$(arg khofs.bench_folio); FOLIO=${FOLIO:-4k}
K=/mnt/khofs
THP=/sys/kernel/mm/transparent_hugepage/shmem_enabled
case $FOLIO in
4k) FILL=fill-big-4k; SHMEM=never ;;
2m) FILL=fill-big; SHMEM=always ;;
*) echo "bad khofs.bench_folio=$FOLIO"; exit 1 ;;
esac
tag() { sed "s/RESULT /RESULT $1-/"; }
if [ "$1" = 1 ]; then
	[ -w $THP ] || { echo "no $THP: shmem THP not configured"; exit 1; }
	echo $SHMEM >$THP
	khofs_bench mount tmpfs /mnt/tmp >/dev/null
	khofs_bench $FILL /mnt/tmp/big "$MIB" | sed "s/$FILL-[0-9]*MiB/fill/" | tag tmpfs
	umount /mnt/tmp
	khofs_bench mount khofs $K >/dev/null
	khofs_bench $FILL $K/big "$MIB" | sed "s/$FILL-[0-9]*MiB/fill/" | tag khofs
	khofs_bench freeze $K 0 | sed 's/freeze/prepare/' | tag khofs
	dmesg | grep -o 'khofs: .*prepared handover.*' | tail -n1
	khofs_bench luo-preserve bench "$MIB" | sed -e 's/luo-fill-[0-9]*MiB/fill/' \
		-e 's/luo-preserve/prepare/' | tag luo
	huge=$(sed -n 's/^ShmemHugePages: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	echo "RESULT luo-huge-MiB $((huge / 1024))"
	[ "$FOLIO" = 4k ] && [ "$huge" != 0 ] && { echo "memfd got huge folios"; exit 1; }
	[ "$FOLIO" = 2m ] && [ "$huge" = 0 ] && { echo "memfd got no huge folios"; exit 1; }
	exit 0
fi
# Time from this kernel's start to this script: the next kernel's boot.
awk '{ printf "RESULT boot-to-script %.1f\n", $1 * 1000 }' /proc/uptime
khofs_bench mount khofs $K | sed 's/mount-khofs/restore/' | tag khofs
dmesg | grep -o 'khofs: .*taken over in.*' | tail -n1
khofs_bench verify-big $K/big "$MIB" | sed 's/verify-big-[0-9]*MiB/first-read/' | tag khofs
khofs_bench luo-retrieve bench "$MIB" | sed -e 's/luo-retrieve/restore/' \
	-e 's/luo-verify-big-[0-9]*MiB/first-read/' | tag luo
