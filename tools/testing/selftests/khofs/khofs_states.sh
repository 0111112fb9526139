#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (2 stages): files in every state at kexec time.
# Stage 1 leaves, in instance "states": preallocation past EOF, a file renamed
# over while open, a file unlinked while open and its name created again, an
# O_TMPFILE file held open, a file with three names, and a symlink; it freezes
# the instance (which must accept all of it) and kexecs with the holders
# still running. Stage 2 checks that the whole instance came back, that what
# had no name is gone, and that the inode accounting is right.
M=/mnt/states
n=0
t() { # t COND DESCRIPTION
	n=$((n + 1))
	if eval "$1"; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
blocks() { stat -c %b "$1"; }
ffree() { stat -f -c %d "$1"; }
mkdir -p $M
mount -t khofs states $M || { echo "not ok 1 mount khofs instance states"; exit 1; }
if [ "$1" = 1 ]; then
	# Preallocated past EOF (FALLOC_FL_KEEP_SIZE), then grown by ftruncate: the
	# preallocation stays, as on tmpfs.
	printf 'head' > $M/prealloc
	khofs_op falloc $M/prealloc 0 1048576 keep
	t '[ "$(stat -c %s $M/prealloc)" = 4 ] && [ "$(blocks $M/prealloc)" -ge 2048 ]' \
		"fallocate KEEP_SIZE past EOF keeps the size and allocates"
	printf 'x' > $M/grown
	khofs_op falloc $M/grown 0 1048576 keep
	truncate -s 8192 $M/grown
	t '[ "$(blocks $M/grown)" -ge 2048 ]' \
		"growing a file with truncate keeps its preallocation past the new end"

	# "mv b a" while a is held open.
	echo old-a > $M/a
	echo new-a > $M/b
	(exec 3<$M/a; echo held >/tmp/a-held; sleep 100000) &
	while [ ! -e /tmp/a-held ]; do sleep 0.1; done
	mv $M/b $M/a
	t '[ "$(cat $M/a)" = new-a ] && [ ! -e $M/b ]' "rename over a file held open"

	# Unlinked while open, and the name created again.
	echo first > $M/c
	(exec 3<>$M/c; echo held >/tmp/c-held; sleep 100000) &
	while [ ! -e /tmp/c-held ]; do sleep 0.1; done
	rm $M/c
	echo second > $M/c
	t '[ "$(cat $M/c)" = second ]' "a name created again while the old file is open"

	# An unnamed O_TMPFILE file held open.
	mkdir $M/tmpdir
	khofs_op tmpfile $M/tmpdir tmpfile-secret > /tmp/tmpfile.out &
	while ! grep -q holding /tmp/tmpfile.out 2>/dev/null; do sleep 0.1; done
	t '[ -z "$(ls -A $M/tmpdir)" ]' "an O_TMPFILE file has no name"

	# Three names of one file.
	echo linked > $M/l1
	ln $M/l1 $M/l2
	mkdir $M/d
	ln $M/l1 $M/d/l3
	ln -s l1 $M/sym
	t '[ "$(stat -c %h $M/l1)" = 3 ]' "a file with three names"

	ls -liR $M > /dev/null
	t 'fsfreeze --freeze $M' "fsfreeze accepts every state"
	t 'dmesg | grep -q "khofs-states: prepared handover"' "the handover is prepared"
	# The kexec follows with the holders running and the instance frozen.
	true
else
	t 'grep -q " $M khofs" /proc/mounts' "the instance is taken over (mount succeeded)"
	t '[ "$(cat $M/prealloc)" = head ] && [ "$(stat -c %s $M/prealloc)" = 4 ]' \
		"a file preallocated past EOF came back with its size and data"
	t '[ "$(blocks $M/prealloc)" -ge 2048 ]' "and with its preallocation"
	t '[ "$(stat -c %s $M/grown)" = 8192 ] && [ "$(blocks $M/grown)" -ge 2048 ]' \
		"the grown file kept its preallocation across kexec"
	t '[ "$(cat $M/a)" = new-a ] && [ ! -e $M/b ]' "the file renamed over an open one came back"
	t '[ "$(cat $M/c)" = second ]' "the name created again holds the new file"
	t '[ -z "$(ls -A $M/tmpdir)" ] && ! grep -rq tmpfile-secret $M' \
		"the O_TMPFILE file did not come back, under any name"
	t '! ls -A $M | grep -q "^#"' "no unnamed file appears in the root"
	t '[ "$(stat -c %h $M/l1)" = 3 ] && [ "$(stat -c %i $M/l2)" = "$(stat -c %i $M/d/l3)" ]' \
		"the three names are one inode with three links"
	t '[ "$(readlink $M/sym)" = l1 ] && [ "$(cat $M/sym)" = linked ]' "the symlink came back"
	free0=$(ffree $M)
	total=$(stat -f -c %c $M)
	rm $M/l1 $M/l2 $M/d/l3
	free1=$(ffree $M)
	t '[ $((free1 - free0)) = 3 ] && [ "$free1" -le "$total" ]' \
		"removing the three names releases three inode charges ($free0 -> $free1 of $total)"
	t 'touch $M/new1 $M/new2 && mkdir $M/newdir' "new files can be created afterwards"
	t 'dmesg | grep -q "khofs: took over"' "the takeover is logged"
	t '! dmesg | grep -q "refusing handover"' "nothing was refused"
fi
exit 0
