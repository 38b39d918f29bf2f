/* userns.c: user-namespace id maps, and why a user namespace could not be made.
 * The rules are user_namespaces(7)'s and kernel/user_namespace.c's. */
#include "rt.h"

static long write_map(int pid, const char *file, const char *text)
{
	char path[48];
	return cl_write_file(cl_proc_path(path, pid, file), text);
}

static char *map_line(char *buf, unsigned outside)
{
	char num[21];
	char *p = buf;
	*p++ = '0', *p++ = ' ';
	for (const char *s = cl_utoa(outside, num); *s;)
		*p++ = *s++;
	memcpy(p, " 1\n", 4);
	return buf;
}

int cl_userns_map(int pid, unsigned outside_uid, unsigned outside_gid, const char **why)
{
	char line[32];
	const char *dummy;
	if (!why)
		why = &dummy;
	/* An unprivileged gid_map is refused until setgroups is denied: otherwise the
	 * new root could drop supplementary groups that were denying it access. ENOENT:
	 * a kernel before 3.19 has no such file and no such rule. */
	long r = write_map(pid, "setgroups", "deny");
	if (r < 0 && r != -ENOENT) {
		*why = "writing setgroups: only the namespace's owner may, before gid_map is written";
		return (int)r;
	}
	r = write_map(pid, "uid_map", map_line(line, outside_uid));
	if (r < 0) {
		*why = r == -EPERM ? "writing uid_map: it can be written once, only by the "
			"namespace's owner, and without CAP_SETUID outside only to map its own euid"
			: "writing uid_map";
		return (int)r;
	}
	r = write_map(pid, "gid_map", map_line(line, outside_gid));
	if (r < 0) {
		*why = r == -EPERM ? "writing gid_map: it can be written once, only after "
			"setgroups is denied, and without CAP_SETGID outside only to map its own egid"
			: "writing gid_map";
		return (int)r;
	}
	return 0;
}

const char *cl_userns_why(long err)
{
	char v[16];
	switch (-err) {
	case EPERM:
		if (cl_read_file("/proc/sys/kernel/unprivileged_userns_clone", v, sizeof v) > 0 &&
		    v[0] == '0')
			return "unprivileged user namespaces are disabled here "
			       "(sysctl kernel.unprivileged_userns_clone = 0)";
		return "the kernel refused a new user namespace: forbidden for unprivileged "
		       "users here (a sysctl, an LSM policy or a seccomp filter), or this "
		       "process is chrooted, or its uid has no mapping in its own namespace";
	case ENOSPC:
		return "the limit on user namespaces is reached "
		       "(/proc/sys/user/max_user_namespaces; 0 disables them), or the nesting "
		       "depth of 32 is";
	case EUSERS:
		return "user namespaces nest at most 32 deep";
	case EINVAL:
		return "CLONE_NEWUSER cannot be combined with CLONE_FS, CLONE_THREAD or "
		       "CLONE_PARENT, and unshare(CLONE_NEWUSER) needs a single-threaded process";
	case ENOSYS:
		return "this kernel has no user namespaces (CONFIG_USER_NS is off)";
	}
	return 0;
}
