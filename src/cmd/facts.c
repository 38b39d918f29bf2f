/* facts.c: probes of what this environment allows. */
#include "cmd.h"

long cl_clone3_probe(void)
{
	return SYS2(clone3, 0, 0);
}

long cl_userns_probe(void)
{
	cl_flush_all();
	long pid = SYS5(clone, CL_CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		SYS1(exit, 0);	/* the child: being created was the test */
	if (pid < 0)
		return pid;
	int status;
	long r = cl_wait((int)pid, &status, 0);
	return r < 0 ? r : 0;	/* created is what counts; its exit status is always 0 */
}

void cl_sigchld_default(void)
{
	unsigned long dfl[4] = { 0 };	/* SIG_DFL, no flags, no mask */
	SYS4(rt_sigaction, SIGCHLD, dfl, 0, 8);
}
