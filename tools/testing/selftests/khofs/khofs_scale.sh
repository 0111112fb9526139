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
	line=$(dmesg | grep -o 'khofs: khofs-none: prepared handover.*' | tail -n1)
	echo "$line"
	# Pages written one at a time lie next to each other (FolioPacker), so the 1 GiB
	# file goes over in blocks of up to 512 pages: a handful of records for it, one
	# per small file.
	pages=$(echo "$line" | sed -n 's/.* \([0-9]*\) pages in \([0-9]*\) records.*/\1/p')
	records=$(echo "$line" | sed -n 's/.* \([0-9]*\) pages in \([0-9]*\) records.*/\2/p')
	t '[ "$pages" = 362144 ]' "362,144 pages handed over ($pages)"
	t '[ -n "$records" ] && [ "$records" -le $((100000 + 2048)) ]' \
		"the 1 GiB file takes at most 2,048 records ($records records in all)"
else
	# Instance "none", as khofs_bench mounts it.
	t 'khofs_bench mount khofs $M' "mounted after kexec without options"
	dmesg | grep -o 'khofs: .*taken over in.*'
	t 'khofs_bench verify-big $M/big 1024' "the 1 GiB file is intact"
	t 'khofs_bench verify-small $M/small 100000' "the 100,000 files are intact"
	used=$(df -k $M | tail -n 1 | awk '{ print $3 }')
	t '[ "$used" -ge 1048576 ]' "df counts the data taken over ($used KiB used)"
fi
exit 0
