# aarch64: GNU as through the cross gcc. -mno-outline-atomics: gcc 12 otherwise calls
# libgcc's atomics helpers, which a -nostdlib link lacks.
ASM_EXT := S
ARCH_CFLAGS := -mstack-protector-guard=global -mno-outline-atomics -mcmodel=tiny -mgeneral-regs-only
$(O)/obj/arch/%.o: arch/aarch64/%.S $(GEN)/offsets.h
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $@")
	$(Q)$(CC) -c -I$(GEN) -o $@ $<
