/* riscv64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against linux-libc-dev-riscv64-cross by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: riscv64 takes the generic values
 * (include/uapi/asm-generic/fcntl.h); arm64 is the odd one out. */
#define O_DIRECTORY 0200000

/* The kernel's struct sigaction for rt_sigaction (include/uapi/asm-generic/signal.h).
 * riscv64 has no SA_RESTORER and no sa_restorer field: the kernel returns from a
 * handler through its vDSO's sigreturn, and asm-generic asks new architectures not to
 * define one. So the mask directly follows the flags. */
struct cl_ksigaction {
	unsigned long handler;	/* SIG_DFL 0, SIG_IGN 1, or a function */
	unsigned long flags;
	uint64_t mask;		/* 64 signals: the size given to rt_sigaction is 8 */
	/* Not the kernel's: room for QEMU user mode (7.2), whose riscv64 struct has an
	 * sa_restorer and so writes 32 bytes for the old action, 8 past the kernel's 24.
	 * The kernel reads and writes only the fields above. */
	unsigned long qemu_slack;
};

/* TLS: variant I. The thread pointer (tp) points at the first byte of TLS data; a
 * libc keeps its TCB just below it. clonelab's freestanding code has no TLS data (the
 * stack protector's canary is a global), so a thread's block needs nothing written. */
#define CL_TLS_INIT(tcb) ((void)(tcb))

/* For tests: an assembly routine returning the stack pointer its caller had at the
 * call (riscv64's call leaves sp as it was: the return address goes to ra). */
#define CL_CALLER_SP_ASM "mv a0, sp\n\tret"

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (s0):
 * s0 points just above the frame (the caller's sp), with the saved s0 at s0-16 and
 * the saved ra at s0-8. */
#define CL_FRAME_RECORD (-2)
#endif
