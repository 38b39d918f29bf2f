/* run.c: `clonelab run`, a container runner in the manner of util-linux unshare(1).
 *
 * One clone call makes every namespace. The parent writes the child's id maps, then
 * releases it through a pipe (the child must not touch hostname or mounts before it is
 * root in its namespace). The child sets up hostname, mounts, root and cwd, writes the
 * --json report, and then either becomes COMMAND (--no-init, or no new pid namespace)
 * or stays as PID 1, a tiny init that forks COMMAND.
 *
 * Why an init by default: the kernel treats PID 1 specially. A signal with no handler
 * is dropped (unshare --fork sh -c 'kill -TERM $$' exits 0), orphans are reparented
 * to it (and most programs never reap them), and its exit kills the namespace. With
 * clonelab's init as PID 1, COMMAND gets ordinary signal semantics and exit statuses,
 * and zombies are reaped. The init uses no signal handlers: it blocks the signals it
 * forwards and SIGCHLD and takes them with rt_sigtimedwait. */
#include "cmd.h"

#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_REC 16384
#define MS_PRIVATE (1 << 18)
#define MNT_DETACH 2
#define F_GETFD 1
#define PR_SET_PDEATHSIG 1
#define SI_KERNEL 0x80
#define EBADF 9
#define ENOEXEC 8
#define SIGBIT(s) (1UL << ((s) - 1))
/* What init (and the outer clonelab) forwards, plus SIGCHLD: the set they wait on. */
#define FWD_SET (SIGBIT(1) | SIGBIT(2) | SIGBIT(3) | SIGBIT(10) | SIGBIT(12) | SIGBIT(15))
#define WAIT_SET (FWD_SET | SIGBIT(SIGCHLD))
#define RUN_STACK (64 * 1024)
#define MAX_ENV_SET 64
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ME "clonelab run"

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
	"  --json            report what was set up, before exec, on --report-fd N\n"
	"                    (default 1)\n\n"
	"Otherwise PID 1 is clonelab's init: it reaps orphans, forwards HUP INT QUIT\n"
	"USR1 USR2 TERM to COMMAND and exits with its status, so COMMAND keeps the usual\n"
	"signal semantics (PID 1 ignores signals it has no handler for). COMMAND is\n"
	"searched in PATH. No descriptor but 0, 1 and 2 reaches it.\n\n"
	"Exit status: COMMAND's, 128+N if signal N killed it, 126 found but not runnable,\n"
	"127 not found, 1 clonelab failed, 2 usage error, 3 not possible here.\n";

static const char ns_names[][8] = { "user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time" };
static const uint32_t ns_flags[] = { CL_CLONE_NEWUSER, CL_CLONE_NEWPID, CL_CLONE_NEWNS,
	CL_CLONE_NEWUTS, CL_CLONE_NEWIPC, CL_CLONE_NEWNET, CL_CLONE_NEWCGROUP, CL_CLONE_NEWTIME };

struct run {
	uint64_t flags;			/* CL_CLONE_NEW* */
	int mount_proc, no_init, clear_env, json, report_fd;
	long map_uid, map_gid;		/* inside ids; -1: no map */
	unsigned out_uid, out_gid;
	const char *hostname, *root, *cwd;
	char **argv, **envp;
	uint64_t sigmask;		/* the caller's, restored for COMMAND */
	int sync[2];			/* parent -> child: "maps written", and what clone did */
	struct { int pid, api; } go;	/* api: 1 clone3, 0 clone (clone3 was ENOSYS) */
	const char *root_method;
	char uid_map[40], gid_map[40];
	struct cl_out rep;		/* the --json report */
	char repbuf[1024];
};

/* ---- the report ---- */
static void report_error(struct run *r, int status, const char *step, long e, const char *why)
{
	if (!r->json)
		return;
	struct cl_json j = { &r->rep, 0, 0 };
	cl_json_open(&j, 0, '{');
	cl_json_str(&j, "result", status == CL_EXIT_UNSUPPORTED ? "unsupported" : "error");
	cl_json_str(&j, "step", step);
	cl_json_str(&j, "errno", cl_errno_name(e));
	cl_json_str(&j, "explanation", why ? why : cl_errno_text(e));
	cl_json_close(&j, '}');
	cl_flush(&r->rep);
}

