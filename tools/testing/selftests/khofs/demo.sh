#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for "make demo": a file written and mmapped before kexec is
# there, byte for byte, after it.
set -e
M=/mnt/khofs
mkdir -p $M
mount -t khofs none $M
if [ "$1" = 1 ]; then
	echo "== kernel $(uname -r), boot #1: mount -t khofs none $M"
	echo "Hello from the kernel before kexec ($(date -u))" > $M/greeting.txt
	chmod 640 $M/greeting.txt
	chown 1000:100 $M/greeting.txt
	# 1 MiB written through a shared writable mapping.
	mmap_fill $M/mapped.bin 1048576 khofs
	echo "== files before kexec:"
	ls -ln $M
	cat $M/greeting.txt
	echo "sha256 of mapped.bin: $(sha256sum $M/mapped.bin | cut -d' ' -f1)"
	echo "== kexec (KHO) into the next kernel ..."
else
	echo "== boot #$1 after kexec: $(dmesg | grep -o 'KHO: exec from.*' | tail -n1)"
	dmesg | grep -o 'khofs: took over.*' || true
	echo "== files after kexec (mount -t khofs none $M):"
	ls -ln $M
	cat $M/greeting.txt
	echo "sha256 of mapped.bin: $(sha256sum $M/mapped.bin | cut -d' ' -f1)"
	want=$(mmap_fill - 1048576 khofs | sha256sum | cut -d' ' -f1)
	echo "expected:             $want"
	echo "last line: $(tail -n 1 $M/mapped.bin)"
	[ "$(sha256sum $M/mapped.bin | cut -d' ' -f1)" = "$want" ]
	echo "== the file written through mmap survived kexec intact"
fi
