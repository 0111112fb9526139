#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (2 stages, KHOFS_VM_MEM=3G): a 1 GiB file written
# in 4 KiB writes (262,144 folios) and 100,000 small files, handed over and
# mounted after kexec without options: the default limits grow to fit what
# was handed over (more than half of the RAM left to the next kernel).
M=/mnt/scale
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
mkdir -p $M
if [ "$1" = 1 ]; then
	khofs_bench mount khofs $M >/dev/null
	t 'khofs_bench fill-big-4k $M/big 1024' "1 GiB written in 4 KiB writes"
	t 'khofs_bench fill-small $M/small 100000' "100,000 small files created"
	t 'fsfreeze --freeze $M' "fsfreeze accepts 262,144 folios and 100,000 files"
	dmesg | grep -o 'khofs: khofs-none: prepared handover.*'
else
	# Instance "none", as khofs_bench mounts it.
	t 'khofs_bench mount khofs $M' "mounted after kexec without options"
	dmesg | grep -o 'khofs: took over.*'
	t 'khofs_bench verify-big $M/big 1024' "the 1 GiB file is intact"
	t 'khofs_bench verify-small $M/small 100000' "the 100,000 files are intact"
	used=$(df -k $M | tail -n 1 | awk '{ print $3 }')
	t '[ "$used" -ge 1048576 ]' "df counts the data taken over ($used KiB used)"
fi
exit 0
