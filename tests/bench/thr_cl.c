/* thr_cl.c: thread create + join with clonelab's thread API, default stack policy
 * (64 KiB stack, PROT_NONE guard, TLS, stack cache). Prints ns per create+join.
 *   thr_cl [N] */
#include "free.h"

static int fn(void *arg) { (void)arg; return 0; }

static void one(void)
{
	struct cl_thread *t;
	long r = cl_thread_spawn(&t, fn, 0);
	if (r < 0)
		die("cl_thread_spawn", r);
	cl_thread_join(t, 0);
}

int main(int argc, char **argv)
{
	time_calls(one, 20, arg_count(argc, argv, 2000));	/* the warm-up fills the stack cache */
	return 0;
}
