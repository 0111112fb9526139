#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel conventions: checkpatch --strict on the series, rustfmtcheck, CLIPPY=1.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
"$REPO/scripts/kernel.sh" config >/dev/null || exit 1
export RUST_LIB_SRC=${RUST_LIB_SRC:-/usr/src/rustc-1.95.0/library} PATH="$HOME/.cargo/bin:$PATH"
rc=0
echo "== checkpatch --strict (patches and new files)"
files=$(cd "$REPO" && git ls-files fs include rust samples Documentation tools | grep -v '/config$')
for f in $files; do
	ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE,NEW_TYPEDEFS
	# Shell scripts: "mount -t proc proc" is not a repeated word; long command lines.
	case $f in *.sh) ignore=$ignore,REPEATED_WORD,LONG_LINE,LONG_LINE_STRING ;; esac
	# Selftests: CHECK()-style macros that return, as in kselftest_harness.h.
	case $f in tools/testing/selftests/*.c) ignore=$ignore,MACRO_WITH_FLOW_CONTROL ;; esac
	out=$("$SRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore "$ignore" -f "$REPO/$f" 2>&1) || { echo "$out"; rc=1; }
done
for p in "$REPO"/patches/*.patch; do
	out=$("$SRC/scripts/checkpatch.pl" --strict --no-tree --terse --no-signoff \
		--ignore FILE_PATH_CHANGES "$p" 2>&1) || { echo "$out"; rc=1; }
done
echo "== rustfmtcheck"
make -s -C "$SRC" O="$OUT" LLVM=-19 rustfmtcheck || rc=1
echo "== CLIPPY=1 build of rust/, fs/khofs and the Rust sample file system"
# The kernel crate holds the abstractions (rust/kernel/{fs,kho,folio,sort,...}).
touch "$SRC"/fs/khofs/*.rs "$SRC"/fs/khofs/handover/*.rs "$SRC"/samples/rust/rust_memfs.rs \
	"$SRC"/rust/kernel/lib.rs
make -s -C "$SRC" O="$OUT" LLVM=-19 CLIPPY=1 -j"$(($(nproc) + 1))" rust/ fs/khofs/ samples/rust/ 2>&1 |
	tee /tmp/khofs-clippy.log
grep -q "^warning\|^error" /tmp/khofs-clippy.log && rc=1
echo "== rustdoc examples compile (CONFIG_RUST_KERNEL_DOCTESTS, build only)"
# The examples of the abstractions are KUnit doctests; the test kernels do not run them (every
# boot would run all of the kernel crate's). Build them once with the option on, then put the
# configuration back.
cp "$OUT/.config" "$OUT/.config.lint"
rm -f "$OUT/rust/doctests_kernel_generated.o"
"$SRC/scripts/config" --file "$OUT/.config" -e RUST_KERNEL_DOCTESTS
make -s -C "$SRC" O="$OUT" LLVM=-19 olddefconfig
make -s -C "$SRC" O="$OUT" LLVM=-19 -j"$(($(nproc) + 1))" rust/ 2>&1 | tee /tmp/khofs-doctests.log
grep -q "^warning\|^error" /tmp/khofs-doctests.log && rc=1
[ -s "$OUT/rust/doctests_kernel_generated.o" ] || rc=1
mv "$OUT/.config.lint" "$OUT/.config"
touch "$OUT/.config"
make -s -C "$SRC" O="$OUT" LLVM=-19 olddefconfig
echo "== stack frames"
"$REPO/scripts/frames.sh" || rc=1
[ $rc -eq 0 ] && echo "lint: clean" || echo "lint: problems found"
exit $rc
