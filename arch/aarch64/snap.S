// Recording clone trampolines (aarch64, GNU as): clone and clone3 that photograph the
// whole integer register file on both sides of the syscall.
//
//   long cl_clone_snap(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
//                      int *parent_tid, void *tls, int *child_tid, struct cl_snap *snap)
//   long cl_clone3_snap(struct cl_clone_args *args, unsigned long size,
//                       int (*fn)(void *), void *arg, struct cl_snap *snap)
//
// The frame. Both sides store their registers relative to their own sp with plain
// stores, which change no register and no flag. The parent builds the frame at its sp
// and, given a new stack, an identical one at the child's new sp:
//   [sp+0] fn  [sp+8] arg  [sp+16] snap  [sp+24] child's counter  [sp+32..] registers
// Without a new stack (the fork shape) the child wakes on a copy of the parent's frame.
//
// Contract:
//   - snap may be 0. If not, it must be memory both sides can reach afterwards (the same
//     memory for CLONE_VM; a MAP_SHARED page otherwise). Filled in: t_clone (cntvct_el0
//     read in the parent just before the svc), t_child (read by the child after saving
//     only x0 and x1), parent[] and child[] in regs.h order.
//   - fn = 0 with stack_top = 0: the child returns 0 from this call, like fork.
//     Otherwise the child zeroes x29 and x30, calls fn(arg) and exits with its result.
//   - clone3 rewrites args->stack_size so that the kernel starts the child at its frame,
//     FRAME_SIZE bytes below the 16-aligned top. A NULL args, or a stack (non-zero)
//     whose stack + stack_size ends past the address space or leaves no room below the
//     frame (a stack_size of 0 among them, which the kernel refuses too), returns
//     -EINVAL before anything is stored: clone3 stores only inside the given stack.
//   - Both sides resume at cl_snap_child (clone) or cl_snap3_child (clone3): the child's
//     first instruction, and a name for `break *cl_snap_child`.
//   - The parent returns the child's tid or -errno; clobbers x0..x17.

#define SYS_exit	93
#define SYS_clone	220
#define SYS_clone3	435
#define EINVAL		22
// The frame (FRAME_*), struct cl_snap (SNAP_*) and struct cl_clone_args (CLA_*)
// offsets, and NREGS, come from the C definitions (src/lib/asm-offsets.c).
#include "offsets.h"
#if CLA_STACK_SIZE != CLA_STACK + 8
#error "ldp below loads clone_args.stack and stack_size as a pair"
#endif
#define F_FN		FRAME_FN
#define F_ARG		FRAME_ARG
#define F_SNAP		FRAME_SNAP
#define F_T		FRAME_T_CHILD
#define F_REGS		FRAME_REGS
#define FRAME		FRAME_SIZE
#define S_T0		SNAP_T_CLONE
#define S_T1		SNAP_T_CHILD
#define S_PARENT	SNAP_PARENT
#define S_CHILD		SNAP_CHILD
#define R(n)		(F_REGS + (n)*8)

