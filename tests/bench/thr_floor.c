/* thr_floor.c: the floor for thread create + join: one raw clone per thread with the
 * thread flags, reusing one preallocated stack (no guard page, no TLS, no signal
 * blocking, no cache), joined on the kernel's CHILD_CLEARTID futex wake.
 *   thr_floor [N] */
#include "free.h"

#define FLOOR_FLAGS (CL_CLONE_VM | CL_CLONE_FS | CL_CLONE_FILES | CL_CLONE_SIGHAND | \
	CL_CLONE_THREAD | CL_CLONE_SYSVSEM | CL_CLONE_PARENT_SETTID | CL_CLONE_CHILD_CLEARTID)

static char stack[64 * 1024] __attribute__((aligned(16)));
static volatile int tid;

static int fn(void *arg) { (void)arg; return 0; }

static void one(void)
{
	long r = cl_clone(fn, stack + sizeof stack, FLOOR_FLAGS, 0, (int *)&tid, 0, (int *)&tid);
	if (r < 0)
		die("clone", r);
	int v;
	while ((v = __atomic_load_n(&tid, __ATOMIC_ACQUIRE)) != 0)
		SYS4(futex, &tid, FUTEX_WAIT, v, 0);
}

int main(int argc, char **argv)
{
	time_calls(one, 20, arg_count(argc, argv, 2000));
	return 0;
}
