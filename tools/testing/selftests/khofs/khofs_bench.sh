#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" stage script (2 stages, run with KHOFS_VM_MEM=4G): what it costs
# to get 1 GiB of data and 100,000 small files back after a reboot, with khofs
# (mount after kexec) and with tmpfs (recreate them), in the same VM.
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
BIG=$(arg khofs.bench_mib); BIG=${BIG:-1024}
SMALL=$(arg khofs.bench_files); SMALL=${SMALL:-100000}
K=/mnt/khofs
if [ "$1" = 1 ]; then
	khofs_bench mount tmpfs /mnt/tmp
	[ "$BIG" = 0 ] || khofs_bench fill-big /mnt/tmp/big $BIG | sed 's/RESULT /RESULT tmpfs-/'
	rm -f /mnt/tmp/big
	[ "$SMALL" = 0 ] || khofs_bench fill-small /mnt/tmp/small $SMALL | sed 's/RESULT /RESULT tmpfs-/'
	umount /mnt/tmp
	khofs_bench mount khofs $K >/dev/null
	mkdir $K/big $K/small
	[ "$BIG" = 0 ] || khofs_bench fill-big $K/big/data $BIG | sed 's/RESULT /RESULT khofs-/'
	[ "$SMALL" = 0 ] || khofs_bench fill-small $K/small/files $SMALL | sed 's/RESULT /RESULT khofs-/'
	fsfreeze --freeze $K
	dmesg | grep -o 'khofs: .*prepared handover.*'
else
	khofs_bench mount khofs $K | sed 's/RESULT /RESULT khofs-after-kexec-/'
	dmesg | grep -o 'khofs: took over.*'
	[ "$BIG" = 0 ] || khofs_bench verify-big $K/big/data $BIG | sed 's/RESULT /RESULT khofs-/'
	[ "$SMALL" = 0 ] || khofs_bench verify-small $K/small/files $SMALL | sed 's/RESULT /RESULT khofs-/'
fi
