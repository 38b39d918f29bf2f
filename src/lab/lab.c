/* lab.c: one clone, instrumented (see lab.h): the engine (the shared page, the clone
 * through the recording trampolines, the wait and the hand-offs). Told: report.c. */
#include "lab.h"

#define LAB_STACK (256 * 1024)

const struct lab_observer *lab_observer;

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
	cl_set_sigmask(&l->sigmask);
	if (lab_observer)
		lab_observer->child(l);
}

static int child_entry(void *p)
{
	struct lab *l = p;
	child_setup(l);
	return l->fn(l->arg);
}

/* A TLS block for CLONE_SETTLS, filled by CL_TLS_INIT (arch/<arch>/abi.h) in lab_clone. */
static void *tls_block[8];

/* What the clone needs before it: the child's stack (new_stack) and, for --cpu, our
 * pinning (the old mask saved, restored on both sides). 0, or -errno with l->failed
 * set and nothing left mapped. */
static long prepare(struct lab *l)
{
	l->used_clone3 = l->fallback = 0;
	l->stack = 0;
	l->failed = 0;
	l->pinned = 0;
	if (l->new_stack) {
		long s = SYS6(mmap, 0, LAB_STACK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (cl_is_err(s))
			return l->failed = "mmap of the child's stack", s;
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
			return l->failed = "sched_setaffinity for --cpu", r;
		}
		l->pinned = 1;
	}
	return 0;
}

/* The syscall: clone3 unless --api clone, then legacy clone where asked or where
 * clone3 answered ENOSYS (--api auto). Precondition: every signal blocked. */
static long clone_call(struct lab *l, int (*fn)(void *), void *tls)
{
	struct lab_shared *sh = l->sh;
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
	return r;
}

long lab_clone(struct lab *l)
{
	struct lab_shared *sh = l->sh;
	long r = prepare(l);
	if (r < 0)
		return l->ret = r;
	sh->parent_cpu = lab_getcpu();
	memset(&l->args, 0, sizeof l->args);
	/* The tid words start at -1, "never written": CHILD_CLEARTID's 0 then means
	 * exited, not "not started yet". */
	sh->parent_tid = sh->child_tid = -1;
	CL_TLS_INIT(tls_block);
	void *tls = l->flags & CL_CLONE_SETTLS ? tls_block : 0;

	if (lab_observer)
		lab_observer->before(l);	/* --kernel: start tracing */
	cl_flush_all();	/* a child must not inherit, and print again, pending output */
	cl_block_all(&l->sigmask);
	r = clone_call(l, l->fn ? child_entry : 0, tls);
	if (r == 0) {		/* the fork-shaped child */
		child_setup(l);
		return l->ret = 0;
	}
	if (l->pinned > 0)
		SYS3(sched_setaffinity, 0, sizeof l->affinity, l->affinity);
	cl_set_sigmask(&l->sigmask);
	if (r < 0 && l->stack)
		SYS2(munmap, l->stack, l->stack_size), l->stack = 0;
	return l->ret = r;
}

/* Precondition: l->ret > 0 (a child was made); else -ECHILD. */
long lab_wait(struct lab *l)
{
	long r = 0;
	int status = 0;
	if (l->ret <= 0)
		return -ECHILD;
	if ((l->flags & (CL_CLONE_THREAD | CL_CLONE_PARENT)) == CL_CLONE_PARENT) {
		/* Our parent's child: wait4 cannot see it, its parent reaps it. */
		struct cl_timespec ms = { 0, 1000000 };
		while (lab_alive(l))
			SYS2(nanosleep, &ms, 0);
	} else if (!(l->flags & CL_CLONE_THREAD)) {
		r = cl_wait((int)l->ret, &status, 0);
	} else if (l->flags & CL_CLONE_CHILD_CLEARTID) {
		/* A shared futex wait (the kernel's CLEARTID wake is shared), bounded: if the
		 * word is not zeroed in 10 s, the kernel was given another address, or the
		 * thread is stuck. Its stack then stays mapped: it may still be in use. */
		struct cl_timespec second = { 1, 0 };
		int tid, tries = 10;
		while ((tid = __atomic_load_n(&l->sh->child_tid, __ATOMIC_ACQUIRE)) != 0) {
			if (tries-- == 0)
				return -ETIMEDOUT;
			SYS4(futex, &l->sh->child_tid, FUTEX_WAIT, tid, &second);
		}
	} else {
		/* Nothing will tell us: poll until the tid is gone from our thread group. */
		struct cl_timespec ms = { 0, 1000000 };
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
	struct cl_timespec now = { 0, 0 };
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
	struct cl_timespec tick = { 0, 50000000 };
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
		struct cl_timespec a, b, d = { 0, 10000000 };
		SYS2(clock_gettime, 1, &a);
		uint64_t c0 = cl_counter();
		SYS2(nanosleep, &d, 0);
		uint64_t c1 = cl_counter();
		SYS2(clock_gettime, 1, &b);
		uint64_t ns = (uint64_t)((b.tv_sec - a.tv_sec) * 1000000000L +
					 (b.tv_nsec - a.tv_nsec));
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
