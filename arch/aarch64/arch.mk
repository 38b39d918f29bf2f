# aarch64: GNU as through the cross gcc. -mno-outline-atomics: gcc 12 otherwise calls
# libgcc's atomics helpers, which a -nostdlib link lacks.
ASM_EXT := S
# -fomit-frame-pointer: GCC keeps a frame record (x29, x30) in every aarch64 function by
# default, and -Oz does not drop it as it does on x86_64 and riscv64; that was 4-8
# bytes a function, and the examples' 1 KiB. Debuggers unwind by the DWARF (-g).
ARCH_CFLAGS := -mstack-protector-guard=global -mno-outline-atomics -mcmodel=tiny -mgeneral-regs-only \
	-fomit-frame-pointer
# What a freestanding program needs on top of -ffreestanding (clonelab-freestanding.pc):
# GCC outlines atomics into libgcc helpers that need a libc's __getauxval; inline them.
USER_CFLAGS := -mno-outline-atomics
$(O)/obj/arch/%.o: arch/aarch64/%.S $(GEN)/offsets.h Makefile
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $@")
	$(Q)$(CC) -c -g -I$(GEN) -o $@ $<
