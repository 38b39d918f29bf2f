# clonelab: clone(2) by hand. See README.md.
#   make [ARCH=x86_64|aarch64] [CROSS_COMPILE=...] [O=dir] [V=1]
#   make run | check | size | install PREFIX=/usr/local DESTDIR= | clean
# Adding an architecture: arch/<arch>/ plus its lines in the "architectures" block.

HOSTARCH := $(shell uname -m)
ARCH ?= $(HOSTARCH)
O ?= build/$(ARCH)
PREFIX ?= /usr/local
DESTDIR ?=
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- architectures ----
ifeq ($(ARCH),x86_64)
ASM_SRC := start syscall clone snap
ASM_EXT := asm
ARCH_CFLAGS := -mstack-protector-guard=global -mgeneral-regs-only
$(O)/obj/arch/%.o: arch/x86_64/%.asm
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  NASM    $@")
	$(Q)nasm -f elf64 -Wall -o $@ $<
else ifeq ($(ARCH),aarch64)
ASM_SRC := start syscall clone snap
ASM_EXT := S
ARCH_CFLAGS := -mstack-protector-guard=global -mno-outline-atomics -mcmodel=tiny -mgeneral-regs-only
ifneq ($(HOSTARCH),aarch64)
CROSS_COMPILE ?= aarch64-linux-gnu-
endif
$(O)/obj/arch/%.o: arch/aarch64/%.S
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $@")
	$(Q)$(CC) -c -o $@ $<
else
$(error ARCH=$(ARCH) is not supported: add arch/$(ARCH)/ and its lines here)
endif

CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)gcc-ar
OBJCOPY := $(CROSS_COMPILE)objcopy

# Freestanding, and sure of it: -nostdinc keeps every libc header out; only the
# compiler's own (stddef.h, stdint.h, stdarg.h) remain.
CFLAGS_BASE := -std=gnu11 -Oz -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-fno-pie -fno-pic -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ffunction-sections -fdata-sections -fno-tree-loop-distribute-patterns \
	-fno-stack-clash-protection -fcf-protection=none -Wall -Wextra -Werror=implicit-function-declaration \
	-Iarch/$(ARCH) -Isrc/include -Isrc/rt $(ARCH_CFLAGS)
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
	-Wl,-z,noexecstack -T linker/$(ARCH).ld
ifeq ($(CC:%gcc=gcc),gcc)
CFLAGS_BASE := $(CFLAGS_BASE:-fcf-protection=none=$(if $(filter aarch64,$(ARCH)),,-fcf-protection=none))
endif

# ---- sources ----
RT_SRC := out json args errno str file qemu say
LIB_SRC := auxv fork thread userns regnames spawn
CMD_SRC := main facts env lab scenarios run probe probe_rules
EXAMPLES := fork thread userns chimera
TEST_SRC := main runtime probes run scenarios probe trampoline

ARCH_OBJ := $(ASM_SRC:%=$(O)/obj/arch/%.o)
CRT0_OBJ := $(O)/obj/arch/start.o $(O)/crt0obj/start.o $(O)/crt0obj/mem.o
LIBCORE := $(RT_SRC:%=rt/%) $(LIB_SRC:%=lib/%)
SSP_LIB := $(O)/obj/libcore.a
PUB_LIB := $(O)/lib/libclonelab.a
CRT0 := $(O)/lib/crt0.o
BIN := $(O)/clonelab
EXAMPLE_BIN := $(EXAMPLES:%=$(O)/examples/%)
TEST_BIN := $(O)/tests/clonelab-test

# Link $@ from $(1): an unstripped copy in debug/ for objdump and gdb, and the shipped
# file without symbols or section headers.
define link
	@mkdir -p $(dir $@) $(O)/debug
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $(O)/debug/$(notdir $@) $(1)
	$(Q)$(OBJCOPY) --strip-all $(O)/debug/$(notdir $@) $@
	$(Q)linker/sstrip.sh $@
endef

# Keep the objects behind pattern rules: they are not throwaway intermediates.
.SECONDARY:
.DELETE_ON_ERROR:

all: $(BIN) $(EXAMPLE_BIN) $(TEST_BIN) $(PUB_LIB) $(CRT0)

