# aarch64: GNU as through the cross gcc. -mno-outline-atomics: gcc 12 otherwise calls
# libgcc's atomics helpers, which a -nostdlib link lacks.
ASM_EXT := S
ARCH_CFLAGS := -mstack-protector-guard=global -mno-outline-atomics -mcmodel=tiny -mgeneral-regs-only
# What a freestanding program needs on top of -ffreestanding (clonelab-freestanding.pc):
# GCC outlines atomics into libgcc helpers that need a libc's __getauxval; inline them.
USER_CFLAGS := -mno-outline-atomics
$(O)/obj/arch/%.o: arch/aarch64/%.S $(GEN)/offsets.h Makefile
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $@")
	$(Q)$(CC) -c -g -I$(GEN) -o $@ $<
