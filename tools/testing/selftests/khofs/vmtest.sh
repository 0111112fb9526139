#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a shell script in a QEMU guest across kexec (KHO) stages.
#
#   vmtest.sh -k BZIMAGE -s SCRIPT [-n STAGES] [-e EXTRA_DIR] [-l LOG] [-t TIMEOUT]
#
# The guest is a busybox initramfs with the selftest programs in /selftests.
# SCRIPT runs as root as "SCRIPT STAGE" with every busybox applet on PATH;
# the files of EXTRA_DIR appear under /extra. After each stage but the last,
# the guest kexecs (kexec_file_load, KHO enabled) into the same kernel and
# initramfs. The script's output is shown on standard output (kernel messages
# are filtered out; the full console log is kept in LOG). Exit status is 0 only
# if every stage ran and its script exited 0; a failed kexec, a panic or a
# timeout is a failure.
#
# Environment: KHOFS_ACCEL=auto|tcg|kvm (auto probes KVM once and falls back
# to TCG), KHOFS_VM_MEM (default 1G), KHOFS_KHO_SCRATCH (the kho_scratch= sizes,
# default 64M,128M,0M; a KASAN kernel needs its shadow to fit in the global one;
# "default" for the kernel's own sizing), KHOFS_VM_TIMES=1 (host arrival times
# of console lines in LOG.times, microseconds),
# SELFTESTS_DIR (built selftest binaries).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
KERNEL= SCRIPT= STAGES=1 EXTRA= LOG= TIMEOUT=
APPEND_EXTRA=${KHOFS_APPEND:-}
while getopts "k:s:n:e:l:t:a:" o; do
	case $o in
	k) KERNEL=$OPTARG ;;
	s) SCRIPT=$OPTARG ;;
	n) STAGES=$OPTARG ;;
	e) EXTRA=$OPTARG ;;
	l) LOG=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	a) APPEND_EXTRA="$APPEND_EXTRA $OPTARG" ;;
	*) sed -n '4,20p' "$0"; exit 2 ;;
	esac
done
die() { echo "vmtest: $*" >&2; exit 2; }
[ -f "$KERNEL" ] || die "kernel image '$KERNEL' not found (-k)"
[ -f "$SCRIPT" ] || die "script '$SCRIPT' not found (-s)"
[[ "$STAGES" =~ ^[1-9][0-9]*$ ]] || die "STAGES must be a positive number"
[ -z "$EXTRA" ] || [ -d "$EXTRA" ] || die "EXTRA '$EXTRA' is not a directory"
TIMEOUT=${TIMEOUT:-$((60 + 60 * STAGES))}
CACHE=${KHOFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/khofs}
LOG=${LOG:-$CACHE/vm/$(basename "$SCRIPT" .sh).log}
mkdir -p "$(dirname "$LOG")"
SELFTESTS_DIR=${SELFTESTS_DIR:-$CACHE/selftests}
BUSYBOX=$(command -v busybox) || die "busybox not found (run 'make setup')"
file -L "$BUSYBOX" 2>/dev/null | grep -q "statically linked" ||
	{ [ -x /bin/busybox ] && BUSYBOX=/bin/busybox; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,boot,extra,selftests,proc,sys,dev,tmp,mnt,root}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$HERE/vm-init.sh" "$root/init"
chmod 755 "$root/init"
cp "$SCRIPT" "$root/stage.sh"
cp "$KERNEL" "$root/boot/bzImage"
[ -x "$SELFTESTS_DIR/kexec_reboot" ] || die "$SELFTESTS_DIR/kexec_reboot missing: build the selftests first"
cp "$SELFTESTS_DIR/kexec_reboot" "$root/bin/"
cp -a "$SELFTESTS_DIR"/. "$root/selftests/"
[ -z "$EXTRA" ] || cp -a "$EXTRA"/. "$root/extra/"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd.cpio"

