/* userns.c: user-namespace id maps, and why a user namespace could not be made.
 * The rules are user_namespaces(7)'s and kernel/user_namespace.c's. */
#include "rt.h"

/* Write text to /proc/<pid>/<file> (pid 0: self). */
static long write_proc(int pid, const char *file, const char *text)
{
	char path[48];
	return cl_write_file(cl_proc_path(path, pid, file), text);
}

int cl_userns_map(int pid, unsigned outside_uid, unsigned outside_gid, int *step)
{
	return cl_userns_map_ids(pid, 0, outside_uid, 0, outside_gid, step);
}

int cl_userns_map_ids(int pid, long inside_uid, unsigned outside_uid, long inside_gid,
		      unsigned outside_gid, int *step)
{
	static const char *const files[] = { "setgroups", "uid_map", "gid_map" };
	const long inside[] = { inside_gid, inside_uid, inside_gid };
	const unsigned outside[] = { 0, outside_uid, outside_gid };
	char line[48];
	int dummy;
	if (!step)
		step = &dummy;
	for (int i = 0; i < 3; i++) {
		if (inside[i] < 0)	/* no such map wanted (and no setgroups without gid_map) */
			continue;
		/* "deny" first: an unprivileged gid_map is refused until setgroups is denied. */
		if (i) {	/* "inside outside 1\n" */
			char *p = line + cl_strlen(cl_utoa((unsigned long)inside[i], line));
			*p++ = ' ';
			cl_stpcpy(p + cl_strlen(cl_utoa(outside[i], p)), " 1\n");
		}
		long r = write_proc(pid, files[i], i ? line : "deny");
		if (r < 0 && !(i == 0 && r == -ENOENT)) {	/* no setgroups before 3.19 */
			*step = i;
			return (int)r;
		}
	}
	return 0;
}

const char *cl_userns_map_why(int step, long err)
{
	if (err != -EPERM)
		return step == 0 ? "writing setgroups" : step == 1 ? "writing uid_map" : "writing gid_map";
	if (step == 0)
		return "setgroups: only the namespace's owner may write it, before gid_map";
	if (step == 1)
		return "uid_map: it can be written once, only by the namespace's owner, and "
		       "without CAP_SETUID outside only to map its own euid";
	return "gid_map: it can be written once, only after setgroups is denied, and "
	       "without CAP_SETGID outside only to map its own egid";
}

const char *cl_userns_why(long err)
{
	char v[16];
	switch (err < 0 ? -err : err) {	/* either sign, as cl_errno_name takes it */
	case EPERM:
		if (cl_read_file("/proc/sys/kernel/unprivileged_userns_clone", v, sizeof v) > 0 &&
		    v[0] == '0')
			return "unprivileged user namespaces are disabled here "
			       "(sysctl kernel.unprivileged_userns_clone = 0)";
		return "forbidden here for unprivileged users (a sysctl, an LSM or a seccomp "
		       "filter), or we are chrooted, or our uid is unmapped";
	case ENOSPC:
		return "the limit on user namespaces is reached "
		       "(/proc/sys/user/max_user_namespaces; 0 disables them), or they "
		       "already nest 32 deep";
	case EUSERS:
		return "user namespaces nest at most 32 deep";
	case EINVAL:	/* no QEMU test here: it would cost every caller's binary the probe */
		return "CLONE_NEWUSER came with CLONE_FS, CLONE_THREAD or CLONE_PARENT (or "
		       "unshare in a threaded process); or QEMU user mode, which refuses every "
		       "CLONE_NEW* flag";
	case ENOSYS:
		return "this kernel has no user namespaces (CONFIG_USER_NS is off)";
	}
	return 0;
}
