# clonelab: clone(2) by hand. See README.md.
#   make [ARCH=<one of arch/ARCHES>] [CROSS_COMPILE=...] [O=dir] [V=1]
#   make run | check | size | install PREFIX=/usr/local DESTDIR= | clean
#   make all-arches (alias: both): every architecture in arch/ARCHES
#   make check-native | check-user [ARCH=] | check-system [ARCH=]
#   make shell-system [ARCH=] [KERNEL=6.12] [CMD='/clonelab thread']
# Adding an architecture: arch/<arch>/ and linker/<arch>.ld, its name in arch/ARCHES,
# and its row in tests/system/arches.tab (the test beds).

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
# rule that assembles arch/<arch>/*.$(ASM_EXT); sysnr.h, regs.h, abi.h; the assembly)
# and linker/<arch>.ld.
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

# ---- sources ----
RT_SRC := out json args errno str file qemu say auxv exit
LIB_SRC := fork thread userns regnames spawn facts
CMD_SRC := main env lab scenarios run probe probe_rules svg pic_data pic_share pic_time pic_lab tour_html
EXAMPLES := fork thread userns chimera
TEST_SRC := main runtime probes run scenarios probe pic

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

all: $(BIN) $(EXAMPLE_BIN) $(TEST_BIN) $(PUB_LIB) $(CRT0)

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
	$(CMD_SRC:%=$(O)/obj/cmd/%.o) $(O)/obj/cmd/main-env.o \
	$(EXAMPLES:%=$(O)/obj/examples/%.o) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(GEN)/asm-offsets.s: $(O)/.arch

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

$(O)/size/clonelab-env: $(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(SSP_LIB)
	$(call link,$(CRT0) $(O)/obj/cmd/main-env.o $(O)/obj/cmd/env.o $(SSP_LIB))

$(O)/examples/%: $(O)/obj/examples/%.o $(CRT0) $(PUB_LIB) linker/$(ARCH).ld
	$(call link,$(CRT0) $< $(PUB_LIB))

# The pictures' drawing code is tested on fixed data: it needs only the runtime.
TEST_CMD_OBJ := $(addprefix $(O)/obj/cmd/,svg.o pic_data.o pic_share.o pic_time.o)
$(TEST_BIN): $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(TEST_CMD_OBJ) $(SSP_LIB) linker/$(ARCH).ld
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -flto-partition=one $(LDFLAGS) -o $@ $(CRT0) $(TEST_SRC:%=$(O)/obj/tests/%.o) $(TEST_CMD_OBJ) $(SSP_LIB)

.PHONY: all all-arches both run check check-native check-user check-system size install clean deps bench shell-system readme

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

check: deps both
	$(Q)tests/check.sh

check-native: both
	$(Q)tests/check.sh native

check-user: both
	$(Q)tests/check.sh user-$(ARCH)

# Every kernel of ARCH: system-ARCH, system-ARCH-6.12, ... (tests/system/arches.tab).
check-system: both
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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/clonelab $(DESTDIR)$(PREFIX)/include/clonelab
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/clonelab
	install -m 644 $(PUB_LIB) $(CRT0) linker/$(ARCH).ld $(DESTDIR)$(PREFIX)/lib/clonelab/
	install -m 644 src/include/clonelab.h arch/$(ARCH)/sysnr.h $(DESTDIR)$(PREFIX)/include/clonelab/

# make bench [QUICK=1], bench-check (part of check), bench-readme: issue 7.
-include tests/bench/bench.mk

# The README's generated sections, from real runs: sizes, the test-bed matrix (from the
# last build/check.log), the pictures (doc/, tests/doc-pictures.sh) and, with
# `make bench-readme`, the benchmarks.
readme: size deps
	$(Q)tests/size.sh > build/size.txt
	$(Q)tests/readme-section.py size build/size.txt --code
	$(Q)tests/doc-pictures.sh
	$(Q)tests/readme-section.py pictures doc/pictures.md
	$(Q)python3 tests/bedtable.py --readme README.md

clean:
	rm -rf build
