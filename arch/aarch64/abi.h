/* aarch64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against linux-libc-dev-arm64-cross by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: arm64 has its own fcntl.h, where
 * 040000 is O_DIRECTORY and 0200000 (the generic O_DIRECTORY) is O_DIRECT. */
#define O_DIRECTORY 040000

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

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (x29):
 * x29 points at the record itself, {saved x29, saved x30}. */
#define CL_FRAME_RECORD 0
#endif
