#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (STAGES >= 2): khofs_nsmodel's model-checked
# random namespace and data operations on khofs instance "nsmodel" across
# STAGES-1 kexecs, with tmpfs as the oracle.
#   stage 1:           run from an empty tree (oracle: a fresh tmpfs), hold
#   stages 2..N-1:     verify and resume (oracle: a fresh tmpfs holding a copy
#                      of the model), hold
#   stage N:           verify
# "hold" leaves files open, unlinked while open, an O_TMPFILE, a file renamed
# over while open and a MAP_SHARED mapping in place at kexec; verify checks
# that exactly the linked names survive, with their stat fields (inode
# numbers, ns times), contents and link counts.
# Kernel command line: khofs.nsmodel=SECONDS per stage (default 20),
# khofs.seed=SEED (default 1; stage s > 1 uses SEED + s).
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
S=$(arg khofs.nsmodel)
S=${S:-20}
SEED=$(arg khofs.seed)
SEED=${SEED:-1}
N=$(arg khofs.stages)
N=${N:-1}
K=/mnt/k
O=/mnt/oracle
mkdir -p $K $O
if ! mount -t khofs nsmodel $K; then
	echo "not ok 1 nsmodel stage $1: mount -t khofs nsmodel $K"
	exit 1
fi
if [ "$1" -gt 1 ] && [ "$1" -ge "$N" ]; then
	khofs_nsmodel verify $K/tree || exit 1
	exit 0
fi
if ! mount -t tmpfs nsmodel-oracle $O; then
	echo "not ok 1 nsmodel stage $1: mount -t tmpfs on $O"
	exit 1
fi
if [ "$1" = 1 ]; then
	khofs_nsmodel run $K/tree "$SEED" "$S" $O/tree || exit 1
else
	khofs_nsmodel resume $K/tree $((SEED + $1)) "$S" $O/tree || exit 1
fi
umount $O
if [ "$1" -lt "$N" ]; then
	# Leaves a holder process running into the kexec.
	khofs_nsmodel hold $K/tree || exit 1
else
	# A single stage: no kexec, the saved model must match at once.
	khofs_nsmodel verify $K/tree || exit 1
fi
exit 0
