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
#define CL_REG_FLAGS 17
#define CL_REG_TP 18	/* the thread pointer that CLONE_SETTLS sets */

/* For --kernel (src/kernel/kview.c). A kprobe fetcharg names a function's first two
 * arguments by the registers of the C calling convention. */
#define CL_KPROBE_ARG0 "%di"
#define CL_KPROBE_ARG1 "%si"
/* The child's registers as the kernel built them: where each is (a member of pt_regs or
 * of task_struct, found in BTF), the snapshot register it must equal, and the bits that
 * are compared. The thread pointer is not in pt_regs here but in thread_struct. */
#define CL_KV_REGS { "pt_regs", "ax", CL_REG_RET, ~0UL }, { "pt_regs", "sp", CL_REG_SP, ~0UL }, \
	{ "pt_regs", "ip", CL_REG_PC, ~0UL }, { "pt_regs", "flags", CL_REG_FLAGS, ~0UL }, \
	{ "task_struct", "thread.fsbase", CL_REG_TP, ~0UL }
/* copy_thread() leaves the child's kernel sp in thread.sp, pointing at a fork_frame:
 * an inactive_task_frame, then pt_regs. So task_pt_regs(child) = thread.sp + that. */
#define CL_KV_KSP "thread.sp"
#define CL_KV_KSP_SKIP "inactive_task_frame"
/* The trace clock that reads the TSC, the counter the trampolines read: one clock. */
#define CL_KV_TRACE_CLOCK "x86-tsc"
#define CL_KV_CLOCK_IS_COUNTER 1
/* How a new task leaves the kernel, from the kernel's source (arch/x86/entry/entry_64.S,
 * arch/x86/kernel/process.c): first and last version (major*100+minor), what, and the
 * trace event that shows it happening ("" if none can). */
/* Kallsyms on the beds: ret_from_fork alone on 5.10 and 6.1, ret_from_fork_asm too on 6.12
 * and 7.2; syscall_exit_to_user_mode is a symbol up to 6.12 and inlined on 7.2. */
#define CL_KV_RETURN_PATH \
	{ 0, 604, "ret_from_fork (entry_64.S): the child's saved kernel rip points here", "" }, \
	{ 605, 9999, "ret_from_fork_asm (entry_64.S) calls ret_from_fork (process.c)", "" }, \
	{ 0, 9999, "schedule_tail(prev): finishes the switch into the new task", "schedule_tail" }, \
	{ 0, 9999, "syscall_exit_to_user_mode(regs): the syscall's exit work, its trace event " \
	  "(sys_exit_clone3/clone -> 0)", "child_syscall_exit" }, \
	{ 0, 9999, "swapgs_restore_regs_and_return_to_usermode: pops pt_regs, IRETQ to user " \
	  "mode; the parent usually returns with SYSRETQ instead", "" }

/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 5, 4, 3, 10, 8, 9	/* rdi rsi rdx r10 r8 r9 */
/* The bits that can be set in the flags slot (the rflags bits user mode can see). */
#define CL_REG_FLAGS_MASK 0x3f7fd7UL
#endif
