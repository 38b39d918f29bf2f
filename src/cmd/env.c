/* env.c: `clonelab env`, what this machine allows. */
#include "cmd.h"

static const char usage[] =
	"usage: clonelab env [--json]\n\n"
	"What this machine allows: architecture, kernel, page size, usable CPUs,\n"
	"clone3, user namespaces, QEMU user mode (which emulates clone), and which\n"
	"clone3-only flags the kernel knows: clone3 with the flag and CLONE_INTO_CGROUP\n"
	"on a descriptor that is not open answers EBADF (or EPERM) if the kernel knows\n"
	"the flag and EINVAL if not; no task is started.\n";

static int cpu_count(void)
{
	uint64_t mask[16] = { 0 };
	long n = SYS3(sched_getaffinity, 0, sizeof mask, mask);
	int c = 0;
	for (long i = 0; i < n / 8; i++)
		for (uint64_t m = mask[i]; m; m &= m - 1)	/* clear the lowest set bit */
			c++;
	return c;
}

/* Which clone3-only flags this kernel knows, asked without starting a task: clone3 with
 * the flag, what its rules want beside it, and CLONE_INTO_CGROUP on a descriptor that is
 * not open. A kernel that knows the flag gets as far as the cgroup (EBADF), or stops at
 * a rule of privilege (EPERM, as uid 65534: newtime, empty_mntns); one that does not
 * refuses it with the flags it does not know (EINVAL, clone3_args_valid). Seen on the
 * beds: 5.10 to 6.18 know the first three, 7.2 all seven (clonelab_env_json). */
enum { C3_NFLAGS = 7 };
static const struct { const char *name; uint64_t flags; uint64_t sig; } c3flags[C3_NFLAGS] = {
	{ "clear_sighand", CL_CLONE_CLEAR_SIGHAND, SIGCHLD },
	{ "into_cgroup", 0, SIGCHLD },
	{ "newtime", CL_CLONE_NEWTIME, SIGCHLD },
	{ "autoreap", CL_CLONE_AUTOREAP, 0 },
	{ "nnp", CL_CLONE_NNP, SIGCHLD },
	{ "pidfd_autokill", CL_CLONE_PIDFD_AUTOKILL | CL_CLONE_PIDFD | CL_CLONE_AUTOREAP | CL_CLONE_NNP, 0 },
	{ "empty_mntns", CL_CLONE_EMPTY_MNTNS, SIGCHLD },
};

/* 1 known, 0 not known, -1 not learned (no clone3, or another answer: a task limit). */
static int clone3_knows(int i)
{
	int pidfd = -1;
	struct cl_clone_args ca = { .flags = c3flags[i].flags | CL_CLONE_INTO_CGROUP,
		.exit_signal = c3flags[i].sig, .pidfd = (uint64_t)(uintptr_t)&pidfd,
		.cgroup = 0x7fffffff };	/* no such descriptor (above INT_MAX is EINVAL) */
	cl_flush_all();	/* should a kernel start the task after all, nothing is doubled */
	long r = SYS2(clone3, &ca, sizeof ca);
	if (r == 0)	/* the child: it was never meant to be */
		SYS1(exit_group, 0);
	if (r > 0) {	/* it was started: so the flag is known; reap it */
		cl_wait((int)r, 0, 0);
		if (pidfd >= 0)
			SYS1(close, pidfd);
		return 1;
	}
	return r == -EBADF || r == -EPERM ? 1 : r == -EINVAL ? 0 : -1;
}

