# SPDX-License-Identifier: GPL-2.0
#
# khofs front door. See README.md.
#
#   make setup     install toolchain and packages (idempotent)
#   make build     kernel with khofs (incremental) + selftest programs
#   make demo      show a file surviving kexec in QEMU
#   make check     run every test in QEMU; last line "N passed, N failed"
#   make check-debug  the same on a debug kernel (KASAN, lockdep, DEBUG_VM, ...)
#   make vm-run SCRIPT=path STAGES=N [EXTRA=dir]
#   make lint      checkpatch, rustfmtcheck, clippy
#   make patches   check the kernel patches apply to a pristine 7.2 tree
#   make thirdparty  stage pjdfstest and stress-ng for the guest (used by check)

SHELL := /bin/bash
# A failing step fails the target, also inside a pipeline ("| grep").
.SHELLFLAGS := -o pipefail -c
ST := tools/testing/selftests/khofs
STAGES ?= 1
BZIMAGE = $(shell scripts/kernel.sh env | sed -n 's/^BZIMAGE=//p')
THIRDPARTY = $(shell scripts/kernel.sh env | sed -n 's/^CACHE=//p')/thirdparty

.PHONY: all setup build kernel selftests thirdparty demo check check-debug vm-run lint patches clean-cache help bench stress

all: build

help:
	@sed -n '3,14p' Makefile

setup:
	@scripts/setup.sh

kernel: setup
	@scripts/kernel.sh build

selftests: setup
	@scripts/selftests.sh

build: kernel selftests

thirdparty: setup
	@scripts/thirdparty.sh

vm-run: build
	@test -n "$(SCRIPT)" || { echo "usage: make vm-run SCRIPT=path/to/script.sh STAGES=N [EXTRA=dir]"; exit 2; }
	@$(ST)/vmtest.sh -k "$(BZIMAGE)" -s "$(abspath $(SCRIPT))" -n "$(STAGES)" \
		$(if $(EXTRA),-e "$(abspath $(EXTRA))") $(if $(LOG),-l "$(LOG)") $(if $(TIMEOUT),-t "$(TIMEOUT)")

demo: build
	@echo "== khofs demo: write and mmap a file, kexec with KHO, read it back"
	@$(ST)/vmtest.sh -k "$(BZIMAGE)" -s $(ST)/demo.sh -n 2

check: build
	@scripts/check.sh

# Every test of "make check" on a kernel with KASAN, lockdep, DEBUG_VM, DEBUG_LIST,
# DEBUG_OBJECTS and DEBUG_ATOMIC_SLEEP (config.debug): any report is a failure.
check-debug: selftests thirdparty
	@KHOFS_DEBUG=1 scripts/kernel.sh build
	@KHOFS_DEBUG=1 scripts/check.sh

lint:
	@scripts/lint.sh

patches:
	@scripts/kernel.sh check-patches

clean-cache:
	rm -rf "$${KHOFS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/khofs}/build"

# khofs next to memfd + LUO and tmpfs in the same VM: handover of one big file
# in 4 KiB and 2 MiB folios (small and default KHO scratch), small files,
# sequential I/O (not in CI; BENCH_ROUNDS, BENCH_MIB, BENCH_FOLIOS, BENCH_SCRATCH).
bench: build
	@scripts/bench.sh

# Model-checked random namespace and data operations for STRESS_SECONDS per stage
# across NSMODEL_STAGES-1 kexecs (tmpfs as the oracle, SEED to reproduce), then
# model-checked random I/O for STRESS_SECONDS per stage, across a kexec, then
# stress-ng's file and mmap stressors together on khofs for STRESS_SECONDS,
# with --verify and their bogo ops (not in CI).
STRESS_SECONDS ?= 300
NSMODEL_STAGES ?= 4
SEED ?= $(shell date +%s)
stress: build thirdparty
	@echo "== namespace model: $(NSMODEL_STAGES) stages of $(STRESS_SECONDS) s, seed $(SEED)"
	@KHOFS_APPEND="khofs.nsmodel=$(STRESS_SECONDS) khofs.seed=$(SEED)" $(ST)/vmtest.sh -k "$(BZIMAGE)" \
		-s $(ST)/khofs_nsmodel.sh -n $(NSMODEL_STAGES) -t $$(( $(NSMODEL_STAGES) * ($(STRESS_SECONDS) + 120) ))
	@KHOFS_APPEND="khofs.stress=$(STRESS_SECONDS)" $(ST)/vmtest.sh -k "$(BZIMAGE)" \
		-s $(ST)/khofs_stress.sh -n 2 -t $$(( 2 * $(STRESS_SECONDS) + 300 ))
	@echo "== stress-ng on khofs for $(STRESS_SECONDS) s"
	@KHOFS_APPEND="khofs.stressng=$(STRESS_SECONDS)" $(ST)/vmtest.sh -k "$(BZIMAGE)" \
		-s $(ST)/khofs_stressng.sh -n 1 -e "$(THIRDPARTY)" -t $$(( $(STRESS_SECONDS) + 400 ))
