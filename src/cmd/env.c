/* env.c: `clonelab env`, what this machine allows. */
#include "cmd.h"

static const char usage[] =
	"usage: clonelab env [--json]\n\n"
	"What this machine allows: architecture, kernel, page size, usable CPUs,\n"
	"clone3, user namespaces, and QEMU user mode (which emulates clone).\n";

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
	return CL_EXIT_OK;
}
