/* aarch64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against linux-libc-dev-arm64-cross by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: arm64 has its own fcntl.h, where
 * 040000 is O_DIRECTORY and 0200000 (the generic O_DIRECTORY) is O_DIRECT, 0100000
 * O_NOFOLLOW (generic: 0400000). */
#define O_DIRECTORY 040000
#define O_NOFOLLOW 0100000

/* The kernel's struct sigaction for rt_sigaction (arm64 keeps SA_RESTORER,
 * arch/arm64/include/uapi/asm/signal.h): a restorer field before the mask. */
struct cl_ksigaction {
	unsigned long handler;	/* SIG_DFL 0, SIG_IGN 1, or a function */
	unsigned long flags;
	unsigned long restorer;
	uint64_t mask;		/* 64 signals: the size given to rt_sigaction is 8 */
};

/* TLS: variant I. The thread pointer (TPIDR_EL0) points at a 16-byte TCB, with TLS
 * data after it. clonelab's freestanding code has no TLS data (the stack protector's
 * canary is a global), so a thread's block needs nothing written. */
#define CL_TLS_INIT(tcb) ((void)(tcb))

/* For tests: an assembly routine returning the stack pointer its caller had at the
 * call (bl leaves sp as it was: the return address goes to x30). */
#define CL_CALLER_SP_ASM "mov x0, sp\n\tret"

/* For tests: a routine that calls the function whose address is in t_fill_target with
 * the arguments it was given (x0..x7), with every other general register it may set
 * loaded with CL_FILL(n) (n: the slot in regs.h, which is xn's number): x8..x15 and
 * x17..x28. x16 carries the call's target; x29 and x30 are the routine's frame record.
 * The callee-saved x19..x28, and x18 (the platform register), are saved and restored. */
#define CL_FILL(n) (0x600d0000UL + (n))
#define CL_FILL_ASM \
	".macro cl_fill r, n\n\tmovz \\r, #\\n\n\tmovk \\r, #0x600d, lsl #16\n\t.endm\n\t" \
	"stp x29, x30, [sp, #-96]!\n\tmov x29, sp\n\tstp x18, x19, [sp, #16]\n\t" \
	"stp x20, x21, [sp, #32]\n\tstp x22, x23, [sp, #48]\n\tstp x24, x25, [sp, #64]\n\t" \
	"stp x26, x27, [sp, #80]\n\tstr x28, [sp, #-16]!\n\t" \
	"cl_fill x8, 8\n\tcl_fill x9, 9\n\tcl_fill x10, 10\n\tcl_fill x11, 11\n\t" \
	"cl_fill x12, 12\n\tcl_fill x13, 13\n\tcl_fill x14, 14\n\tcl_fill x15, 15\n\t" \
	"cl_fill x17, 17\n\tcl_fill x18, 18\n\tcl_fill x19, 19\n\tcl_fill x20, 20\n\t" \
	"cl_fill x21, 21\n\tcl_fill x22, 22\n\tcl_fill x23, 23\n\tcl_fill x24, 24\n\t" \
	"cl_fill x25, 25\n\tcl_fill x26, 26\n\tcl_fill x27, 27\n\tcl_fill x28, 28\n\t" \
	"adrp x16, t_fill_target\n\tldr x16, [x16, :lo12:t_fill_target]\n\tblr x16\n\t" \
	"ldr x28, [sp], #16\n\tldp x18, x19, [sp, #16]\n\tldp x20, x21, [sp, #32]\n\t" \
	"ldp x22, x23, [sp, #48]\n\tldp x24, x25, [sp, #64]\n\tldp x26, x27, [sp, #80]\n\t" \
	"ldp x29, x30, [sp], #96\n\tret"
/* Put before CL_FILL_ASM, for a callee of five arguments: loads the argument registers
 * it leaves unused (x5..x7) too, then falls through. */
#define CL_FILL_ARGS5_ASM "movz x5, #5\n\tmovk x5, #0x600d, lsl #16\n\tmovz x6, #6\n\t" \
	"movk x6, #0x600d, lsl #16\n\tmovz x7, #7\n\tmovk x7, #0x600d, lsl #16\n\t"
/* The slots of the callee-saved registers a function keeps for its caller, but for the
 * frame pointer (which the recording trampolines set up before their snapshot). */
#define CL_REG_KEPT 19, 20, 21, 22, 23, 24, 25, 26, 27, 28

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (x29):
 * x29 points at the record itself, {saved x29, saved x30}. */
#define CL_FRAME_RECORD 0

/* seccomp (include/uapi/linux/audit.h): the arch field a filter sees for this ABI's
 * system calls, and for the other ABI a task here may use, with that ABI's number for
 * ioctl. A filter must check the arch first: the same number is another call there. */
#define CL_AUDIT_ARCH 0xc00000b7U	/* AUDIT_ARCH_AARCH64: EM_AARCH64 (183), 64-bit, little-endian */
#define CL_AUDIT_ARCH_COMPAT 0x40000028U	/* AUDIT_ARCH_ARM: AArch32 tasks on a CONFIG_COMPAT kernel */
#define CL_COMPAT_NR_IOCTL 54
/* The terminal requests the seccomp filter of `run` refuses (<asm/ioctls.h>: the generic
 * values here; powerpc, mips, sparc and alpha have their own). */
#define CL_TIOCSTI 0x5412
#define CL_TIOCLINUX 0x541c
#endif
