/* riscv64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against linux-libc-dev-riscv64-cross by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: riscv64 takes the generic values
 * (include/uapi/asm-generic/fcntl.h); arm64 is the odd one out. */
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000

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

/* For tests: a routine that calls the function whose address is in t_fill_target with
 * the arguments it was given (a0..a7), with every other general register it may set
 * loaded with CL_FILL(n) (n: the slot in regs.h): t0..t5, s1..s11. t6 carries the
 * call's target; ra and s0 are the routine's own, gp and tp the program's. The
 * callee-saved s1..s11 are saved and restored. */
#define CL_FILL(n) (0x600d0000UL + (n))
#define CL_FILL_ASM \
	"addi sp, sp, -112\n\tsd ra, 104(sp)\n\tsd s0, 96(sp)\n\tsd s1, 0(sp)\n\t" \
	"sd s2, 8(sp)\n\tsd s3, 16(sp)\n\tsd s4, 24(sp)\n\tsd s5, 32(sp)\n\t" \
	"sd s6, 40(sp)\n\tsd s7, 48(sp)\n\tsd s8, 56(sp)\n\tsd s9, 64(sp)\n\t" \
	"sd s10, 72(sp)\n\tsd s11, 80(sp)\n\t" \
	"li t0, 0x600d0004\n\tli t1, 0x600d0005\n\tli t2, 0x600d0006\n\t" \
	"li s1, 0x600d0008\n\tli s2, 0x600d0011\n\tli s3, 0x600d0012\n\t" \
	"li s4, 0x600d0013\n\tli s5, 0x600d0014\n\tli s6, 0x600d0015\n\t" \
	"li s7, 0x600d0016\n\tli s8, 0x600d0017\n\tli s9, 0x600d0018\n\t" \
	"li s10, 0x600d0019\n\tli s11, 0x600d001a\n\tli t3, 0x600d001b\n\t" \
	"li t4, 0x600d001c\n\tli t5, 0x600d001d\n\t" \
	"1: auipc t6, %pcrel_hi(t_fill_target)\n\tld t6, %pcrel_lo(1b)(t6)\n\tjalr t6\n\t" \
	"ld ra, 104(sp)\n\tld s0, 96(sp)\n\tld s1, 0(sp)\n\tld s2, 8(sp)\n\t" \
	"ld s3, 16(sp)\n\tld s4, 24(sp)\n\tld s5, 32(sp)\n\tld s6, 40(sp)\n\t" \
	"ld s7, 48(sp)\n\tld s8, 56(sp)\n\tld s9, 64(sp)\n\tld s10, 72(sp)\n\t" \
	"ld s11, 80(sp)\n\taddi sp, sp, 112\n\tret"
/* Put before CL_FILL_ASM, for a callee of five arguments: loads the argument registers
 * it leaves unused (a5..a7) too, then falls through. */
#define CL_FILL_ARGS5_ASM "li a5, 0x600d000e\n\tli a6, 0x600d000f\n\tli a7, 0x600d0010\n\t"
/* The slots of the callee-saved registers a function keeps for its caller, but for the
 * frame pointer (which the recording trampolines set up before their snapshot). */
#define CL_REG_KEPT 8, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26	/* s1, s2..s11 */

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (s0):
 * s0 points just above the frame (the caller's sp), with the saved s0 at s0-16 and
 * the saved ra at s0-8. */
#define CL_FRAME_RECORD (-2)

/* seccomp (include/uapi/linux/audit.h): the arch field a filter sees for this ABI's
 * system calls, and for the other ABI a task here may use, with that ABI's number for
 * ioctl. A filter must check the arch first: the same number is another call there. */
#define CL_AUDIT_ARCH 0xc00000f3U	/* AUDIT_ARCH_RISCV64: EM_RISCV (243), 64-bit, little-endian */
#define CL_AUDIT_ARCH_COMPAT 0x400000f3U	/* AUDIT_ARCH_RISCV32: rv32 tasks on a CONFIG_COMPAT kernel (5.19+) */
#define CL_COMPAT_NR_IOCTL 29
/* The terminal requests the seccomp filter of `run` refuses (<asm/ioctls.h>: the generic
 * values here; powerpc, mips, sparc and alpha have their own). */
#define CL_TIOCSTI 0x5412
#define CL_TIOCLINUX 0x541c
#endif