int cmd_env(int argc, char **argv)
{
	static const struct cl_opt opts[] = { { "--json", 0 }, { "--help", 0 }, { 0, 0 } };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	int json = 0, k;
	while ((k = cl_getopt(&a, opts, "clonelab env")) != CL_ARG_END) {
		if (k == 0)
			json = 1;
		else if (k == 1)
			return cl_printf(&cl_stdout, "%s", usage), CL_EXIT_OK;
		else {
			if (k == CL_ARG_POSITIONAL)
				errf("clonelab env: unexpected argument '%s'\n", a.val);
			return CL_EXIT_USAGE;
		}
	}

	const char *release = cl_kernel_release() ? cl_kernel_release() : "unknown";
	int qemu = cl_under_qemu();	/* before the probes below start any task */
	long c3 = cl_clone3_probe();
	int has_clone3 = c3 != -ENOSYS;
	cl_sigchld_default(0);	/* the probe waits for its child */
	long uns = cl_userns_probe();
	/* EAGAIN: the clone hit a task limit (RLIMIT_NPROC), which says nothing about
	 * user namespaces. Ask without a new task: unshare moves this process into one,
	 * harmless now that all that is left to do is print. */
	int by_unshare = uns == -EAGAIN && !qemu;
	if (by_unshare)
		uns = SYS1(unshare, CL_CLONE_NEWUSER);
	const char *uns_why = uns == 0 ? 0
		: qemu ? "QEMU refuses every CLONE_NEW* flag: " CL_QEMU_CLONE_WHY
		: cl_userns_why(uns);
	unsigned long page = cl_getauxval(AT_PAGESZ);
	int knows[C3_NFLAGS];
	for (int i = 0; i < C3_NFLAGS; i++)
		knows[i] = has_clone3 && !qemu ? clone3_knows(i) : -1;

	if (json) {
		struct cl_json j = { &cl_stdout, 0, 0 };
		cl_json_open(&j, 0, '{');
		cl_json_str(&j, "arch", CL_ARCH_NAME);
		cl_json_str(&j, "kernel", release);
		cl_json_int(&j, "page_size", (long)page);
		cl_json_int(&j, "cpus", cpu_count());
		cl_json_bool(&j, "clone3", has_clone3);
		cl_json_str(&j, "clone3_probe", cl_errno_name(c3));
		cl_json_bool(&j, "userns", uns == 0);
		cl_json_str(&j, "userns_errno", uns ? cl_errno_name(uns) : 0);
		cl_json_str(&j, "userns_why", uns_why);
		cl_json_str(&j, "userns_probe", by_unshare ? "unshare" : "clone");
		cl_json_bool(&j, "qemu_user", qemu);
		cl_json_open(&j, "clone3_flags", '{');	/* null: not learned here */
		for (int i = 0; i < C3_NFLAGS; i++)
			if (knows[i] < 0)
				cl_json_null(&j, c3flags[i].name);
			else
				cl_json_bool(&j, c3flags[i].name, knows[i]);
		cl_json_close(&j, '}');
		cl_json_close(&j, '}');
		return CL_EXIT_OK;
	}
	outf("arch        %s\n", CL_ARCH_NAME);
	outf("kernel      %s\n", release);
	outf("page size   %lu\n", page);
	outf("cpus        %d\n", cpu_count());
	outf("clone3      %s (clone3(NULL, 0) gave %s)\n", has_clone3 ? "yes" : "no",
	    cl_errno_name(c3));
	if (uns == 0)
		outf("user ns     yes (%s)\n", by_unshare ? "clone met a task limit, EAGAIN, so "
		    "unshare(CLONE_NEWUSER) was asked, and worked" : "a clone(CLONE_NEWUSER) "
		    "child ran");
	else
		outf("user ns     no: %s: %s\n", cl_errno_name(uns), uns_why ? uns_why : "reason unknown");
	outf("qemu user   %s\n", qemu ? "yes: clone is emulated: only the fork and thread "
				       "shapes work" : "no");
	static const char *const heading[] = { "clone3 flags not learned here:",
		"clone3 does not know", "clone3 knows" };	/* by knows[] + 1 */
	for (int want = 1; want >= -1; want--) {
		int n = 0;
		for (int i = 0; i < C3_NFLAGS; i++)
			if (knows[i] == want)
				outf("%s %s", n++ ? "" : heading[want + 1], c3flags[i].name);
		if (n)
			outf("\n");
	}
	return CL_EXIT_OK;
}
