#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the khofs selftest programs as static binaries into $KHOFS_CACHE/selftests.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
ST=$REPO/tools/testing/selftests/khofs
DEST=${SELFTESTS_DIR:-$CACHE/selftests}
mkdir -p "$DEST"
# kselftest.h comes from the kernel tree.
[ -f "$SRC/tools/testing/selftests/kselftest.h" ] || "$REPO/scripts/kernel.sh" prepare
CFLAGS=(-O2 -Wall -Wextra -Werror -static -I"$SRC/tools/testing/selftests" -I"$REPO/include/uapi"
	-idirafter "$SRC/include/uapi")
# Every C file of the selftests directory is one program.
for src in "$ST"/*.c; do
	prog=$(basename "$src" .c)
	if [ ! -x "$DEST/$prog" ] || [ "$ST/$prog.c" -nt "$DEST/$prog" ] ||
		[ "$REPO/include/uapi/linux/khofs.h" -nt "$DEST/$prog" ] ||
		[ "$ST/khofs_util.h" -nt "$DEST/$prog" ]; then
		echo "[selftests] cc $prog" >&2
		gcc "${CFLAGS[@]}" -o "$DEST/$prog" "$ST/$prog.c"
	fi
done
