/* startup_facts.c: tests of start-up (canary, stack alignment, auxv), fork/wait, the
 * environment probes in src/lib/facts.c, and running the clonelab binary. */
#include "test.h"

/* ---- the stack protector ---- */
/* A protected function (it has a char array) that writes n bytes into 16: n > 16
 * overwrites the canary, and the epilogue must call __stack_chk_fail. */
__attribute__((noinline)) static int smash(volatile int n)
{
	char buf[16];
	for (int i = 0; i < n; i++)
		((volatile char *)buf)[i] = 'A';
	__asm__ volatile("" : : "r"(buf) : "memory");
	return buf[0];
}

int t_stack_protector(void)
{
	extern uintptr_t __stack_chk_guard;
	ASSERT(__stack_chk_guard != 0);		/* seeded from AT_RANDOM */
	ASSERT_EQ(__stack_chk_guard & 0xff, 0);	/* low byte zero, as glibc */
	ASSERT_EQ(smash(16), 'A');		/* in bounds: nothing happens */
	int pe[2];
	ASSERT_OK(SYS2(pipe2, pe, O_CLOEXEC));
	long pid = cl_fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		SYS3(dup3, pe[1], 2, 0);
		smash(64);
		SYS1(exit_group, 0);	/* not reached if the canary works */
	}
	SYS1(close, pe[1]);
	char msg[256];
	long n = 0, r;
	while ((r = SYS3(read, pe[0], msg + n, sizeof msg - 1 - n)) > 0)
		n += r;
	msg[n] = 0;
	SYS1(close, pe[0]);
	int st = 0;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	if (!(CL_WIFSIGNALED(st) && CL_WTERMSIG(st) == 6))
		diag("child's wait status 0x%x (want death by SIGABRT)", st);
	ASSERT(CL_WIFSIGNALED(st) || (CL_WIFEXITED(st) && CL_WEXITSTATUS(st) != 0));
	ASSERT(CL_WIFSIGNALED(st) ? CL_WTERMSIG(st) == 6 : CL_WEXITSTATUS(st) == 134);
	ASSERT_HAS(msg, "stack smashing detected");
	return T_PASS;
}

/* ---- stack alignment from _start on ---- */
/* The stack pointer just before the call to t_caller_sp, as the caller had it: both
 * ABIs want it 16-aligned there. */
uintptr_t t_caller_sp(void);
#ifndef CL_CALLER_SP_ASM
#error "arch/<arch>/abi.h must define CL_CALLER_SP_ASM"
#endif
__asm__(".text\n.globl t_caller_sp\nt_caller_sp:\n\t" CL_CALLER_SP_ASM "\n");

__attribute__((noinline)) static int aligned_at(int depth)
{
	volatile char local[32] __attribute__((aligned(16)));
	local[0] = (char)depth;
	int bad = ((uintptr_t)local % 16 != 0) | (t_caller_sp() % 16 != 0);
	if (bad)
		diag("depth %d: aligned local at %p, caller sp %p", depth, (void *)local,
		     (void *)t_caller_sp());
	if (depth > 0)
		bad |= aligned_at(depth - 1);
	__asm__ volatile("" : : "r"(local) : "memory");
	return bad;
}

__attribute__((noinline)) static int aligned_odd(int depth, long a, long b, long c)
{
	volatile long pad[3] = { a, b, c };	/* an odd number of words in this frame */
	return aligned_at(depth) | (int)(pad[0] & 0);
}

int t_stack_alignment(void)
{
	ASSERT_EQ(t_caller_sp() % 16, 0);
	ASSERT_EQ(aligned_at(3), 0);
	ASSERT_EQ(aligned_odd(2, 1, 2, 3), 0);
	return T_PASS;
}

int t_auxv(void)
{
	unsigned long page = cl_getauxval(AT_PAGESZ);
	ASSERT(page >= 4096 && (page & (page - 1)) == 0);
	ASSERT(cl_getauxval(AT_RANDOM) != 0);
	ASSERT_EQ(cl_getauxval(0x7fffffff), 0);	/* absent type */
	return T_PASS;
}

/* ---- fork and wait ---- */
int t_fork_wait(void)
{
	long pid = cl_fork();
	ASSERT_OK(pid);
	if (pid == 0)
		SYS1(exit_group, 42);
	int st = 0;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT(CL_WIFEXITED(st));
	ASSERT_EQ(CL_WEXITSTATUS(st), 42);
	ASSERT_EQ(cl_wait(-1, &st, CL_WNOHANG), -ECHILD);
	return T_PASS;
}

