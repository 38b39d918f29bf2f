/* run.c: `clonelab run`, a container runner in the manner of util-linux unshare(1).
 *
 * One clone call makes every namespace. The parent writes the child's id maps, then
 * releases it through a pipe (the child must not touch hostname or mounts before it is
 * root in its namespace). The child (child.c) sets up hostname, mounts, root and
 * cwd, writes the --json report (report.c), and then either becomes COMMAND
 * (--no-init, or no new pid namespace) or stays as PID 1, a tiny init that forks
 * COMMAND (init.c). This file is the command: its options, the checks before any
 * clone, the clone, the release, and the wait. */
#include "run.h"

#define F_GETFD 1
#define RUN_STACK (64 * 1024)
#define GO_ON -1	/* an option setter's "carry on parsing" */

static const char usage[] =
	"usage: clonelab run [OPTIONS] [--] [COMMAND [ARGS...]]\n\n"
	"Runs COMMAND (default: $SHELL) in new namespaces, all made by one clone call.\n"
	"  --user --pid --mount --uts --ipc --net --cgroup --time   the namespaces; none\n"
	"                    given: all, with --map-root, --mount-proc, hostname clonelab\n"
	"  --map-root        map your uid and gid to root inside (setgroups: deny)\n"
	"  --map-user UID    map your uid to UID inside; --map-group GID: your gid to GID\n"
	"  --hostname NAME   the hostname inside (implies --uts)\n"
	"  --mount-proc      a fresh /proc, mounts made private first (implies --mount)\n"
	"  --root DIR        pivot_root into DIR, a usable tree (with DIR/proc for\n"
	"                    --mount-proc); implies --mount\n"
	"  --cwd DIR         the working directory inside (default: / with --root)\n"
	"  --env KEY=VAL     set a variable (repeatable); --clear-env: start from none\n"
	"  --no-init         COMMAND itself is PID 1, as with unshare --fork\n"
	"  --json            the set-up report, before exec, on --report-fd N (default 1)\n\n"
	"Otherwise PID 1 is clonelab's init: it reaps orphans, forwards HUP INT QUIT\n"
	"USR1 USR2 TERM to COMMAND and exits with its status, so COMMAND keeps the usual\n"
	"signal semantics (PID 1 ignores signals it has no handler for). COMMAND is\n"
	"searched in PATH, in a session of its own, with no_new_privs, no TIOCSTI, a new\n"
	"session keyring; no descriptor but 0, 1 and 2 reaches it.\n\n"
	"Exit status: COMMAND's, 128+N if signal N killed it, 126 found but not runnable,\n"
	"127 not found, 1 clonelab failed, 2 usage error, 3 not possible here.\n";

const char ns_names[NNS][8] = { "user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time" };
const uint32_t ns_flags[NNS] = { CL_CLONE_NEWUSER, CL_CLONE_NEWPID, CL_CLONE_NEWNS,
	CL_CLONE_NEWUTS, CL_CLONE_NEWIPC, CL_CLONE_NEWNET, CL_CLONE_NEWCGROUP, CL_CLONE_NEWTIME };

/* The one container a run makes: the option table below points into it. */
static struct container container;

/* ---- the options: a setter takes the option's value and returns GO_ON, or the exit
 * status to stop with (a usage error, or 0 after --help) ---- */
static int parse_id(const char *opt, const char *s, long *v)
{
	unsigned long u;
	if (cl_parse_ulong(s, &u) < 0 || u >= 0xffffffffUL) {
		errf(ME ": %s takes a number below 4294967295, not '%s'\n", opt, s);
		return CL_EXIT_USAGE;
	}
	*v = (long)u;
	return GO_ON;
}

static int set_map_user(struct container *c, const char *v)
{
	return parse_id("--map-user", v, &c->map_uid);
}

static int set_map_group(struct container *c, const char *v)
{
	return parse_id("--map-group", v, &c->map_gid);
}

