/* hosted.c: a hosted C program (glibc, musl): a thread, a fork, libc's stdio and
 * cl_printf, whose buffer a destructor flushes at exit. */
#include <stdio.h>
#include <unistd.h>
#include "clonelab.h"
static int work(void *arg) { return (int)(long)arg * 2; }
int main(void)
{
	struct cl_thread *t;
	int r = -1, st = 0;
	if (cl_thread_spawn(&t, work, (void *)21L) < 0 || cl_thread_join(t, &r) < 0)
		return 1;
	fflush(stdout);
	long pid = cl_fork();
	if (pid == 0)
		_exit(3);
	cl_wait(pid, &st, 0);
	printf("thread %d, child %d\n", r, CL_WEXITSTATUS(st));
	cl_printf(&cl_stdout, "flushed at exit\n");
	return 0;
}
