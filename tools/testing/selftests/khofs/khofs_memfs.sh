#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (1 stage): rust_memfs, the Rust sample file
# system, uses the kernel crate's file system abstractions without any of
# khofs's choices: one instance per mount, no limits, no mount options.
# (Its POSIX behaviour is checked against tmpfs by khofs_posix_test.)
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
mkdir -p /mnt/m1 /mnt/m2
mount -t rust_memfs none /mnt/m1 && mount -t rust_memfs none /mnt/m2
echo one > /mnt/m1/f && mkdir /mnt/m1/d && echo two > /mnt/m1/d/g
t '[ "$(cat /mnt/m1/d/g)" = two ] && [ -z "$(ls -A /mnt/m2)" ]' \
	"every mount is a new, separate tree"
t '[ "$(stat -f -c %t /mnt/m1)" = 72757374 ] && [ "$(stat -f -c %b /mnt/m1)" = 0 ]' \
	"statfs: its own magic, no block limit"
t '! mount -t rust_memfs -o size=1m none /mnt/m2 2>/dev/null' \
	"mount options it does not declare are refused"
t 'dd if=/dev/zero of=/mnt/m1/big bs=1M count=8 2>/dev/null &&
   [ "$(stat -c %b /mnt/m1/big)" = 16384 ]' \
	"data is charged to the inode (st_blocks) without limits"
umount /mnt/m1
mount -t rust_memfs none /mnt/m1
t '[ -z "$(ls -A /mnt/m1)" ]' "the tree goes away at umount (no instance is kept)"
t '! grep -q khofs /proc/mounts' "no khofs instance is involved"
umount /mnt/m1 /mnt/m2
echo "1..$n"
