# riscv64: GNU as through the cross gcc (riscv64-linux-gnu-gcc, rv64gc, lp64d).
# -mcmodel=medany: code and data may sit anywhere within 2 GiB of each other, which a
# hosted PIE program linking libclonelab.a needs. No __global_pointer$ is defined in
# linker/clonelab.ld, so the linker never relaxes an access to gp-relative: _start
# need not set gp (a hosted program's crt does it for its own code).
ASM_EXT := S
ARCH_CFLAGS := -mstack-protector-guard=global -mcmodel=medany
# What a freestanding program needs on top of -ffreestanding (clonelab-freestanding.pc):
# nothing, as riscv64 gcc inlines its atomics.
USER_CFLAGS :=
$(O)/obj/arch/%.o: arch/riscv64/%.S $(GEN)/offsets.h Makefile
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $@")
	$(Q)$(CC) -c -g -I$(GEN) -o $@ $<
