/* x86_64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against the host's UAPI headers by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: x86_64 takes the generic values
 * (include/uapi/asm-generic/fcntl.h). */
#define O_DIRECTORY 0200000

/* The kernel's struct sigaction for rt_sigaction (arch/x86/include/uapi/asm/signal.h):
 * x86_64 has SA_RESTORER, and a restorer field before the mask. A libc points it at
 * its rt_sigreturn stub; clonelab installs no handlers, only SIG_DFL and SIG_IGN. */
struct cl_ksigaction {
	unsigned long handler;	/* SIG_DFL 0, SIG_IGN 1, or a function */
	unsigned long flags;
	unsigned long restorer;
	uint64_t mask;		/* 64 signals: the size given to rt_sigaction is 8 */
};

/* TLS: variant II. The thread pointer (the FS base) points at the TCB, whose first
 * word must point at itself: code reads %fs:0 to learn the thread pointer. */
#define CL_TLS_INIT(tcb) ((tcb)[0] = (tcb))

/* For tests: an assembly routine returning the stack pointer its caller had just
 * before the call (the call pushed the return address: 8 bytes more). */
#define CL_CALLER_SP_ASM "lea 8(%rsp), %rax\n\tret"

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (rbp):
 * rbp points at the saved rbp, with the return address just above it. */
#define CL_FRAME_RECORD 0
#endif
