/* The aarch64 register snapshot: the order in which arch/aarch64/snap.S stores registers.
 * pc is the instruction after `svc`; nzcv the condition flags; tpidr_el0 the thread
 * pointer that CLONE_SETTLS sets. */
#ifndef CL_REGS_H
#define CL_REGS_H
#define CL_NREGS 35
#define CL_REG_NAMES "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", \
	"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", \
	"x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", \
	"sp", "pc", "nzcv", "tpidr_el0"
#define CL_REG_RET 0
#define CL_REG_SP 31
#define CL_REG_PC 32
#define CL_REG_TP 34
/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 0, 1, 2, 3, 4, 5	/* x0..x5; x0 then holds the result */
/* The flags slot, and the bits that can be set in it (N, Z, C, V). */
#define CL_REG_FLAGS 33
#define CL_REG_FLAGS_MASK 0xf0000000UL
#endif
