/* lab.c: one clone, instrumented (see lab.h). */
#include "lab.h"
#include "kview.h"

#define LAB_STACK (256 * 1024)
#define SIG_SETMASK_ALL (~0UL)

struct lab_shared *lab_shared_reset(void)
{
	static struct lab_shared *sh;
	if (!sh) {
		long p = SYS6(mmap, 0, sizeof *sh, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (cl_is_err(p)) {
			cl_perror("clonelab", "mmap of the shared page", p, 0);
			cl_exit(CL_EXIT_FAIL);
		}
		sh = (struct lab_shared *)p;
	}
	memset(sh, 0, sizeof *sh);
	return sh;
}

int lab_getcpu(void)
{
	unsigned cpu = 0;
	return SYS3(getcpu, &cpu, 0, 0) < 0 ? -1 : (int)cpu;
}

/* Undo what the parent set up for the clone, in the child: where it started is
 * recorded first, then the parent's CPU mask and signal mask come back. */
static void child_setup(struct lab *l)
{
	l->sh->child_cpu = lab_getcpu();
	/* A child waiting for a hand-off must not outlive a parent that was killed.
	 * (Not for a thread or a CLONE_PARENT child: their parent is not us.) */
	if (!(l->flags & (CL_CLONE_THREAD | CL_CLONE_PARENT)))
		SYS2(prctl, 1 /* PR_SET_PDEATHSIG */, SIGKILL);
	if (l->pinned > 0)
		SYS3(sched_setaffinity, 0, sizeof l->affinity, l->affinity);
	SYS4(rt_sigprocmask, SIG_SETMASK, &l->sigmask, 0, 8);
	kview_child(l);
}

static int child_entry(void *p)
{
	struct lab *l = p;
	child_setup(l);
	return l->fn(l->arg);
}

/* A TLS block for CLONE_SETTLS, filled by CL_TLS_INIT (arch/<arch>/abi.h) in lab_clone. */
static void *tls_block[8];

long lab_clone(struct lab *l)
{
	struct lab_shared *sh = l->sh;
	l->used_clone3 = l->fallback = 0;
	l->stack = 0;
	l->failed = 0;
	l->pinned = 0;
	if (l->new_stack) {
		long s = SYS6(mmap, 0, LAB_STACK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (cl_is_err(s))
			return l->failed = "mmap of the child's stack", l->ret = s;
		l->stack = (void *)s, l->stack_size = LAB_STACK;
	}
	if (l->cpu >= 0) {
		uint64_t one[16] = { 0 };
		one[l->cpu / 64] = 1UL << (l->cpu % 64);
		SYS3(sched_getaffinity, 0, sizeof l->affinity, l->affinity);
		long r = SYS3(sched_setaffinity, 0, sizeof one, one);
		if (r < 0) {
			if (l->stack)
				SYS2(munmap, l->stack, l->stack_size), l->stack = 0;
			l->pinned = -1;	/* lab_fail: not possible here */
			return l->failed = "sched_setaffinity for --cpu", l->ret = r;
		}
		l->pinned = 1;
	}
	sh->parent_cpu = lab_getcpu();
	memset(&l->args, 0, sizeof l->args);
	/* The tid words start at -1, "never written": CHILD_CLEARTID's 0 then means
	 * exited, not "not started yet". */
	sh->parent_tid = sh->child_tid = -1;
	int (*fn)(void *) = l->fn ? child_entry : 0;
	CL_TLS_INIT(tls_block);
	void *tls = l->flags & CL_CLONE_SETTLS ? tls_block : 0;

	kview_before(l);	/* --kernel: start tracing */
	cl_flush_all();	/* a child must not inherit, and print again, pending output */
	uint64_t all = SIG_SETMASK_ALL;
	SYS4(rt_sigprocmask, SIG_SETMASK, &all, &l->sigmask, 8);
	long r = -ENOSYS;
	if (l->api != LAB_CLONE) {
		struct cl_clone_args a = {
			.flags = l->flags,
			.pidfd = (uintptr_t)&sh->pidfd,
			.child_tid = (uintptr_t)&sh->child_tid,
			.parent_tid = (uintptr_t)&sh->parent_tid,
			.exit_signal = (uint64_t)l->exit_signal,
			.stack = (uintptr_t)l->stack,
			.stack_size = l->stack ? l->stack_size : 0,
			.tls = (uintptr_t)tls,
			.cgroup = (uint64_t)l->cgroup_fd,
		};
		r = cl_clone3_snap(&a, sizeof a, fn, l, &sh->snap);
		l->used_clone3 = r != -ENOSYS || l->api == LAB_CLONE3;
		l->args = a;	/* stack_size as the trampoline left it, after its frame */
	}
	if (l->api == LAB_CLONE || (r == -ENOSYS && l->api == LAB_AUTO)) {
		l->fallback = l->api == LAB_AUTO;
		/* Legacy clone has no room for the flags above bit 31, nor for NEWTIME or
		 * any other bit of the low byte, which is the exit signal there: refuse them
		 * here, as the kernel would refuse them in clone3, rather than let a flag
		 * value become a signal that kills us. */
		l->args.stack_size = 0;
		l->args.tls = (uintptr_t)tls;
		if (l->flags >> 32 || (l->flags & CL_CSIGNAL) || (unsigned)l->exit_signal > 64)
			r = -EINVAL;
		else
			r = cl_clone_snap(fn, l->stack ? (char *)l->stack + l->stack_size : 0,
					  (unsigned long)l->flags | (unsigned)l->exit_signal, l,
					  &sh->parent_tid, tls, &sh->child_tid, &sh->snap);
	}
	if (r == 0) {		/* the fork-shaped child */
		child_setup(l);
		return l->ret = 0;
	}
	if (l->pinned > 0)
		SYS3(sched_setaffinity, 0, sizeof l->affinity, l->affinity);
	SYS4(rt_sigprocmask, SIG_SETMASK, &l->sigmask, 0, 8);
	if (r < 0 && l->stack)
		SYS2(munmap, l->stack, l->stack_size), l->stack = 0;
	return l->ret = r;
}

long lab_wait(struct lab *l)
{
	long r = 0;
	int status = 0;
	if (l->ret <= 0)
		return -ECHILD;
	if ((l->flags & (CL_CLONE_THREAD | CL_CLONE_PARENT)) == CL_CLONE_PARENT) {
		/* Our parent's child: wait4 cannot see it, its parent reaps it. */
		struct { long s, ns; } ms = { 0, 1000000 };
		while (lab_alive(l))
			SYS2(nanosleep, &ms, 0);
	} else if (!(l->flags & CL_CLONE_THREAD)) {
		r = cl_wait((int)l->ret, &status, 0);
	} else if (l->flags & CL_CLONE_CHILD_CLEARTID) {
		/* A shared futex wait (the kernel's CLEARTID wake is shared), bounded: if the
		 * word is not zeroed in 10 s, the kernel was given another address, or the
		 * thread is stuck. Its stack then stays mapped: it may still be in use. */
		struct { long s, ns; } second = { 1, 0 };
		int tid, tries = 10;
		while ((tid = __atomic_load_n(&l->sh->child_tid, __ATOMIC_ACQUIRE)) != 0) {
			if (tries-- == 0)
				return -ETIMEDOUT;
			SYS4(futex, &l->sh->child_tid, FUTEX_WAIT, tid, &second);
		}
	} else {
		/* Nothing will tell us: poll until the tid is gone from our thread group. */
		struct { long s, ns; } ms = { 0, 1000000 };
		long pid = SYS0(getpid);
		while (SYS3(tgkill, pid, l->ret, 0) == 0)
			SYS2(nanosleep, &ms, 0);
		/* Gone from signals' view; its stack may still be in use for a moment. */
		SYS2(nanosleep, &ms, 0);
	}
	if (l->stack)
		SYS2(munmap, l->stack, l->stack_size), l->stack = 0;
	return r < 0 ? r : status;
}

void lab_post(int *word)
{
	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	SYS6(futex, word, FUTEX_WAKE, 1 << 30, 0, 0, 0);
}

void lab_await(int *word)
{
	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE))
		SYS6(futex, word, FUTEX_WAIT, 0, 0, 0, 0);
}

