#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything khofs needs to build and test, idempotently.
# Apt suites are added with pin priority 100 so nothing else on the system moves.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

APT_PKGS_BASE="clang-19 lld-19 llvm-19 libclang-19-dev busybox-static flex bison bc
	libelf-dev libssl-dev cpio xz-utils make gcc python3 device-tree-compiler
	git rsync stress-ng libacl1-dev"
BINDGEN_VERSION=0.72.1
RUST_SRC_VERSION=1.95.0+dfsg1-2~bpo13+1

have_pkg() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'; }

add_suite() { # name uri suite
	local f=/etc/apt/sources.list.d/khofs-$1.sources
	local p=/etc/apt/preferences.d/khofs-$1
	if [ ! -f "$f" ]; then
		log "adding apt suite $3"
		$SUDO tee "$f" >/dev/null <<EOT
Types: deb
URIs: $2
Suites: $3
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
		NEED_UPDATE=1
	fi
	if [ ! -f "$p" ]; then
		$SUDO tee "$p" >/dev/null <<EOT
Package: *
Pin: release n=$3
Pin-Priority: 100
EOT
		NEED_UPDATE=1
	fi
}

NEED_UPDATE=0
missing=()
for p in $APT_PKGS_BASE qemu-system-x86 linux-source-7.2 rust-src; do
	have_pkg "$p" || missing+=("$p")
done
if have_pkg rust-src && [ "$(dpkg-query -W -f='${Version}' rust-src)" != "$RUST_SRC_VERSION" ]; then
	missing+=(rust-src)
fi

if [ ${#missing[@]} -gt 0 ]; then
	add_suite trixie-backports http://deb.debian.org/debian trixie-backports
	add_suite bookworm-backports http://deb.debian.org/debian bookworm-backports
	export DEBIAN_FRONTEND=noninteractive
	log "apt-get update"
	$SUDO apt-get update -qq
	base=()
	for p in $APT_PKGS_BASE; do have_pkg "$p" || base+=("$p"); done
	if [ ${#base[@]} -gt 0 ]; then
		log "installing ${base[*]}"
		$SUDO apt-get install -y -qq --no-install-recommends "${base[@]}"
	fi
	if ! have_pkg qemu-system-x86; then
		log "installing qemu-system-x86 (bookworm-backports)"
		$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86
	fi
	if ! have_pkg linux-source-7.2; then
		log "installing linux-source-7.2 (trixie-backports)"
		$SUDO apt-get install -y -qq --no-install-recommends -t trixie-backports linux-source-7.2
	fi
	if ! have_pkg rust-src || [ "$(dpkg-query -W -f='${Version}' rust-src)" != "$RUST_SRC_VERSION" ]; then
		log "installing rust-src=$RUST_SRC_VERSION (trixie-backports)"
		$SUDO apt-get install -y -qq --no-install-recommends -t trixie-backports "rust-src=$RUST_SRC_VERSION"
	fi
else
	log "apt packages present"
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v bindgen >/dev/null || ! bindgen --version | grep -q "$BINDGEN_VERSION"; then
	log "cargo install bindgen-cli $BINDGEN_VERSION"
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION"
else
	log "bindgen $BINDGEN_VERSION present"
fi
for c in rustfmt clippy; do
	rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c" || true
done
log "done"
