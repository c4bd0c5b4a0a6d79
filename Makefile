# SPDX-License-Identifier: GPL-2.0
#
# resmem: "make help" lists the targets.
#
# The kernel module is built by Kbuild; this Makefile drives it, builds the
# userspace tool and tests, and runs the test VM.  "make" (all, module)
# builds against KDIR, by default the running kernel's build directory; it
# never fetches a kernel: without that directory it says how to get one and
# stops.  The test kernels, fetched into .cache/kernels, are for make
# check, run, bench and the kmod-%, bench-kmod-% and vm-artifacts targets.

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD	:= $(TOP)/.build
KSFT	:= $(BUILD)/kselftest
SERIES	:= 6.1 6.12 debug

HOST_KVER := $(shell uname -r)
HOST_KDIR := /lib/modules/$(HOST_KVER)/build
ifeq ($(origin KDIR),undefined)
KDIR	:= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR))
endif
NO_KDIR	:= no headers of the running kernel in $(HOST_KDIR): \
	   apt-get install linux-headers-$(HOST_KVER), or make KDIR=/path/to/kernel/build

CC	?= cc
UCFLAGS	:= -O2 -g -Wall -Wextra -Werror -I$(TOP)/include
UAPI	:= $(TOP)/include/uapi/resmem.h
CTL_DIR	:= $(TOP)/selftests/resmemctl
CTL_SRC	:= $(filter-out $(CTL_DIR)/test_%.c,$(wildcard $(CTL_DIR)/*.c))
CTL_HDR	:= $(wildcard $(CTL_DIR)/*.h)
CTL_LIBS := -lpng -lz -lm
KSRC	:= Kbuild $(shell cd $(TOP) && find src include debugfs -name '*.[ch]')

# Userspace pieces that go into the VM: static, as the initramfs has no libc.
VM_USER	:= $(BUILD)/user
VM_BINS	:= $(VM_USER)/bin/resmemctl
VM_TESTS := $(patsubst $(TOP)/selftests/kselftest/%.c,$(VM_USER)/selftests/%, \
	    $(wildcard $(TOP)/selftests/kselftest/*.c)) \
	    $(patsubst $(TOP)/selftests/kselftest/%,$(VM_USER)/selftests/%, \
	    $(wildcard $(TOP)/selftests/kselftest/*.sh))
# make run's demo (selftests/demo), /resmem/demo/ in the VM
VM_DEMO	:= $(patsubst $(TOP)/selftests/demo/%,$(VM_USER)/demo/%, \
	   $(wildcard $(TOP)/selftests/demo/*.sh $(TOP)/selftests/demo/*.rms))

all: module resmemctl

module:
	$(if $(KDIR),,$(error $(NO_KDIR)))
	$(MAKE) -C $(KDIR) M=$(TOP) modules

resmemctl: $(CTL_SRC) $(CTL_HDR) $(UAPI)
	$(CC) $(UCFLAGS) -o $@ $(CTL_SRC) $(CTL_LIBS)

# make install: resmemctl and its man page (the module: DKMS, in README).
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
install: resmemctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 resmemctl $(DESTDIR)$(BINDIR)/resmemctl
	install -m 0644 $(CTL_DIR)/resmemctl.8 $(DESTDIR)$(MANDIR)/man8/resmemctl.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/resmemctl $(DESTDIR)$(MANDIR)/man8/resmemctl.8

.PHONY: install uninstall

# The headers a client module sees: include/resmem/api.h, nothing else.  A
# build copy of client modules gets an include/ of that one file, made anew
# each time, so an #include of a private header fails to compile there.
client-include = rm -rf $(1)/include && mkdir -p $(1)/include/resmem && \
	cp -a $(TOP)/include/resmem/api.h $(1)/include/resmem/ &&

# resmem.ko and the selftest modules for one test kernel, W=1 and -Werror,
# each built in its own copy of the tree so both kernels' objects coexist.
kmod-%: $(addprefix $(TOP)/,$(KSRC))
	@kdir=$$($(TOP)/selftests/testvm/kdir $*) && \
	mkdir -p $(BUILD)/$*/mod $(BUILD)/$*/modules && \
	cp -a $(TOP)/Kbuild $(TOP)/src $(TOP)/include $(TOP)/debugfs \
		$(BUILD)/$*/mod/ && \
	cp -a $(TOP)/selftests/modules/. $(BUILD)/$*/modules/ && \
	$(call client-include,$(BUILD)/$*/modules) \
	$(MAKE) -s -C $$kdir M=$(BUILD)/$*/mod W=1 KCFLAGS=-Werror modules && \
	$(call symvers-stale,$*,modules) \
	$(MAKE) -s -C $$kdir M=$(BUILD)/$*/modules W=1 KCFLAGS=-Werror \
		KBUILD_EXTRA_SYMBOLS=$(BUILD)/$*/mod/Module.symvers modules && \
	$(call symvers-seen,$*,modules) \
	cp $(BUILD)/$*/mod/resmem.ko $(BUILD)/$*/resmem.ko

# resmem.ko alone with the statistics compiled out (RESMEM_STATS=n, see
# include/resmem/stats.h), W=1 and -Werror, in its own copy of the tree.
kmod-nostats-%: $(addprefix $(TOP)/,$(KSRC))
	@kdir=$$($(TOP)/selftests/testvm/kdir $*) && \
	mkdir -p $(BUILD)/$*/mod-nostats && \
	cp -a $(TOP)/Kbuild $(TOP)/src $(TOP)/include $(TOP)/debugfs \
		$(BUILD)/$*/mod-nostats/ && \
	$(MAKE) -s -C $$kdir M=$(BUILD)/$*/mod-nostats W=1 KCFLAGS=-Werror \
		RESMEM_STATS=n modules

# A module that calls resmem records the CRC of each symbol it uses, and
# Kbuild does not rebuild it when only resmem's Module.symvers changed (an
# exported function's types changed, not the caller's source): it would
# then fail to load ("disagrees about version of symbol").  So the objects
# of a build against resmem go whenever resmem's Module.symvers differs
# from the one they were built against.
symvers-stale = { cmp -s $(BUILD)/$(1)/mod/Module.symvers \
	$(BUILD)/$(1)/$(2)/.resmem.symvers || rm -f $(BUILD)/$(1)/$(2)/*.o; } &&
symvers-seen = cp $(BUILD)/$(1)/mod/Module.symvers \
	$(BUILD)/$(1)/$(2)/.resmem.symvers &&

# selftests/bench: the benchmark modules (resmem_bench.ko, resmem_mabench.ko,
# resmem_vcbench.ko, resmem_contigbench.ko, resmem_lendbench.ko) for one test
# kernel, W=1 and -Werror, modpost against resmem's Module.symvers (from
# kmod-%), in .build/<series>/bench/, which selftests/testvm/run copies into
# the VM beside the test modules.  Not part of vm-artifacts: no kselftest
# needs them; selftests/bench/run and cmabench.sh build them, and make
# check's builds.
BENCH_KSRC := Kbuild bench.h resmem_bench.c resmem_mabench.c vcbench.c \
	      resmem_contigbench.c resmem_lendbench.c
bench-kmod-%:
	@$(MAKE) -s kmod-$*
	@kdir=$$($(TOP)/selftests/testvm/kdir $*) && \
	mkdir -p $(BUILD)/$*/bench && \
	cp -a $(addprefix $(TOP)/selftests/bench/,$(BENCH_KSRC)) \
		$(BUILD)/$*/bench/ && \
	$(call client-include,$(BUILD)/$*/bench) \
	$(call symvers-stale,$*,bench) \
	$(MAKE) -s -C $$kdir M=$(BUILD)/$*/bench W=1 KCFLAGS=-Werror \
		KBUILD_EXTRA_SYMBOLS=$(BUILD)/$*/mod/Module.symvers modules && \
	$(call symvers-seen,$*,bench) true

$(KSFT)/kselftest_harness.h:
	@test -r /usr/src/linux-source-6.1.tar.xz || { \
		echo "need /usr/src/linux-source-6.1.tar.xz: apt-get install linux-source-6.1 (or make deps)"; \
		exit 1; }
	mkdir -p $(KSFT)
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C $(KSFT) \
		--strip-components=4 --wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h'

$(VM_USER)/bin/resmemctl: $(CTL_SRC) $(CTL_HDR) $(UAPI)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -static -o $@ $(CTL_SRC) $(CTL_LIBS)

$(VM_USER)/selftests/%: $(TOP)/selftests/kselftest/%.c $(UAPI) \
		$(wildcard $(TOP)/selftests/kselftest/*.h) \
		$(KSFT)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -Wno-sign-compare -Wno-unused-parameter -I$(KSFT) \
		-static -o $@ $<

$(VM_USER)/selftests/%.sh: $(TOP)/selftests/kselftest/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(VM_USER)/demo/%.sh: $(TOP)/selftests/demo/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(VM_USER)/demo/%.rms: $(TOP)/selftests/demo/%.rms
	@mkdir -p $(dir $@)
	install -m 0644 $< $@

# Modules of the test kernel itself that kselftests load (brd.ko, the RAM
# disk zswap_test.sh and cma_system_test.sh swap to; zsmalloc.ko and
# z3fold.ko, zpools that selftests/bench/zswapbench.sh compares xcf with
# and cma_system_test.sh puts zswap on, where they are not built in;
# configfs.ko and null_blk.ko, the block device whose delayed completions
# keep cma_system_test's O_DIRECT read in flight), from its module
# directory (MODDIR of the kernel's env) into .build/<series>/modules/,
# decompressed: busybox insmod reads no .ko.xz.
KERNEL_KOS := brd zsmalloc z3fold configfs null_blk
# z3fold is gone from 6.12's Debian config, zsmalloc is built into the
# debug kernel: no word when these are missing
KERNEL_KOS_OPTIONAL := zsmalloc z3fold configfs null_blk
kernel-kos-%:
	@$(TOP)/selftests/testvm/kdir $* > /dev/null && \
	cache=$${RESMEM_CACHE:-$(TOP)/.cache/kernels} && . "$$cache/$*/env" && \
	mkdir -p $(BUILD)/$*/modules && \
	for m in $(KERNEL_KOS); do \
		f=$$(find "$$MODDIR" -name "$$m.ko" -o -name "$$m.ko.xz" | head -n 1); \
		case "$$f" in \
		"") grep -qs "/$$m.ko$$" "$$MODDIR/modules.builtin" || \
			case " $(KERNEL_KOS_OPTIONAL) " in *" $$m "*) ;; \
			*) echo "kernel-kos-$*: no $$m.ko in $$MODDIR" ;; \
			esac ;; \
		*.xz) xz -dc "$$f" > $(BUILD)/$*/modules/$$m.ko ;; \
		*) cp "$$f" $(BUILD)/$*/modules/$$m.ko ;; \
		esac; \
	done

# What selftests/testvm/run puts into the VM for KSERIES.
vm-artifacts: $(VM_BINS) $(VM_TESTS) $(VM_DEMO)
	@case "$(KSERIES)" in 6.1|6.12|debug) ;; *) \
		echo "vm-artifacts: set KSERIES to one of: $(SERIES)"; exit 2;; esac
	@$(MAKE) -s kmod-$(KSERIES)
	@$(MAKE) -s kernel-kos-$(KSERIES)

unit: $(KSFT)/kselftest_harness.h
	@$(MAKE) -s -C $(TOP)/selftests/unit run TOP=$(TOP)

# selftests/fuzz: libFuzzer over src/core for FUZZ_TIME seconds (600 by
# default); fuzz-check is make check's 60 s, fuzz-selftest its proof that
# the fuzzer finds a deliberate bug.
FUZZ_TIME ?= 600
fuzz: $(KSFT)/kselftest_harness.h
	@$(MAKE) -s -C $(TOP)/selftests/fuzz run TOP=$(TOP) FUZZ_TIME=$(FUZZ_TIME)

fuzz-check: $(KSFT)/kselftest_harness.h
	@$(MAKE) -s -C $(TOP)/selftests/fuzz check TOP=$(TOP)

fuzz-selftest: $(KSFT)/kselftest_harness.h
	@$(MAKE) -s -C $(TOP)/selftests/fuzz selftest TOP=$(TOP)

deps:
	@$(TOP)/selftests/deps

# make check's docs checks alone (selftests/check-docs): file indexes,
# api.h's context rules, DOC: blocks, kernel-doc.
docs-check:
	@$(TOP)/selftests/check-docs

check:
	@$(TOP)/selftests/check

run:
	@$(TOP)/selftests/testvm/run --out $(BUILD)/run -- /resmem/demo/demo.sh
	@echo "make run: the fragmentation map as a picture: $(BUILD)/run/fragmap.png"

# Not part of check: benchmarks measure, they do not pass or fail.
bench:
	@$(TOP)/selftests/bench/run $(BENCH_ARGS)

# Not part of check: the long concurrent stress run (README.md, Stress), on
# the debug kernel once selftests/testvm/run offers it, else on 6.1.
# RESMEM_STRESS_SEED=N replays a seed.
STRESS_OPS	?= 1000000
# take-back cycles of cma_system_test.sh (100 in make check)
LEND_CYCLES	?= 1000
STRESS_TIMEOUT	?= 14400
STRESS_KERNEL	?= $(shell $(TOP)/selftests/testvm/run --help 2>&1 | \
		     grep -q -- '--kernel.*debug' && echo debug || echo 6.1)
stress:
	@echo "make stress: kernel $(STRESS_KERNEL), $(STRESS_OPS) ioctls, $(LEND_CYCLES) lend take-backs"
	@$(TOP)/selftests/testvm/run --kernel $(STRESS_KERNEL) --no-load \
		--timeout $(STRESS_TIMEOUT) -- \
		'RESMEM_STRESS_SEED=$(RESMEM_STRESS_SEED) /resmem/selftests/stress_test.sh --ops $(STRESS_OPS) && RESMEM_LEND_CYCLES=$(LEND_CYCLES) /resmem/selftests/cma_system_test.sh'

clean:
	rm -rf $(BUILD) $(TOP)/resmemctl $(TOP)/Module.symvers \
		$(TOP)/modules.order $(TOP)/resmem.ko $(TOP)/resmem.mod*
	find $(TOP)/src $(TOP)/debugfs $(TOP) -maxdepth 2 \
		\( -name '*.o' -o -name '.*.cmd' -o -name '*.mod.c' \) -delete

help:
	@echo "make [all]       build resmem.ko (KDIR=$(or $(KDIR),none: install linux-headers-$(HOST_KVER))) and resmemctl"
	@echo "make check       install what is missing, then unit tests, W=1 builds,"
	@echo "                 kselftests in the VM on both test kernels, DKMS"
	@echo "make run         boot the test VM, load resmem, show what it offers"
	@echo "make unit        userspace unit tests of src/core (ASan, UBSan)"
	@echo "make fuzz        libFuzzer over src/core for FUZZ_TIME seconds (600)"
	@echo "make fuzz-selftest  the fuzzer finds a deliberately injected bug"
	@echo "make bench       callgrind and VM benchmarks of the buddy and memarea (BENCH_ARGS=--help)"
	@echo "make stress      the long concurrent stress kselftest (STRESS_OPS=1000000, RESMEM_STRESS_SEED=N)"
	@echo "make deps        install the Debian packages the tests need"
	@echo "make docs-check  file indexes, api.h's context rules, kernel-doc (no VM)"
	@echo "make vm-artifacts KSERIES=6.1|6.12|debug   what the VM needs"
	@echo "make kmod-nostats-6.1|6.12  resmem.ko with the statistics compiled out"
	@echo "RESMEM_STATS=n   with make, kmod-*, unit: compile the statistics out"
	@echo "make clean       remove build output (the kernel cache stays)"
	@echo "make install     resmemctl and its man page (PREFIX=/usr/local, DESTDIR=); make uninstall"
	@echo "KDIR=path        build against these kernel headers"

.PHONY: all module vm-artifacts unit fuzz fuzz-check fuzz-selftest deps docs-check check \
	run bench stress clean help
