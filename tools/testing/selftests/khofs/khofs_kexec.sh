#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh: files survive one kexec (2 stages).
set -e
case "$1" in
1) khofs_kexec_test before /mnt/khofs ;;
2) khofs_kexec_test after /mnt/khofs ;;
*) echo "unexpected stage $1"; exit 1 ;;
esac
