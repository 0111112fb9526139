#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make stress" stage script (2 stages): model-checked random I/O on khofs
# for KHOFS_STRESS_SECONDS per stage (kernel command line khofs.stress=N),
# with a kexec in the middle; the files must match their models after it.
S=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^khofs.stress=//p')
S=${S:-300}
mkdir -p /mnt/k
mount -t khofs stress /mnt/k
if [ "$1" = 1 ]; then
	khofs_stress /mnt/k "$S" 1
else
	khofs_stress /mnt/k "$S" 2 resume
fi
