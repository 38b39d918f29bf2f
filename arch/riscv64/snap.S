// Recording clone trampolines (riscv64, GNU as): clone and clone3 that photograph the
// whole integer register file on both sides of the syscall.
//
//   long cl_clone_snap(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
//                      int *parent_tid, void *tls, int *child_tid, struct cl_snap *snap)
//   long cl_clone3_snap(struct cl_clone_args *args, unsigned long size,
//                       int (*fn)(void *), void *arg, struct cl_snap *snap)
//
// The frame. Both sides store their registers relative to their own sp with plain
// stores, which change no register. The parent builds the frame at its sp and, given
// a new stack, an identical one at the child's new sp:
//   [sp+0] fn  [sp+8] arg  [sp+16] snap  [sp+24] child's counter  [sp+32..] registers
// Without a new stack (the fork shape) the child wakes on a copy of the parent's frame.
//
// Contract:
//   - snap may be 0. If not, it must be memory both sides can reach afterwards (the same
//     memory for CLONE_VM; a MAP_SHARED page otherwise). Filled in: t_clone (the time
//     CSR read in the parent just before the ecall), t_child (read by the child after
//     saving only t0), parent[] and child[] in regs.h order.
//   - fn = 0 with stack_top = 0: the child returns 0 from this call, like fork.
//     Otherwise the child zeroes s0 and ra, calls fn(arg) and exits with its result.
//   - clone3 rewrites args->stack_size so that the kernel starts the child at its frame,
//     FRAME_SIZE bytes below the 16-aligned top. A NULL args, or a stack (non-zero)
//     whose stack + stack_size ends past the address space or leaves no room below the
//     frame (a stack_size of 0 among them, which the kernel refuses too), returns
//     -EINVAL before anything is stored: clone3 stores only inside the given stack.
//   - Both sides resume at cl_snap_child (clone) or cl_snap3_child (clone3): the child's
//     first instruction, and a name for `break *cl_snap_child`.
//   - Legacy clone's 4th kernel argument is tls, the 5th child_tid (CLONE_BACKWARDS).
//   - The parent returns the child's tid or -errno; clobbers a0..a7 and t0..t6.

// The frame (FRAME_*), struct cl_snap (SNAP_*) and struct cl_clone_args (CLA_*)
// offsets, and NREGS, come from the C definitions (src/lib/asm-offsets.c).
#include "offsets.h"
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
#define R(n)		(F_REGS + (n)*8)	// register n's slot, in regs.h order: x(n+1)

#define SYS_exit	93
#define SYS_clone	220
#define SYS_clone3	435
#define EINVAL		22

// Record every register at sp, then jump to the shared tail. \back is this macro's
// own address: where the kernel resumed us.
.macro SNAPSHOT back
	sd	t0, R(4)(sp)
	rdtime	t0			// the child's first act: read the time CSR
	sd	t0, F_T(sp)
	sd	ra, R(0)(sp)
	sd	sp, R(1)(sp)
	sd	gp, R(2)(sp)
	sd	tp, R(3)(sp)
	sd	t1, R(5)(sp)
	sd	t2, R(6)(sp)
	sd	s0, R(7)(sp)
	sd	s1, R(8)(sp)
	sd	a0, R(9)(sp)
	sd	a1, R(10)(sp)
	sd	a2, R(11)(sp)
	sd	a3, R(12)(sp)
	sd	a4, R(13)(sp)
	sd	a5, R(14)(sp)
	sd	a6, R(15)(sp)
	sd	a7, R(16)(sp)
	sd	s2, R(17)(sp)
	sd	s3, R(18)(sp)
	sd	s4, R(19)(sp)
	sd	s5, R(20)(sp)
	sd	s6, R(21)(sp)
	sd	s7, R(22)(sp)
	sd	s8, R(23)(sp)
	sd	s9, R(24)(sp)
	sd	s10, R(25)(sp)
	sd	s11, R(26)(sp)
	sd	t3, R(27)(sp)
	sd	t4, R(28)(sp)
	sd	t5, R(29)(sp)
	sd	t6, R(30)(sp)
	lla	t0, \back
	sd	t0, R(31)(sp)		// pc
	j	snap_tail
.endm

	.text
	.global	cl_clone_snap, cl_clone3_snap, cl_snap_child, cl_snap3_child
	.global	cl_counter, cl_counter_hz
	.p2align 1
	.type	cl_clone_snap, %function
cl_clone_snap:
	// in: a0 fn, a1 stack_top, a2 flags, a3 arg, a4 parent_tid, a5 tls, a6 child_tid, a7 snap
	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	mv	s0, sp			// s0: the way back for the parent (and a fork-shaped child)
	addi	sp, sp, -FRAME
	sd	a0, F_FN(sp)
	sd	a3, F_ARG(sp)
	sd	a7, F_SNAP(sp)
	beqz	a1, 1f			// no new stack: the child inherits this frame
	andi	a1, a1, -16
	addi	a1, a1, -FRAME		// kernel a2: the child's sp, at its own frame
	sd	a0, F_FN(a1)
	sd	a3, F_ARG(a1)
	sd	a7, F_SNAP(a1)
