/* threads.c: four threads that add with __atomic builtins (on aarch64 GCC outlines
 * them into libgcc helpers unless -mno-outline-atomics); the buffered output must
 * survive main's return. Prints "counter 40000, results 28". */
#include "clonelab.h"
static long counter;
static int work(void *arg)
{
	for (int i = 0; i < 10000; i++)
		__atomic_fetch_add(&counter, (long)arg, __ATOMIC_RELAXED);
	return 7;
}
int main(void)
{
	struct cl_thread *t[4];
	int r, sum = 0;
	for (int i = 0; i < 4; i++)
		if (cl_thread_spawn(&t[i], work, (void *)1L) < 0)
			return 1;
	for (int i = 0; i < 4; i++) {
		if (cl_thread_join(t[i], &r) < 0)
			return 1;
		sum += r;
	}
	cl_printf(&cl_stdout, "counter %ld, results %d\n", counter, sum);
	return 0;
}
