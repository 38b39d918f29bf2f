/* child.c: the child of `clonelab run`'s one clone, in its new namespaces.
 *
 * It leaves the caller's session, waits on the release pipe until the parent has
 * written its id maps (before that it is nobody in its user namespace, and may not
 * touch hostname or mounts), checks that the parent still lives, closes what it
 * inherited, joins a new session keyring, sets up hostname, mounts, root and cwd,
 * writes the --json report, confines itself (exec.c), and either becomes COMMAND
 * (--no-init, or no new pid namespace) or stays as PID 1 (init.c). */
#include "run.h"

#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_REC 16384
#define MS_PRIVATE (1 << 18)
#define MNT_DETACH 2
#define PR_SET_PDEATHSIG 1
#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define POLLHUP 0x10
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING (-3)

/* ---- the namespaces' set-up ---- */
static const char *mount_why(long e)
{
	return e == -EPERM ? "not allowed: needs CAP_SYS_ADMIN in the mount namespace's "
		"owner, and for proc in a user namespace a fully visible /proc already mounted"
		: e == -EINVAL ? "the mount point or its parent is not a mount this call accepts" : 0;
}

static const char *proc_why(struct container *c, long e)
{
	if (e == -EPERM && (c->flags & CL_CLONE_NEWUSER) && !(c->flags & CL_CLONE_NEWPID))
		return "a user namespace may mount proc only for a pid namespace it owns: add --pid";
	return mount_why(e);
}

static const char *cwd_why(long e)
{
	return e == -ENOENT ? "no such directory inside the container" : e == -ENOTDIR ?
		"a part of the path is not a directory" : e == -EACCES ? "a directory on the "
		"path is not searchable (no x permission) for the uid inside, or for others "
		"where that uid is not mapped outside" : 0;
}

/* Make the working directory (--root DIR) our root. Precondition: cwd is DIR, a mount
 * point. pivot_root(".", "."): the old root ends up stacked on the new one, and the
 * umount takes it off: no put_old directory needed. */
static int pivot(struct container *c)
{
	long e = SYS2(pivot_root, ".", ".");
	if (e == 0) {
		c->root_method = "pivot_root";
		if ((e = SYS2(umount2, ".", MNT_DETACH)) < 0)
			return run_fail(c, "detaching the old root after pivot_root", e, 0);
	} else if (e == -EINVAL) {
		/* The current root is an initramfs' rootfs (or we are chrooted): it cannot
		 * be pivoted. Move DIR over / and chroot, as switch_root does. */
		SYS5(mount, ".", "/", 0, MS_MOVE, 0);
		if ((e = SYS1(chroot, ".")) < 0)
			return run_fail(c, "chroot into --root DIR", e, 0);
		c->root_method = "chroot";
		errf(ME ": note: pivot_root: EINVAL: the current root cannot be pivoted (an "
		    "initramfs, or a chroot): used chroot instead, which a process with "
		    "CAP_SYS_CHROOT inside can escape\n");
		cl_flush_all();
	} else {
		return run_fail(c, "pivot_root into --root DIR", e, 0);
	}
	SYS1(chdir, "/");
	return 0;
}

