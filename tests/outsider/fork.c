/* fork.c: cl_fork and cl_wait. Prints "child exited 5". */
#include "clonelab.h"
#include "sysnr.h"
int main(void)
{
	long pid = cl_fork();
	if (pid == 0)
		return 5;
	int st;
	if (cl_wait((int)pid, &st, 0) != pid)
		return 1;
	cl_say("child exited ", CL_WEXITSTATUS(st));
	return 0;
}