int lab_alive(const struct lab *l)
{
	int tid = (int)l->ret;
	if (l->flags & CL_CLONE_THREAD)
		return SYS3(tgkill, SYS0(getpid), tid, 0) == 0;
	/* Not always our child (CLONE_PARENT): a pidfd turns readable when the process
	 * has exited, zombie or not, whoever its parent is. tid is as our pid
	 * namespace sees it, which no /proc path may be. */
	long fd = SYS2(pidfd_open, tid, 0);
	if (fd == -ESRCH)
		return 0;
	if (fd < 0)	/* no pidfd (before 5.3, or no descriptor left): a zombie counts */
		return SYS2(kill, tid, 0) == 0;
	struct { int fd; short events, revents; } p = { (int)fd, 1 /* POLLIN */, 0 };
	struct { long s, ns; } now = { 0, 0 };
	long r = SYS5(ppoll, &p, 1, &now, 0, 8);
	SYS1(close, fd);
	return r == 0;
}

int lab_proc_pid(void)
{
	char buf[24];
	unsigned long v;
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self", buf, sizeof buf - 1);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	return cl_parse_ulong(buf, &v) < 0 ? -ENOENT : (int)v;
}

const char *lab_proc_why(long err)
{
	return err == -ENOENT ? "this /proc does not show us: it belongs to another pid "
	       "namespace (mount a /proc for this one)" : "reading /proc/self, to learn "
	       "the pid that this /proc knows us by";
}

