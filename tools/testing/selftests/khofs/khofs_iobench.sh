#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" stage script (1 stage): steady-state I/O (sequential, random,
# mmap) and metadata operations of khofs next to tmpfs in the same VM
# (khofs_bench io), ROUNDS rounds with the
# order alternating; prints the median of each measurement and the ratio
# khofs/tmpfs (below 1: khofs is faster).
set -e
MIB=256
ROUNDS=7
mkdir -p /mnt/tmpfs /mnt/khofs
mount -t tmpfs -o size=1g tmpfs /mnt/tmpfs
mount -t khofs -o size=1g iobench /mnt/khofs
r=1
while [ $r -le $ROUNDS ]; do
	if [ $((r % 2)) = 1 ]; then order="tmpfs khofs"; else order="khofs tmpfs"; fi
	for fs in $order; do
		khofs_bench io /mnt/$fs $MIB | sed "s/^RESULT /$fs /" >>/tmp/io.txt
	done
	r=$((r + 1))
done
for m in io-write-4k io-read-4k io-write-1m io-read-1m io-read-hole-1m io-randwrite-4k \
	io-randread-4k io-mmap-read io-mmap-write io-mmap-write-new files-create-10k \
	files-ls-l-10k files-unlink-10k; do
	t=$(awk -v m=$m '$1 == "tmpfs" && $2 == m { print $3 }' /tmp/io.txt | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")
	k=$(awk -v m=$m '$1 == "khofs" && $2 == m { print $3 }' /tmp/io.txt | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")
	echo "RESULT $m ${MIB}MiB median of $ROUNDS: tmpfs $t ms, khofs $k ms, khofs/tmpfs $(awk -v a="$k" -v b="$t" 'BEGIN { printf "%.2f", a / b }')"
done
