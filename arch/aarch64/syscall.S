// Raw system call stubs (aarch64, GNU as).
//
//   long cl_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
//
//   in  (C):      x0 nr, x1..x6 a1..a6
//   out (kernel): x8 nr, x0..x5 a1..a6, then `svc #0`
//   result:       x0 = the kernel's value, -4095..-1 meaning -errno
// The kernel preserves every register but x0. The stub clobbers x0..x5 and x8
// (all caller-saved). cl_syscall0..5 are the same code: the kernel ignores the rest.

	.section .text.cl_syscall, "ax"	/* named, as on the other architectures: linker/clonelab.ld puts it first */
	.global	cl_syscall0, cl_syscall1, cl_syscall2, cl_syscall3
	.global	cl_syscall4, cl_syscall5, cl_syscall6
	// One routine with seven names: each gets the type and size of the whole.
	.type	cl_syscall0, %function
	.type	cl_syscall1, %function
	.type	cl_syscall2, %function
	.type	cl_syscall3, %function
	.type	cl_syscall4, %function
	.type	cl_syscall5, %function
	.type	cl_syscall6, %function
	.p2align 2
cl_syscall0:
cl_syscall1:
cl_syscall2:
cl_syscall3:
cl_syscall4:
cl_syscall5:
cl_syscall6:
	mov	x8, x0			// x8 = syscall number
	mov	x0, x1			// x0..x5 = a1..a6
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	mov	x4, x5
	mov	x5, x6
	svc	#0
	ret
	.size	cl_syscall0, . - cl_syscall0
	.size	cl_syscall1, . - cl_syscall1
	.size	cl_syscall2, . - cl_syscall2
	.size	cl_syscall3, . - cl_syscall3
	.size	cl_syscall4, . - cl_syscall4
	.size	cl_syscall5, . - cl_syscall5
	.size	cl_syscall6, . - cl_syscall6

	.section .note.GNU-stack, "", %progbits
