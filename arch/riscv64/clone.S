// Lean clone trampolines (riscv64, GNU as): the ones the library's threads use.
//
//   long cl_clone(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
//                 int *parent_tid, void *tls, int *child_tid)
//   long cl_clone3(struct cl_clone_args *args, unsigned long size,
//                  int (*fn)(void *), void *arg)
//
// Contract (both):
//   - The stack top must be non-zero; the parent aligns it down to 16 bytes (the
//     psABI's stack alignment), since the kernel never does.
//     A NULL fn or stack_top (clone), or a NULL args, fn or args->stack (clone3) returns
//     -EINVAL, as the C libraries' clone does, before anything is stored. So does a
//     clone3 stack that would end past the address space or leave no room below fn and
//     arg (a stack_size of 0 among them, which the kernel refuses too): clone3 stores
//     only inside [stack, stack + stack_size).
//   - fn and arg are stored in the 16 bytes just below the aligned top, where the
//     child's sp then points: at or above sp, out of reach of signal frames. clone3
//     rewrites args->stack_size so that the kernel starts the child there (16 bytes
//     below the aligned top: 16 to 31 bytes less than given).
//   - Legacy clone on riscv is CONFIG_CLONE_BACKWARDS (arch/riscv/Kconfig): tls is the
//     4th kernel argument (a3) and child_tid the 5th (a4), as on arm64.
//   - In the parent: returns the child's tid or -errno. Clobbers a0..a7, t0..t2.
//   - In the child (first instruction: cl_clone_child): ra and s0 still point into
//     the parent's frames, so both are zeroed; then fn(arg), then exit (not
//     exit_group) with its result.

#include "offsets.h"	// CLA_*: struct cl_clone_args offsets, from the C header

#define SYS_exit	93
#define SYS_clone	220
#define SYS_clone3	435
#define EINVAL		22

// The end both trampolines share: the syscall \nr, then the child on to cl_clone_child
// and the parent back with a0 = the child's tid or -errno; label 2 is the refusal.
.macro CLONE_ECALL nr
	li	a7, \nr
	ecall
	beqz	a0, cl_clone_child	// a0 = 0: we are the child, sp = the new stack
	ret				// parent: a0 = child tid or -errno
2:	li	a0, -EINVAL		// refused, before anything was stored
	ret
.endm

// One section per routine, so that --gc-sections keeps only those a program calls.
	.section .text.cl_clone, "ax"
	.global	cl_clone, cl_clone3, cl_clone_child
	.p2align 1
	.type	cl_clone, %function
cl_clone:
	// in: a0 fn, a1 stack_top, a2 flags, a3 arg, a4 parent_tid, a5 tls, a6 child_tid
	beqz	a0, 2f			// no fn: nothing for the child to run
	andi	a1, a1, -16		// a1 = aligned top
	beqz	a1, 2f			// no stack: we would write fn below address 0
	addi	a1, a1, -16		// a1 = the child's sp
	sd	a0, 0(a1)		// [sp] = fn
	sd	a3, 8(a1)		// [sp+8] = arg
	mv	a0, a2			// kernel a1: flags
	mv	a2, a4			// kernel a3: parent_tid
	mv	a3, a5			// kernel a4: tls (CONFIG_CLONE_BACKWARDS)
	mv	a4, a6			// kernel a5: child_tid
	CLONE_ECALL SYS_clone
	.size	cl_clone, . - cl_clone

	.section .text.cl_clone3, "ax"
	.p2align 1
	.type	cl_clone3, %function
cl_clone3:
	// in: a0 args, a1 size, a2 fn, a3 arg
	beqz	a0, 2f			// no args
	beqz	a2, 2f			// no fn
	ld	t0, CLA_STACK(a0)	// t0 = args->stack
	beqz	t0, 2f			// no stack
	ld	t1, CLA_STACK_SIZE(a0)	// t1 = args->stack_size
	add	t2, t0, t1		// t2 = top = stack + stack_size
	bltu	t2, t0, 2f		// wrapped: past the end of the address space
	andi	t2, t2, 15
	addi	t2, t2, 16		// t2 = what we take off: the alignment, then fn and arg
	bleu	t1, t2, 2f		// nothing left: fn and arg would land below the stack
					// (and the kernel refuses a stack_size of 0)
	sub	t1, t1, t2		// t1 = the new stack_size: the child's sp - stack
	add	t2, t0, t1		// t2 = the child's sp, 16 bytes below the aligned top
	sd	a2, 0(t2)		// fn
	sd	a3, 8(t2)		// arg
	sd	t1, CLA_STACK_SIZE(a0)	// args->stack_size: the kernel starts the child at t2
	CLONE_ECALL SYS_clone3
	.size	cl_clone3, . - cl_clone3

	.section .text.cl_clone_child, "ax"
	.p2align 1
	.type	cl_clone_child, %function
cl_clone_child:
	// sp = new stack, [sp] = fn, [sp+8] = arg; ra and s0 are the parent's
	li	ra, 0			// outermost frame: no return address,
	li	s0, 0			// no frame pointer
	ld	t0, 0(sp)		// t0 = fn
	ld	a0, 8(sp)		// a0 = arg
	addi	sp, sp, 16		// sp back at the top the parent aligned
	jalr	t0			// fn(arg)
	li	a7, SYS_exit		// a0 = fn's result = exit status
	ecall
	ebreak				// exit does not return
	.size	cl_clone_child, . - cl_clone_child

	.section .note.GNU-stack, "", %progbits