/* ---- environment probes ---- */
static int hold_word;

static int hold(void *arg)	/* a thread that lives until told to go */
{
	(void)arg;
	while (!__atomic_load_n(&hold_word, __ATOMIC_ACQUIRE))
		SYS4(futex, &hold_word, FUTEX_WAIT, 0, 0);
	return 0;
}

int t_under_qemu(void)
{
	/* The truth comes from outside, not from the formula: tests/check.sh says
	 * which bed this is, and the qemu-system guest runs a real kernel. */
	const char *told = t_getenv("CLONELAB_EXPECT_QEMU");
	if (!t_is_guest() && !told)
		return skip("CLONELAB_EXPECT_QEMU is not set (tests/check.sh sets it)");
	int want = t_is_guest() ? 0 : cl_streq(told, "1");
	ASSERT_EQ(cl_under_qemu(), want);
	/* Decided once, at start-up: a second thread of ours (live, or exited and not
	 * yet gone from the count) must not change the answer. */
	struct cl_thread *t;
	hold_word = 0;
	ASSERT_OK(cl_thread_spawn(&t, hold, 0));
	int during = cl_under_qemu();
	__atomic_store_n(&hold_word, 1, __ATOMIC_RELEASE);
	SYS4(futex, &hold_word, FUTEX_WAKE, 1, 0);
	ASSERT_OK(cl_thread_join(t, 0));
	ASSERT_EQ(during, want);
	ASSERT_EQ(cl_under_qemu(), want);
	return T_PASS;
}

int t_clone3_probe(void)
{
	long r = cl_clone3_probe();
	if (cl_under_qemu()) {
		ASSERT_EQ(r, -ENOSYS);	/* QEMU 7.2 user mode has no clone3 */
		return T_PASS;
	}
	if (r == -ENOSYS)
		return skip("clone3 is ENOSYS: a kernel before 5.3 or a seccomp filter");
	ASSERT_EQ(r, -EINVAL);	/* clone3(NULL, 0): exists, refuses the NULL */
	return T_PASS;
}

int t_userns_probe(void)
{
	long r = cl_userns_probe();
	if (cl_under_qemu()) {
		ASSERT_EQ(r, -EINVAL);	/* QEMU user mode refuses every CLONE_NEW* */
		return T_PASS;
	}
	if (r == -EPERM || r == -ENOSPC || r == -EUSERS) {
		diag("userns probe: %s: %s", cl_errno_name(r), cl_userns_why(r));
		if (t_is_guest())
			return T_FAIL;	/* Debian's kernels have user namespaces built in */
		return skip("user namespaces are not allowed here");
	}
	ASSERT_EQ(r, 0);
	return T_PASS;
}

/* ---- running clonelab ---- */
int t_run_capture(void)
{
	char out[256];
	int st;
	char *argv[] = { (char *)CLONELAB_PATH(), "--version", 0 };
	int n = run_capture(argv, out, sizeof out, &st);
	ASSERT_OK(n);
	if (cl_under_qemu() && CL_WIFEXITED(st) && CL_WEXITSTATUS(st) == 127 &&
	    json_has(t_last_stderr, "ENOEXEC"))
		return skip("execve of a foreign binary under QEMU user mode needs binfmt_misc");
	if (!(CL_WIFEXITED(st) && CL_WEXITSTATUS(st) == 0))
		diag("%s: status 0x%x, stderr %q", argv[0], st, t_last_stderr);
	ASSERT(CL_WIFEXITED(st));
	ASSERT_EQ(CL_WEXITSTATUS(st), 0);
	ASSERT_HAS(out, "clonelab ");
	ASSERT_HAS(out, "(" CL_ARCH_NAME ")");
	ASSERT_STREQ(t_last_stderr, "");
	/* stderr and the exit status of a usage error */
	char *bad[] = { (char *)CLONELAB_PATH(), "no-such-command", 0 };
	n = run_capture(bad, out, sizeof out, &st);
	ASSERT_EQ(n, 0);
	ASSERT(CL_WIFEXITED(st));
	ASSERT_EQ(CL_WEXITSTATUS(st), CL_EXIT_USAGE);
	ASSERT_HAS(t_last_stderr, "unknown command 'no-such-command'");
	/* a missing program */
	char *none[] = { "/no/such/program", 0 };
	n = run_capture(none, out, sizeof out, &st);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(CL_WEXITSTATUS(st), 127);
	ASSERT_HAS(t_last_stderr, "ENOENT");
	return T_PASS;
}