1:	mv	t3, a7			// t3 = snap
	mv	a0, a2			// kernel a1: flags
	mv	a2, a4			// kernel a3: parent_tid
	mv	a3, a5			// kernel a4: tls (CONFIG_CLONE_BACKWARDS)
	mv	a4, a6			// kernel a5: child_tid
	beqz	t3, 2f
	rdtime	t0
	sd	t0, S_T0(t3)
2:	li	a7, SYS_clone
	ecall
	.size	cl_clone_snap, . - cl_clone_snap
	// both sides resume here
	.type	cl_snap_child, %function
cl_snap_child:
	SNAPSHOT cl_snap_child
	.size	cl_snap_child, . - cl_snap_child

// cl_clone3_snap's refusal, before anything is stored: a0 = -EINVAL.
	.type	snap3_einval, %function
snap3_einval:
	li	a0, -EINVAL
	ret
	.size	snap3_einval, . - snap3_einval

	.type	cl_clone3_snap, %function
cl_clone3_snap:
	// in: a0 args, a1 size, a2 fn, a3 arg, a4 snap
	beqz	a0, snap3_einval	// no args
	ld	t0, CLA_STACK(a0)	// t0 = args->stack
	beqz	t0, 1f			// no stack: the fork shape, the child on a copy of our frame
	ld	t1, CLA_STACK_SIZE(a0)	// t1 = args->stack_size
	add	t2, t0, t1		// t2 = top = stack + stack_size
	bltu	t2, t0, snap3_einval	// wrapped: past the end of the address space
	andi	t2, t2, 15
	addi	t2, t2, FRAME		// t2 = what we take off: the alignment, then the frame
	bleu	t1, t2, snap3_einval	// nothing left: the frame would land below the stack
					// (and the kernel refuses a stack_size of 0)
	sub	t1, t1, t2		// t1 = the new stack_size: the child's sp - stack
1:	addi	sp, sp, -16
	sd	ra, 8(sp)
	sd	s0, 0(sp)
	mv	s0, sp
	addi	sp, sp, -FRAME
	sd	a2, F_FN(sp)
	sd	a3, F_ARG(sp)
	sd	a4, F_SNAP(sp)
	beqz	t0, 2f
	add	t2, t0, t1		// t2 = the child's sp, FRAME below the aligned top
	sd	a2, F_FN(t2)
	sd	a3, F_ARG(t2)
	sd	a4, F_SNAP(t2)
	sd	t1, CLA_STACK_SIZE(a0)	// the kernel will start the child at its frame
2:	beqz	a4, 3f
	rdtime	t0
	sd	t0, S_T0(a4)
3:	li	a7, SYS_clone3
	ecall
	.size	cl_clone3_snap, . - cl_clone3_snap
	.type	cl_snap3_child, %function
cl_snap3_child:
	SNAPSHOT cl_snap3_child
	.size	cl_snap3_child, . - cl_snap3_child

// Both sides arrive here with their registers saved at [sp+R(n)].
	.type	snap_tail, %function
snap_tail:
	ld	t1, F_SNAP(sp)		// t1 = snap (or 0)
	ld	a0, R(9)(sp)		// a0 = the syscall's result
	beqz	a0, 5f
	beqz	t1, 4f			// parent: copy our registers to snap->parent
	addi	t2, sp, F_REGS
	addi	t3, t1, S_PARENT
	jal	copy_regs
	ld	a0, R(9)(sp)
4:	mv	sp, s0
	ld	ra, 8(sp)
	ld	s0, 0(sp)
	addi	sp, sp, 16
	ret
5:	beqz	t1, 6f			// child: counter and registers to snap->child
	ld	t2, F_T(sp)
	sd	t2, S_T1(t1)
	addi	t2, sp, F_REGS
	addi	t3, t1, S_CHILD
	jal	copy_regs
6:	ld	t0, F_FN(sp)		// sp: the frame the parent placed 16-aligned
	li	a0, 0
	beqz	t0, 4b			// fork shape: return 0 through the copied epilogue
	ld	a0, F_ARG(sp)
	li	s0, 0			// outermost frame of the new task
	li	ra, 0
	jalr	t0
	li	a7, SYS_exit
	ecall
	ebreak				// exit does not return
	.size	snap_tail, . - snap_tail

// uint64_t cl_counter(void): the counter the snapshots use (the time CSR).
	.type	cl_counter, %function
cl_counter:
	rdtime	a0
	ret
	.size	cl_counter, . - cl_counter

// uint64_t cl_counter_hz(void): its frequency, or 0 when the architecture does not say.
// The time CSR ticks at the platform's timebase-frequency, which only the devicetree
// states: no user-mode register holds it, so the caller measures it.
	.type	cl_counter_hz, %function
cl_counter_hz:
	li	a0, 0
	ret
	.size	cl_counter_hz, . - cl_counter_hz

// copy_regs: copy NREGS words from [t2] to [t3]. Clobbers t2..t5.
	.type	copy_regs, %function
copy_regs:
	li	t4, NREGS
1:	ld	t5, 0(t2)
	sd	t5, 0(t3)
	addi	t2, t2, 8
	addi	t3, t3, 8
	addi	t4, t4, -1
	bnez	t4, 1b
	ret
	.size	copy_regs, . - copy_regs

	.section .note.GNU-stack, "", %progbits
