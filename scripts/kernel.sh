#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare a Linux 7.2 tree with the khofs overlay and build it.
#
#   scripts/kernel.sh prepare   extract/locate the tree, apply patches, sync overlay
#   scripts/kernel.sh config    (re)generate .config from tinyconfig + fragment
#   scripts/kernel.sh build     prepare + config + make bzImage
#   scripts/kernel.sh check-patches  check patches/ apply to a pristine 7.2 tree
#   scripts/kernel.sh env       print the resolved paths
#
# Variables: KHOFS_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/khofs),
# KERNEL_SRC (a user's Linux 7.2 tree, copied into the cache; default: the
# Debian linux-source-7.2 tarball), JOBS (default nproc+1), KHOFS_DEBUG=1 (the
# debug kernel in $KHOFS_CACHE/build-debug).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KHOFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/khofs}
SRC=$CACHE/linux
OUT=$CACHE/build
TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-7.2.tar.xz}
FRAGMENTS=("$REPO/tools/testing/selftests/khofs/config")
# KHOFS_DEBUG=1: the same kernel with the debug options of config.debug (KASAN,
# lockdep, ...), built next to the normal one.
if [ "${KHOFS_DEBUG:-0}" = 1 ]; then
	OUT=$CACHE/build-debug
	FRAGMENTS+=("$REPO/tools/testing/selftests/khofs/config.debug")
fi
JOBS=${JOBS:-$(($(nproc) + 1))}
export RUST_LIB_SRC=${RUST_LIB_SRC:-/usr/src/rustc-1.95.0/library}
export PATH="$HOME/.cargo/bin:$PATH"
KMAKE=(make -s -C "$SRC" O="$OUT" LLVM=-19 -j"$JOBS")

log() { printf '[kernel] %s\n' "$*" >&2; }
die() { printf '[kernel] error: %s\n' "$*" >&2; exit 1; }

ensure_tree() {
	mkdir -p "$CACHE"
	local want
	if [ -n "${KERNEL_SRC:-}" ]; then
		want="dir:$(cd "$KERNEL_SRC" && pwd)"
	else
		want="tar:$TARBALL:$(stat -c %s:%Y "$TARBALL" 2>/dev/null || echo missing)"
	fi
	if [ -f "$SRC/.khofs-origin" ] && [ "$(cat "$SRC/.khofs-origin")" = "$want" ]; then
		return
	fi
	log "setting up kernel tree in $SRC ($want)"
	rm -rf "$SRC" "$SRC.tmp" "$OUT"
	mkdir -p "$SRC.tmp"
	if [ -n "${KERNEL_SRC:-}" ]; then
		[ -f "$KERNEL_SRC/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
		rsync -a --exclude=.git "$KERNEL_SRC"/ "$SRC.tmp"/
	else
		[ -f "$TARBALL" ] || die "$TARBALL missing: run 'make setup'"
		tar -C "$SRC.tmp" --strip-components=1 -xf "$TARBALL"
	fi
	local v
	v=$(make -s -C "$SRC.tmp" kernelversion)
	case "$v" in
	7.2|7.2.*) ;;
	*) die "kernel tree is $v, khofs needs 7.2" ;;
	esac
	echo "$want" >"$SRC.tmp/.khofs-origin"
	mv "$SRC.tmp" "$SRC"
}

