# tests/bench/bench.mk: the benchmarks (issue 7), included by the Makefile.
#   make bench [QUICK=1]   build every peer, run all six comparisons side by side and
#                          write $(BENCH_OUT)/results.md and readme-section.md
#   make bench-build       build only (both architectures, the bench programs, the peers)
#   make bench-check       build; check that each example and its libc peers print the
#                          same lines and exit alike; run QUICK=1 into build/bench/quick
#                          and check the table's form (never its numbers): what `make
#                          check` runs
#   make bench-exec-cost   the exec-cost experiment alone (padded minimums, .bss sizes,
#                          touched pages) into $(BENCH_OUT)/exec-cost.md
#   make bench-readme      put build/bench/readme-section.md (from a full run) between
#                          the <!-- bench:begin --> and <!-- bench:end --> markers of
#                          doc/performance.md, and exec-cost.md, if made, between
#                          <!-- exec-cost:begin --> and <!-- exec-cost:end -->
# Timing runs on the host architecture (x86_64); sizes are given for both.

BENCH_OUT ?= build/bench
BENCH_B := build/bench/progs
BENCH_DIR := tests/bench
# The examples that exist now (the lead is adding them); the bench times what is there.
BENCH_EXAMPLES = $(notdir $(basename $(wildcard src/examples/*.c)))
BENCH_FREE := thr_cl thr_floor proc_cl spawn_cl clat
# hello and the section 3/4 loops; ex_<example>: each example written with a libc.
BENCH_HOSTED := hello thr_pthread proc_fork spawn_posix $(BENCH_EXAMPLES:%=ex_%)
# The exec-cost experiment: the asm minimum padded (text<n>k: n KiB in the file;
# bss<n>k: n KiB more .bss), its padding untouched or touched (a byte each page).
BENCH_PAD := text0k $(foreach v,text10k text100k text1000k bss568k bss4096k,$(v) $(v)-touched) twin
BENCH_BINS := $(BENCH_B)/min $(BENCH_B)/min-data $(BENCH_B)/min-bss $(BENCH_B)/bench-exec \
	$(BENCH_FREE:%=$(BENCH_B)/free/%) $(BENCH_PAD:%=$(BENCH_B)/pad/%) \
	$(foreach l,glibc-dyn glibc-static musl-static,$(BENCH_HOSTED:%=$(BENCH_B)/$(l)/%))
BENCH_HOSTCFLAGS := -O2 -Wall -pthread

.PHONY: bench bench-build bench-arches bench-progs bench-check bench-readme bench-exec-cost

bench: bench-build
	$(Q)python3 $(BENCH_DIR)/bench.py --bin $(BENCH_B) --out $(BENCH_OUT) $(if $(QUICK),--quick)

bench-build:
	$(Q)test "$(ARCH)" = x86_64 -a "$(HOSTARCH)" = x86_64 || \
		{ echo "make bench: timing needs an x86_64 host and ARCH=x86_64" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory bench-arches
	$(Q)$(MAKE) --no-print-directory bench-progs

# Every architecture's shipped files, for the size table (and x86_64's for timing).
bench-arches:
	+$(Q)$(call for_arches,all EXAMPLES="$(BENCH_EXAMPLES)")

bench-progs: $(BENCH_BINS)

bench-check:
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)python3 $(BENCH_DIR)/bench.py --bin $(BENCH_B) --check-output
	$(Q)$(MAKE) --no-print-directory bench QUICK=1 BENCH_OUT=build/bench/quick
	$(Q)python3 $(BENCH_DIR)/bench.py --validate build/bench/quick/results.md

bench-exec-cost: bench-build
	$(Q)python3 $(BENCH_DIR)/bench.py --bin $(BENCH_B) --out $(BENCH_OUT) --exec-cost $(if $(QUICK),--quick)

bench-readme:
	$(Q)python3 $(BENCH_DIR)/bench.py --readme doc/performance.md --section $(BENCH_OUT)/readme-section.md \
		$(if $(wildcard $(BENCH_OUT)/exec-cost.md),--exec-cost-section $(BENCH_OUT)/exec-cost.md)

# The minimum: hand-written, one R+X segment plus PT_GNU_STACK.
$(BENCH_B)/min: $(BENCH_DIR)/min.asm $(BENCH_DIR)/min.ld
	@mkdir -p $(dir $@)
	$(Q)nasm -f elf64 -Wall -o $@.o $<
	$(Q)ld -s --build-id=none -z noexecstack -T $(BENCH_DIR)/min.ld -o $@ $@.o

# The same with the project's two-segment layout: initialised data, or .bss only.
$(BENCH_B)/min-data $(BENCH_B)/min-bss: $(BENCH_B)/min-%: $(BENCH_DIR)/min.asm linker/clonelab.ld
	@mkdir -p $(dir $@)
	$(Q)nasm -f elf64 -Wall -D$(if $(filter data,$*),DATA,BSS) -o $@.o $<
	$(Q)ld -s --build-id=none -z noexecstack -T linker/clonelab.ld -o $@ $@.o

# The exec-cost variants: text<n>k[-touched] pads the R+X segment, bss<n>k[-touched]
# the .bss (pad.asm says how).
pad_n = $(patsubst text%k,%,$(patsubst bss%k,%,$(firstword $(subst -, ,$(1)))))
# twin: clonelab --version's three system calls, and its sizes, read off the x86_64
# clonelab when the twin is built (twin_sizes: KiB of text and rodata, KiB of .bss).
twin_sizes = tests/segments.sh build/x86_64/clonelab | \
	{ read -r t _ b; echo "-DPADK=$$((t / 1024)) -DBSSK=$$((b / 1024))"; }
pad_flags = $(if $(filter twin,$(1)),-DTWIN $$($(twin_sizes)),\
	$(if $(filter text%,$(1)),-DPADK=$(call pad_n,$(1)) $(if $(filter %-touched,$(1)),-DTOUCH),\
	-DBSSK=$(call pad_n,$(1)) $(if $(filter %-touched,$(1)),-DBTOUCH)))
$(BENCH_B)/pad/twin: build/x86_64/clonelab
$(BENCH_B)/pad/%: $(BENCH_DIR)/pad.asm linker/clonelab.ld
	@mkdir -p $(dir $@)
	$(Q)nasm -f elf64 -Wall $(call pad_flags,$*) -o $@.o $<
	$(Q)ld -s --build-id=none -z noexecstack -T linker/clonelab.ld -o $@ $@.o
	$(Q)rm -f $@.o

$(BENCH_B)/bench-exec: $(BENCH_DIR)/exec.c $(BENCH_DIR)/hosted.h
	@mkdir -p $(dir $@)
	$(Q)gcc $(BENCH_HOSTCFLAGS) -o $@ $<

# Freestanding: the project's own flags, crt0.o and libclonelab.a, as the examples.
$(BENCH_B)/free/%.o: $(BENCH_DIR)/%.c $(BENCH_DIR)/free.h src/include/clonelab.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BENCH_B)/free/%: $(BENCH_B)/free/%.o $(CRT0) $(PUB_LIB_ALL) linker/clonelab.ld
	$(Q)$(CC) $(LDFLAGS) -s -o $@ $(CRT0) $< $(PUB_LIB_ALL)

# Hosted peers, stripped as the size table compares stripped files.
$(BENCH_B)/glibc-dyn/%: $(BENCH_DIR)/%.c $(BENCH_DIR)/hosted.h
	@mkdir -p $(dir $@)
	$(Q)gcc $(BENCH_HOSTCFLAGS) -s -o $@ $<

$(BENCH_B)/glibc-static/%: $(BENCH_DIR)/%.c $(BENCH_DIR)/hosted.h
	@mkdir -p $(dir $@)
	$(Q)gcc $(BENCH_HOSTCFLAGS) -static -s -o $@ $<

$(BENCH_B)/musl-static/%: $(BENCH_DIR)/%.c $(BENCH_DIR)/hosted.h
	@mkdir -p $(dir $@)
	$(Q)musl-gcc $(BENCH_HOSTCFLAGS) -static -s -o $@ $<

# `make check` builds the bench and checks a QUICK run's table for form only (no
# timing decides a pass or a fail). After `both`, so that the two never build the
# same objects at once under -j.
check: bench-check
bench-check: both
