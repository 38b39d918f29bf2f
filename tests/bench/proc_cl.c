/* proc_cl.c: process create + wait with clonelab's fork emulation (clone(SIGCHLD), no
 * new stack) from a tiny freestanding binary. The child exits at once.
 *   proc_cl [N] */
#include "free.h"

static void one(void)
{
	long pid = cl_fork();
	if (pid == 0)
		SYS1(exit_group, 0);
	if (pid < 0)
		die("cl_fork", pid);
	int st;
	long r = cl_wait((int)pid, &st, 0);
	if (r != pid || st != 0)
		die("cl_wait", r < 0 ? r : -ECHILD);
}

int main(int argc, char **argv)
{
	time_calls(one, 10, arg_count(argc, argv, 500));
	return 0;
}
