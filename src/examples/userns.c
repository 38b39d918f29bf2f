/* userns: clone(NEWUSER|SIGCHLD). The child starts as the overflow uid 65534; one
 * line "0 <uid outside> 1" in its own uid_map makes it root inside, where setuid(0)
 * then succeeds. (The library's cl_userns_map also denies setgroups and maps gid 0.) */
#include "clonelab.h"
#include "sysnr.h"

int main(void)
{
	char map[24] = "0 ";	/* inside 0 = outside <our uid>, a range of 1 */
	char *p = map + 2 + cl_strlen(cl_utoa((unsigned long)cl_syscall0(CL_NR_getuid), map + 2));
	*p++ = ' ', *p++ = '1';
	long pid = cl_syscall5(CL_NR_clone, CL_CLONE_NEWUSER | CL_SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {	/* forbidden here, or QEMU user mode */
		cl_say("clone: errno ", -pid);
		return 3;
	}
	if (pid == 0) {
		cl_say("uid before map: ", cl_syscall0(CL_NR_getuid));
		long fd = cl_syscall4(CL_NR_openat, -100, (long)"/proc/self/uid_map", 1, 0);
		cl_syscall3(CL_NR_write, fd, (long)map, p - map);
		cl_say("uid after map: ", cl_syscall0(CL_NR_getuid));
		cl_say("setuid(0) = ", cl_syscall1(CL_NR_setuid, 0));
		return 0;
	}
	cl_syscall4(CL_NR_wait4, pid, 0, 0, 0);	/* the child's lines say how it went */
	return 0;
}