accel() {
	local want=${KHOFS_ACCEL:-auto} stamp=$CACHE/kvm-probe
	case $want in
	tcg | kvm) echo "$want"; return ;;
	esac
	if [ ! -w /dev/kvm ]; then echo tcg; return; fi
	if [ ! -f "$stamp" ]; then
		# KVM is present on nested-virt hosts but guests may hang: try it once.
		if timeout 30 qemu-system-x86_64 -accel kvm -M q35 -m 256M -nographic -nodefaults \
			-no-reboot -serial stdio -kernel "$KERNEL" \
			-append "console=ttyS0 panic=-1 rdinit=/nonexistent" 2>/dev/null |
			grep -q -m1 "Kernel panic\|No working init\|Run /nonexistent"; then
			echo kvm >"$stamp"
		else
			echo tcg >"$stamp"
		fi
	fi
	cat "$stamp"
}
ACCEL=$(accel)
CPU=()
[ "$ACCEL" = kvm ] && CPU=(-cpu host)

SCRATCH=${KHOFS_KHO_SCRATCH:-64M,128M,0M}
[ "$SCRATCH" = default ] && SCRATCH= || SCRATCH="kho_scratch=$SCRATCH"
APPEND="console=ttyS0 earlyprintk=serial loglevel=7 panic=-1 oops=panic kho=on $SCRATCH khofs.stage=1 khofs.stages=$STAGES $APPEND_EXTRA"
# Console lines without carriage returns. With KHOFS_VM_TIMES=1, LOG.times also
# gets the host's arrival time (microseconds) of each line: the guest's own
# clock does not run in early boot.
host_times() {
	if [ "${KHOFS_VM_TIMES:-0}" = 1 ]; then
		: >"$LOG.times"
		while IFS= read -r line; do
			line=${line//$'\r'/}
			printf '%s\n' "$line"
			printf '%s %s\n' "${EPOCHREALTIME/./}" "$line" >>"$LOG.times"
		done
	else
		tr -d '\r'
	fi
}
echo "vmtest: $(basename "$SCRIPT"), $STAGES stage(s), accel=$ACCEL, timeout ${TIMEOUT}s, log $LOG"
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" "${CPU[@]}" -M q35 \
	-m "${KHOFS_VM_MEM:-1G}" -smp 2 -nographic -nodefaults -no-reboot -serial stdio \
	-kernel "$KERNEL" -initrd "$work/initrd.cpio" -append "$APPEND" </dev/null 2>&1 |
	host_times | tee "$LOG" | grep --line-buffered -v -E '^\[ *[0-9]+\.[0-9]+\]|^(Memory|Poking) KASLR'
qrc=${PIPESTATUS[0]}
set -e

fail=0
for ((s = 1; s <= STAGES; s++)); do
	if ! grep -q "^@@khofs-vm stage $s rc=0" "$LOG"; then
		r=$(grep -o "^@@khofs-vm stage $s rc=[0-9]*" "$LOG" | tail -n1)
		echo "vmtest: stage $s: ${r:-did not complete}" >&2
		fail=1
	fi
done
grep -q "^@@khofs-vm all-stages-done" "$LOG" || fail=1
PROBLEM="Kernel panic\|BUG:\|Oops:\|WARNING:\|UBSAN:\|ODEBUG:\|list_add corruption\|list_del corruption"
if grep -q "$PROBLEM" "$LOG"; then
	echo "vmtest: kernel problem:" >&2
	grep -m5 "$PROBLEM" "$LOG" >&2
	fail=1
fi
grep -q "@@khofs-vm kexec-failed" "$LOG" && { echo "vmtest: kexec failed" >&2; fail=1; }
[ "$qrc" = 124 ] && { echo "vmtest: timeout after ${TIMEOUT}s" >&2; fail=1; }
if [ $fail -ne 0 ]; then
	echo "vmtest: FAILED (console log: $LOG)" >&2
	exit 1
fi
echo "vmtest: passed, all $STAGES stage(s) (console log: $LOG)"
