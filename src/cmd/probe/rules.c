/* rules.c: why a clone was refused, from the kernel's own checks.
 *
 * The rules below follow kernel/fork.c in the order the kernel applies them:
 * copy_clone_args_from_user() and clone3_args_valid() (clone3 only), kernel_clone(),
 * then copy_process(), its copy_creds() (a new user namespace) and
 * copy_namespaces(). The kernel stops at the first check that fails, so the first
 * rule here whose condition holds and whose errno is the one returned is the one
 * that fired. Errors that several checks share (ENOSPC, EAGAIN, ENOMEM) name
 * every candidate and say that clonelab cannot tell them apart. Under QEMU user
 * mode the kernel never sees clone: QEMU's own do_fork() refuses most shapes. */
#include "probe.h"

#define EOPNOTSUPP 95
#define NEWNS_ALL (CLONE(NEWNS) | CLONE(NEWUTS) | CLONE(NEWIPC) | CLONE(NEWPID) | \
		   CLONE(NEWNET) | CLONE(NEWCGROUP) | CLONE(NEWTIME) | CLONE(EMPTY_MNTNS))
#define THREADSET (CLONE(VM) | CLONE(FS) | CLONE(FILES) | CLONE(SIGHAND) | CLONE(THREAD) | \
		   CLONE(SYSVSEM))
#define TIDFLAGS (CLONE(SETTLS) | CLONE(PARENT_SETTID) | CLONE(CHILD_SETTID) | \
		  CLONE(CHILD_CLEARTID))

/* Conditions the flags alone cannot show. */
enum { C_NONE, C_BADSIG, C_SIGSET, C_INIT, C_PIDNS_UNSHARED, C_OLD_PIDFD, C_NOCAP, C_BEFORE72,
       C_SINCE72, C_SIGSET72 };
/* Bits 34-37, clone3's flags of Linux 7.2's uapi: unknown to 5.10, 6.1, 6.12 and 6.18, known
 * to 7.2 (seen on the beds; 7.0 and 7.1 were not). Their rules below marked "seen on 7.2"
 * were found by trying each shape on 7.2 (tests/unit/probe_cmd.c holds them there). */
#define FLAGS72 (CLONE(AUTOREAP) | CLONE(NNP) | CLONE(PIDFD_AUTOKILL) | CLONE(EMPTY_MNTNS))
#define AUTOKILL_NEEDS "CLONE_PIDFD_AUTOKILL needs CLONE_PIDFD and CLONE_AUTOREAP: closing " \
	"the pidfd that clone3 returns kills the child, which the kernel then reaps"

