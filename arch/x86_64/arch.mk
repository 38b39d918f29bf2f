# x86_64: NASM for the assembly, the host's gcc (or x86_64-linux-gnu-gcc elsewhere) for C.
# -fcf-protection=none: no endbr64 in every function (CET is not used here).
ASM_EXT := asm
ARCH_CFLAGS := -mstack-protector-guard=global -mgeneral-regs-only -fcf-protection=none
$(O)/obj/arch/%.o: arch/x86_64/%.asm $(GEN)/offsets.inc
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  NASM    $@")
	$(Q)nasm -f elf64 -Wall -I$(GEN)/ -o $@ $<
