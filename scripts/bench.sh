#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": khofs next to memfd + LUO and tmpfs, in the same VM and kernel.
#
#  1. Handover of one big file (BENCH_MIB MiB, default 1024) in 4 KiB and in
#     2 MiB folios (BENCH_FOLIOS), with the test runner's small kho_scratch and
#     with the kernel's default scratch (BENCH_SCRATCH), BENCH_ROUNDS rounds
#     (default 3), alternating: khofs and a memfd handed over by the same kexec,
#     tmpfs recreating the data. Prints a table of medians (min-max) and ratios.
#  2. Mount after kexec with 100,000 small files next to recreating them in tmpfs.
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

for cfg in "0 100000" "1024 100000"; do
	set -- $cfg
	echo "== bench: $1 MiB in one file, $2 small files: mount after kexec vs tmpfs"
	log=$OUT/bench-$1-$2.log
	vm "$log" khofs_bench.sh 2 "khofs.bench_mib=$1 khofs.bench_files=$2"
	tr -d '\r' <"$log" | grep -E '^RESULT|khofs: (prepared|took over)'
done
echo "== bench: sequential I/O, khofs next to tmpfs (256 MiB, median of 7)"
KHOFS_VM_MEM=3G vm "$OUT/iobench.log" khofs_iobench.sh 1
tr -d '\r' <"$OUT/iobench.log" | grep '^RESULT'
