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
#define CL_REG_FLAGS 33
#define CL_REG_TP 34

/* For --kernel (src/kernel/kview.c). A kprobe fetcharg names a function's first two
 * arguments by the registers of the C calling convention. */
#define CL_KPROBE_ARG0 "%x0"
#define CL_KPROBE_ARG1 "%x1"
/* The child's registers as the kernel built them: where each is (a member of pt_regs or
 * of task_struct, found in BTF), the snapshot register it must equal, and the bits that
 * are compared (of pstate, the snapshot's nzcv holds only N, Z, C and V). The thread
 * pointer is not in pt_regs but in thread_struct. */
#define CL_KV_REGS { "pt_regs", "regs[0]", CL_REG_RET, ~0UL }, { "pt_regs", "sp", CL_REG_SP, ~0UL }, \
	{ "pt_regs", "pc", CL_REG_PC, ~0UL }, { "pt_regs", "pstate", CL_REG_FLAGS, CL_REG_FLAGS_MASK }, \
	{ "task_struct", "thread.uw.tp_value", CL_REG_TP, ~0UL }
/* copy_thread() points the child's saved kernel sp (cpu_context.sp) at its pt_regs. */
#define CL_KV_KSP "thread.cpu_context.sp"
#define CL_KV_KSP_SKIP ""
/* No trace clock reads the counter the trampolines read (CNTVCT_EL0): the trace runs on
 * the monotonic clock, and a trace_marker carrying the counter aligns the two. */
#define CL_KV_TRACE_CLOCK "mono"
#define CL_KV_CLOCK_IS_COUNTER 0
/* The saved kernel context copy_thread() leaves for the scheduler (thread.cpu_context,
 * which cpu_switch_to loads): pc is where the child resumes, x19 a kernel thread's
 * function (0 for a user task), x20 its argument; sp is the saved sp above. Each: its
 * struct, member, name. */
#define CL_KV_CONTEXT { "task_struct", "thread.cpu_context.pc", "pc" }, \
	{ "task_struct", "thread.cpu_context.x19", "x19" }, \
	{ "task_struct", "thread.cpu_context.x20", "x20" }, { "task_struct", "thread.cpu_context.fp", "fp" }
#define CL_KV_CONTEXT_FROM "task_struct.thread.cpu_context.pc"
/* How a new task leaves the kernel, from the kernel's source (arch/arm64/kernel/entry.S):
 * the versions (major*100+minor) a row applies to, a condition ("" always), the
 * function it names (looked up in kallsyms at run time), what it does, the trace event
 * that shows it ("context": the saved context returns into it; "" none), and the
 * versions it was checked against (6.1's source; 6.1's and 7.2's kallsyms). Kallsyms on
 * the beds: asm_exit_to_user_mode on 6.1, 6.12 and 7.2, not on 5.10 (where ret_from_fork
 * goes from schedule_tail to ret_to_user); 5.11 to 6.0 not seen. */
#define CL_KV_RETURN_PATH \
	{ 0, 9999, "", "ret_from_fork", "ret_from_fork (entry.S): calls schedule_tail, then " \
	  "asm_exit_to_user_mode, then ret_to_user", "context", "6.1 to 7.2" }, \
	{ 0, 9999, "", "schedule_tail", "schedule_tail(prev): finishes the switch into the new task " \
	  "(__switch_to ran in the parent, cpu_switch_to then loaded this context)", "schedule_tail", \
	  "6.1 to 7.2" }, \
	{ 601, 9999, "", "asm_exit_to_user_mode", "asm_exit_to_user_mode: exit work; no syscall-exit " \
	  "trace event for the child (the parent's sys_exit is its own)", "", "6.1 to 7.2" }, \
	{ 0, 9999, "", "ret_to_user", "ret_to_user, kernel_exit 0: restores x0..x30, sp, pc and " \
	  "pstate from pt_regs and ERETs to EL0, the same way the parent returns", "", "6.1 to 7.2" }

/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 0, 1, 2, 3, 4, 5	/* x0..x5; x0 then holds the result */
/* The slot of the register that names the syscall (x8), which the kernel leaves as it
 * was on both sides. */
#define CL_REG_SYSNR 8
/* The bits that can be set in the flags slot (N, Z, C, V). */
#define CL_REG_FLAGS_MASK 0xf0000000UL
#endif