$(O)/obj/%.o: src/%.c Makefile $(wildcard src/rt/*.h src/include/*.h src/cmd/*.h arch/$(ARCH)/*.h)
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

$(O)/obj/tests/%.o: tests/unit/%.c Makefile $(wildcard tests/unit/*.h src/cmd/*.h src/rt/*.h src/include/*.h arch/$(ARCH)/*.h)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Internal archive: the protected build of the library, for clonelab and its tests.
$(SSP_LIB): $(LIBCORE:%=$(O)/obj/%.o) $(filter-out $(O)/obj/arch/start.o,$(ARCH_OBJ))
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(PUB_LIB): $(LIBCORE:%=$(O)/libobj/%.o) $(filter-out $(O)/obj/arch/start.o,$(ARCH_OBJ))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# crt0.o: _start, start-up to main, the canary, mem*: what a freestanding program adds.
$(CRT0): $(CRT0_OBJ)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -nostdlib -r -o $@ $^

$(BIN): $(CRT0) $(CMD_SRC:%=$(O)/obj/cmd/%.o) $(SSP_LIB) linker/$(ARCH).ld
	$(call link,$(CRT0) $(CMD_SRC:%=$(O)/obj/cmd/%.o) $(SSP_LIB))

# clonelab with env alone: how big the runtime and one command are (make size).
$(O)/obj/cmd/main-env.o: src/cmd/main.c Makefile $(wildcard src/rt/*.h src/include/*.h src/cmd/*.h arch/$(ARCH)/*.h)
	$(Q)$(CC) $(CFLAGS) -DCL_ENV_ONLY -c -o $@ $<

$(O)/size/clonelab-env: $(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(O)/obj/cmd/facts.o $(SSP_LIB)
	$(call link,$(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(O)/obj/cmd/facts.o $(SSP_LIB))

$(O)/examples/%: $(O)/obj/examples/%.o $(CRT0) $(PUB_LIB) linker/$(ARCH).ld
	$(call link,$(CRT0) $< $(PUB_LIB))

$(TEST_BIN): $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(O)/obj/cmd/facts.o $(SSP_LIB) linker/$(ARCH).ld
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(O)/obj/cmd/facts.o $(SSP_LIB)

.PHONY: all both run check check-native check-user check-system size install clean deps bench shell-system readme \
	mutate fuzz

both:
	$(Q)$(MAKE) --no-print-directory ARCH=x86_64 O=build/x86_64 all
	$(Q)$(MAKE) --no-print-directory ARCH=aarch64 O=build/aarch64 all

deps:
	$(Q)tests/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BIN) tour

check: deps both
	$(Q)tests/check.sh

check-native: both
	$(Q)tests/check.sh native

check-user: both
	$(Q)tests/check.sh user-$(ARCH)

check-system: both
	$(Q)tests/check.sh system-$(ARCH)

shell-system: both
	$(Q)tests/check.sh --shell $(ARCH)

size: both
	$(Q)$(MAKE) --no-print-directory ARCH=x86_64 O=build/x86_64 build/x86_64/size/clonelab-env
	$(Q)$(MAKE) --no-print-directory ARCH=aarch64 O=build/aarch64 build/aarch64/size/clonelab-env
	$(Q)tests/size.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/clonelab $(DESTDIR)$(PREFIX)/include/clonelab
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/clonelab
	install -m 644 $(PUB_LIB) $(CRT0) linker/$(ARCH).ld $(DESTDIR)$(PREFIX)/lib/clonelab/
	install -m 644 src/include/clonelab.h arch/$(ARCH)/sysnr.h $(DESTDIR)$(PREFIX)/include/clonelab/

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
	for a in $(filter-out $(HOSTARCH),$(notdir $(wildcard arch/*))); do \
		if [ -x build/$$a/clonelab ]; then python3 tests/fuzz/fuzz.py --qemu qemu-$$a \
			--seconds $$(( $(FUZZ_SECONDS) / 3 )) --bin build/$$a/clonelab || rc=1; \
		else echo "fuzz: build/$$a/clonelab not built: not fuzzed"; fi; done; exit $$rc

# make bench [QUICK=1], bench-check (part of check), bench-readme: issue 7.
-include tests/bench/bench.mk

# The README's generated sections, from real runs: sizes, the test-bed matrix (from the
# last build/check.log) and, with `make bench-readme`, the benchmarks.
readme: size
	$(Q)tests/size.sh > build/size.txt
	$(Q)tests/readme-section.py size build/size.txt --code
	$(Q)python3 tests/bedtable.py --readme README.md

clean:
	rm -rf build
