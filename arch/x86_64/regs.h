/* The x86_64 register snapshot: the order in which arch/x86_64/snap.asm stores registers.
 * rip is the instruction after `syscall`; rflags is read with pushfq; fs_base with
 * arch_prctl(ARCH_GET_FS) once the other registers are safe. */
#ifndef CL_REGS_H
#define CL_REGS_H
#define CL_NREGS 19
#define CL_REG_NAMES "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", \
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "fs_base"
#define CL_REG_RET 0	/* the syscall's return value */
#define CL_REG_SP 7
#define CL_REG_PC 16
#define CL_REG_TP 18	/* the thread pointer that CLONE_SETTLS sets */
/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 5, 4, 3, 10, 8, 9	/* rdi rsi rdx r10 r8 r9 */
/* The flags slot, and the bits that can be set in it (the rflags bits user mode can see). */
#define CL_REG_FLAGS 17
#define CL_REG_FLAGS_MASK 0x3f7fd7UL
#endif
