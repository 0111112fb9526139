#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every khofs test in QEMU and print a summary whose last line is
# "N passed, N failed". Exits non-zero on any failure or if no test ran.
#
# Counted: each KUnit case of the khofs suites (first boot), each TAP result of
# the selftest programs, and each VM run as a whole (all stages ran, no
# panic/oops/WARNING, no timeout).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
ST=$REPO/tools/testing/selftests/khofs
# KHOFS_DEBUG=1 ("make check-debug"): the debug kernel (KASAN, lockdep, ...),
# slower, so with eight times the time for each VM run, and twice the memory:
# after a kexec, early boot allocates only from the KHO scratch areas, where
# KASAN's shadow (1/8 of RAM) must fit.
DEBUG=${KHOFS_DEBUG:-0}
LOGDIR=$CACHE/check$([ "$DEBUG" = 1 ] && echo -debug)
if [ "$DEBUG" = 1 ]; then
	# 1 GiB guests get 2 GiB and a 512 MiB global scratch area; 3 GiB ones 4 GiB and 1 GiB.
	debug_mem() { [ "${KHOFS_VM_MEM:-1G}" = 1G ] && echo 2G || echo 4G; }
	debug_scratch() { [ "$(debug_mem)" = 2G ] && echo 64M,512M,0M || echo 64M,1G,0M; }
fi
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0
failures=()

pass() { passed=$((passed + 1)); printf '  PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf '  FAIL %s\n' "$1"; }
skip() { skipped=$((skipped + 1)); printf '  SKIP %s\n' "$1"; }

# Results of KUnit suites named khofs_* in the first boot of a console log.
kunit_results() {
	sed -e 's/^\[ *[0-9]*\.[0-9]*\] //' "$1" | awk '
		/^@@khofs-vm stage/ { exit }
		/^ *# Subtest: khofs_/ { suite = $3; next }
		suite != "" && /^    (not )?ok [0-9]+ / {
			res = ($1 == "not") ? "FAIL" : "PASS"
			name = ($1 == "not") ? $4 : $3
			print res, "kunit " suite "." name
			next
		}
		suite != "" && /^(not )?ok [0-9]+ / { suite = "" }'
}

# TAP results printed by the selftest programs (userspace lines, column 0),
# labelled with the stage they ran in.
tap_results() {
	awk '
		/^@@khofs-vm stage [0-9]+\/[0-9]+ begin/ { split($3, a, "/"); stage = a[1] }
		/^(not )?ok [0-9]+ / {
			res = ($1 == "not") ? "FAIL" : "PASS"
			if (res == "PASS" && $0 ~ /# SKIP/)
				res = "SKIP"
			sub(/^(not )?ok [0-9]+ /, "")
			print res, "selftest [stage " stage "] " $0
		}' "$1"
}

# A handover FDT dumped by a stage script (between @@fdt-begin/@@fdt-end) must
# decode with the host's dtc and carry the khofs compatible string.
dtc_result() {
	grep -q '^@@fdt-begin' "$1" || return 0
	local dts
	dts=$(sed -n '/^@@fdt-begin/,/^@@fdt-end/p' "$1" | grep -E '^( [0-9a-f]{2})+$' |
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' |
		dtc -q -I dtb -O dts - 2>&1)
	if grep -q 'compatible = "khofs-v2"' <<<"$dts" && grep -q 'tables = ' <<<"$dts"; then
		echo "PASS host dtc decodes the handover FDT from debugfs"
	else
		echo "FAIL host dtc decodes the handover FDT from debugfs: ${dts:0:200}"
	fi
}

run_vm() { # name script stages [extra-dir [timeout]]
	local name=$1 script=$2 stages=$3 log=$LOGDIR/$1.log t0=$SECONDS
	local note="" try opts=()
	[ -z "${4:-}" ] || opts+=(-e "$4")
	if [ "$DEBUG" = 1 ]; then
		opts+=(-t $((${5:-180} * 8)))
		local mem scratch
		mem=$(debug_mem) scratch=$(debug_scratch)
		local KHOFS_VM_MEM=$mem KHOFS_KHO_SCRATCH=$scratch
		export KHOFS_VM_MEM KHOFS_KHO_SCRATCH
	elif [ -n "${5:-}" ]; then
		opts+=(-t "$5")
	fi
	echo "== $name ($stages stage(s))"
	for try in 1 2; do
		"$ST/vmtest.sh" -k "$BZIMAGE" -s "$script" -n "$stages" -l "$log" "${opts[@]}" >"$LOGDIR/$name.out" 2>&1 &&
			break
		# Under TCG a kexec occasionally hangs the guest: retry once, but only a bare
		# timeout (no stage failed, no kernel problem reported).
		if [ $try = 1 ] && grep -q "vmtest: timeout" "$LOGDIR/$name.out" &&
			! grep -q "rc=[1-9]\|kernel problem\|kexec failed" "$LOGDIR/$name.out"; then
			note=" (retried once after a guest timeout)"
			echo "   timeout, retrying once"
			continue
		fi
		false
		break
	done
	if [ $? -eq 0 ] && grep -q "^vmtest: passed" "$LOGDIR/$name.out"; then
		pass "vm $name: all $stages stages ran, no panic/oops/warning ($((SECONDS - t0)) s)$note"
	else
		fail "vm $name: $(grep '^vmtest:' "$LOGDIR/$name.out" | grep -v 'vmtest: [a-z_]*\.sh,' | tr '\n' ' ')"
		tail -n 30 "$LOGDIR/$name.out" | sed 's/^/    | /'
	fi
	while read -r res what; do
		case $res in
		PASS) pass "$what" ;;
		SKIP) skip "$what" ;;
		*) fail "$what" ;;
		esac
	done < <(kunit_results "$log"; tap_results "$log"; dtc_result "$log")
}

