// Raw system call stubs (riscv64, GNU as).
//
//   long cl_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
//
//   in  (C):      a0 nr, a1..a6 a1..a6
//   out (kernel): a7 nr, a0..a5 a1..a6, then `ecall`
//   result:       a0 = the kernel's value, -4095..-1 meaning -errno
// The kernel preserves every register but a0. The stub clobbers a0..a5 and a7
// (all caller-saved). cl_syscall0..5 are the same code: the kernel ignores the rest.

	.section .text.cl_syscall, "ax"
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
	.p2align 1
cl_syscall0:
cl_syscall1:
cl_syscall2:
cl_syscall3:
cl_syscall4:
cl_syscall5:
cl_syscall6:
	mv	a7, a0			// a7 = syscall number
	mv	a0, a1			// a0..a5 = a1..a6
	mv	a1, a2
	mv	a2, a3
	mv	a3, a4
	mv	a4, a5
	mv	a5, a6
	ecall
	ret
	.size	cl_syscall0, . - cl_syscall0
	.size	cl_syscall1, . - cl_syscall1
	.size	cl_syscall2, . - cl_syscall2
	.size	cl_syscall3, . - cl_syscall3
	.size	cl_syscall4, . - cl_syscall4
	.size	cl_syscall5, . - cl_syscall5
	.size	cl_syscall6, . - cl_syscall6

	.section .note.GNU-stack, "", %progbits
