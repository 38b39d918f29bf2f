// _start: the first user instruction of every clonelab binary (aarch64, GNU as).
//
// The kernel enters here with:
//   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL, auxv pairs, AT_NULL
//   sp is 16-byte aligned (AAPCS64 requires it at all times); x0 = 0.
// Contract: calls cl_start_c(sp) with sp 16-aligned and x29 = x30 = 0, so that a
// backtrace stops here. cl_start_c never returns.

	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	mov	x29, xzr		// x29 = 0: the outermost frame pointer
	mov	x30, xzr		// x30 = 0: no return address above us
	mov	x0, sp			// x0 = the kernel's initial stack (argc at [x0])
	bl	cl_start_c
	brk	#0			// unreachable: cl_start_c exits
	.size	_start, . - _start

	.section .note.GNU-stack, "", %progbits
