#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate patches/NNNN-name.patch from edits made in the cached kernel tree.
#   scripts/mkpatch.sh patches/0001-foo.patch "Subject line" file...
# The pristine version of each file comes from the kernel tarball.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
out=$1 subject=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" --strip-components=1 -xf /usr/src/linux-source-7.2.tar.xz \
	$(printf 'linux-source-7.2/%s ' "$@") 2>/dev/null || true
{
	echo "Subject: [PATCH] $subject"
	echo
	for f in "$@"; do
		if [ -e "$tmp/$f" ]; then a="a/$f"; src="$tmp/$f"; else a=/dev/null; src=/dev/null; fi
		diff -u --label "$a" --label "b/$f" "$src" "$SRC/$f" || true
	done
} >"$REPO/$out"
echo "wrote $out"