# Patches to existing kernel files: applied once per tree; when a patch in the
# repo changes, the previously applied version is reverted first.
apply_patches() {
	local applied=$SRC/.khofs-patches
	mkdir -p "$applied"
	local p name
	for p in "$applied"/*.patch; do
		[ -e "$p" ] || continue
		name=$(basename "$p")
		if ! cmp -s "$p" "$REPO/patches/$name"; then
			log "reverting old $name"
			patch -s -R -p1 -d "$SRC" <"$p" || die "cannot revert $name"
			rm -f "$p"
		fi
	done
	for p in "$REPO"/patches/*.patch; do
		[ -e "$p" ] || continue
		name=$(basename "$p")
		[ -e "$applied/$name" ] && continue
		log "applying $name"
		patch -s -N -p1 -d "$SRC" --dry-run <"$p" >/dev/null || die "$name does not apply"
		patch -s -N -p1 -d "$SRC" <"$p"
		cp "$p" "$applied/$name"
	done
}

# Copy the overlay by content: unchanged files keep their mtime, so Kbuild
# rebuilds only what really changed.
sync_overlay() {
	# Directories that are wholly ours are synced once, with --delete (files removed
	# from the repo go away); the rest is merged into the kernel's own directories.
	local ours="fs/khofs tools/testing/selftests/khofs" d
	for d in fs include rust samples Documentation tools; do
		[ -d "$REPO/$d" ] || continue
		rsync -r --checksum --no-times --exclude='*.o' --exclude=/khofs/ \
			--exclude=/testing/selftests/khofs/ "$REPO/$d"/ "$SRC/$d"/
	done
	for d in $ours; do
		rsync -r --checksum --no-times --delete "$REPO/$d"/ "$SRC/$d"/
	done
}

do_config() {
	local stamp=$OUT/.khofs-config-stamp want
	want=$(cat "${FRAGMENTS[@]}" "$SRC/.khofs-patches"/*.patch 2>/dev/null | sha256sum | cut -c1-16)
	if [ -f "$OUT/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return
	fi
	log "configuring (tinyconfig + ${FRAGMENTS[*]##*/})"
	mkdir -p "$OUT"
	"${KMAKE[@]}" tinyconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -Q -m -O "$OUT" "$OUT/.config" "${FRAGMENTS[@]}" >/dev/null
	"${KMAKE[@]}" olddefconfig >/dev/null
	local line missing=0
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		grep -qx "$line" "$OUT/.config" || { log "fragment option not set: $line"; missing=1; }
	done < <(cat "${FRAGMENTS[@]}")
	[ $missing -eq 0 ] || die "configuration incomplete (see above)"
	"${KMAKE[@]}" rustavailable >/dev/null || die "Rust toolchain not usable: run 'make setup'"
	echo "$want" >"$stamp"
}

do_build() {
	local t0=$SECONDS
	log "building bzImage in $OUT (LLVM=-19, -j$JOBS)"
	"${KMAKE[@]}" bzImage
	log "built $(du -h "$OUT/arch/x86/boot/bzImage" | cut -f1) bzImage in $((SECONDS - t0)) s"
}

# Check that patches/ apply, in order, to a pristine 7.2 tree (the tarball or
# KERNEL_SRC), without touching the cached tree.
check_patches() {
	local tmp files p rc=0
	tmp=$(mktemp -d)
	files=$(sed -n 's|^diff --git a/\([^ ]*\) .*|\1|p' "$REPO"/patches/*.patch | sort -u)
	if [ -n "${KERNEL_SRC:-}" ]; then
		(cd "$KERNEL_SRC" && cp --parents $files "$tmp"/) 2>/dev/null
	else
		tar -C "$tmp" --strip-components=1 -xf "$TARBALL" \
			$(printf 'linux-source-7.2/%s ' $files) 2>/dev/null
	fi
	for p in "$REPO"/patches/*.patch; do
		if patch -s -p1 -d "$tmp" <"$p"; then
			log "ok   $(basename "$p")"
		else
			log "FAIL $(basename "$p")"
			rc=1
		fi
	done
	rm -rf "$tmp"
	return $rc
}

case "${1:-build}" in
prepare) ensure_tree; apply_patches; sync_overlay ;;
config) ensure_tree; apply_patches; sync_overlay; do_config ;;
build) ensure_tree; apply_patches; sync_overlay; do_config; do_build ;;
check-patches) check_patches ;;
env) echo "CACHE=$CACHE"; echo "SRC=$SRC"; echo "OUT=$OUT"; echo "BZIMAGE=$OUT/arch/x86/boot/bzImage" ;;
*) die "unknown command $1" ;;
esac