static int set_env(struct container *c, const char *v)
{
	const char *s = v;
	while (*s && *s != '=')
		s++;
	if (!*s || s == v || c->nset == MAX_ENV_SET) {
		errf(ME ": --env takes KEY=VALUE (at most %d of them), not '%s'\n", MAX_ENV_SET, v);
		return CL_EXIT_USAGE;
	}
	c->set[c->nset++] = v;
	return GO_ON;
}

static int set_report_fd(struct container *c, const char *v)
{
	unsigned long fd;
	if (cl_parse_ulong(v, &fd) < 0 || fd > 0x7fffffff || SYS2(fcntl, fd, F_GETFD) < 0) {
		errf(ME ": --report-fd %s: not an open descriptor\n", v);
		return CL_EXIT_USAGE;
	}
	c->report_fd = c->rep.fd = (int)fd;
	return GO_ON;
}

static int show_help(struct container *c, const char *v)
{
	(void)c, (void)v;
	outf("%s", usage);
	return CL_EXIT_OK;
}

/* An option does one or more of: name a namespace (added to flags), imply one (added
 * to implied), turn a switch on, keep its value as it is, or call a setter. */
#define NS(name, flag) { name, 0, flag, 0, 0, 0, 0 }
static const struct option {
	const char *name;
	int has_arg;
	uint64_t names, implies;
	int *on;
	const char **text;
	int (*set)(struct container *c, const char *val);
} options[] = {
	NS("--user", CL_CLONE_NEWUSER), NS("--pid", CL_CLONE_NEWPID),
	NS("--mount", CL_CLONE_NEWNS), NS("--uts", CL_CLONE_NEWUTS),
	NS("--ipc", CL_CLONE_NEWIPC), NS("--net", CL_CLONE_NEWNET),
	NS("--cgroup", CL_CLONE_NEWCGROUP), NS("--time", CL_CLONE_NEWTIME),
	{ "--map-root", 0, 0, 0, &container.map_root, 0, 0 },
	{ "--map-user", 1, 0, 0, 0, 0, set_map_user },
	{ "--map-group", 1, 0, 0, 0, 0, set_map_group },
	{ "--hostname", 1, 0, CL_CLONE_NEWUTS, 0, &container.hostname, 0 },
	{ "--mount-proc", 0, 0, 0, &container.mount_proc, 0, 0 },
	{ "--root", 1, 0, 0, 0, &container.root, 0 },
	{ "--cwd", 1, 0, 0, 0, &container.cwd, 0 },
	{ "--env", 1, 0, 0, 0, 0, set_env },
	{ "--clear-env", 0, 0, 0, &container.clear_env, 0, 0 },
	{ "--json", 0, 0, 0, &container.json, 0, 0 },
	{ "--report-fd", 1, 0, 0, 0, 0, set_report_fd },
	{ "--no-init", 0, 0, 0, &container.no_init, 0, 0 },
	{ "--help", 0, 0, 0, 0, 0, show_help },
};
#define NOPTIONS (sizeof options / sizeof options[0])

/* The options into the container: GO_ON, or the exit status (usage error, --help). */
static int parse(struct container *c, int argc, char **argv)
{
	struct cl_opt opts[NOPTIONS + 1] = { { 0, 0 } };	/* cl_getopt's view of the table */
	for (unsigned i = 0; i < NOPTIONS; i++)
		opts[i] = (struct cl_opt){ options[i].name, options[i].has_arg };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	int k, st;
	while ((k = cl_getopt(&a, opts, ME)) != CL_ARG_END) {
		if (k == CL_ARG_POSITIONAL) {
			c->argv = argv + a.i - 1;
			break;
		}
		if (k < 0)
			return CL_EXIT_USAGE;
		const struct option *o = &options[k];
		c->flags |= o->names;
		c->implied |= o->implies;
		if (o->on)
			*o->on = 1;
		if (o->text)
			*o->text = a.val;
		if (o->set && (st = o->set(c, a.val)) != GO_ON)
			return st;
	}
	return GO_ON;
}

