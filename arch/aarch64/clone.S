// Lean clone trampolines (aarch64, GNU as): the ones the library's threads use.
//
//   long cl_clone(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
//                 int *parent_tid, void *tls, int *child_tid)
//   long cl_clone3(struct cl_clone_args *args, unsigned long size,
//                  int (*fn)(void *), void *arg)
//
// Contract (both):
//   - The stack top must be non-zero; the parent aligns it down to 16 bytes, since the
//     kernel never does and any sp-based access with a misaligned sp faults.
//     A NULL fn or stack_top (clone), or a NULL args, fn or args->stack (clone3) returns
//     -EINVAL, as the C libraries' clone does, before anything is stored. So does a
//     clone3 stack that would end past the address space or leave no room below fn and
//     arg (a stack_size of 0 among them, which the kernel refuses too): clone3 stores
//     only inside [stack, stack + stack_size).
//   - fn and arg are stored in the 16 bytes just below the top, where the child's sp
//     then points: at or above sp, out of reach of signal frames. clone3 rewrites
//     args->stack_size so that the kernel starts the child there (16 bytes below the
//     aligned top: 16 to 31 bytes less than given).
//   - Legacy clone on arm64 is CONFIG_CLONE_BACKWARDS: tls is the 4th kernel argument
//     and child_tid the 5th (x86_64 has them the other way round).
//   - In the parent: returns the child's tid or -errno. Clobbers x0..x8, x16.
//   - In the child (first instruction: cl_clone_child): x29 and x30 still point into the parent's frames, so both are
//     zeroed; then fn(arg), then exit (not exit_group) with its result.

#include "offsets.h"	// CLA_*: struct cl_clone_args offsets, from the C header
#if CLA_STACK_SIZE != CLA_STACK + 8
#error "ldp below loads clone_args.stack and stack_size as a pair"
#endif

#define SYS_exit	93
#define SYS_clone	220
#define SYS_clone3	435
#define EINVAL		22

// The end both trampolines share: the syscall \nr, then the child on to cl_clone_child
// and the parent back with x0 = the child's tid or -errno; label 2 is the refusal.
.macro CLONE_SVC nr
	mov	x8, #\nr
	svc	#0
	cbz	x0, cl_clone_child	// x0 = 0: we are the child, sp = the new stack
	ret				// parent: x0 = child tid or -errno
2:	mov	x0, #-EINVAL		// refused, before anything was stored
	ret
.endm

// One section per routine, so that --gc-sections keeps only those a program calls.
	.section .text.cl_clone, "ax"
	.global	cl_clone, cl_clone3, cl_clone_child
	.p2align 2
	.type	cl_clone, %function
cl_clone:
	// in: x0 fn, x1 stack_top, x2 flags, x3 arg, x4 parent_tid, x5 tls, x6 child_tid
	cbz	x0, 2f			// no fn: nothing for the child to run
	cbz	x1, 2f			// no stack: we would write fn below address 0
	and	x1, x1, #~15		// x1 = aligned top
	stp	x0, x3, [x1, #-16]!	// [top-16] = fn, [top-8] = arg; x1 = the child's sp
	mov	x0, x2			// kernel a1: flags
	mov	x2, x4			// kernel a3: parent_tid
	mov	x3, x5			// kernel a4: tls
	mov	x4, x6			// kernel a5: child_tid
	CLONE_SVC SYS_clone
	.size	cl_clone, . - cl_clone

	.section .text.cl_clone3, "ax"
	.p2align 2
	.type	cl_clone3, %function
cl_clone3:
	// in: x0 args, x1 size, x2 fn, x3 arg
	cbz	x0, 2f			// no args
	cbz	x2, 2f			// no fn
	ldp	x4, x5, [x0, #CLA_STACK] // x4 = args->stack, x5 = args->stack_size
	cbz	x4, 2f			// no stack
	adds	x16, x4, x5		// x16 = top = stack + stack_size
	b.cs	2f			// carry: past the end of the address space
	and	x6, x16, #15
	add	x6, x6, #16		// x6 = what we take off: the alignment, then fn and arg
	subs	x5, x5, x6		// x5 = the new stack_size: the child's sp - stack
	b.ls	2f			// <= 0: fn and arg would land below the stack (and the
					// kernel refuses a stack_size of 0)
	add	x16, x4, x5		// x16 = the child's sp, 16 bytes below the aligned top
	stp	x2, x3, [x16]		// [sp] = fn, [sp+8] = arg
	str	x5, [x0, #CLA_STACK_SIZE] // args->stack_size: the kernel starts the child at x16
	CLONE_SVC SYS_clone3
	.size	cl_clone3, . - cl_clone3

	.section .text.cl_clone_child, "ax"
	.p2align 2
	.type	cl_clone_child, %function
cl_clone_child:
	// sp = new stack, [sp] = fn, [sp+8] = arg; x29 and x30 are the parent's
	mov	x29, xzr
	mov	x30, xzr
	ldp	x1, x0, [sp], #16	// x1 = fn, x0 = arg; sp back at the top the parent aligned
	blr	x1
	mov	x8, #SYS_exit		// x0 = fn's result = exit status
	svc	#0
	brk	#0			// exit does not return
	.size	cl_clone_child, . - cl_clone_child

	.section .note.GNU-stack, "", %progbits