static const struct rule {
	uint8_t api;		/* 0 both, 1 clone3 only, 2 legacy clone only */
	uint8_t err;
	uint8_t cond;
	uint64_t all, any, none;	/* (f & all) == all, f & any (if set), !(f & none) */
	const char *why;
} rules[] = {
	{ 1, EINVAL, C_BADSIG, 0, 0, 0, "clone3's exit_signal must be a signal number, 0 to 64 "
	  "(copy_clone_args_from_user)" },
	{ 1, EINVAL, C_BEFORE72, 0, FLAGS72, 0, "CLONE_AUTOREAP, CLONE_NNP, CLONE_PIDFD_AUTOKILL "
	  "and CLONE_EMPTY_MNTNS came with Linux 7.2, and this older kernel refuses them as flags "
	  "it does not know (clone3_args_valid; seen on 5.10 to 6.18)" },
	{ 1, EINVAL, C_NONE, 0, ~LAB_KNOWN_FLAGS & ~0xffULL, 0,
	  "clone3 refuses flags it does not know (clone3_args_valid)" },
	{ 1, EINVAL, C_NONE, 0, CLONE(DETACHED) | 0x7f, 0, "clone3 refuses CLONE_DETACHED and the "
	  "exit-signal bits in flags: they are reserved for reuse (clone3_args_valid)" },
	{ 1, EINVAL, C_NONE, CLONE(SIGHAND) | CLONE(CLEAR_SIGHAND), 0, 0, "CLONE_CLEAR_SIGHAND cannot "
	  "be combined with CLONE_SIGHAND: shared handlers cannot be reset (clone3_args_valid)" },
	{ 1, EINVAL, C_SIGSET, 0, CLONE(THREAD) | CLONE(PARENT), 0, "clone3 wants exit_signal 0 with "
	  "CLONE_THREAD or CLONE_PARENT: use --signal none (clone3_args_valid)" },
	/* Linux 7.2's flags, seen on 7.2 */
	{ 1, EINVAL, C_SIGSET72, CLONE(AUTOREAP), 0, 0, "CLONE_AUTOREAP wants exit_signal 0: the "
	  "kernel reaps the child at its exit and signals no one (use --signal none)" },
	{ 1, EINVAL, C_SINCE72, CLONE(AUTOREAP), CLONE(THREAD) | CLONE(PARENT), 0, "CLONE_AUTOREAP "
	  "is refused with CLONE_THREAD and with CLONE_PARENT (seen on 7.2): it is for a child "
	  "of the caller's own" },
	/* two rows, one reason: either partner missing */
	{ 1, EINVAL, C_SINCE72, CLONE(PIDFD_AUTOKILL), 0, CLONE(PIDFD), AUTOKILL_NEEDS },
	{ 1, EINVAL, C_SINCE72, CLONE(PIDFD_AUTOKILL), 0, CLONE(AUTOREAP), AUTOKILL_NEEDS },
	{ 1, EINVAL, C_SINCE72, CLONE(NNP) | CLONE(THREAD), 0, 0, "CLONE_NNP cannot be combined "
	  "with CLONE_THREAD: no_new_privs comes with a new process, not a new thread" },
	{ 1, EINVAL, C_SINCE72, CLONE(EMPTY_MNTNS) | CLONE(FS), 0, 0, "CLONE_EMPTY_MNTNS cannot be "
	  "combined with CLONE_FS: like CLONE_NEWNS it gives the child a mount namespace of its "
	  "own (an empty one), which cannot share root and cwd with ours" },
	{ 2, EINVAL, C_NONE, CLONE(PIDFD) | CLONE(PARENT_SETTID), 0, 0, "legacy clone returns the pidfd "
	  "through parent_tid, so CLONE_PIDFD excludes CLONE_PARENT_SETTID (kernel_clone)" },
	{ 0, EINVAL, C_NONE, CLONE(NEWNS) | CLONE(FS), 0, 0, "CLONE_NEWNS cannot be combined with "
	  "CLONE_FS: a new mount namespace cannot share root and cwd with the old one" },
	{ 0, EINVAL, C_NONE, CLONE(NEWUSER) | CLONE(FS), 0, 0, "CLONE_NEWUSER cannot be combined with "
	  "CLONE_FS" },
	{ 0, EINVAL, C_NONE, CLONE(THREAD), 0, CLONE(SIGHAND), "CLONE_THREAD requires CLONE_SIGHAND" },
	{ 0, EINVAL, C_NONE, CLONE(SIGHAND), 0, CLONE(VM), "CLONE_SIGHAND requires CLONE_VM" },
	{ 0, EINVAL, C_INIT, CLONE(PARENT), 0, 0, "CLONE_PARENT from an init process (pid 1 of its "
	  "namespace): init may not make siblings" },
	{ 0, EINVAL, C_NONE, CLONE(THREAD), CLONE(NEWUSER) | CLONE(NEWPID), 0, "CLONE_THREAD cannot be "
	  "combined with CLONE_NEWUSER or CLONE_NEWPID: a thread stays in its group's namespaces" },
	{ 0, EINVAL, C_PIDNS_UNSHARED, CLONE(THREAD), 0, 0, "CLONE_THREAD after unshare(CLONE_NEWPID): "
	  "a thread cannot start in another pid namespace" },
	{ 0, EINVAL, C_NONE, CLONE(PIDFD) | CLONE(DETACHED), 0, 0, "CLONE_PIDFD cannot be combined with "
	  "CLONE_DETACHED" },
	{ 0, EINVAL, C_OLD_PIDFD, CLONE(PIDFD) | CLONE(THREAD), 0, 0, "CLONE_PIDFD cannot be combined "
	  "with CLONE_THREAD before Linux 6.9" },
	/* copy_creds(): the user namespace; the reasons come from cl_userns_why(). */
	{ 0, 0, C_NONE, CLONE(NEWUSER), 0, 0, 0 },
	/* copy_namespaces() */
	{ 0, EPERM, C_NOCAP, 0, NEWNS_ALL, CLONE(NEWUSER), 0 },
	{ 1, EPERM, C_NOCAP, CLONE(PIDFD_AUTOKILL), 0, CLONE(NNP), "CLONE_PIDFD_AUTOKILL needs "
	  "CAP_SYS_ADMIN unless CLONE_NNP comes too (seen on 7.2): add nnp, and the child "
	  "cannot gain privileges by exec to outlive the one who may kill it" },
	{ 0, EINVAL, C_NONE, CLONE(NEWIPC) | CLONE(SYSVSEM), 0, 0, "CLONE_NEWIPC cannot be combined with "
	  "CLONE_SYSVSEM: semaphore undo lists cannot cross IPC namespaces" },
	{ 0, EINVAL, C_PIDNS_UNSHARED, CLONE(NEWPID), 0, 0, "CLONE_NEWPID after "
	  "unshare(CLONE_NEWPID): the new pid namespace would not nest in this one" },
	{ 0, ENOSPC, C_NONE, 0, NEWNS_ALL, 0, "a namespace limit was reached: "
	  "/proc/sys/user/max_*_namespaces for a kind requested, or pid namespaces nested 32 "
	  "deep; clonelab cannot tell which" },
	/* cgroup_can_fork() with CLONE_INTO_CGROUP */
	{ 1, EBADF, C_NONE, CLONE(INTO_CGROUP), 0, 0, "CLONE_INTO_CGROUP: the cgroup fd is not a "
	  "cgroup2 directory" },
	{ 1, EBUSY, C_NONE, CLONE(INTO_CGROUP), 0, 0, "CLONE_INTO_CGROUP: the target cgroup has "
	  "controllers enabled for its children, and such a cgroup holds no processes" },
	{ 1, EOPNOTSUPP, C_NONE, CLONE(INTO_CGROUP), 0, 0, "CLONE_INTO_CGROUP: the target cgroup "
	  "cannot take a process (a threaded or invalid domain)" },
	{ 1, EACCES, C_NONE, CLONE(INTO_CGROUP), 0, 0, "CLONE_INTO_CGROUP: no write permission on "
	  "the target's cgroup.procs, or on that of the common ancestor" },
	{ 0, EAGAIN, C_NONE, 0, 0, 0, "a limit on tasks: RLIMIT_NPROC, kernel.threads-max or "
	  "pid_max (or the pids controller); clonelab cannot tell which" },
	{ 0, ENOMEM, C_NONE, 0, 0, 0, "out of memory, or the init of the target pid namespace "
	  "has exited (no new processes there); clonelab cannot tell which" },
};

