#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (1 stage, -e "$KHOFS_CACHE/thirdparty" staged by
# scripts/thirdparty.sh): stress-ng file-data and mmap stressors with --verify
# in a directory on tmpfs (the oracle) and on khofs, in the same VM.
#
# Short mode (make check): each stressor alone for khofs.stressng_t=T seconds
# (default 2) on tmpfs, then on khofs; one TAP line per stressor and file
# system. A stressor that fails on khofs fails the test, unless it fails on
# tmpfs too (then both lines are SKIPs with the reasons).
#
# Long mode (make stress, khofs.stressng=N on the command line): the same
# stressors alone for T seconds on tmpfs, then every one that ran and passed
# there, together on khofs for N seconds; one TAP line per stressor with its
# bogo ops; the script exits non-zero on any failure.
command -v stress-ng >/dev/null || { echo "stress-ng not found: run scripts/thirdparty.sh"; exit 1; }
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
T=$(arg khofs.stressng_t)
T=${T:-2}
LONG=$(arg khofs.stressng)

# Name and options of each stressor: file data (write/read, sparse files,
# copy_file_range, sendfile, POSIX aio), shared file mappings (mmap, msync)
# and directory churn. Files of 16 MiB at most (copy-file's minimum is
# 128 MiB, written sparsely) so that they fit in the guest's memory together.
STRESSORS="hdd --hdd-bytes 16M --hdd-write-size 4K
mmap --mmap-file --mmap-bytes 4M
msync --msync-bytes 16M
msyncmany
fallocate --fallocate-bytes 16M
fpunch
seek --seek-size 16M
copy-file --copy-file-bytes 128M
sendfile --sendfile-size 1M
readahead --readahead-bytes 16M
aio --aio-requests 16
iomix --iomix-bytes 16M
sync-file --sync-file-bytes 16M
dir
rename
link
symlink
fiemap
xattr"

names=$(echo "$STRESSORS" | cut -d' ' -f1)
opts() { echo "$STRESSORS" | awk -v n="$1" '$1 == n { $1 = ""; print; exit }'; }

why() { # rc: stress-ng's documented exit status
	case $1 in
	0) echo "passed" ;;
	1) echo "error (options or harness)" ;;
	2) echo "stressor failed" ;;
	3) echo "no resource or unimplemented system call" ;;
	4) echo "not implemented on this system" ;;
	5) echo "killed by a signal" ;;
	6) echo "unexpected exit" ;;
	7) echo "bogo ops metrics untrustworthy" ;;
	*) echo "exit status $1" ;;
	esac
}

# What stress-ng said beyond its usual chatter, on one line.
said() {
	grep -v -e 'metrc:' -e 'setting to a' -e 'dispatching hogs' -e 'run completed' \
		-e 'defaulting to' -e 'cache allocate' -e 'system has' -e 'skipped: 0' \
		-e 'passed: ' -e 'failed: 0' -e 'metrics untrustworthy: 0' "$1" |
		sed -e 's/^stress-ng: //' -e 's/\[[0-9]*\] //' -e 's/  */ /g' | head -n4 | tr '\n' ' ' | cut -c1-300
}

ops() { # name output: bogo ops from --metrics-brief
	awk -v n="$1" '/metrc:/ && $(NF - 6) == n { print $(NF - 5); exit }' "$2"
}

run() { # fs name seconds -> /tmp/sng-FS-NAME.{out,rc}
	d=/mnt/$1/sng-$2
	mkdir -p "$d"
	# shellcheck disable=SC2046
	stress-ng --"$2" 1 $(opts "$2") --temp-path "$d" --verify --metrics-brief \
		-t "$3" >/tmp/sng-"$1"-"$2".out 2>&1
	echo $? >/tmp/sng-"$1"-"$2".rc
	rm -rf "$d"
}

mkdir -p /mnt/tmpfs /mnt/khofs
mount -t tmpfs tmpfs /mnt/tmpfs
mount -t khofs stressng /mnt/khofs
n=0 bad=0
tap() {
	n=$((n + 1))
	[ "$1" = ok ] || bad=1
	echo "$1 $n $2"
}

