/* clat.c: clone to first instruction. The parent reads the cycle counter just before
 * the clone syscall and the child reads it as its first act (cl_clone_snap's
 * t_clone / t_child); the delta, in ns, is the time from the syscall to the child's
 * first user instruction.
 *   clat thread|process same|any [N]
 * same: the whole program is pinned to one CPU, so the child starts where the parent
 * is. any: no pinning, and the parent spins (instead of sleeping in the join) until the
 * child has run: its CPU stays busy, so the child has to start on another one unless
 * it preempts the parent. Each sample says which CPUs the parent and the child were
 * on; the caller keeps the ones where they differ. Prints one line per sample:
 *   PARENT_CPU CHILD_CPU DELTA_NS
 * The counter's rate comes from cl_counter_hz(), or is measured against
 * CLOCK_MONOTONIC over 50 ms where the architecture does not say (x86). */
#include "free.h"

static char stack[64 * 1024] __attribute__((aligned(16)));
static void *tls_block[8] = { tls_block };	/* x86_64 TLS: the first word points at itself */
static volatile int tid;

struct shared { struct cl_snap snap; volatile int child_cpu; };

static struct shared *sh;

static int getcpu(void)
{
	unsigned cpu = 0;
	return SYS3(getcpu, &cpu, 0, 0) < 0 ? -1 : (int)cpu;
}

static int thread_fn(void *arg)
{
	(void)arg;
	sh->child_cpu = getcpu();
	return 0;
}

static uint64_t counter_hz(void)
{
	uint64_t hz = cl_counter_hz();
	if (hz)
		return hz;
	struct bench_ts d = { 0, 50 * 1000 * 1000 };
	uint64_t t0 = now_ns(), c0 = cl_counter();
	SYS2(nanosleep, &d, 0);
	uint64_t t1 = now_ns(), c1 = cl_counter();
	return (c1 - c0) * 1000000000u / (t1 - t0);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: clat thread|process same|any [N]", -EINVAL);
	int thread = cl_streq(argv[1], "thread");
	unsigned long n = arg_count(argc - 2, argv + 2, 300);
	if (cl_streq(argv[2], "same")) {
		uint64_t one[16] = { 1UL << (getcpu() & 63) };
		long r = SYS3(sched_setaffinity, 0, sizeof one, one);
		if (r < 0)
			die("sched_setaffinity", r);
	}
	long p = SYS6(mmap, 0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cl_is_err(p))
		die("mmap", p);
	sh = (struct shared *)p;
	uint64_t hz = counter_hz();
	cl_flush_all();
	int spin = cl_streq(argv[2], "any");
	for (unsigned long i = 0; i < n + 5; i++) {
		sh->child_cpu = -1;
		int pcpu = getcpu();
		long r;
		if (thread) {
			r = cl_clone_snap(thread_fn, stack + sizeof stack, CL_THREAD_FLAGS, 0,
					  (int *)&tid, tls_block, (int *)&tid, &sh->snap);
			if (r < 0)
				die("clone (thread)", r);
			while (spin && sh->child_cpu < 0)
				cpu_relax();
			int v;
			while ((v = __atomic_load_n(&tid, __ATOMIC_ACQUIRE)) != 0)
				SYS4(futex, &tid, FUTEX_WAIT, v, 0);
		} else {
			r = cl_clone_snap(0, 0, SIGCHLD, 0, 0, 0, 0, &sh->snap);
			if (r == 0) {
				sh->child_cpu = getcpu();
				SYS1(exit_group, 0);
			}
			if (r < 0)
				die("clone (process)", r);
			while (spin && sh->child_cpu < 0)
				cpu_relax();
			cl_wait((int)r, 0, 0);
		}
		if (i < 5)	/* warm-up */
			continue;
		uint64_t d = sh->snap.t_child - sh->snap.t_clone;
		outf("%d %d %lu\n", pcpu, sh->child_cpu, (unsigned long)(d * 1000000u / (hz / 1000)));
	}
	return 0;
}
