/* thr_cl.c: thread create + join with clonelab's thread API, default stack policy
 * (64 KiB stack, PROT_NONE guard, TLS, stack cache). Prints ns per create+join.
 *   thr_cl [N] */
#include "free.h"

static int fn(void *arg) { (void)arg; return 0; }

int main(int argc, char **argv)
{
	unsigned long n = arg_count(argc, argv, 2000);
	struct cl_thread *t;
	for (int i = 0; i < 20; i++) {	/* warm-up: fills the stack cache */
		long r = cl_thread_spawn(&t, fn, 0);
		if (r < 0)
			die("cl_thread_spawn", r);
		cl_thread_join(t, 0);
	}
	uint64_t t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		cl_thread_spawn(&t, fn, 0);
		cl_thread_join(t, 0);
	}
	report(t0, now_ns(), n);
	return 0;
}
