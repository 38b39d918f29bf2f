/* fork.c: fork and wait, the clone way. */
#include "rt.h"

/* No new stack: the child resumes on a copy-on-write copy of ours, right after the
 * syscall, so the call returns twice. aarch64 has no fork syscall at all; this is
 * what fork is there. */
long cl_fork(void)
{
	cl_flush_if_linked();
	return SYS5(clone, SIGCHLD, 0, 0, 0, 0);
}

long cl_wait(int pid, int *status, int options)
{
	long r;
	do
		r = SYS4(wait4, pid, status, options | CL_WALL, 0);
	while (r == -EINTR);
	return r;
}

int cl_gettid(void)
{
	return (int)SYS0(gettid);
}