// Record every register at sp, then branch to the shared tail. \back is this macro's
// own address: where the kernel resumed us.
.macro SNAPSHOT back
	stp	x0, x1, [sp, #R(0)]
	mrs	x1, cntvct_el0		// the child's first act: read the virtual counter
	str	x1, [sp, #F_T]
	stp	x2, x3, [sp, #R(2)]
	stp	x4, x5, [sp, #R(4)]
	stp	x6, x7, [sp, #R(6)]
	stp	x8, x9, [sp, #R(8)]
	stp	x10, x11, [sp, #R(10)]
	stp	x12, x13, [sp, #R(12)]
	stp	x14, x15, [sp, #R(14)]
	stp	x16, x17, [sp, #R(16)]
	stp	x18, x19, [sp, #R(18)]
	stp	x20, x21, [sp, #R(20)]
	stp	x22, x23, [sp, #R(22)]
	stp	x24, x25, [sp, #R(24)]
	stp	x26, x27, [sp, #R(26)]
	stp	x28, x29, [sp, #R(28)]
	str	x30, [sp, #R(30)]
	mov	x1, sp
	str	x1, [sp, #R(31)]
	adr	x1, \back
	str	x1, [sp, #R(32)]
	mrs	x1, nzcv		// no instruction so far has set the flags
	str	x1, [sp, #R(33)]
	mrs	x1, tpidr_el0
	str	x1, [sp, #R(34)]
	b	snap_tail
.endm

	.text
	.global	cl_clone_snap, cl_clone3_snap, cl_snap_child, cl_snap3_child
	.global	cl_counter, cl_counter_hz
	.p2align 2
	.type	cl_clone_snap, %function
cl_clone_snap:
	// in: x0 fn, x1 stack_top, x2 flags, x3 arg, x4 parent_tid, x5 tls, x6 child_tid, x7 snap
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp			// x29: the way back for the parent (and a fork-shaped child)
	sub	sp, sp, #FRAME
	stp	x0, x3, [sp, #F_FN]	// fn, arg
	str	x7, [sp, #F_SNAP]
	cbz	x1, 1f			// no new stack: the child inherits this frame
	and	x1, x1, #~15
	sub	x1, x1, #FRAME		// kernel a2: the child's sp, at its own frame
	stp	x0, x3, [x1, #F_FN]
	str	x7, [x1, #F_SNAP]
1:	mov	x0, x2			// kernel a1: flags
	mov	x2, x4			// kernel a3: parent_tid
	mov	x3, x5			// kernel a4: tls (CONFIG_CLONE_BACKWARDS)
	mov	x4, x6			// kernel a5: child_tid
	cbz	x7, 2f
	mrs	x9, cntvct_el0
	str	x9, [x7, #S_T0]
2:	mov	x8, #SYS_clone
	svc	#0
	.size	cl_clone_snap, . - cl_clone_snap
	// both sides resume here
	.type	cl_snap_child, %function
cl_snap_child:
	SNAPSHOT cl_snap_child
	.size	cl_snap_child, . - cl_snap_child

// cl_clone3_snap's refusal, before anything is stored: x0 = -EINVAL.
	.type	snap3_einval, %function
snap3_einval:
	mov	x0, #-EINVAL
	ret
	.size	snap3_einval, . - snap3_einval

	.type	cl_clone3_snap, %function
cl_clone3_snap:
	// in: x0 args, x1 size, x2 fn, x3 arg, x4 snap
	cbz	x0, snap3_einval	// no args
	ldp	x5, x6, [x0, #CLA_STACK] // x5 = args->stack, x6 = args->stack_size
	cbz	x5, 1f			// no stack: the fork shape, the child on a copy of our frame
	adds	x7, x5, x6		// x7 = top = stack + stack_size
	b.cs	snap3_einval		// carry: past the end of the address space
	and	x7, x7, #15
	add	x7, x7, #FRAME		// x7 = what we take off: the alignment, then the frame
	subs	x6, x6, x7		// x6 = the new stack_size: the child's sp - stack
	b.ls	snap3_einval		// <= 0: the frame would land below the stack (and the
					// kernel refuses a stack_size of 0)
1:	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	sub	sp, sp, #FRAME
	stp	x2, x3, [sp, #F_FN]
	str	x4, [sp, #F_SNAP]
	cbz	x5, 2f
	add	x7, x5, x6		// x7 = the child's sp, FRAME below the aligned top
	stp	x2, x3, [x7, #F_FN]
	str	x4, [x7, #F_SNAP]
	str	x6, [x0, #CLA_STACK_SIZE] // the kernel will start the child at its frame
2:	cbz	x4, 3f
	mrs	x9, cntvct_el0
	str	x9, [x4, #S_T0]
3:	mov	x8, #SYS_clone3
	svc	#0
	.size	cl_clone3_snap, . - cl_clone3_snap
	.type	cl_snap3_child, %function
cl_snap3_child:
	SNAPSHOT cl_snap3_child
	.size	cl_snap3_child, . - cl_snap3_child

// Both sides arrive here with their registers saved at [sp+R(n)].
	.type	snap_tail, %function
snap_tail:
	ldr	x9, [sp, #F_SNAP]	// x9 = snap (or 0)
	ldr	x0, [sp, #R(0)]
	cbz	x0, 5f
	cbz	x9, 4f			// parent: copy our registers to snap->parent
	add	x10, sp, #F_REGS
	add	x11, x9, #S_PARENT
	bl	copy_regs
	ldr	x0, [sp, #R(0)]
4:	mov	sp, x29
	ldp	x29, x30, [sp], #16
	ret
5:	cbz	x9, 6f			// child: counter and registers to snap->child
	ldr	x10, [sp, #F_T]
	str	x10, [x9, #S_T1]
	add	x10, sp, #F_REGS
	add	x11, x9, #S_CHILD
	bl	copy_regs
6:	ldr	x10, [sp, #F_FN]	// sp: the frame the parent placed 16-aligned
	mov	x0, xzr
	cbz	x10, 4b			// fork shape: return 0 through the copied epilogue
	ldr	x0, [sp, #F_ARG]
	mov	x29, xzr		// outermost frame of the new task
	mov	x30, xzr
	blr	x10
	mov	x8, #SYS_exit
	svc	#0
	brk	#0			// exit does not return
	.size	snap_tail, . - snap_tail

// uint64_t cl_counter(void): the counter the snapshots use (cntvct_el0).
	.type	cl_counter, %function
cl_counter:
	mrs	x0, cntvct_el0
	ret
	.size	cl_counter, . - cl_counter

// uint64_t cl_counter_hz(void): its frequency, which arm64 states in cntfrq_el0.
	.type	cl_counter_hz, %function
cl_counter_hz:
	mrs	x0, cntfrq_el0
	ret
	.size	cl_counter_hz, . - cl_counter_hz

// copy_regs: copy NREGS words from [x10] to [x11]. Clobbers x10..x13.
	.type	copy_regs, %function
copy_regs:
	mov	x12, #NREGS
1:	ldr	x13, [x10], #8
	str	x13, [x11], #8
	subs	x12, x12, #1
	b.ne	1b
	ret
	.size	copy_regs, . - copy_regs

	.section .note.GNU-stack, "", %progbits
