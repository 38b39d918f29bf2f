/* The riscv64 register snapshot: the order in which arch/riscv64/snap.S stores registers,
 * x1..x31 by their ABI names, then pc. x0 (zero) is left out: it always reads 0.
 * RISC-V has no flags register (branches compare registers), so there is no flags row.
 *
 * The clone contract (arch/riscv/kernel/process.c, copy_thread; QEMU's linux-user
 * target_cpu.h follows it):
 *   - the child gets a copy of the parent's user registers (*childregs = *current_pt_regs()),
 *     including ra and s0 (the frame pointer), which point into the parent's frames,
 *     and gp, the global pointer;
 *   - then the kernel sets a0 = 0 (fork's return value), sp = newsp if it is non-zero,
 *     and tp = tls with CLONE_SETTLS;
 *   - pc is the instruction after `ecall`, in both.
 * At execve, by contrast, the kernel clears nothing but sets pc and sp (no ELF_PLAT_INIT
 * on riscv): until a program sets gp and tp, they hold its exec'er's values.
 * Legacy clone's argument order: riscv selects CONFIG_CLONE_BACKWARDS (arch/riscv/Kconfig),
 * like arm64: flags, newsp, parent_tid, tls, child_tid in a0..a4 (x86_64 swaps the last two).
 * The syscall number goes in a7; ecall changes no register but a0. */
#ifndef CL_REGS_H
#define CL_REGS_H
#define CL_NREGS 32
#define CL_REG_NAMES "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", \
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", \
	"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", \
	"t3", "t4", "t5", "t6", "pc"
#define CL_REG_RET 9	/* a0 (x10) */
#define CL_REG_SP 1	/* sp (x2) */
#define CL_REG_PC 31
#define CL_REG_TP 3	/* tp (x4): the thread pointer that CLONE_SETTLS sets */
/* The slots of the kernel's six syscall argument registers, which it leaves as they
 * were on both sides: tests/unit/trampoline.c checks the snapshot against them. */
#define CL_REG_SYSARGS 9, 10, 11, 12, 13, 14	/* a0..a5; a0 then holds the result */
/* The slot of the register that names the syscall (a7), which the kernel leaves as it
 * was on both sides. */
#define CL_REG_SYSNR 16

/* For --kernel (src/kernel/kview.c). A kprobe fetcharg names a function's first two
 * arguments by the registers of the C calling convention. */
#define CL_KPROBE_ARG0 "%a0"
#define CL_KPROBE_ARG1 "%a1"
/* The child's registers as the kernel built them: where each is (a member of pt_regs,
 * found in BTF), the snapshot register it must equal, and the bits compared. No flags
 * register; the thread pointer is in pt_regs (copy_thread sets childregs->tp). */
#define CL_KV_REGS { "pt_regs", "a0", CL_REG_RET, ~0UL }, { "pt_regs", "sp", CL_REG_SP, ~0UL }, \
	{ "pt_regs", "epc", CL_REG_PC, ~0UL }, { "pt_regs", "tp", CL_REG_TP, ~0UL }, \
	{ "pt_regs", "ra", 0, ~0UL }
/* copy_thread() points the child's saved kernel sp (thread.sp) at its pt_regs. */
#define CL_KV_KSP "thread.sp"
#define CL_KV_KSP_SKIP ""
/* No trace clock reads the counter the trampolines read (rdtime): the trace runs on the
 * monotonic clock, and a trace_marker carrying the counter aligns the two. */
#define CL_KV_TRACE_CLOCK "mono"
#define CL_KV_CLOCK_IS_COUNTER 0
/* The saved kernel context copy_thread() leaves for the scheduler (__switch_to loads
 * it): ra is where the child resumes, s[0] a kernel thread's function (0 for a user
 * task); sp is the saved sp above. Each: its struct, member, name. */
#define CL_KV_CONTEXT { "task_struct", "thread.ra", "ra" }, { "task_struct", "thread.s[0]", "s0" }
#define CL_KV_CONTEXT_FROM "task_struct.thread.ra"
/* How a new task leaves the kernel, from the kernel's source (arch/riscv/kernel/entry.S,
 * process.c): the versions (major*100+minor) a row applies to, a condition ("" always),
 * the function it names (looked up in kallsyms at run time), what it does, the trace
 * event that shows it ("context": the saved context returns into it; "" none), and the
 * versions it was checked against (6.12's and 7.2's kallsyms, testbeds.md: 7.2 has
 * ret_from_fork_user_asm, which calls the C ret_from_fork_user, and no ret_from_fork (the
 * walk and the saved context agree), and has inlined syscall_exit_to_user_mode;
 * where between the two the split came is not known here). */
#define CL_KV_RETURN_PATH \
	{ 0, 699, "", "ret_from_fork", "ret_from_fork (entry.S): calls schedule_tail, then " \
	  "syscall_exit_to_user_mode, then ret_from_exception", "context", "6.12" }, \
	{ 700, 9999, "", "ret_from_fork_user_asm", "ret_from_fork_user_asm (entry.S): calls " \
	  "ret_from_fork_user, then ret_from_exception", "context", "7.2" }, \
	{ 700, 9999, "", "ret_from_fork_user", "ret_from_fork_user(regs) (process.c, C): a user " \
	  "task's way out of fork: schedule_tail, then the syscall exit work", "", "7.2" }, \
	{ 0, 9999, "", "schedule_tail", "schedule_tail(prev): finishes the switch into the new task", \
	  "schedule_tail", "6.12 and 7.2" }, \
	{ 0, 699, "", "syscall_exit_to_user_mode", "syscall_exit_to_user_mode(regs): the syscall's exit " \
	  "work, its trace event (sys_exit_clone3/clone -> 0)", "child_syscall_exit", "6.12" }, \
	{ 0, 9999, "", "ret_from_exception", "ret_from_exception: restores the registers from pt_regs " \
	  "and SRETs to user mode, the same way the parent returns", "", "6.12 and 7.2" }
#endif
