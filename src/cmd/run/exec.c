/* exec.c: becoming COMMAND, the last step of both the child (child.c) and the
 * container's init (init.c): the caller's signal state back, only descriptors 0, 1
 * and 2 kept, then execve through PATH. */
#include "run.h"

#define ENOEXEC 8

static const char *env_get(char **env, const char *key)
{
	size_t k = cl_strlen(key);
	for (; *env; env++)
		if (cl_startswith(*env, key) && (*env)[k] == '=')
			return *env + k + 1;
	return 0;
}

/* close_range is Linux 5.9; before it, or where a seccomp filter refuses it, one by
 * one: no /proc/self/fd to list (it may not be ours, or mounted), so up to 65536,
 * above any default RLIMIT_NOFILE soft limit. */
void run_close_inherited(void)
{
	if (SYS3(close_range, 3, ~0U, 0) < 0)
		for (int fd = 3; fd < 65536; fd++)
			SYS1(close, fd);
}

static const char *exec_why(long e, int searched)
{
	if (e == -EACCES)
		return searched ? "found but not executable, or a PATH directory is not "
			"searchable" : "found, but not executable (no x permission, a "
			"directory, or a noexec mount)";
	if (e == -ENOEXEC)
		return "found, but not a program this kernel can run (no #! line, or another "
			"architecture)";
	return 0;
}

void run_exec(struct container *c)
{
	const char *file = c->argv[0];
	int searched = *file != 0;	/* a name without '/' is looked for in PATH */
	for (const char *s = file; *s; s++)
		searched &= *s != '/';
	const char *path = searched ? env_get(c->envp, "PATH") : 0;
	if (searched && !path)
		path = CL_EXEC_DEFAULT_PATH;
	/* The caller's SIGCHLD disposition and mask, as if clonelab were not there. */
	SYS4(rt_sigaction, SIGCHLD, c->old_chld, 0, 8);
	cl_set_sigmask(&c->sigmask);
	/* Only 0, 1 and 2 go on: whatever the caller let us inherit stops here too. */
	run_close_inherited();
	long e = cl_execvp(file, c->argv, c->envp, path);
	if (e == -ENOENT || e == -ENOTDIR) {
		errf(ME ": %s: not found", file);
		if (path)
			errf(" in PATH=%s", path);
		if (c->root)
			errf(" (inside --root %s)", c->root);
		errf("\n");
		cl_exit(127);
	}
	cl_perror(ME, file, e, exec_why(e, searched));
	cl_exit(126);
}
