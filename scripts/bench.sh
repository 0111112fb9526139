#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": khofs next to memfd + LUO and tmpfs, in the same VM and kernel.
#
#  1. Handover of one big file (BENCH_MIB MiB, default 1024) in 4 KiB and in
#     2 MiB folios (BENCH_FOLIOS), with the test runner's small kho_scratch and
#     with the kernel's default scratch (BENCH_SCRATCH), BENCH_ROUNDS rounds
#     (default 3), alternating: khofs and a memfd handed over by the same kexec,
#     tmpfs recreating the data. Prints a table of medians (min-max) and ratios.
#  2. The next kernel's boot (from its start to /init's script, and KHO's part of
#     early memory init) and the mount after kexec, for nothing (the baseline),
#     BENCH_MIB in 4 KiB folios, 10,000 and 100,000 small files, next to
#     recreating the data in tmpfs; handover metadata per folio and per inode.
#  3. Sequential I/O next to tmpfs.
# Any failed step fails the whole run.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
ST=$REPO/tools/testing/selftests/khofs
OUT=$CACHE/vm/bench
mkdir -p "$OUT"
ROUNDS=${BENCH_ROUNDS:-3} MIB=${BENCH_MIB:-1024}
results=$OUT/results.txt
: >"$results"

vm() { # LOG SCRIPT STAGES APPEND...
	local log=$1 script=$2 stages=$3
	shift 3
	if ! KHOFS_VM_MEM=${KHOFS_VM_MEM:-4G} KHOFS_APPEND="$*" \
		"$ST/vmtest.sh" -k "$BZIMAGE" -s "$ST/$script" -n "$stages" -t 1500 -l "$log" \
		>"$log.out" 2>&1; then
		cat "$log.out" >&2
		echo "bench: FAILED: $script $* (console log: $log)" >&2
		exit 1
	fi
}

# From the console's host arrival times (vmtest.sh KHOFS_VM_TIMES=1): kexec to
# the next kernel's first line, to its /init script, and the part of its early
# boot from report_meminit() to kmem_cache_init() in mm_core_init(), which is
# KHO's memory init (kho_memory_init()) and memblock_free_all().
boot_times() {
	awk '/^[0-9]+ @@khofs-vm kexec to stage 2/ { k = $1 }
		k && !l && / Linux version / { l = $1 }
		k && !m && / mem auto-init:/ { m = $1 }
		k && !s && / SLUB: HWalign/ { s = $1 }
		k && / @@khofs-vm stage 2\/2 begin/ { b = $1 }
		END {
			if (!k || !l || !m || !s || !b) { print "bench: missing console lines" > "/dev/stderr"; exit 1 }
			printf "RESULT kexec-to-next-kernel %.1f\n", (l - k) / 1000
			printf "RESULT next-kernel-to-script %.1f\n", (b - l) / 1000
			printf "RESULT kho-memory-init %.1f\n", (s - m) / 1000
		}' "$1"
}

echo "== bench: handover of $MIB MiB, khofs / memfd+LUO / tmpfs, $ROUNDS round(s)"
for scratch in ${BENCH_SCRATCH:-small default}; do
	for r in $(seq "$ROUNDS"); do
		for folio in ${BENCH_FOLIOS:-4k 2m}; do
			cfg=$MIB-MiB-$folio-$scratch-scratch
			log=$OUT/handover-$cfg-$r.log
			if [ "$scratch" = default ]; then
				export KHOFS_KHO_SCRATCH=default
			else
				unset KHOFS_KHO_SCRATCH
			fi
			vm "$log" khofs_handover_bench.sh 2 liveupdate=on \
				khofs.bench_mib="$MIB" khofs.bench_folio="$folio"
			tr -d '\r' <"$log" | grep '^RESULT ' | sed "s/^/$cfg /" | tee -a "$results" |
				sed 's/^/  /'
			tr -d '\r' <"$log" | grep -o 'khofs: .*\(prepared handover\|taken over in\).*' |
				sed 's/^/  /'
		done
	done
done
unset KHOFS_KHO_SCRATCH
"$REPO/scripts/bench-table.py" <"$results"

# Next kernel's boot and mount: nothing (one empty instance, the baseline),
# BENCH_MIB in 4 KiB folios, 10,000 and 100,000 small files.
echo "== bench: the next kernel's boot and mount after kexec, $ROUNDS round(s)"
boot=$OUT/boot-results.txt
: >"$boot"
for r in $(seq "$ROUNDS"); do
	for cfg in "nothing 0 0" "$MIB-MiB-4k $MIB 0" "10000-files 0 10000" \
		"100000-files 0 100000"; do
		set -- $cfg
		log=$OUT/boot-$1-$r.log
		KHOFS_VM_TIMES=1 vm "$log" khofs_bench.sh 2 \
			"khofs.bench_mib=$2 khofs.bench_files=$3 khofs.bench_folio=4k"
		{ grep '^RESULT ' "$log"; boot_times "$log.times"; } | sed "s/^/$1 /" |
			tee -a "$boot" | sed 's/^/  /'
		tr -d '\r' <"$log" | grep -o 'khofs: .*\(prepared handover\|taken over in\).*' |
			sed 's/^/  /'
	done
done
"$REPO/scripts/bench-table.py" --baseline nothing <"$boot"
echo "== bench: sequential I/O, khofs next to tmpfs (256 MiB, median of 7)"
KHOFS_VM_MEM=3G vm "$OUT/iobench.log" khofs_iobench.sh 1
tr -d '\r' <"$OUT/iobench.log" | grep '^RESULT'