t0=$(date +%s)
for s in $names; do
	run tmpfs "$s" "$T"
	rc=$(cat /tmp/sng-tmpfs-"$s".rc)
	if [ "$rc" = 0 ] && [ -z "$(ops "$s" /tmp/sng-tmpfs-"$s".out)" ]; then
		tap ok "stress-ng $s on tmpfs # SKIP stress-ng skipped it: $(said /tmp/sng-tmpfs-"$s".out)"
	elif [ "$rc" = 0 ]; then
		tap ok "stress-ng $s on tmpfs: $(ops "$s" /tmp/sng-tmpfs-"$s".out) bogo ops in ${T}s"
	else
		tap ok "stress-ng $s on tmpfs # SKIP fails on tmpfs too: $(why "$rc"): $(said /tmp/sng-tmpfs-"$s".out)"
	fi
done
echo "stress-ng on tmpfs: $(($(date +%s) - t0)) s"

t0=$(date +%s)
if [ -z "$LONG" ]; then
	for s in $names; do
		run khofs "$s" "$T"
		rc=$(cat /tmp/sng-khofs-"$s".rc)
		trc=$(cat /tmp/sng-tmpfs-"$s".rc)
		kops=$(ops "$s" /tmp/sng-khofs-"$s".out)
		tops=$(ops "$s" /tmp/sng-tmpfs-"$s".out)
		if [ "$rc" = 0 ] && [ -n "$kops" ]; then
			tap ok "stress-ng $s on khofs: $kops bogo ops in ${T}s"
		elif [ "$rc" = 0 ] && [ -z "$tops" ]; then
			tap ok "stress-ng $s on khofs # SKIP stress-ng skipped it on tmpfs too: $(said /tmp/sng-khofs-"$s".out)"
		elif [ "$rc" = 0 ]; then
			tap "not ok" "stress-ng $s on khofs: stress-ng skipped it (ran on tmpfs): $(said /tmp/sng-khofs-"$s".out)"
		elif [ "$trc" != 0 ]; then
			tap ok "stress-ng $s on khofs # SKIP fails on tmpfs too: tmpfs $(why "$trc"), khofs $(why "$rc"): $(said /tmp/sng-khofs-"$s".out)"
		else
			tap "not ok" "stress-ng $s on khofs: $(why "$rc") (passed on tmpfs): $(said /tmp/sng-khofs-"$s".out)"
			sed 's/^/# /' /tmp/sng-khofs-"$s".out | head -n 20
		fi
	done
	echo "stress-ng on khofs: $(($(date +%s) - t0)) s"
	exit 0
fi

# Long mode: every stressor that passed on tmpfs, together on khofs.
args=""
run_names=""
for s in $names; do
	if [ "$(cat /tmp/sng-tmpfs-"$s".rc)" != 0 ] || [ -z "$(ops "$s" /tmp/sng-tmpfs-"$s".out)" ]; then
		continue
	fi
	run_names="$run_names $s"
	args="$args --$s 1 $(opts "$s")"
done
echo "stress-ng on khofs for ${LONG}s:$run_names"
# stress-ng makes a directory of its own in --temp-path for each stressor.
mkdir -p /mnt/khofs/sng
# shellcheck disable=SC2086
stress-ng $args --temp-path /mnt/khofs/sng --verify --metrics-brief -t "$LONG" \
	>/tmp/sng-long.out 2>&1
rc=$?
grep 'metrc:' /tmp/sng-long.out | sed 's/^stress-ng: metrc: \[[0-9]*\] /stress-ng: /'
for s in $run_names; do
	if grep -q "fail:.* $s: \|error:.* $s: " /tmp/sng-long.out; then
		tap "not ok" "stress-ng $s on khofs (${LONG}s, all together): $(grep "fail:.* $s: \|error:.* $s: " /tmp/sng-long.out | head -n2 | tr '\n' ' ')"
	else
		tap ok "stress-ng $s on khofs (${LONG}s, all together): $(ops "$s" /tmp/sng-long.out) bogo ops"
	fi
done
if [ "$rc" = 0 ]; then
	tap ok "stress-ng run on khofs (${LONG}s): $(why 0)"
else
	tap "not ok" "stress-ng run on khofs (${LONG}s): $(why "$rc"): $(said /tmp/sng-long.out)"
	sed 's/^/# /' /tmp/sng-long.out | grep -v metrc | head -n 40
fi
echo "stress-ng on khofs: $(($(date +%s) - t0)) s"
# make stress has no TAP counter: its exit status tells.
exit $bad
