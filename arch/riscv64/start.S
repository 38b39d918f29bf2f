// _start: the first user instruction of every clonelab binary (riscv64, GNU as).
//
// The kernel enters here with:
//   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
//   sp is 16-byte aligned (the psABI's stack alignment); a0 = 0, execve's own result.
//   Every other register still holds what the program that called execve had: riscv
//   defines no ELF_PLAT_INIT (arch/riscv/include/asm/elf.h) and start_thread sets only
//   pc and sp. So gp and tp are the exec'ing program's (the tour shows them), not 0.
// Contract: calls cl_start_c(sp) with sp 16-aligned and ra = s0 = 0, so that a
// backtrace stops here. cl_start_c never returns. gp is left alone: linker/clonelab.ld
// defines no __global_pointer$, so no code is linked to rely on it.

	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	li	s0, 0			// s0 (fp) = 0: the outermost frame pointer
	li	ra, 0			// ra = 0: no return address above us
	mv	a0, sp			// a0 = the kernel's initial stack (argc at [a0])
	andi	sp, sp, -16		// already aligned by the kernel; make it certain
	call	cl_start_c
	ebreak				// unreachable: cl_start_c exits
	.size	_start, . - _start

	.section .note.GNU-stack, "", %progbits