long run_open_proc_dir(long dir)
{
	long p = SYS4(openat, dir, "proc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	char b[1];
	/* With O_DIRECTORY a symlink is ENOTDIR: name it for what it is. */
	if (p == -ENOTDIR && SYS4(readlinkat, dir, "proc", b, sizeof b) >= 0)
		p = -ELOOP;
	return p;
}

/* Mount proc on DIR/proc, DIR the working directory. The one path resolved in the
 * host's tree before the pivot: a single component opened without following a
 * symlink (a DIR/proc -> /elsewhere would put the mount outside the new root, to
 * vanish with the old one: finding 18), then mounted on "." from inside it. */
static int mount_proc_in_root(struct container *c)
{
	long dir = SYS4(openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return run_fail(c, "opening --root DIR", dir, 0);
	long e, p = run_open_proc_dir(dir);
	if (p < 0) {
		SYS1(close, dir);
		return run_fail(c, "opening DIR/proc", p, run_proc_dir_why(p));
	}
	e = SYS1(fchdir, p);
	if (e == 0 && (e = SYS5(mount, "proc", ".", "proc", PROC_FLAGS, 0)) < 0)
		run_fail(c, "mounting proc on DIR/proc", e, proc_why(c, e));
	else if (e < 0)
		run_fail(c, "chdir to DIR/proc", e, 0);
	long back = SYS1(fchdir, dir);
	SYS1(close, p);
	SYS1(close, dir);
	if (e == 0 && back < 0)
		return run_fail(c, "chdir back to --root DIR", back, 0);
	return e < 0 ? CL_EXIT_FAIL : 0;
}

/* --root DIR, with its proc for --mount-proc. Precondition: mounts are private. */
static int enter_root(struct container *c)
{
	long e;
	/* pivot_root wants DIR to be a mount point: make it one. */
	if ((e = SYS5(mount, c->root, c->root, 0, MS_BIND | MS_REC, 0)) < 0)
		return run_fail(c, "bind-mounting --root DIR onto itself", e, mount_why(e));
	if ((e = SYS1(chdir, c->root)) < 0)
		return run_fail(c, "chdir to --root DIR", e, 0);
	/* proc before the pivot: in a user namespace the kernel allows a new proc only
	 * while a fully visible one is mounted, and the old root still has one. */
	int st;
	if (c->mount_proc && (st = mount_proc_in_root(c)) != 0)
		return st;
	/* Every path from here on (--cwd, COMMAND, PATH) is resolved after the pivot,
	 * where / is DIR and ".." stops at it. */
	return pivot(c);
}

/* Hostname, mounts, root and cwd: 0, or the exit status (already reported). */
static int setup(struct container *c)
{
	long e;
	if (c->hostname && (e = SYS2(sethostname, c->hostname, cl_strlen(c->hostname))) < 0)
		return run_fail(c, "sethostname", e, e == -EINVAL ? "a hostname has at most 64 bytes" : 0);
	if (c->flags & CL_CLONE_NEWNS) {
		/* Nothing we mount may propagate back to the host's mounts. */
		e = SYS5(mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0);
		if (e < 0)
			return run_fail(c, "mount --make-rprivate /", e, mount_why(e));
	}
	if (c->root) {
		if ((e = enter_root(c)) != 0)
			return (int)e;
	} else if (c->mount_proc) {
		e = SYS5(mount, "proc", "/proc", "proc", PROC_FLAGS, 0);
		if (e < 0)
			return run_fail(c, "mounting proc on /proc", e, proc_why(c, e));
	}
	if (c->cwd && (e = SYS1(chdir, c->cwd)) < 0)
		return run_fail(c, "chdir to --cwd DIR", e, cwd_why(e));
	return 0;
}

/* Released, yet the parent may have died before PR_SET_PDEATHSIG took effect: then
 * no signal will ever come. The parent holds the release pipe's write end until it
 * dies, so a hang-up on it now says it is gone (getppid cannot: it is 0 across a pid
 * namespace). Without a new pid namespace, getppid says it too. */
static int parent_gone(struct container *c)
{
	struct { int fd; short events, revents; } p = { c->release_pipe[0], 0, 0 };
	struct { long sec, nsec; } zero = { 0, 0 };
	long n = SYS5(ppoll, &p, 1, &zero, 0, 8);	/* refused (a filter): getppid only */
	if (n > 0 && (p.revents & POLLHUP))
		return 1;
	return !(c->flags & CL_CLONE_NEWPID) && SYS0(getppid) != c->parent_pid;
}

/* A fresh anonymous session keyring (as runc): the caller's, with whatever secrets it
 * holds (Kerberos caches, fscrypt keys, tokens), is not reachable from COMMAND. Where
 * keyctl is refused outright (ENOSYS: no CONFIG_KEYS; EPERM or ENOSYS from a seccomp
 * filter, which COMMAND inherits) there is no keyring to leak: carry on. */
static int new_session_keyring(struct container *c)
{
	long e = SYS2(keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0);
	if (e >= 0)
		return 0;
	long seen = SYS3(keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	if ((e == -ENOSYS || e == -EPERM) && seen == e)
		return 0;
	return run_fail(c, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)", e, e == -EDQUOT ? "this uid's "
			"key quota is full (/proc/sys/kernel/keys/maxkeys)" : 0);
}

/* The child's first code. Precondition: every signal blocked (the parent's clone). */
int run_child_main(void *container)
{
	struct container *c = container;
	uint64_t mask = c->sigmask | WAIT_SET;
	cl_set_sigmask(&mask);
	SYS2(prctl, PR_SET_PDEATHSIG, SIGKILL);	/* the container dies with clonelab */
	/* A session of its own: the caller's terminal is no longer its controlling one
	 * (no TIOCSTI into the host's shell through it, no terminal signals), and kill(0)
	 * reaches only the container's group. Cannot fail: a new task leads no group. */
	long e = SYS0(setsid);
	SYS1(close, c->release_pipe[1]);
	long n;
	while ((n = SYS3(read, c->release_pipe[0], &c->release, sizeof c->release)) == -EINTR)
		;
	if (n != sizeof c->release || parent_gone(c))
		cl_exit(CL_EXIT_FAIL);	/* the parent failed and said why, or died */
	SYS1(close, c->release_pipe[0]);
	if (e < 0)
		cl_exit(run_fail(c, "setsid", e, 0));
	/* Before anything resolves a path: no inherited descriptor is left to reach the
	 * host through (--cwd /proc/self/fd/N, runc's CVE-2024-21626). The --report-fd
	 * stays until the report is written. */
	run_close_inherited_but(c->json ? c->report_fd : -1);
	if (new_session_keyring(c))
		cl_exit(CL_EXIT_FAIL);
	if (c->json)
		run_read_maps(c);
	int st = setup(c);
	if (st)
		cl_exit(st);
	e = c->json ? run_report_ok(c) : 0;
	if (e) {	/* the report was asked for and lost: a silent success would lie */
		cl_perror(ME ": writing the --json report", 0, e, 0);
		cl_exit(CL_EXIT_FAIL);
	}
	run_close_inherited();	/* the init too: the container can see its /proc/1/fd */
	if ((e = run_confine()) < 0)
		cl_exit(run_fail(c, "no_new_privs and the seccomp filter", e, e == -EINVAL ?
				 "this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER), and "
				 "run will not start COMMAND without the one that keeps it off the "
				 "caller's terminal" : 0));
	if (c->no_init || !(c->flags & CL_CLONE_NEWPID))
		run_exec(c);
	run_init(c);
}
