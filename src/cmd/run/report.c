/* report.c: what `clonelab run` says: errors in words (and, with --json, as one
 * JSON object), and the --json report the child writes before COMMAND starts. */
#include "run.h"

void run_report_error(struct container *c, int status, const char *step, long e, const char *why)
{
	if (!c->json)
		return;
	struct cl_json j = { &c->rep, 0, 0 };
	cl_json_error(&j, status, step, e, why);
	cl_json_close(&j, '}');
	cl_flush(&c->rep);
	cmd_json_reported = 1;
}

int run_fail(struct container *c, const char *step, long e, const char *why)
{
	cl_perror(ME, step, e, why);
	run_report_error(c, CL_EXIT_FAIL, step, e, why);
	return CL_EXIT_FAIL;
}

const char *run_proc_dir_why(long e)
{
	if (e == -ELOOP)
		return "DIR/proc is a symbolic link: --mount-proc mounts only on a directory "
		       "inside DIR (a link can lead out of it, and the mount would vanish with "
		       "the old root)";
	if (e == -ENOENT || e == -ENOTDIR)
		return "--mount-proc needs a proc directory in this tree: create DIR/proc";
	return 0;
}

/* Precondition: in the child, released (the maps are written). */
void run_read_maps(struct container *c)
{
	cl_read_first_line("/proc/self/uid_map", c->uid_map, sizeof c->uid_map);
	cl_read_first_line("/proc/self/gid_map", c->gid_map, sizeof c->gid_map);
}

/* Which namespaces, made by which call, and what was dropped. */
static void report_clone(struct container *c, struct cl_json *j)
{
	cl_json_open(j, "namespaces", '[');
	for (unsigned i = 0; i < NNS; i++)
		if (c->flags & ns_flags[i])
			cl_json_str(j, 0, ns_names[i]);
	cl_json_close(j, ']');
	cl_json_open(j, "dropped", '[');
	if (c->dropped)
		cl_json_str(j, 0, c->dropped);
	cl_json_close(j, ']');
	cl_json_str(j, "dropped_why", c->dropped ? DROPPED_TIME_WHY : 0);
	cl_json_hex(j, "clone_flags", c->flags);
	cl_json_str(j, "syscall", c->release.api ? "clone3" : "clone");
}

long run_report_ok(struct container *c)
{
	char cwd[4096];		/* PATH_MAX: the longest path getcwd returns */
	struct cl_json j = { &c->rep, 0, 0 };
	int user = !!(c->flags & CL_CLONE_NEWUSER), pidns = !!(c->flags & CL_CLONE_NEWPID);
	cl_json_open(&j, 0, '{');
	cl_json_str(&j, "result", "ok");
	report_clone(c, &j);
	cl_json_int(&j, "pid_outside", c->release.pid);
	cl_json_int(&j, "pid_inside", SYS0(getpid));
	cl_json_str(&j, "pid1", !pidns ? 0 : c->no_init ? "command" : "clonelab-init");
	cl_json_str(&j, "uid_map", user && c->uid_map[0] ? c->uid_map : 0);
	cl_json_str(&j, "gid_map", user && c->gid_map[0] ? c->gid_map : 0);
	cl_json_int(&j, "uid", SYS0(getuid));
	cl_json_int(&j, "gid", SYS0(getgid));
	cl_json_str(&j, "hostname", c->hostname);
	cl_json_str(&j, "propagation", c->flags & CL_CLONE_NEWNS ? "private" : 0);
	cl_json_bool(&j, "proc", c->mount_proc);
	cl_json_str(&j, "root", c->root);
	cl_json_str(&j, "root_method", c->root_method);
	/* null when there is no path: longer than PATH_MAX, or outside our root (the
	 * kernel then returns "(unreachable)..."). */
	long n = SYS2(getcwd, cwd, sizeof cwd);
	cl_json_str(&j, "cwd", n > 0 && cwd[0] == '/' ? cwd : 0);
	cl_json_str(&j, "env", c->clear_env ? "cleared" : "inherited");
	cl_json_open(&j, "command", '[');
	for (char **a = c->argv; *a; a++)
		cl_json_str(&j, 0, *a);
	cl_json_close(&j, ']');
	cl_json_close(&j, '}');
	return cl_flush(&c->rep);
}
