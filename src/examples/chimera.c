/* chimera: CLONE_VM without CLONE_THREAD. Two processes, two pids, one memory.
 * No signal handlers exist here, so there is nothing to block across the clone. */
#include "clonelab.h"
#include "sysnr.h"

static volatile int value = 1;
static char stack[16384] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	value = 2;
	cl_say("child:  my pid is ", cl_syscall0(CL_NR_getpid));
	return 0;
}

int main(void)
{
	long pid = cl_clone(child, stack + sizeof stack, CL_CLONE_VM | CL_SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {	/* QEMU user mode allows only the fork and thread shapes */
		cl_say("clone(CLONE_VM) failed: errno ", -pid);
		return 3;
	}
	int status;
	cl_wait((int)pid, &status, 0);
	cl_say("parent: my pid is ", cl_syscall0(CL_NR_getpid));
	cl_say("parent: value, after the child wrote 2: ", value);
	return 0;
}
