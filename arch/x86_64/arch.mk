# x86_64: NASM for the assembly, the host's gcc (or x86_64-linux-gnu-gcc elsewhere) for C.
# -fcf-protection=none: no endbr64 in every function (CET is not used here).
ASM_EXT := asm
ARCH_CFLAGS := -mstack-protector-guard=global -mgeneral-regs-only -fcf-protection=none
USER_CFLAGS :=	# what a freestanding program needs on top of -ffreestanding (clonelab-freestanding.pc)
$(O)/obj/arch/%.o: arch/x86_64/%.asm $(GEN)/offsets.inc Makefile
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  NASM    $@")
	$(Q)nasm -f elf64 -Wall -g -F dwarf -I$(GEN)/ -o $@ $<
# crt0-nossp.o's start-up: no thread pointer (start.asm says why there is one).
AS_NOTP = nasm -f elf64 -Wall -g -F dwarf -I$(GEN)/ -DCL_NO_THREAD_POINTER
