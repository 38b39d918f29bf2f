# clonelab: clone(2) by hand. See README.md.
#   make [ARCH=<one of arch/ARCHES>] [CROSS_COMPILE=...] [O=dir] [V=1]
#   make run | check | matrix | size | install PREFIX=/usr/local DESTDIR= | clean
#   make all-arches (alias: both): every architecture in arch/ARCHES
#   make check-native | check-user [ARCH=] | check-system [ARCH=]
#   make shell-system [ARCH=] [KERNEL=6.12] [CMD='/clonelab thread']
#   make gdb SCENARIO=thread [ARCH=...]: the scenario under gdb, stopped at the child's first instruction
#   make walk SCENARIO=thread [ARCH=...] [KERNEL=...] [JSON=1] | walk-all: the child's way back to user
#       space, instruction by instruction, on a Debian kernel under qemu-system (tools/walk)
# Adding an architecture: one more folder, arch/<arch>/, and its name in arch/ARCHES
# (linker/clonelab.ld serves all; the folder's bed.tab and tools.txt tell the tests).

HOSTARCH := $(shell uname -m)
ARCH ?= $(HOSTARCH)
O ?= build/$(ARCH)
GEN := $(O)/gen
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
DESTDIR ?=
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- architectures ----
# One list, shared with the test scripts: arch/ARCHES, one name a line. An
# architecture is that name plus arch/<arch>/ (arch.mk: ASM_EXT, ARCH_CFLAGS and the
# rule that assembles arch/<arch>/*.$(ASM_EXT); sysnr.h, regs.h, abi.h; the assembly).
# One linker script serves them all: linker/clonelab.ld (ld knows each page size).
ARCHES := $(shell cat arch/ARCHES)
ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH=$(ARCH) is not supported: add arch/$(ARCH)/ and its name to arch/ARCHES)
endif
ASM_SRC := start syscall clone snap
ifneq ($(HOSTARCH),$(ARCH))
CROSS_COMPILE ?= $(ARCH)-linux-gnu-
endif
include arch/$(ARCH)/arch.mk

CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)gcc-ar
OBJCOPY := $(CROSS_COMPILE)objcopy

# Freestanding, and sure of it: -nostdinc keeps every libc header out; only the
# compiler's own (stddef.h, stdint.h, stdarg.h) remain.
CFLAGS_BASE := -std=gnu11 -Oz -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-fno-pie -fno-pic -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -fno-tree-loop-distribute-patterns \
	-fno-stack-clash-protection -Wall -Wextra -Werror=implicit-function-declaration \
	-Iarch/$(ARCH) -Isrc/include -Isrc/rt -Isrc $(ARCH_CFLAGS) -g
# clonelab's own objects carry the stack protector (canary seeded from AT_RANDOM), and
# are link-time optimised: whole-program -Oz takes a tenth off the binary. crt0.o is
# not: it is shipped to other programs, and its memset and canary are referenced only
# by code generation, which LTO cannot see.
CFLAGS_CRT0 := $(CFLAGS_BASE) -fstack-protector-strong
CFLAGS := $(CFLAGS_CRT0) -flto
# libclonelab.a does not: a hosted program's libc keeps its canary elsewhere (in TLS).
# And it is position-independent, for the PIE programs hosted toolchains make.
CFLAGS_LIB := $(filter-out -fno-pie -fno-pic,$(CFLAGS_BASE)) -fPIE -fno-stack-protector
LDFLAGS := -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
	-Wl,-z,noexecstack -T linker/clonelab.ld

# ---- sources ----
RT_SRC := out json args errno str file qemu say auxv exit kernel
LIB_SRC := fork thread userns regnames spawn exec facts
# The layers of src/, lowest first (doc/layout.md; tests/layers.sh holds them): each
# folder is one job and uses only what is below it.
LAB_SRC := lab/lab lab/report lab/flags lab/seen
PIC_SRC := pic/svg pic/file pic/data pic/share pic/time pic/userns pic/lab pic/tour
KERNEL_SRC := kernel/btf kernel/offsets kernel/tracefs kernel/ksyms kernel/bpf kernel/bpf_view kernel/kview kernel/trace kernel/report
CMD_SRC := cmd/main cmd/opts cmd/env cmd/scenarios cmd/run/run cmd/run/report cmd/run/child \
	cmd/run/init cmd/run/exec cmd/probe/probe cmd/probe/observe cmd/probe/report cmd/probe/rules
