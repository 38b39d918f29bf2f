/* child.c: the child of `clonelab run`'s one clone, in its new namespaces.
 *
 * It waits on the release pipe until the parent has written its id maps (before that
 * it is nobody in its user namespace, and may not touch hostname or mounts), then sets
 * up hostname, mounts, root and cwd, writes the --json report, and either becomes
 * COMMAND (--no-init, or no new pid namespace) or stays as PID 1 (init.c). */
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
	if (c->mount_proc && (e = SYS5(mount, "proc", "proc", "proc", PROC_FLAGS, 0)) < 0)
		return run_fail(c, "mounting proc on DIR/proc", e, proc_why(c, e));
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

/* The child's first code. Precondition: every signal blocked (the parent's clone). */
int run_child_main(void *container)
{
	struct container *c = container;
	uint64_t mask = c->sigmask | WAIT_SET;
	cl_set_sigmask(&mask);
	SYS2(prctl, PR_SET_PDEATHSIG, SIGKILL);	/* the container dies with clonelab */
	SYS1(close, c->release_pipe[1]);
	long n;
	while ((n = SYS3(read, c->release_pipe[0], &c->release, sizeof c->release)) == -EINTR)
		;
	if (n != sizeof c->release)
		cl_exit(CL_EXIT_FAIL);	/* the parent failed, and said why */
	SYS1(close, c->release_pipe[0]);
	if (c->json)
		run_read_maps(c);
	int st = setup(c);
	if (st)
		cl_exit(st);
	long e = c->json ? run_report_ok(c) : 0;
	if (e) {	/* the report was asked for and lost: a silent success would lie */
		cl_perror(ME ": writing the --json report", 0, e, 0);
		cl_exit(CL_EXIT_FAIL);
	}
	run_close_inherited();	/* the init too: the container can see its /proc/1/fd */
	if (c->no_init || !(c->flags & CL_CLONE_NEWPID))
		run_exec(c);
	run_init(c);
}