int lab_await_child(const struct lab *l, int *word)
{
	struct { long s, ns; } tick = { 0, 50000000 };
	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE)) {
		if (!lab_alive(l))	/* it may have posted just before it exited */
			return __atomic_load_n(word, __ATOMIC_ACQUIRE) ? 0 : -ESRCH;
		SYS4(futex, word, FUTEX_WAIT, 0, &tick);
	}
	return 0;
}

/* Counter ticks per second: arm64 says; on x86 measure the TSC against the
 * monotonic clock over 10 ms. */
uint64_t lab_counter_hz(void)
{
	static uint64_t hz;
	if (!hz && !(hz = cl_counter_hz())) {
		struct { long s, ns; } a, b, d = { 0, 10000000 };
		SYS2(clock_gettime, 1, &a);
		uint64_t c0 = cl_counter();
		SYS2(nanosleep, &d, 0);
		uint64_t c1 = cl_counter();
		SYS2(clock_gettime, 1, &b);
		uint64_t ns = (uint64_t)((b.s - a.s) * 1000000000L + (b.ns - a.ns));
		hz = ns ? (c1 - c0) * 1000000000ULL / ns : 1;
	}
	return hz;
}

long lab_latency_ns(const struct lab *l)
{
	const struct cl_snap *s = &l->sh->snap;
	if (!s->t_child || !s->t_clone)
		return -1;
	int64_t d = (int64_t)(s->t_child - s->t_clone);
	return (long)(d * 1000000000LL / (int64_t)lab_counter_hz());
}

const char *lab_reg_why(const struct lab *l, int i)
{
	if (i == CL_REG_RET)
		return "the kernel sets the child's return value to 0; the parent gets the child's tid";
	if (i == CL_REG_SP)
		return "the child starts on the stack the parent passed (newsp)";
	if (i == CL_REG_TP && (l->flags & CL_CLONE_SETTLS))
		return "CLONE_SETTLS: the kernel set the child's thread pointer to tls";
	return 0;
}

static int differs(const struct lab *l, int i)
{
	return l->sh->snap.parent[i] != l->sh->snap.child[i];
}

void lab_regs_text(const struct lab *l)
{
	int n;
	const char *const *names = cl_reg_names(&n);
	out("  %-10s %18s %18s\n", "register", "parent", "child");
	for (int i = 0; i < n; i++) {
		int d = differs(l, i);
		out("  %-10s %18lx %18lx%s\n", names[i], l->sh->snap.parent[i],
		    l->sh->snap.child[i], d ? "  <- differs" : "");
	}
	for (int i = 0; i < n; i++)
		if (differs(l, i)) {
			const char *why = lab_reg_why(l, i);
			out("  %s: %s\n", names[i], why ? why : "not explained by the kernel's contract");
		}
}

void lab_regs_json(struct cl_json *j, const struct lab *l)
{
	int n;
	const char *const *names = cl_reg_names(&n);
	cl_json_open(j, "regs", '{');
	cl_json_open(j, "parent", '{');
	for (int i = 0; i < n; i++)
		cl_json_hex(j, names[i], l->sh->snap.parent[i]);
	cl_json_close(j, '}');
	cl_json_open(j, "child", '{');
	for (int i = 0; i < n; i++)
		cl_json_hex(j, names[i], l->sh->snap.child[i]);
	cl_json_close(j, '}');
	cl_json_open(j, "differ", '[');
	for (int i = 0; i < n; i++)
		if (differs(l, i))
			cl_json_str(j, 0, names[i]);
	cl_json_close(j, ']');
	cl_json_open(j, "why", '{');
	for (int i = 0; i < n; i++)
		if (differs(l, i))
			cl_json_str(j, names[i], lab_reg_why(l, i));
	cl_json_close(j, '}');
	cl_json_close(j, '}');
}

void lab_call_json(struct cl_json *j, const struct lab *l)
{
	const struct cl_clone_args *a = &l->args;
	int legacy = !l->used_clone3;
	cl_json_open(j, "call", '{');
	cl_json_str(j, "syscall", legacy ? "clone" : "clone3");
	cl_json_hex(j, "flags", (unsigned long)l->flags);
	cl_json_int(j, "exit_signal", l->exit_signal);
	/* Legacy clone takes the new sp itself: the trampoline's frame below the top. */
	cl_json_hex(j, "stack", legacy ? (l->new_stack ? (unsigned long)l->sh->snap.child[CL_REG_SP] : 0)
		    : (unsigned long)a->stack);
	cl_json_hex(j, "stack_size", legacy ? 0 : (unsigned long)a->stack_size);
	cl_json_hex(j, "tls", l->flags & CL_CLONE_SETTLS ? (unsigned long)a->tls : 0);
	cl_json_hex(j, "parent_tid", (unsigned long)(uintptr_t)&l->sh->parent_tid);
	cl_json_hex(j, "child_tid", (unsigned long)(uintptr_t)&l->sh->child_tid);
	cl_json_close(j, '}');
}