static int pidns_unshared(void)
{
	char a[40], b[40];
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid", a, sizeof a - 1);
	long m = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid_for_children", b, sizeof b - 1);
	/* Right after unshare(CLONE_NEWPID) the new namespace has no init yet, and its
	 * link cannot be read (ENOENT): that, too, says it differs from ours. */
	if (n > 0 && m == -ENOENT)
		return 1;
	return n > 0 && m > 0 && (n != m || memcmp(a, b, (size_t)n));
}

static int has_sys_admin(void)
{
	char st[2048], v[24];
	unsigned long caps = 0;
	if (cl_read_file("/proc/self/status", st, sizeof st) < 0 ||
	    cl_field(st, "CapEff", v, sizeof v) < 0)
		return 1;	/* unknown: do not claim it is missing */
	for (const char *p = v; *p; p++)
		caps = caps * 16 + (unsigned long)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
	return (caps >> 21) & 1;
}

static int cond_holds(int c, uint64_t f, int sig)
{
	switch (c) {
	case C_BADSIG: return sig < 0 || sig > 64;
	case C_SIGSET: return sig != 0;
	case C_INIT: return SYS0(getpid) == 1;
	case C_PIDNS_UNSHARED: return pidns_unshared();
	case C_OLD_PIDFD: return cl_kernel_version() < 6009;
	case C_BEFORE72: return cl_kernel_version() < 7002;
	case C_SINCE72: return cl_kernel_version() >= 7002;
	case C_SIGSET72: return sig != 0 && cl_kernel_version() >= 7002;
	case C_NOCAP: return !has_sys_admin();
	}
	(void)f;
	return 1;
}

/* QEMU's do_fork(), seen on 7.2 and 11.1: VFORK drops VM and VFORK (a plain fork);
 * then either the whole thread set (plus SETTLS, the tid flags, PARENT), or a fork
 * (exit signal SIGCHLD, plus SETTLS and the tid flags; 11.1 also PIDFD, then checked
 * by the host kernel). DETACHED and IO are ignored. */
