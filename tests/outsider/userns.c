/* userns.c: a user namespace by a raw clone; the child maps itself and is root inside.
 * Where that is impossible, cl_userns_why says why and the program exits 3. */
#include "clonelab.h"
#include "sysnr.h"
int main(void)
{
	unsigned uid = (unsigned)cl_syscall0(CL_NR_getuid), gid = (unsigned)cl_syscall0(CL_NR_getgid);
	long pid = cl_syscall5(CL_NR_clone, CL_CLONE_NEWUSER | CL_SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		cl_printf(&cl_stderr, "%s: %s\n", cl_errno_name(pid), cl_userns_why(pid));
		return 3;
	}
	if (pid == 0) {
		int step;
		if (cl_userns_map(0, uid, gid, &step) < 0)
			return 1;
		cl_say("uid inside ", cl_syscall0(CL_NR_getuid));
		return 0;
	}
	int st;
	cl_wait((int)pid, &st, 0);
	return CL_WEXITSTATUS(st);
}