/* $SHELL, or /bin/sh: COMMAND when none is given. */
static char **default_command(void)
{
	static char *sh[2];
	const char *s = 0;
	for (char **e = cl_environ; *e && !s; e++)
		if (cl_startswith(*e, "SHELL=") && (*e)[6])
			s = *e + 6;
	sh[0] = (char *)(s ? s : "/bin/sh");
	return sh;
}

/* What the options imply, and the defaults: all namespaces if none was named. */
static void settle(struct container *c)
{
	c->named = c->flags | c->implied;
	if (!c->flags) {	/* no namespace named: all of them, as a container */
		for (unsigned i = 0; i < NNS; i++)
			c->flags |= ns_flags[i];
		c->map_root = c->mount_proc = 1;
		if (!c->hostname)
			c->hostname = "clonelab";
	}
	if (c->map_root || c->map_uid >= 0 || c->map_gid >= 0)
		c->implied |= CL_CLONE_NEWUSER;
	if (c->mount_proc || c->root)
		c->implied |= CL_CLONE_NEWNS;
	c->flags |= c->implied;
	c->named |= c->implied;
	if (c->map_root) {
		if (c->map_uid < 0)
			c->map_uid = 0;
		if (c->map_gid < 0)
			c->map_gid = 0;
	}
	if (!c->argv)
		c->argv = default_command();
	if (c->root && !c->cwd)
		c->cwd = "/";
}

/* ---- the checks before any clone ---- */
/* DIR is our root itself (--root /, or / in a chroot)? /proc/self/fd/N names it
 * relative to our root: exactly "/" then. Without a /proc we cannot tell (0). */
static int is_our_root(long fd)
{
	char path[40], buf[2];
	cl_utoa((unsigned long)fd, cl_stpcpy(path, "/proc/self/fd/"));
	return SYS4(readlinkat, AT_FDCWD, path, buf, sizeof buf) == 1 && buf[0] == '/';
}

static int root_fail(struct container *c, int status, long e, const char *why)
{
	cl_perror(ME ": --root", c->root, e, why);
	run_report_error(c, status, "--root", e, why);
	return status;
}