APP_H := $(wildcard src/*/*.h src/*/*/*.h arch/$(ARCH)/*.h)
APP_OBJ := $(patsubst %,$(O)/obj/%.o,$(LAB_SRC) $(PIC_SRC) $(KERNEL_SRC) $(CMD_SRC))
EXAMPLES := fork thread userns chimera
TEST_SRC := main runtime startup_facts run exec scenarios library probe_cmd pic outsider kview bpf trampoline

ARCH_OBJ := $(ASM_SRC:%=$(O)/obj/arch/%.o)
CRT0_C_OBJ := $(O)/crt0obj/start.o $(O)/crt0obj/mem.o
CRT0_OBJ := $(O)/obj/arch/start.o $(CRT0_C_OBJ)
LIBCORE := $(RT_SRC:%=rt/%) $(LIB_SRC:%=lib/%)
SSP_LIB := $(O)/obj/libcore.a
PUB_LIB := $(O)/lib/libclonelab.a
# The same objects with every global kept: for the benchmarks, which use the runtime's
# internals (tests/bench/free.h), not for other programs.
PUB_LIB_ALL := $(O)/obj/libclonelab-all.a
CRT0 := $(O)/lib/crt0.o
CRT0_NOSSP := $(O)/lib/crt0-nossp.o
BIN := $(O)/clonelab
EXAMPLE_BIN := $(EXAMPLES:%=$(O)/examples/%)
TEST_BIN := $(O)/tests/clonelab-test

# Link $@ from $(1): an unstripped copy in debug/ for objdump and gdb, and the shipped
# file without symbols or section headers.
define link
	@mkdir -p $(dir $@) $(O)/debug
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -flto-partition=one $(LDFLAGS) -o $(O)/debug/$(notdir $@) $(1)
	$(Q)$(OBJCOPY) --strip-all $(O)/debug/$(notdir $@) $@
	$(Q)linker/sstrip.sh $@
endef

# The offsets the assembly uses, generated from the C structs (src/lib/asm-offsets.c):
# offsets.h for GNU as, offsets.inc for NASM. arch/<arch>/arch.mk makes the assembly
# depend on the one it includes.
$(GEN)/asm-offsets.s: src/lib/asm-offsets.c Makefile src/include/clonelab.h src/rt/rt.h $(wildcard arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  GEN     $@")
	$(Q)$(CC) $(CFLAGS_BASE) -S -o $@ $<
$(GEN)/offsets.h: $(GEN)/asm-offsets.s
	$(Q)sed -n 's/.*"->\([A-Z_0-9]*\) \([0-9]*\)".*/#define \1 \2/p' $< > $@
$(GEN)/offsets.inc: $(GEN)/asm-offsets.s
	$(Q)sed -n 's/.*"->\([A-Z_0-9]*\) \([0-9]*\)".*/%define \1 \2/p' $< > $@

# Keep the objects behind pattern rules: they are not throwaway intermediates.
.SECONDARY:
.DELETE_ON_ERROR:

all: $(BIN) $(EXAMPLE_BIN) $(TEST_BIN) $(PUB_LIB) $(CRT0) $(CRT0_NOSSP)

# O=dir holds one architecture's build, named in $(O)/.arch: `make O=dir ARCH=other`
# rewrites that file, and every object, being newer than it no more, is rebuilt.
# (FORCE runs the check each time; the file changes only when ARCH does.)
$(O)/.arch: FORCE
	@mkdir -p $(O)
	@old=$$(cat $@ 2>/dev/null); if [ "$$old" != "$(ARCH)" ]; then \
		[ -z "$$old" ] || echo "  O=$(O) held the $$old build: rebuilding it for $(ARCH)"; \
		echo $(ARCH) > $@; fi
.PHONY: FORCE
FORCE:
$(ARCH_OBJ) $(CRT0_OBJ) $(LIBCORE:%=$(O)/obj/%.o) $(LIBCORE:%=$(O)/libobj/%.o) \
	$(APP_OBJ) $(O)/obj/cmd/main-env.o \
	$(EXAMPLES:%=$(O)/obj/examples/%.o) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(GEN)/asm-offsets.s: $(O)/.arch

$(O)/obj/%.o: src/%.c Makefile $(APP_H)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(O)/crt0obj/%.o: src/rt/%.c Makefile $(wildcard src/rt/*.h src/include/*.h arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_CRT0) -c -o $@ $<

$(O)/libobj/%.o: src/%.c Makefile $(wildcard src/rt/*.h src/include/*.h arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_LIB) -c -o $@ $<

# Examples: no stack protector. They hold no arrays to overflow, and at 1 KiB a
# program the canary's failure path would be a tenth of it.
$(O)/obj/examples/%.o: src/examples/%.c Makefile $(wildcard src/include/*.h arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_BASE) -fno-stack-protector -c -o $@ $<

$(O)/obj/tests/%.o: tests/unit/%.c Makefile $(wildcard tests/unit/*.h tests/unit/*.def) $(APP_H)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Internal archive: the protected build of the library, for clonelab and its tests.
$(SSP_LIB): $(LIBCORE:%=$(O)/obj/%.o) $(filter-out $(O)/obj/arch/start.o,$(ARCH_OBJ))
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# The public archive exports only what clonelab.h declares: its objects are joined into
# one (ld -r keeps each function in its own section, so --gc-sections still drops what
# a program does not call; an assembly file's plain .text is renamed first, or it would
# merge with another's) and every other global becomes local. Without DWARF: the
# debug copies of the examples have theirs from the objects.
$(O)/lib/public.syms: src/include/clonelab.h
	@mkdir -p $(dir $@)
	$(Q)grep -oE '\bcl_[a-z0-9_]+' $< | sort -u > $@

$(PUB_LIB): $(LIBCORE:%=$(O)/libobj/%.o) $(filter-out $(O)/obj/arch/start.o,$(ARCH_OBJ)) $(O)/lib/public.syms
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)mkdir -p $(O)/lib/arch && for o in $(filter $(O)/obj/arch/%,$^); do \
		$(OBJCOPY) --rename-section .text=.text.$$(basename $$o .o) $$o $(O)/lib/arch/$$(basename $$o); done
	$(Q)$(CC) -nostdlib -r -o $(O)/lib/clonelab.o $(filter $(O)/libobj/%,$^) \
		$(patsubst $(O)/obj/arch/%,$(O)/lib/arch/%,$(filter $(O)/obj/arch/%,$^))
	$(Q)$(OBJCOPY) --strip-debug --keep-global-symbols=$(O)/lib/public.syms $(O)/lib/clonelab.o
	$(Q)rm -f $@ && $(AR) rcs $@ $(O)/lib/clonelab.o && rm -f $(O)/lib/clonelab.o

$(PUB_LIB_ALL): $(LIBCORE:%=$(O)/libobj/%.o) $(filter-out $(O)/obj/arch/start.o,$(ARCH_OBJ))
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# crt0.o: _start, start-up to main, the canary, mem*: what a freestanding program adds.
# crt0-nossp.o: the same without the canary and (x86_64) the thread pointer set-up, for
# programs built with -fno-stack-protector (the examples). cl_start_c is start-up's own.
CRT0_LOCAL := --strip-debug --localize-symbol=cl_start_c --localize-symbol=cl_tcb
$(CRT0): $(CRT0_OBJ)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -nostdlib -r -o $@ $^
	$(Q)$(OBJCOPY) $(CRT0_LOCAL) $@

$(O)/obj/arch/start-nossp.o: $(O)/obj/arch/start.o arch/$(ARCH)/start.$(ASM_EXT)
	$(Q)$(if $(AS_NOTP),$(AS_NOTP) -o $@ arch/$(ARCH)/start.$(ASM_EXT),cp $< $@)

# Its start-up without the canary: a program with no stack protector never reads it.
$(O)/crt0obj/start-nossp.o: src/rt/start.c Makefile $(wildcard src/rt/*.h src/include/*.h arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_BASE) -fno-stack-protector -DCL_NO_CANARY -c -o $@ $<

$(CRT0_NOSSP): $(O)/obj/arch/start-nossp.o $(O)/crt0obj/start-nossp.o $(O)/crt0obj/mem.o
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -nostdlib -r -o $@ $^
	$(Q)$(OBJCOPY) $(CRT0_LOCAL) $@

$(BIN): $(CRT0) $(APP_OBJ) $(SSP_LIB) linker/clonelab.ld
	$(call link,$(CRT0) $(APP_OBJ) $(SSP_LIB))

# clonelab with env alone: how big the runtime and one command are (make size).
$(O)/obj/cmd/main-env.o: src/cmd/main.c Makefile $(APP_H)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -DCL_ENV_ONLY -c -o $@ $<

$(O)/size/clonelab-env: $(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(SSP_LIB)
	$(call link,$(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(SSP_LIB))

$(O)/examples/%: $(O)/obj/examples/%.o $(CRT0_NOSSP) $(PUB_LIB) linker/clonelab.ld
	$(call link,$(CRT0_NOSSP) $< $(PUB_LIB))

# The pictures' drawing code is tested on fixed data: it needs only the runtime.
TEST_CMD_OBJ := $(addprefix $(O)/obj/,pic/svg.o pic/data.o pic/share.o pic/time.o pic/userns.o kernel/btf.o kernel/offsets.o kernel/bpf.o)
$(TEST_BIN): $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(TEST_CMD_OBJ) $(SSP_LIB) linker/clonelab.ld
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -flto-partition=one $(LDFLAGS) -o $@ $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(TEST_CMD_OBJ) $(SSP_LIB)

.PHONY: matrix all all-arches both run check check-native check-user check-system size install clean deps bench shell-system readme gdb \
	readme-kernel readme-walk mutate fuzz

# for_arches TARGET: make TARGET for every architecture, each in build/<arch>.
for_arches = $(foreach a,$(ARCHES),$(MAKE) --no-print-directory ARCH=$(a) O=build/$(a) $(1) &&) true

all-arches:
	+$(Q)$(call for_arches,all)

both: all-arches

deps:
	$(Q)tests/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BIN) tour

check: deps both outsider-both
	$(Q)tests/check.sh

check-native: both
	$(Q)tests/check.sh native

check-user: both
	$(Q)tests/check.sh user-$(ARCH)

# The whole matrix: every architecture x kernel (arch/<arch>/bed.tab) x QEMU
# (tests/system/qemus.tab) x scenario, and the table in doc/testing.md rewritten from it
# (written even when a cell fails, and then make fails). make check runs a subset.
matrix: deps both outsider-both
	$(Q)CHECK_LOG=build/matrix.log tests/check.sh --matrix; rc=$$?; \
		python3 tests/bedtable.py build/matrix.log --readme doc/testing.md && exit $$rc

# Every kernel of ARCH: system-ARCH, system-ARCH-6.12, ... (arch/<arch>/bed.tab).
check-system: both outsider-both
	$(Q)tests/check.sh 'system-$(ARCH)*'

# A busybox shell in ARCH's guest (KERNEL=6.12: that kernel's bed). With CMD (raw, no
# make expansion) or piped input: run it there, print its output, exit with its
# status. The build's chatter goes to stderr, to keep stdout the guest's.
SHELL_CMD := $(value CMD)
export SHELL_CMD
shell-system:
	$(Q)$(MAKE) --no-print-directory -s ARCH=$(ARCH) O=build/$(ARCH) all >&2
	$(Q)tests/check.sh --shell $(ARCH)$(if $(KERNEL),-$(KERNEL)) $${SHELL_CMD:+--cmd "$$SHELL_CMD"}

size: both
	+$(Q)$(foreach a,$(ARCHES),$(MAKE) --no-print-directory ARCH=$(a) O=build/$(a) build/$(a)/size/clonelab-env &&) true
	$(Q)tests/size.sh

# make install: one PREFIX holds every architecture side by side. Per architecture,
# lib/clonelab/<arch>/ (the library, crt0.o, crt0-nossp.o, clonelab.ld, the clonelab
# binary, pkgconfig/) and include/clonelab/<arch>/sysnr.h; shared, include/clonelab/
# clonelab.h and the man pages; for the host's architecture also bin/clonelab and
# lib/pkgconfig/clonelab*.pc, so that plain `pkg-config clonelab` finds it.
VERSION := $(shell sed -n 's/.*CLONELAB_VERSION "\(.*\)"/\1/p' src/rt/rt.h)
LIBDIR := $(PREFIX)/lib/clonelab/$(ARCH)
INCDIR := $(PREFIX)/include/clonelab
MANDIR := $(PREFIX)/share/man
PC := $(O)/pkgconfig/clonelab.pc $(O)/pkgconfig/clonelab-freestanding.pc

# Always rewritten: they hold PREFIX.
.PHONY: FORCE
$(O)/pkgconfig/clonelab.pc: FORCE
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCDIR)' 'libdir=$(LIBDIR)' '' \
		'Name: clonelab' 'Description: clone(2) by hand, for hosted (glibc, musl) programs on $(ARCH)' \
		'Version: $(VERSION)' 'Cflags: -I$${includedir} -I$${includedir}/$(ARCH)' \
		'Libs: $${libdir}/libclonelab.a' > $@

$(O)/pkgconfig/clonelab-freestanding.pc: FORCE
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCDIR)' 'libdir=$(LIBDIR)' '' \
		'Name: clonelab-freestanding' 'Description: clone(2) by hand, for programs without a libc on $(ARCH)' \
		'Version: $(VERSION)' \
		'Cflags: -ffreestanding -fno-pie -I$${includedir} -I$${includedir}/$(ARCH)$(if $(strip $(USER_CFLAGS)), $(strip $(USER_CFLAGS)))' \
		'Libs: -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none -T $${libdir}/clonelab.ld $${libdir}/crt0.o $${libdir}/libclonelab.a -lgcc' > $@

install: all $(PC)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/$(ARCH) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 755 $(BIN) $(DESTDIR)$(LIBDIR)/clonelab
	install -m 644 $(PUB_LIB) $(CRT0) $(CRT0_NOSSP) $(DESTDIR)$(LIBDIR)/
	install -m 644 linker/clonelab.ld $(DESTDIR)$(LIBDIR)/clonelab.ld
	install -m 644 $(PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 src/include/clonelab.h $(DESTDIR)$(INCDIR)/
	install -m 644 arch/$(ARCH)/sysnr.h $(DESTDIR)$(INCDIR)/$(ARCH)/
	install -m 644 doc/clonelab.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 doc/clonelab.3 $(DESTDIR)$(MANDIR)/man3/
ifeq ($(ARCH),$(HOSTARCH))
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/clonelab
	install -m 644 $(PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
endif

# make gdb SCENARIO=thread [ARCH=...] [BATCH=1]: the scenario's debug copy under gdb (or
# qemu-<arch> -g and gdb-multiarch), stopped at the child's first instruction with the
# registers the kernel handed it (tools/gdb/run.sh says how, and its limits).
SCENARIO ?= thread
BATCH ?= 0
gdb: all
	$(Q)PROG=$(O)/debug/clonelab tools/gdb/run.sh $(ARCH) $(SCENARIO) $(BATCH)

# make walk SCENARIO=thread [ARCH=...] [KERNEL=label] [JSON=1]: the new task's way back to
# user space, instruction by instruction, on the bed's Debian kernel in qemu-system, with
# gdb-multiarch on QEMU's gdb stub (tools/walk/walk.py). make walk-all: every kernel of
# every architecture (arch/*/bed.tab's kernels column).
.PHONY: walk walk-all
walk:
	$(Q)$(MAKE) --no-print-directory -s ARCH=$(ARCH) O=build/$(ARCH) all >&2
	$(Q)tools/walk/walk.py $(ARCH) --scenario $(SCENARIO) $(if $(KERNEL),--kernel $(KERNEL)) $(if $(JSON),--json)

walk-all: all-arches
	$(Q)tools/walk/walk.py --all --scenario $(SCENARIO) $(if $(JSON),--json)

# make outsider [ARCH=...]: tests/outsider's programs, built from a `make install` into
# $(O)/outsider-prefix only, into $(O)/outsider/ (tests/unit/outsider.c runs them, natively
# and as /outsider/* in the system beds' guests).
.PHONY: outsider outsider-both
outsider: all
	$(Q)$(MAKE) --no-print-directory install PREFIX=$(abspath $(O))/outsider-prefix DESTDIR= >/dev/null
	$(Q)tests/outsider/build.sh $(ARCH) $(abspath $(O))/outsider-prefix $(O)/outsider

outsider-both: all-arches
	+$(Q)$(call for_arches,outsider)

# make mutate [MUTATE_ARGS=...]: mutants of arch/*/{clone,snap,syscall}.*, each built in a
# scratch copy and run on the beds that see it (tests/mutate/mutate.py; not in check).
mutate:
	$(Q)python3 tests/mutate/mutate.py $(MUTATE_ARGS)

# make fuzz [FUZZ_SECONDS=300]: the grammar fuzzer on the real binaries, native and under
# QEMU user mode (tests/fuzz/fuzz.py; `make check` runs a short one as the bed "fuzz").
FUZZ_SECONDS ?= 300
fuzz: both
	$(Q)rc=0; python3 tests/fuzz/fuzz.py --seconds $$(( $(FUZZ_SECONDS) * 2 / 3 )) \
		--bin build/$(HOSTARCH)/clonelab || rc=1; \
	for a in $(filter-out $(HOSTARCH),$(ARCHES)); do \
		if [ -x build/$$a/clonelab ]; then python3 tests/fuzz/fuzz.py --qemu qemu-$$a \
			--seconds $$(( $(FUZZ_SECONDS) / 3 )) --bin build/$$a/clonelab || rc=1; \
		else echo "fuzz: build/$$a/clonelab not built: not fuzzed"; fi; done; exit $$rc

# make bench [QUICK=1], bench-check (part of check), bench-readme: issue 7.
-include tests/bench/bench.mk

# The generated sections of README.md and doc/*.md, from real runs: sizes, the bed matrix (from the
# last build/check.log), the pictures (doc/, tests/doc-pictures.sh) and, with
# `make bench-readme`, the benchmarks.
readme: size deps
	$(Q)tests/size.sh > build/size.txt
	$(Q)tests/readme-section.py size build/size.txt --code
	$(Q)tests/doc-pictures.sh
	$(Q)tests/readme-section.py pictures doc/pictures.md
	$(Q)python3 tests/bedtable.py --readme doc/testing.md

# doc/kernel.md's --kernel examples, from both architectures' Debian kernels (about a minute).
readme-kernel: both
	$(Q)tests/system/kview-readme.sh aarch64 x86_64

# doc/kernel.md's walks, from real runs: each architecture's first kernel (a few minutes).
readme-walk: both
	$(Q)for a in $(ARCHES); do tools/walk/walk.py $$a >build/walk-$$a.txt || exit 1; \
		tests/readme-section.py walk-$$a build/walk-$$a.txt --code || exit 1; done

clean:
	rm -rf build
