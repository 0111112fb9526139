#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh: a rich tree (nested and empty directories, hard
# links, symlinks, FIFOs, device nodes, sockets, setuid/setgid/sticky modes,
# owners, nanosecond timestamps, sparse and multi-MiB files) survives a chain
# of kexecs unchanged, and a log file grows by one line per stage.
set -e
M=/mnt/khofs
mkdir -p $M
mount -t khofs -o noatime none $M
if [ "$1" = 1 ]; then
	[ -z "$(ls -A $M)" ] || { echo "fresh khofs is not empty"; exit 1; }
	khofs_tree populate $M/tree
	khofs_tree manifest $M/tree > $M/manifest
	echo "stage 1" > $M/log
	echo "# $(wc -l < $M/manifest) entries in the tree"
else
	khofs_tree check $M/tree $M/manifest
	want=$(seq 1 $(($1 - 1)) | sed 's/^/stage /')
	if [ "$(cat $M/log)" = "$want" ]; then
		echo "ok 2 log has one line per earlier stage ($(($1 - 1)))"
	else
		echo "not ok 2 log has one line per earlier stage"
		cat $M/log
	fi
	echo "stage $1" >> $M/log
	# The 64 MiB hole of sparse.bin was read (hashed): it must not come back as
	# 16,384 zero pages.
	pages=$(dmesg | sed -n 's/.*took over .* entries, \([0-9]*\) pages.*/\1/p' | tail -n1)
	if [ -n "$pages" ] && [ "$pages" -lt 2000 ]; then
		echo "ok 3 holes stay holes: $pages pages taken over"
	else
		echo "not ok 3 holes stay holes: ${pages:-?} pages taken over"
	fi
fi
