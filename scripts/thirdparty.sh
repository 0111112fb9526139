#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage the third-party test programs for the QEMU guest into
# $KHOFS_CACHE/thirdparty (a vmtest.sh -e EXTRA directory, /extra in the guest):
#
#   pjdfstest   POSIX conformance suite (crates.io "pjdfstest", built with cargo)
#   stress-ng   Debian's stress-ng (installed by scripts/setup.sh)
#
# Both are dynamic glibc programs: they are staged with their shared libraries
# in lib/ and the programs in libexec/, and /extra/pjdfstest and
# /extra/stress-ng are small wrappers that start them with the staged dynamic
# loader, so the busybox guest needs no /lib. A no-op when up to date.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
PJDFSTEST_VERSION=0.2.2
CARGO_ROOT=$CACHE/cargo
DEST=$CACHE/thirdparty
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[thirdparty] %s\n' "$*" >&2; }
have_pkg() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# stress-ng, and libacl1-dev to link pjdfstest, come from scripts/setup.sh.
if ! have_pkg stress-ng || ! have_pkg libacl1-dev; then
	"$REPO/scripts/setup.sh"
fi
PJD=$CARGO_ROOT/bin/pjdfstest
if [ ! -x "$PJD" ] || [ "$("$PJD" --version)" != "pjdfstest $PJDFSTEST_VERSION" ]; then
	log "cargo install pjdfstest $PJDFSTEST_VERSION"
	cargo install --quiet --locked --root "$CARGO_ROOT" pjdfstest --version "$PJDFSTEST_VERSION"
fi
SNG=$(command -v stress-ng)

# Everything the staged tree depends on: rebuild it only when this changes.
stamp="script $(cksum <"$0")
pjdfstest $PJDFSTEST_VERSION $(stat -c %s:%Y "$PJD")
stress-ng $(dpkg-query -W -f='${Version}' stress-ng) $(stat -c %s:%Y "$SNG")
libc6 $(dpkg-query -W -f='${Version}' libc6:amd64)"
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$stamp" ]; then
	exit 0
fi

log "staging pjdfstest and stress-ng into $DEST"
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp/lib" "$DEST.tmp/libexec"
for prog in "$PJD" "$SNG"; do
	name=$(basename "$prog")
	cp "$prog" "$DEST.tmp/libexec/$name"
	strip "$DEST.tmp/libexec/$name"
	# Every resolved library (ldd lists the dependencies' dependencies too).
	ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' |
		while read -r lib; do
			cp -L "$lib" "$DEST.tmp/lib/$(basename "$lib")"
		done
	cat >"$DEST.tmp/$name" <<EOT
#!/bin/sh
# Run $name with the libraries staged beside it.
d=\${0%/*}
exec "\$d/lib/ld-linux-x86-64.so.2" --library-path "\$d/lib" "\$d/libexec/$name" "\$@"
EOT
	chmod 755 "$DEST.tmp/$name"
done
[ -x "$DEST.tmp/lib/ld-linux-x86-64.so.2" ] || { log "error: no ld-linux-x86-64.so.2 staged"; exit 1; }
echo "$stamp" >"$DEST.tmp/.stamp"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
log "staged: $(du -sh "$DEST" | cut -f1)"
