#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" stage script (2 stages, run with KHOFS_VM_MEM=4G): what it costs
# to get a big file (khofs.bench_mib MiB, in khofs.bench_folio=4k or 2m folios)
# and many small files (khofs.bench_files) back after a reboot, with khofs
# (mount after kexec) and with tmpfs (recreate them), in the same VM; and what
# the handover adds to the next kernel's boot (bench_mib=0 bench_files=0 is the
# baseline: a kexec handing over one empty instance). The boot itself is timed
# on the host (scripts/bench.sh, from the console's arrival times).
set -e
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
BIG=$(arg khofs.bench_mib); BIG=${BIG:-1024}
SMALL=$(arg khofs.bench_files); SMALL=${SMALL:-100000}
FOLIO=$(arg khofs.bench_folio); FOLIO=${FOLIO:-2m}
FILL=fill-big
[ "$FOLIO" = 4k ] && FILL=fill-big-4k
K=/mnt/khofs
if [ "$1" = 1 ]; then
	khofs_bench mount tmpfs /mnt/tmp >/dev/null
	[ "$BIG" = 0 ] || khofs_bench $FILL /mnt/tmp/big $BIG | sed 's/RESULT /RESULT tmpfs-/'
	rm -f /mnt/tmp/big
	[ "$SMALL" = 0 ] || khofs_bench fill-small /mnt/tmp/small $SMALL | sed 's/RESULT /RESULT tmpfs-/'
	umount /mnt/tmp
	khofs_bench mount khofs $K >/dev/null
	mkdir $K/big $K/small
	[ "$BIG" = 0 ] || khofs_bench $FILL $K/big/data $BIG | sed 's/RESULT /RESULT khofs-/'
	[ "$SMALL" = 0 ] || khofs_bench fill-small $K/small/files $SMALL | sed 's/RESULT /RESULT khofs-/'
	khofs_bench freeze $K 0 | sed 's/RESULT freeze/RESULT khofs-prepare/'
	line=$(dmesg | grep -o 'khofs: .*prepared handover.*' | tail -n1)
	echo "$line"
	# Handover metadata (FDT and tables) per 4 KiB page of data and per inode.
	echo "$line" | tr -d , | awk '{ for (i = 1; i < NF; i++) v[$(i + 1)] = $i
		if (v["pages"] > 0) printf "RESULT metadata-bytes-per-page %.2f\n", v["bytes"] / v["pages"]
		printf "RESULT folio-records %d\n", v["records"]
		printf "RESULT metadata-bytes-per-inode %.1f\n", v["bytes"] / v["inodes"] }'
else
	khofs_bench mount khofs $K | sed 's/RESULT mount-khofs/RESULT khofs-restore/'
	dmesg | grep -o 'khofs: .*taken over in.*'
	[ "$BIG" = 0 ] || khofs_bench verify-big $K/big/data $BIG | sed 's/RESULT /RESULT khofs-/'
	[ "$SMALL" = 0 ] || khofs_bench verify-small $K/small/files $SMALL | sed 's/RESULT /RESULT khofs-/'
fi
