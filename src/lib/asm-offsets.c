/* asm-offsets.c: the struct offsets the assembly uses, from the C definitions.
 *
 * Never linked. The Makefile compiles it to assembly (-S) and turns each "->NAME value"
 * line into $(O)/gen/offsets.h (#define, for GNU as) and offsets.inc (%define, for
 * NASM), which arch/<arch>/clone.* and snap.* include. So when a struct changes, the
 * assembly follows at the next build instead of silently using stale numbers. */
#include "rt.h"

/* The recording trampolines' frame (arch/<arch>/snap.*): both sides of the clone
 * keep one at their stack pointer. Its size is rounded up to 16, the stack alignment
 * all three ABIs want. */
struct cl_snap_frame {
	uint64_t fn, arg;	/* what the child runs */
	uint64_t snap;		/* struct cl_snap *, or 0 */
	uint64_t t_child;	/* the child's counter, read as its first act */
	uint64_t regs[CL_NREGS];	/* regs.h order */
};
#define SNAP_FRAME ((sizeof(struct cl_snap_frame) + 15) & ~(size_t)15)
_Static_assert(SNAP_FRAME <= CL_SNAP_FRAME, "clonelab.h's CL_SNAP_FRAME is too small");
_Static_assert(CL_NREGS <= CL_SNAP_MAXREGS, "clonelab.h's CL_SNAP_MAXREGS is too small");

#define DEFINE(name, value) __asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"(value))
#define OFFSET(name, type, member) DEFINE(name, offsetof(type, member))

void cl_asm_offsets(void);
void cl_asm_offsets(void)
{
	OFFSET(CLA_STACK, struct cl_clone_args, stack);
	OFFSET(CLA_STACK_SIZE, struct cl_clone_args, stack_size);
	OFFSET(SNAP_T_CLONE, struct cl_snap, t_clone);
	OFFSET(SNAP_T_CHILD, struct cl_snap, t_child);
	OFFSET(SNAP_PARENT, struct cl_snap, parent);
	OFFSET(SNAP_CHILD, struct cl_snap, child);
	OFFSET(FRAME_FN, struct cl_snap_frame, fn);
	OFFSET(FRAME_ARG, struct cl_snap_frame, arg);
	OFFSET(FRAME_SNAP, struct cl_snap_frame, snap);
	OFFSET(FRAME_T_CHILD, struct cl_snap_frame, t_child);
	OFFSET(FRAME_REGS, struct cl_snap_frame, regs);
	DEFINE(FRAME_SIZE, SNAP_FRAME);
	DEFINE(NREGS, CL_NREGS);
}
