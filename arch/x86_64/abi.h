/* x86_64 ABI facts the portable C needs (arch/<arch>/abi.h; every architecture has one).
 * The values are checked against the host's UAPI headers by tests/check_uapi.py. */
#ifndef CL_ABI_H
#define CL_ABI_H

/* Open flags that differ between architectures: x86_64 takes the generic values
 * (include/uapi/asm-generic/fcntl.h). */
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000

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

/* For tests: a routine that calls the function whose address is in t_fill_target with
 * the arguments it was given (six in registers, two on the stack: the recording
 * trampolines' most), with every other general register it may set loaded with
 * CL_FILL(n), n being the register's slot in regs.h: rax, rbx, r10..r15. The
 * callee-saved ones (rbx, r12..r15) are saved around the call and restored. At entry
 * rsp = 8 (mod 16); five saves and the two stack arguments again make it 0 at the call. */
#define CL_FILL(n) (0x600d0000UL + (n))
#define CL_FILL_ASM \
	"push %rbx\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t" \
	"pushq 56(%rsp)\n\tpushq 56(%rsp)\n\t"	/* the 8th argument, then the 7th */ \
	"mov $0x600d0000, %eax\n\tmov $0x600d0001, %ebx\n\t" \
	"mov $0x600d000a, %r10d\n\tmov $0x600d000b, %r11d\n\t" \
	"mov $0x600d000c, %r12d\n\tmov $0x600d000d, %r13d\n\t" \
	"mov $0x600d000e, %r14d\n\tmov $0x600d000f, %r15d\n\t" \
	"call *t_fill_target(%rip)\n\tadd $16, %rsp\n\t" \
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbx\n\tret"
/* Put before CL_FILL_ASM, for a callee of five arguments: loads the sixth argument
 * register too (r9), then falls through. */
#define CL_FILL_ARGS5_ASM "mov $0x600d0009, %r9d\n\t"
/* The slots of the callee-saved registers a function keeps for its caller, but for the
 * frame pointer (which the recording trampolines set up before their snapshot). */
#define CL_REG_KEPT 1, 12, 13, 14, 15	/* rbx, r12..r15 */

/* Where a frame's record is, counted in words from the frame pointer GCC keeps (rbp):
 * rbp points at the saved rbp, with the return address just above it. */
#define CL_FRAME_RECORD 0

/* seccomp (include/uapi/linux/audit.h): the arch field a filter sees for this ABI's
 * system calls, and for the other ABI a task here may use, with that ABI's number for
 * ioctl. A filter must check the arch first: the same number is another call there. */
#define CL_AUDIT_ARCH 0xc000003eU	/* AUDIT_ARCH_X86_64: EM_X86_64 (62), 64-bit, little-endian */
#define CL_AUDIT_ARCH_COMPAT 0x40000003U	/* AUDIT_ARCH_I386: int $0x80 from a 64-bit process */
#define CL_COMPAT_NR_IOCTL 54

/* x32 calls come as AUDIT_ARCH_X86_64 with this bit set in the number; x32's ioctl
 * is its own entry (compat_sys_ioctl), 514. */
#define CL_X32_SYSCALL_BIT 0x40000000U
#define CL_X32_NR_IOCTL 514
/* The terminal requests the seccomp filter of `run` refuses (<asm/ioctls.h>: the generic
 * values here; powerpc, mips, sparc and alpha have their own). */
#define CL_TIOCSTI 0x5412
#define CL_TIOCLINUX 0x541c
#endif
