/* facts.c: probes of what this environment allows. */
#include "rt.h"

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

/* After unshare(CLONE_NEWPID) (unshare --pid without --fork), our children go to
 * another pid namespace than our own, and CLONE_NEWPID is EINVAL. pid_for_children
 * then names another namespace, or none yet (readlink ENOENT until its first process)
 * although the link exists (Linux 4.12 on). Without /proc we cannot tell: 0. */
int cl_pidns_unshared(void)
{
	char a[40], b[40], st[256];	/* st: any architecture's struct stat */
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid", a, sizeof a);
	long m = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid_for_children", b, sizeof b);
	if (n <= 0)
		return 0;
	if (m == -ENOENT)
		return SYS4(newfstatat, AT_FDCWD, "/proc/self/ns/pid_for_children", st,
			    0x100 /* AT_SYMLINK_NOFOLLOW */) == 0;
	return m > 0 && (n != m || memcmp(a, b, (size_t)n));
}