void lab_describe_call(const struct lab *l)
{
	if (l->used_clone3)
		out("clone3");
	else if (l->fallback)
		out("clone (clone3 answered ENOSYS here)");
	else
		out("clone");
}

const char *lab_signame(int sig)
{
	static const char names[][10] = { "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
		"SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
		"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
		"SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
		"SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS" };
	return sig > 0 && sig < 32 ? names[sig] : 0;
}

int lab_parse_cpu(const char *cmd, const char *s, int *cpu)
{
	unsigned long v;
	if (cl_parse_ulong(s, &v) < 0 || v >= 1024) {
		err("%s: --cpu takes a CPU number from 0 to 1023, not '%s'\n", cmd, s);
		return -1;
	}
	*cpu = (int)v;
	return 0;
}

int lab_parse_api(const char *cmd, const char *s, int *api)
{
	static const char *const names[] = { "auto", "clone", "clone3" };	/* LAB_ order */
	for (int i = 0; i < 3; i++)
		if (cl_strcaseeq(s, names[i]))
			return *api = i, 0;
	err("%s: --api takes clone, clone3 or auto, not '%s'\n", cmd, s);
	return -1;
}

int lab_options(int argc, char **argv, const char *cmd, const char *usage, struct lab_opts *o)
{
	static const struct cl_opt opts[] = {
		{ "--json", 0 }, { "--cpu", 1 }, { "--api", 1 }, { "--help", 0 }, { "--svg", 1 },
		{ "--html", 1 }, { "--kernel", 0 }, { 0, 0 } };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	int k;
	*o = (struct lab_opts){ .cpu = -1, .api = LAB_AUTO };
	while ((k = cl_getopt(&a, opts, cmd)) != CL_ARG_END) {
		if (k == 0)
			o->json = 1;
		else if (k == 1 || k == 2) {
			if ((k == 1 ? lab_parse_cpu(cmd, a.val, &o->cpu)
				    : lab_parse_api(cmd, a.val, &o->api)) < 0)
				return CL_EXIT_USAGE;
		} else if (k == 3) {
			out("%s", usage);
			return CL_EXIT_OK;
		} else if (k == 4 || k == 5) {
			*(k == 4 ? &o->svg : &o->html) = a.val;
		} else if (k == 6) {
			o->kernel = 1;
		} else {
			if (k == CL_ARG_POSITIONAL)
				err("%s: unexpected argument '%s' (try --help)\n", cmd, a.val);
			return CL_EXIT_USAGE;
		}
	}
	struct cl_json j = { &cl_stdout, 0, 0 };
	return o->kernel ? kview_enable(cmd, o->json ? &j : 0) : -1;
}

int lab_fail(const struct lab *l, const char *cmd, struct cl_json *j)
{
	const char *why = 0, *what = l->failed ? l->failed : l->used_clone3 ? "clone3" : "clone";
	int status = CL_EXIT_FAIL;
	if (!l->failed && (l->flags & CL_CLONE_NEWUSER) && cl_userns_why(l->ret) &&
	    (l->ret == -EPERM || l->ret == -ENOSPC || l->ret == -EUSERS)) {
		why = cl_userns_why(l->ret);
		status = CL_EXIT_UNSUPPORTED;
	} else if (!l->failed && l->ret == -EINVAL && cl_under_qemu()) {
		why = CL_QEMU_CLONE_WHY;
		status = CL_EXIT_UNSUPPORTED;
	} else if (l->failed && l->pinned < 0) {
		why = "this CPU does not exist here, or is not one we may run on (see "
		      "`clonelab env` for the count)";
		status = CL_EXIT_UNSUPPORTED;
	} else if (!l->failed && l->ret == -ENOSYS && l->used_clone3) {
		why = "no clone3 here: kernels before 5.3, QEMU user mode and some seccomp "
		      "filters lack it (--api auto falls back to clone)";
		status = CL_EXIT_UNSUPPORTED;
	}
	if (j) {
		cl_json_open(j, 0, '{');
		cl_json_str(j, "result", status == CL_EXIT_UNSUPPORTED ? "unsupported" : "error");
		cl_json_str(j, "step", what);
		cl_json_str(j, "errno", cl_errno_name(l->ret));
		cl_json_str(j, "explanation", why ? why : cl_errno_text(l->ret));
		cl_json_close(j, '}');
	} else {
		err("%s: %s", cmd, status == CL_EXIT_UNSUPPORTED ? "not possible here: " : "");
		cl_perror(what, 0, l->ret, why);
	}
	return status;
}
