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
/* The saved kernel context copy_thread() leaves for the scheduler: thread.sp points at
 * an inactive_task_frame (then pt_regs); its ret_addr is where __switch_to_asm returns
 * into the child, and bx holds a kernel thread's function (0 for a user task). Each:
 * its struct ("task_struct", or the frame at the saved sp), member, name. */
#define CL_KV_CONTEXT { "inactive_task_frame", "ret_addr", "ret_addr" }, \
	{ "inactive_task_frame", "bx", "bx" }, { "inactive_task_frame", "bp", "bp" }, \
	{ "inactive_task_frame", "r12", "r12" }, { "inactive_task_frame", "r13", "r13" }, \
	{ "inactive_task_frame", "r14", "r14" }, { "inactive_task_frame", "r15", "r15" }
#define CL_KV_CONTEXT_FROM "task_struct.thread.sp -> inactive_task_frame.ret_addr"
/* How a new task leaves the kernel, from the kernel's source (arch/x86/entry/entry_64.S,
 * arch/x86/kernel/process.c): the versions (major*100+minor) a row applies to, a
 * condition ("fred": only when the CPU flag CL_KV_EXIT_FLAG is on, "!fred": only when
 * off), the function it names (looked up in kallsyms at run time), what it does, the
 * trace event that shows it ("context": the saved context returns into it; "" none),
 * and the versions whose source it was checked against. 6.1's is the walk's (tools/
 * walk); ret_from_fork_asm (and ret_from_fork in C) came in 6.5 (x86: Rewrite
 * ret_from_fork() in C); the FRED exit in 6.9; 6.12's and 7.2's names are from those
 * kernels' kallsyms (testbeds.md), 7.2 having inlined syscall_exit_to_user_mode.
 * Kallsyms on the beds: ret_from_fork alone on 5.10 and 6.1, ret_from_fork_asm too on 6.12
 * and 7.2; syscall_exit_to_user_mode is a symbol up to 6.12 and inlined on 7.2. */
#define CL_KV_RETURN_PATH \
	{ 0, 604, "", "ret_from_fork", "ret_from_fork (entry_64.S): calls schedule_tail, then the " \
	  "syscall exit work, then jumps to the IRET exit", "context", "5.10 and 6.1" }, \
	{ 605, 9999, "", "ret_from_fork_asm", "ret_from_fork_asm (entry_64.S): calls ret_from_fork, " \
	  "then jumps to the exit", "context", "6.5 to 7.2" }, \
	{ 605, 9999, "", "ret_from_fork", "ret_from_fork(prev, regs, fn, fn_arg) (process.c, C): " \
	  "calls schedule_tail, then the syscall exit work", "", "6.5 to 7.2" }, \
	{ 0, 9999, "", "schedule_tail", "schedule_tail(prev): finishes the switch into the new task " \
	  "(__switch_to ran before it, already on the child's stack)", "schedule_tail", "6.1 to 7.2" }, \
	{ 0, 9999, "", "syscall_exit_to_user_mode", "syscall_exit_to_user_mode(regs): the syscall's " \
	  "exit work, its trace event (sys_exit_clone3/clone -> 0)", "child_syscall_exit", "6.1 to 7.2" }, \
	{ 0, 9999, "!fred", "swapgs_restore_regs_and_return_to_usermode", \
	  "swapgs_restore_regs_and_return_to_usermode: pops pt_regs, IRETQ to user mode; the parent " \
	  "usually returns with SYSRETQ instead", "", "6.1 to 7.2" }, \
	{ 609, 9999, "fred", "asm_fred_exit_user", "asm_fred_exit_user: ERETU to user mode from " \
	  "pt_regs (FRED), as every FRED syscall return", "", "6.9 to 7.2" }
/* Which exit the CPU takes: FRED's when this flag is in /proc/cpuinfo (the kernel clears
 * it unless the CPU has FRED and the command line allows it: fred=on), and the function
 * that shows the kernel has it at all. */
#define CL_KV_EXIT_FLAG "fred"
#define CL_KV_EXIT_FLAG_SYM "asm_fred_exit_user"

/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 5, 4, 3, 10, 8, 9	/* rdi rsi rdx r10 r8 r9 */
/* The bits that can be set in the flags slot (the rflags bits user mode can see). */
#define CL_REG_FLAGS_MASK 0x3f7fd7UL
#endif