int t_clonelab_env_json(void)
{
	char out[2048];
	int st;
	char *argv[] = { (char *)CLONELAB_PATH(), "env", "--json", 0 };
	ASSERT_OK(run_capture(argv, out, sizeof out, &st));
	if (cl_under_qemu() && CL_WEXITSTATUS(st) == 127 && json_has(t_last_stderr, "ENOEXEC"))
		return skip("execve of a foreign binary under QEMU user mode needs binfmt_misc");
	ASSERT_EQ(st, 0);
	ASSERT(out[0] == '{');
	ASSERT_HAS(out, "\"arch\":\"" CL_ARCH_NAME "\"");
	/* A child of ours is under QEMU only if we are; under QEMU user mode, execve of a
	 * host-architecture binary runs it natively, so the other way round is open. */
	if (!cl_under_qemu())
		ASSERT_HAS(out, "\"qemu_user\":false");
	if (t_is_guest()) {
		ASSERT_HAS(out, "\"clone3\":true");
		ASSERT_HAS(out, "\"userns\":true");
	}
	/* the clone3-only flags this kernel knows, by version as the beds showed them */
	long v = cl_kernel_version();
	if (json_has(out, "\"qemu_user\":true"))	/* clonelab itself under QEMU: not learned */
		ASSERT_HAS(out, "\"clone3_flags\":{\"clear_sighand\":null,");
	else if (json_has(out, "\"clone3\":true") && v >= 5010 && v <= 6018)
		ASSERT_HAS(out, "\"clone3_flags\":{\"clear_sighand\":true,\"into_cgroup\":true,"
			   "\"newtime\":true,\"autoreap\":false,\"nnp\":false,\"pidfd_autokill\":false,"
			   "\"empty_mntns\":false}");
	else if (json_has(out, "\"clone3\":true") && v >= 7002)
		ASSERT_HAS(out, "\"clone3_flags\":{\"clear_sighand\":true,\"into_cgroup\":true,"
			   "\"newtime\":true,\"autoreap\":true,\"nnp\":true,\"pidfd_autokill\":true,"
			   "\"empty_mntns\":true}");
	return T_PASS;
}

static void copy_cut(char *d, const char *s, size_t size)
{
	size_t i = 0;
	for (; s[i] && i + 1 < size; i++)
		d[i] = s[i];
	d[i] = 0;
}

/* The guest's kernel log, read last (/dev/kmsg, which mkinitramfs.py adds): no oops, no
 * BUG, no WARNING. A kernel that oopses while the tests trace it (7.2 on amd64 once did,
 * doc/testing.md) must fail the bed with the oops shown, not pass it silently: the
 * console shows no oops under "quiet". */
int t_kernel_log_clean(void)
{
	if (!t_is_guest())
		return skip("the guests' kernels only: the host's log is not ours");
	long fd = SYS4(openat, AT_FDCWD, "/dev/kmsg", O_RDONLY | 04000 /* O_NONBLOCK */, 0);
	if (fd < 0)
		return skip("no /dev/kmsg in this initramfs");
	static char rec[8192], before[4][160], test[64];
	int bad = 0, shown = 0, nbefore = 0;
	for (;;) {
		long n = SYS3(read, fd, rec, sizeof rec - 1);
		if (n == -32 /* EPIPE */)	/* a record overwritten while we read: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		char *msg = rec;
		while (*msg && *msg != ';')	/* "level,seq,time,flags;message" */
			msg++;
		msg += *msg == ';';
		for (char *nl = msg; *nl; nl++)
			if (*nl == '\n')
				*nl = 0;
		if (cl_startswith(msg, "clonelab-test: ")) {	/* the runner's marker: kmsg_mark */
			copy_cut(test, msg + 15, sizeof test);
			nbefore = 0;
			continue;
		}
		int hit = cl_startswith(msg, "Oops") || json_has(msg, "BUG: ") ||
			  cl_startswith(msg, "WARNING: ") || cl_startswith(msg, "Kernel panic");
		if (hit && !bad) {	/* where it happened, and what the kernel said just before */
			diag("kmsg: during the test %s", test[0] ? test : "(none yet)");
			for (int k = nbefore > 4 ? nbefore - 4 : 0; k < nbefore; k++)
				diag("kmsg: %s", before[k % 4]);
		}
		if (!bad)
			copy_cut(before[nbefore++ % 4], msg, sizeof before[0]);
		if (hit)
			bad++;
		if ((hit || (bad && shown < 40)) && shown++ < 40)	/* the oops and what follows */
			diag("kmsg: %s", msg);
	}
	SYS1(close, fd);
	ASSERT_EQ(bad, 0);
	return T_PASS;
}