/* A clear error now rather than a failed mount later. 0, or the exit status. */
static int check_root(struct container *c)
{
	long fd = SYS4(openat, AT_FDCWD, c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (cl_is_err(fd))
		return root_fail(c, CL_EXIT_FAIL, fd, fd == -ENOENT ? "no such directory" :
				 fd == -ENOTDIR ? "not a directory" : 0);
	int same = is_our_root(fd);
	/* Not followed if a symlink: the child mounts on this directory only (child.c). */
	long p = c->mount_proc ? run_open_proc_dir(fd) : 0;
	SYS1(close, fd);
	if (same)
		return root_fail(c, CL_EXIT_USAGE, -EINVAL, "this is already the root directory, "
				 "there is nothing to pivot into: leave out --root (--cwd / for the "
				 "directory)");
	if (cl_is_err(p))
		return root_fail(c, CL_EXIT_FAIL, p, run_proc_dir_why(p));
	SYS1(close, p);
	return 0;
}

/* ---- copies the child keeps: the init blanks the originals (init.c) ---- */
/* A deep copy of a NULL-terminated vector of strings, in one mapping of its own: what
 * the init still needs once hide_caller has blanked the originals. NULL if no memory. */
static char **pack(char *const *v)
{
	size_t n = 0, bytes = 0;
	for (; v[n]; n++)
		bytes += cl_strlen(v[n]) + 1;
	long m = cl_map((n + 1) * sizeof(char *) + bytes);
	if (cl_is_err(m))
		return 0;
	char **out = (char **)m, *s = (char *)(out + n + 1);
	for (size_t i = 0; i < n; i++) {
		out[i] = s;
		s = cl_stpcpy(s, v[i]) + 1;
	}
	out[n] = 0;
	return out;
}

/* COMMAND's environment: ours (or none, --clear-env) with the --env KEY=VALs over it. */
static char **make_env(struct container *c)
{
	int n = 0;
	if (!c->clear_env)
		while (cl_environ[n])
			n++;
	size_t size = (size_t)(n + c->nset + 1) * sizeof(char *);
	long m = cl_map(size);
	if (cl_is_err(m))
		return 0;
	char **env = (char **)m;
	memcpy(env, cl_environ, (size_t)n * sizeof(char *));
	for (int i = 0; i < c->nset; i++) {
		const char *set = c->set[i];
		size_t k = 0;
		while (set[k] != '=')
			k++;
		int at = 0;
		while (at < n && memcmp(env[at], set, k + 1))
			at++;
		env[at] = (char *)set;
		n += at == n;
	}
	env[n] = 0;
	char **packed = pack(env);
	SYS2(munmap, env, size);
	return packed;
}

/* argv, environment and --root DIR copied out of the caller's memory: 0 or -ENOMEM. */
static long copy_out(struct container *c)
{
	const char *root[] = { c->root, 0 };
	char **root_copy = c->root ? pack((char **)root) : 0;
	if (!(c->envp = make_env(c)) || !(c->argv = pack(c->argv)) || (c->root && !root_copy))
		return -ENOMEM;
	if (root_copy)
		c->root = root_copy[0];
	return 0;
}

/* ---- the clone ---- */
static int clone_failed(struct container *c, long e, int api)
{
	const char *what = api ? "clone3" : "clone", *why = 0;
	int status = CL_EXIT_FAIL;
	if ((c->flags & CL_CLONE_NEWUSER) && (e == -EPERM || e == -ENOSPC || e == -EUSERS))
		why = cl_userns_why(e), status = CL_EXIT_UNSUPPORTED;
	else if (e == -ENOSYS)	/* clone3's, and --time was asked for: no quiet downgrade */
		why = "--time needs it: " DROPPED_TIME_WHY, status = CL_EXIT_UNSUPPORTED;
	else if (e == -EAGAIN)
		why = "no process can be added: this uid is at its RLIMIT_NPROC (ulimit -u), "
		      "or the system at its pid or thread limit";
	else if (e == -EPERM)
		why = "namespaces other than a user namespace need CAP_SYS_ADMIN: run as root, "
		      "or add --user --map-root";
	else if (e == -EINVAL && (c->flags & CL_CLONE_NEWPID) && cl_pidns_unshared())
		why = "CLONE_NEWPID: this process already called unshare(CLONE_NEWPID) (as "
		      "unshare --pid without --fork does), and a new pid namespace can be made "
		      "only from the one its own pid is in", status = CL_EXIT_UNSUPPORTED;
	else if (e == -EINVAL && (c->flags & CL_CLONE_NEWTIME))
		why = "this kernel may lack time namespaces (CONFIG_TIME_NS): try without --time";
	if (status == CL_EXIT_UNSUPPORTED)
		errf(ME ": not possible here: ");
	else
		errf(ME ": ");
	cl_perror(what, 0, e, why);
	run_report_error(c, status, what, e, why);
	return status;
}

/* The one clone: clone3, or legacy clone where clone3 is ENOSYS. The child's pid or
 * -errno; *api 1 for clone3, 0 for clone. Precondition: every signal blocked. */
static long make_child(struct container *c, long stk, int *api)
{
	struct cl_clone_args ca = { .flags = c->flags, .exit_signal = SIGCHLD,
				    .stack = (uint64_t)stk, .stack_size = RUN_STACK };
	long pid = cl_clone3(&ca, 64, run_child_main, c);	/* 64: clone_args' first version */
	*api = 1;
	if (pid == -ENOSYS && !(c->named & CL_CLONE_NEWTIME)) {
		/* Legacy clone has no room for CLONE_NEWTIME (bit 7 is the exit signal's).
		 * Only the default set may lose it, and we say so. */
		*api = 0;
		if (c->flags & CL_CLONE_NEWTIME) {
			c->flags &= ~(uint64_t)CL_CLONE_NEWTIME;
			c->dropped = "time";
			errf(ME ": note: no time namespace: " DROPPED_TIME_WHY "\n");
			cl_flush_all();
		}
		pid = cl_clone(run_child_main, (char *)stk + RUN_STACK,
			       (unsigned long)c->flags | SIGCHLD, c, 0, 0, 0);
	}
	return pid;
}

/* The release pipe, a stack, and the clone with every signal blocked across it: the
 * child's pid, or the exit status negated (already reported). */
static long start_child(struct container *c)
{
	long e = SYS2(pipe2, c->release_pipe, O_CLOEXEC);
	long stk = SYS6(mmap, 0, RUN_STACK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (e < 0 || cl_is_err(stk))
		return -run_fail(c, e < 0 ? "pipe2" : "mmap of the child's stack", e < 0 ? e : stk, 0);
	/* Our waits need SIGCHLD at SIG_DFL (cmd.h says why), and so does the init;
	 * COMMAND gets the caller's action back. */
	cl_sigchld_default(c->old_chld);
	/* Every signal blocked across the clone; each side then sets its own mask. */
	cl_flush_all();
	cl_block_all(&c->sigmask);
	int api;
	long pid = make_child(c, stk, &api);
	uint64_t mask = c->sigmask | WAIT_SET;
	cl_set_sigmask(&mask);
	SYS1(close, c->release_pipe[0]);
	SYS2(munmap, stk, RUN_STACK);
	if (pid < 0) {
		cl_set_sigmask(&c->sigmask);
		return -clone_failed(c, pid, api);
	}
	c->release = (struct release){ (int)pid, api };
	return pid;
}

/* Write the child's id maps, then let it go: 0, or the exit status (the child has
 * then seen EOF on the release pipe, exited, and been reaped). */
static int release_child(struct container *c, int pid)
{
	if (c->map_uid >= 0 || c->map_gid >= 0) {
		int step = 0;
		long e = cl_userns_map_ids(pid, c->map_uid, c->out_uid, c->map_gid, c->out_gid, &step);
		if (e < 0) {
			run_fail(c, "the user namespace's id maps", e, cl_userns_map_why(step, e));
			SYS1(close, c->release_pipe[1]);	/* the child sees EOF and exits */
			int st;
			cl_wait(pid, &st, 0);
			return CL_EXIT_FAIL;
		}
	}
	/* The write end stays open until we die: the child's sign that we live. */
	SYS3(write, c->release_pipe[1], &c->release, sizeof c->release);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct container *c = &container;
	int st;
	c->map_uid = c->map_gid = -1;
	c->report_fd = 1;
	c->rep = (struct cl_out){ 1, 0, sizeof c->repbuf, c->repbuf };
	if ((st = parse(c, argc, argv)) != GO_ON)
		return st;
	settle(c);
	if (cl_under_qemu()) {
		errf(ME ": not possible here: new namespaces need the kernel's clone, and "
		    CL_QEMU_CLONE_WHY ": every CLONE_NEW* is EINVAL there\n");
		run_report_error(c, CL_EXIT_UNSUPPORTED, "clone", -EINVAL, CL_QEMU_CLONE_WHY);
		return CL_EXIT_UNSUPPORTED;
	}
	if (c->root && (st = check_root(c)) != 0)
		return st;
	/* main passes our argv from "run" on: clonelab's own starts one before. */
	c->caller_argv = argv - 1;
	if (copy_out(c) < 0)
		return run_fail(c, "mmap", -ENOMEM, 0);
	c->out_uid = (unsigned)SYS0(geteuid);
	c->out_gid = (unsigned)SYS0(getegid);
	c->parent_pid = (int)SYS0(getpid);
	long pid = start_child(c);
	if (pid < 0)
		return (int)-pid;
	if ((st = release_child(c, (int)pid)) != 0)
		return st;
	return run_status_code(run_supervise((int)pid, 0));
}