static const char *qemu_why(uint64_t f, int sig, struct cl_out *o)
{
	f &= ~(CLONE(DETACHED) | CLONE(IO));
	if (f & CLONE(VFORK))
		f &= ~(CLONE(VFORK) | CLONE(VM));
	uint64_t extra;
	if (f & CLONE(VM)) {
		if ((f & THREADSET) != THREADSET) {
			cl_printf(o, "QEMU user mode (seen on 7.2 and 11.1) accepts CLONE_VM only "
				  "with the whole thread set VM|FS|FILES|SIGHAND|THREAD|SYSVSEM; "
				  "missing: ");
			lab_print_flags(o, THREADSET & ~f, "");
			return o->buf;
		}
		extra = f & ~(THREADSET | TIDFLAGS | CLONE(PARENT));
	} else {
		extra = f & ~TIDFLAGS;
		if (!extra && sig != SIGCHLD) {
			cl_printf(o, "QEMU user mode (seen on 7.2 and 11.1) runs a clone without "
				  "CLONE_VM as a fork, and a fork's exit signal must be SIGCHLD");
			return o->buf;
		}
	}
	if (!extra)
		return 0;
	if (extra == CLONE(PIDFD) && !(f & CLONE(VM))) {
		cl_printf(o, "QEMU 7.2's user mode refuses CLONE_PIDFD in a fork; QEMU 11.1's takes "
			  "it and the host kernel's rules apply%s", f & CLONE(PARENT_SETTID) ?
			  " (legacy clone returns the pidfd through parent_tid, so CLONE_PIDFD "
			  "excludes CLONE_PARENT_SETTID)" : "");
		return o->buf;
	}
	cl_printf(o, "QEMU user mode (seen on 7.2 and 11.1) emulates clone and accepts only the "
		  "fork shape and the thread shape; it refuses ");
	lab_print_flags(o, extra, "CLONE_");
	cl_printf(o, " %s", f & CLONE(VM) ? "in a thread" : "in a fork (no CLONE_VM)");
	return o->buf;
}

const char *probe_why(uint64_t f, int sig, int clone3, long err, char *buf, size_t size,
		      int *status, const char **rule)
{
	struct cl_out o = { -1, 0, (unsigned)size - 1, buf };
	const char *why;
	*status = CL_EXIT_FAIL;
	*rule = "kernel";
	memset(buf, 0, size);
	if (cl_under_qemu()) {
		if (err == -ENOSYS && clone3) {
			*status = CL_EXIT_UNSUPPORTED, *rule = "qemu";
			return "QEMU user mode does not implement clone3 (seen on 7.2 and 11.1)";
		}
		if (err == -EINVAL && (why = qemu_why(f, sig, &o))) {
			*status = CL_EXIT_UNSUPPORTED, *rule = "qemu";
			return why;
		}
	}
	if (err == -ENOSYS && clone3) {
		*status = CL_EXIT_UNSUPPORTED, *rule = "environment";
		return "no clone3 here: kernels before 5.3 and seccomp filters (Docker's default "
		       "profile) answer ENOSYS; --api auto falls back to legacy clone";
	}
	for (unsigned i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *r = &rules[i];
		if ((r->api == 1 && !clone3) || (r->api == 2 && clone3) ||
		    (f & r->all) != r->all || (r->any && !(f & r->any)) || (f & r->none))
			continue;
		if (!r->why && r->err == 0) {	/* the user namespace */
			if (err != -EINVAL && (why = cl_userns_why(err))) {
				if (err != -ENOMEM)
					*status = CL_EXIT_UNSUPPORTED;
				return why;
			}
			continue;
		}
		if (-err != r->err || !cond_holds(r->cond, f, sig))
			continue;
		if (r->why)
			return r->why;
		/* EPERM for namespaces: which ones need the capability */
		lab_print_flags(&o, f & NEWNS_ALL, "CLONE_");
		cl_printf(&o, " need%s CAP_SYS_ADMIN; add newuser to get it inside a new user "
			  "namespace", (f & NEWNS_ALL) & ((f & NEWNS_ALL) - 1) ? "" : "s");
		return buf;
	}
	*rule = "unknown";
	return "clonelab cannot tell which rule fired: see copy_process() and "
	       "clone3_args_valid() in the kernel's kernel/fork.c";
}