static int fail(struct run *r, const char *step, long e, const char *why)
{
	cl_perror(ME, step, e, why);
	report_error(r, CL_EXIT_FAIL, step, e, why);
	return CL_EXIT_FAIL;
}

/* "         0       1000          1\n" -> "0 1000 1" */
static void squeeze(char *dst, const char *src, size_t size)
{
	size_t n = 0;
	int sp = 0;
	for (; *src && *src != '\n' && n + 2 < size; src++) {
		if (*src == ' ') {
			sp = n > 0;
			continue;
		}
		if (sp)
			dst[n++] = ' ', sp = 0;
		dst[n++] = *src;
	}
	dst[n] = 0;
}

static void read_map(const char *path, char *out, size_t size)
{
	char buf[256];
	out[0] = 0;
	if (cl_read_file(path, buf, sizeof buf) > 0)
		squeeze(out, buf, size);
}

static void report_ok(struct run *r)
{
	char cwd[512];
	struct cl_json j = { &r->rep, 0, 0 };
	int user = !!(r->flags & CL_CLONE_NEWUSER), pidns = !!(r->flags & CL_CLONE_NEWPID);
	cl_json_open(&j, 0, '{');
	cl_json_str(&j, "result", "ok");
	cl_json_open(&j, "namespaces", '[');
	for (unsigned i = 0; i < 8; i++)
		if (r->flags & ns_flags[i])
			cl_json_str(&j, 0, ns_names[i]);
	cl_json_close(&j, ']');
	cl_json_hex(&j, "clone_flags", r->flags);
	cl_json_str(&j, "syscall", r->go.api ? "clone3" : "clone");
	cl_json_int(&j, "pid_outside", r->go.pid);
	cl_json_int(&j, "pid_inside", SYS0(getpid));
	cl_json_str(&j, "pid1", !pidns ? 0 : r->no_init ? "command" : "clonelab-init");
	cl_json_str(&j, "uid_map", user && r->uid_map[0] ? r->uid_map : 0);
	cl_json_str(&j, "gid_map", user && r->gid_map[0] ? r->gid_map : 0);
	cl_json_int(&j, "uid", SYS0(getuid));
	cl_json_int(&j, "gid", SYS0(getgid));
	cl_json_str(&j, "hostname", r->hostname);
	cl_json_str(&j, "propagation", r->flags & CL_CLONE_NEWNS ? "private" : 0);
	cl_json_bool(&j, "proc", r->mount_proc);
	cl_json_str(&j, "root", r->root);
	cl_json_str(&j, "root_method", r->root_method);
	long n = SYS2(getcwd, cwd, sizeof cwd);
	cl_json_str(&j, "cwd", n > 0 ? cwd : 0);
	cl_json_str(&j, "env", r->clear_env ? "cleared" : "inherited");
	cl_json_open(&j, "command", '[');
	for (char **a = r->argv; *a; a++)
		cl_json_str(&j, 0, *a);
	cl_json_close(&j, ']');
	cl_json_close(&j, '}');
	cl_flush(&r->rep);
}

/* ---- COMMAND ---- */
static const char *env_get(char **env, const char *key)
{
	size_t k = cl_strlen(key);
	for (; *env; env++)
		if (cl_startswith(*env, key) && (*env)[k] == '=')
			return *env + k + 1;
	return 0;
}

