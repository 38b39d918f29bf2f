/* fork: one clone(SIGCHLD) with no new stack returns twice: 0 in the child, the
 * child's pid in the parent. The child's write lands in its own copy of memory. */
#include "clonelab.h"
#include "sysnr.h"

static int value = 1;

int main(void)
{
	long pid = cl_fork();
	if (pid == 0) {
		value = 2;
		cl_say("child:  clone returned 0; my pid is ", cl_syscall0(CL_NR_getpid));
		return 0;
	}
	int status;
	cl_wait((int)pid, &status, 0);
	cl_say("parent: clone returned the child's pid ", pid);
	cl_say("parent: my pid is ", cl_syscall0(CL_NR_getpid));
	cl_say("parent: value, after the child wrote 2: ", value);
	return 0;
}
