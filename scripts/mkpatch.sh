#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate patches/NNNN-name.patch from edits made in the cached kernel tree.
#   scripts/mkpatch.sh patches/0001-foo.patch "Subject line" file...
# The pristine version of each file comes from the kernel tarball.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
out=$1 subject=$2 body=${MKPATCH_BODY:-}; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"
tar -C "$tmp/a" --strip-components=1 -xf /usr/src/linux-source-7.2.tar.xz \
	$(printf 'linux-source-7.2/%s ' "$@") 2>/dev/null || true
for f in "$@"; do mkdir -p "$tmp/b/$(dirname "$f")"; cp "$SRC/$f" "$tmp/b/$f"; done
{
	echo "From: khofs developers <khofs@localhost>"
	echo "Subject: [PATCH] $subject"
	echo
	[ -z "$body" ] || { echo "$body" | fold -s -w 72 | sed 's/ *$//'; echo; }
	echo "Signed-off-by: khofs developers <khofs@localhost>"
	echo "---"
	for f in "$@"; do
		if [ -e "$tmp/a/$f" ]; then a="a/$f"; else a=/dev/null; fi
		(cd "$tmp" && git diff --no-index --no-prefix -U"${MKPATCH_CONTEXT:-3}" "$a" "b/$f") || true
	done
} >"$REPO/$out"
echo "wrote $out"