/* execvp's search, without its /bin/sh retry on ENOEXEC: never returns. */
__attribute__((noreturn)) static void exec_command(struct run *r)
{
	const char *file = r->argv[0], *path = 0;
	long e = -ENOENT;
	int slash = 0, eacces = 0;
	for (const char *s = file; *s; s++)
		slash |= *s == '/';
	SYS4(rt_sigprocmask, SIG_SETMASK, &r->sigmask, 0, 8);
	/* Only 0, 1 and 2 go on: whatever the caller let us inherit stops here too. */
	if (SYS3(close_range, 3, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			SYS1(close, fd);
	if (slash) {
		e = SYS3(execve, file, r->argv, r->envp);
	} else if (*file) {
		char buf[4096];
		size_t fl = cl_strlen(file);
		path = env_get(r->envp, "PATH");
		if (!path)
			path = DEFAULT_PATH;
		for (const char *p = path;;) {
			const char *q = p;
			while (*q && *q != ':')
				q++;
			size_t dl = (size_t)(q - p), o = dl;
			if (dl + fl + 2 <= sizeof buf) {
				memcpy(buf, p, dl);
				if (dl)		/* an empty element is the working directory */
					buf[o++] = '/';
				memcpy(buf + o, file, fl + 1);
				long x = SYS3(execve, buf, r->argv, r->envp);
				if (x == -EACCES)
					eacces = 1;
				else if (x != -ENOENT && x != -ENOTDIR) {
					e = x;
					break;
				}
			}
			if (!*q)
				break;
			p = q + 1;
		}
		if (e == -ENOENT && eacces)
			e = -EACCES;
	}
	if (e == -ENOENT || e == -ENOTDIR) {
		err(ME ": %s: not found", file);
		if (path)
			err(" in PATH=%s", path);
		if (r->root)
			err(" (inside --root %s)", r->root);
		err("\n");
		cl_exit(127);
	}
	cl_perror(ME, file, e, e == -EACCES ? (slash ? "found, but not executable (no x "
		  "permission, a directory, or a noexec mount)" : "found but not executable, or "
		  "a PATH directory is not searchable") : e == -ENOEXEC ? "found, but not a "
		  "program this kernel can run (no #! line, or another architecture)" : 0);
	cl_exit(126);
}

/* ---- PID 1 ---- */
static int status_code(int st)
{
	return CL_WIFSIGNALED(st) ? 128 + CL_WTERMSIG(st) : CL_WEXITSTATUS(st);
}

/* Wait for pid, forwarding the FWD_SET signals that a process sent (a terminal's
 * signals, si_code SI_KERNEL, already reached the whole process group); with reap_all,
 * also reap every other child (orphans, as PID 1). Returns pid's wait status. */
static int supervise(int pid, int reap_all)
{
	uint64_t set = WAIT_SET;
	for (;;) {
		int info[32];	/* siginfo_t: si_signo, si_errno, si_code, ... */
		long sig = SYS4(rt_sigtimedwait, &set, info, 0, 8);
		if (sig == SIGCHLD) {
			int st;
			long w;
			while ((w = SYS4(wait4, reap_all ? -1 : pid, &st, CL_WNOHANG | CL_WALL, 0)) > 0)
				if (w == pid)
					return st;
			if (w == -ECHILD)
				return 1 << 8;	/* should not happen: nothing left to wait for */
		} else if (sig > 0 && info[2] != SI_KERNEL) {
			SYS2(kill, pid, sig);
		}
	}
}

static int init_main(struct run *r)
{
	long pid = cl_fork();
	if (pid == 0)
		exec_command(r);
	if (pid < 0)
		return fail(r, "fork of COMMAND", pid, 0);
	/* As PID 1, init cannot die of the signal that killed COMMAND: 128+N instead. */
	return status_code(supervise((int)pid, 1));
}

/* ---- the namespace's set-up, in the child ---- */
static const char *mount_why(long e)
{
	return e == -EPERM ? "not allowed: needs CAP_SYS_ADMIN in the mount namespace's "
		"owner, and for proc in a user namespace a fully visible /proc already mounted"
		: e == -EINVAL ? "the mount point or its parent is not a mount this call accepts" : 0;
}

static int setup(struct run *r)
{
	long e;
	if (r->hostname && (e = SYS2(sethostname, r->hostname, cl_strlen(r->hostname))) < 0)
		return fail(r, "sethostname", e, e == -EINVAL ? "a hostname has at most 64 bytes" : 0);
	if (r->flags & CL_CLONE_NEWNS) {
		/* Nothing we mount may propagate back to the host's mounts. */
		e = SYS5(mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0);
		if (e < 0)
			return fail(r, "mount --make-rprivate /", e, mount_why(e));
	}
	if (r->root) {
		/* pivot_root wants DIR to be a mount point: make it one. */
		if ((e = SYS5(mount, r->root, r->root, 0, MS_BIND | MS_REC, 0)) < 0)
			return fail(r, "bind-mounting --root DIR onto itself", e, mount_why(e));
		if ((e = SYS1(chdir, r->root)) < 0)
			return fail(r, "chdir to --root DIR", e, 0);
		/* proc before the pivot: in a user namespace the kernel allows a new proc only
		 * while a fully visible one is mounted, and the old root still has one. */
		if (r->mount_proc && (e = SYS5(mount, "proc", "proc", "proc",
					      MS_NOSUID | MS_NODEV | MS_NOEXEC, 0)) < 0)
			return fail(r, "mounting proc on DIR/proc", e, mount_why(e));
		/* pivot_root(".", "."): the old root ends up stacked on the new one, and the
		 * umount takes it off: no put_old directory needed. */
		e = SYS2(pivot_root, ".", ".");
		if (e == 0) {
			r->root_method = "pivot_root";
			if ((e = SYS2(umount2, ".", MNT_DETACH)) < 0)
				return fail(r, "detaching the old root after pivot_root", e, 0);
		} else if (e == -EINVAL) {
			/* The current root is an initramfs' rootfs (or we are chrooted): it cannot
			 * be pivoted. Move DIR over / and chroot, as switch_root does. */
			SYS5(mount, ".", "/", 0, MS_MOVE, 0);
			if ((e = SYS1(chroot, ".")) < 0)
				return fail(r, "chroot into --root DIR", e, 0);
			r->root_method = "chroot";
			err(ME ": note: pivot_root: EINVAL: the current root cannot be pivoted (an "
			    "initramfs, or a chroot): used chroot instead, which a process with "
			    "CAP_SYS_CHROOT inside can escape\n");
			cl_flush_all();
		} else {
			return fail(r, "pivot_root into --root DIR", e, 0);
		}
		SYS1(chdir, "/");
	} else if (r->mount_proc) {
		e = SYS5(mount, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
		if (e < 0)
			return fail(r, "mounting proc on /proc", e, mount_why(e));
	}
	if (r->cwd && (e = SYS1(chdir, r->cwd)) < 0)
		return fail(r, "chdir to --cwd DIR", e, "no such directory inside the container");
	return 0;
}

static int child_main(void *p)
{
	struct run *r = p;
	uint64_t mask = r->sigmask | WAIT_SET;
	SYS4(rt_sigprocmask, SIG_SETMASK, &mask, 0, 8);
	SYS2(prctl, PR_SET_PDEATHSIG, SIGKILL);	/* the container dies with clonelab */
	SYS1(close, r->sync[1]);
	long n;
	while ((n = SYS3(read, r->sync[0], &r->go, sizeof r->go)) == -EINTR)
		;
	if (n != sizeof r->go)
		cl_exit(CL_EXIT_FAIL);	/* the parent failed, and said why */
	SYS1(close, r->sync[0]);
	if (r->json) {
		read_map("/proc/self/uid_map", r->uid_map, sizeof r->uid_map);
		read_map("/proc/self/gid_map", r->gid_map, sizeof r->gid_map);
	}
	int st = setup(r);
	if (st)
		cl_exit(st);
	if (r->json) {
		report_ok(r);
		if (r->report_fd > 2)
			SYS1(close, r->report_fd);
	}
	if (r->no_init || !(r->flags & CL_CLONE_NEWPID))
		exec_command(r);
	cl_exit(init_main(r));
}

/* ---- the parent ---- */
static char **make_env(struct run *r, const char **set, int nset)
{
	int n = 0;
	if (!r->clear_env)
		while (cl_environ[n])
			n++;
	long m = SYS6(mmap, 0, (size_t)(n + nset + 1) * sizeof(char *), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cl_is_err(m))
		return 0;
	char **env = (char **)m;
	memcpy(env, cl_environ, (size_t)n * sizeof(char *));
	for (int i = 0; i < nset; i++) {
		size_t k = 0;
		while (set[i][k] != '=')
			k++;
		int at = 0;
		while (at < n && memcmp(env[at], set[i], k + 1))
			at++;
		env[at] = (char *)set[i];
		n += at == n;
	}
	env[n] = 0;
	return env;
}

static int parse_id(const char *opt, const char *s, long *v)
{
	unsigned long u;
	if (cl_parse_ulong(s, &u) < 0 || u >= 0xffffffffUL) {
		err(ME ": %s takes a number below 4294967295, not '%s'\n", opt, s);
		return -1;
	}
	*v = (long)u;
	return 0;
}

static int clone_failed(struct run *r, long e, int api)
{
	const char *what = api ? "clone3" : "clone", *why = 0;
	int status = CL_EXIT_FAIL;
	if ((r->flags & CL_CLONE_NEWUSER) && (e == -EPERM || e == -ENOSPC || e == -EUSERS))
		why = cl_userns_why(e), status = CL_EXIT_UNSUPPORTED;
	else if (e == -EPERM)
		why = "namespaces other than a user namespace need CAP_SYS_ADMIN: run as root, "
		      "or add --user --map-root";
	else if (e == -EINVAL && (r->flags & CL_CLONE_NEWTIME))
		why = "this kernel may lack time namespaces (CONFIG_TIME_NS): try without --time";
	if (status == CL_EXIT_UNSUPPORTED)
		err(ME ": not possible here: ");
	else
		err(ME ": ");
	cl_perror(what, 0, e, why);
	report_error(r, status, what, e, why);
	return status;
}

int cmd_run(int argc, char **argv)
{
	static const struct cl_opt opts[] = {
		{ "--user", 0 }, { "--pid", 0 }, { "--mount", 0 }, { "--uts", 0 }, { "--ipc", 0 },
		{ "--net", 0 }, { "--cgroup", 0 }, { "--time", 0 },
		{ "--map-root", 0 }, { "--map-user", 1 }, { "--map-group", 1 }, { "--hostname", 1 },
		{ "--mount-proc", 0 }, { "--root", 1 }, { "--cwd", 1 }, { "--env", 1 },
		{ "--clear-env", 0 }, { "--json", 0 }, { "--report-fd", 1 }, { "--no-init", 0 },
		{ "--help", 0 }, { 0, 0 } };
	static struct run run;
	struct run *r = &run;
	const char *set[MAX_ENV_SET];
	int nset = 0, k, map_root = 0;
	uint64_t implied = 0;
	r->map_uid = r->map_gid = -1;
	r->report_fd = 1;
	r->rep = (struct cl_out){ 1, 0, sizeof r->repbuf, r->repbuf };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	while ((k = cl_getopt(&a, opts, ME)) != CL_ARG_END) {
		unsigned long v;
		if (k >= 0 && k < 8) {
			r->flags |= ns_flags[k];
		} else if (k == 8) {
			map_root = 1;
		} else if (k == 9 || k == 10) {
			if (parse_id(opts[k].name, a.val, k == 9 ? &r->map_uid : &r->map_gid) < 0)
				return CL_EXIT_USAGE;
		} else if (k == 11) {
			r->hostname = a.val, implied |= CL_CLONE_NEWUTS;
		} else if (k == 12) {
			r->mount_proc = 1;
		} else if (k == 13) {
			r->root = a.val;
		} else if (k == 14) {
			r->cwd = a.val;
		} else if (k == 15) {
			const char *s = a.val;
			while (*s && *s != '=')
				s++;
			if (!*s || s == a.val || nset == MAX_ENV_SET) {
				err(ME ": --env takes KEY=VALUE (at most %d of them), not '%s'\n",
				    MAX_ENV_SET, a.val);
				return CL_EXIT_USAGE;
			}
			set[nset++] = a.val;
		} else if (k == 16) {
			r->clear_env = 1;
		} else if (k == 17) {
			r->json = 1;
		} else if (k == 18) {
			if (cl_parse_ulong(a.val, &v) < 0 || v > 0x7fffffff ||
			    SYS2(fcntl, v, F_GETFD) < 0) {
				err(ME ": --report-fd %s: not an open descriptor\n", a.val);
				return CL_EXIT_USAGE;
			}
			r->report_fd = r->rep.fd = (int)v;
		} else if (k == 19) {
			r->no_init = 1;
		} else if (k == 20) {
			out("%s", usage);
			return CL_EXIT_OK;
		} else if (k == CL_ARG_POSITIONAL) {
			r->argv = argv + a.i - 1;
			break;
		} else {
			return CL_EXIT_USAGE;
		}
	}
	if (!r->flags) {	/* no namespace named: all of them, as a container */
		for (unsigned i = 0; i < 8; i++)
			r->flags |= ns_flags[i];
		map_root = r->mount_proc = 1;
		if (!r->hostname)
			r->hostname = "clonelab";
	}
	if (map_root || r->map_uid >= 0 || r->map_gid >= 0)
		implied |= CL_CLONE_NEWUSER;
	if (r->mount_proc || r->root)
		implied |= CL_CLONE_NEWNS;
	r->flags |= implied;
	if (map_root) {
		if (r->map_uid < 0)
			r->map_uid = 0;
		if (r->map_gid < 0)
			r->map_gid = 0;
	}
	if (!r->argv) {
		static char *sh[2];
		const char *s = 0;
		for (char **e = cl_environ; *e && !s; e++)
			if (cl_startswith(*e, "SHELL=") && (*e)[6])
				s = *e + 6;
		sh[0] = (char *)(s ? s : "/bin/sh");
		r->argv = sh;
	}
	if (r->root && !r->cwd)
		r->cwd = "/";

	if (cl_under_qemu()) {
		err(ME ": not possible here: new namespaces need the kernel's clone, and "
		    CL_QEMU_CLONE_WHY ": every CLONE_NEW* is EINVAL there\n");
		report_error(r, CL_EXIT_UNSUPPORTED, "clone", -EINVAL, CL_QEMU_CLONE_WHY);
		return CL_EXIT_UNSUPPORTED;
	}
	if (r->root) {		/* a clear error now rather than a failed mount later */
		long fd = SYS4(openat, AT_FDCWD, r->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		const char *why = fd == -ENOENT ? "no such directory" : fd == -ENOTDIR ?
			"not a directory" : 0;
		if (cl_is_err(fd))	/* under --json, the error object too */
			return cl_perror(ME ": --root", r->root, fd, why),
			       report_error(r, CL_EXIT_FAIL, "--root", fd, why), CL_EXIT_FAIL;
		long p = r->mount_proc ? SYS4(openat, fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) : 0;
		SYS1(close, fd);
		why = "--mount-proc needs a proc directory in this tree: create DIR/proc";
		if (cl_is_err(p))
			return cl_perror(ME ": --root", r->root, p, why),
			       report_error(r, CL_EXIT_FAIL, "--root", p, why), CL_EXIT_FAIL;
		SYS1(close, p);
	}
	if (!(r->envp = make_env(r, set, nset)))
		return cl_perror(ME, "mmap", -ENOMEM, 0), CL_EXIT_FAIL;
	r->out_uid = (unsigned)SYS0(geteuid);
	r->out_gid = (unsigned)SYS0(getegid);
	long e = SYS2(pipe2, r->sync, O_CLOEXEC);
	long stk = SYS6(mmap, 0, RUN_STACK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (e < 0 || cl_is_err(stk))
		return cl_perror(ME, e < 0 ? "pipe2" : "mmap of the child's stack",
				 e < 0 ? e : stk, 0), CL_EXIT_FAIL;

	/* Every signal blocked across the clone; each side then sets its own mask. */
	uint64_t all = ~0UL, mask;
	cl_flush_all();
	SYS4(rt_sigprocmask, SIG_SETMASK, &all, &r->sigmask, 8);
	struct cl_clone_args ca = { .flags = r->flags, .exit_signal = SIGCHLD,
				    .stack = (uint64_t)stk, .stack_size = RUN_STACK };
	long pid = cl_clone3(&ca, 64, child_main, r);	/* 64: clone_args' first version */
	int api = 1;
	if (pid == -ENOSYS) {
		/* Legacy clone has no room for CLONE_NEWTIME (bit 7 is the exit signal's). */
		api = 0;
		r->flags &= ~(uint64_t)CL_CLONE_NEWTIME;
		pid = cl_clone(child_main, (char *)stk + RUN_STACK,
			       (unsigned long)r->flags | SIGCHLD, r, 0, 0, 0);
	}
	mask = r->sigmask | WAIT_SET;
	SYS4(rt_sigprocmask, SIG_SETMASK, &mask, 0, 8);
	SYS1(close, r->sync[0]);
	SYS2(munmap, stk, RUN_STACK);
	if (pid < 0) {
		SYS4(rt_sigprocmask, SIG_SETMASK, &r->sigmask, 0, 8);
		return clone_failed(r, pid, api);
	}
	if (r->map_uid >= 0 || r->map_gid >= 0) {
		int step = 0;
		e = cl_userns_map_ids((int)pid, r->map_uid, r->out_uid, r->map_gid, r->out_gid, &step);
		if (e < 0) {
			fail(r, "the user namespace's id maps", e, cl_userns_map_why(step, e));
			SYS1(close, r->sync[1]);	/* the child sees EOF and exits */
			int st;
			cl_wait((int)pid, &st, 0);
			return CL_EXIT_FAIL;
		}
	}
	r->go.pid = (int)pid, r->go.api = api;
	SYS3(write, r->sync[1], &r->go, sizeof r->go);
	SYS1(close, r->sync[1]);
	return status_code(supervise((int)pid, 0));
}