t0=$SECONDS
run_vm posix-vs-tmpfs "$ST/khofs_posix.sh" 1
run_vm rust-memfs "$ST/khofs_memfs.sh" 1
run_vm kexec-basic "$ST/khofs_kexec.sh" 2
run_vm kexec-lifecycle "$ST/khofs_lifecycle.sh" 2
run_vm kexec-instances "$ST/khofs_instances.sh" 2
run_vm kexec-chain-10 "$ST/khofs_chain.sh" 11
# Every state a file can be in at kexec; handovers that are not taken over.
run_vm kexec-states "$ST/khofs_states.sh" 2
run_vm kexec-refuse "$ST/khofs_refuse.sh" 2
# Model-checked random namespace and data operations across 2 kexecs, tmpfs as
# the oracle (short; "make stress" runs it long).
KHOFS_APPEND="khofs.nsmodel=20 khofs.seed=1" run_vm kexec-nsmodel "$ST/khofs_nsmodel.sh" 3
# 1 GiB in 4 KiB folios and 100,000 files through the restore path.
KHOFS_VM_MEM=3G run_vm kexec-scale "$ST/khofs_scale.sh" 2 "" 900
# Third-party suites, tmpfs being the oracle: pjdfstest (POSIX) and stress-ng.
if "$REPO/scripts/thirdparty.sh"; then
	run_vm pjdfstest-vs-tmpfs "$ST/khofs_pjdfstest.sh" 1 "$CACHE/thirdparty" 300
	run_vm stressng-vs-tmpfs "$ST/khofs_stressng.sh" 1 "$CACHE/thirdparty" 600
else
	fail "scripts/thirdparty.sh: pjdfstest and stress-ng could not be staged"
fi

echo
echo "khofs check$([ "$DEBUG" = 1 ] && echo " (debug kernel)"): console logs in $LOGDIR, $((SECONDS - t0)) s, $skipped skipped (not implemented yet)"
if [ ${#failures[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
