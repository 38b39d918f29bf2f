/* main.c: clonelab's command table and global options. */
#include "cmd.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *what;
} cmds[] = {
#ifndef CL_ENV_ONLY	/* the env-only build measures the runtime's own size (make size) */
	{ "tour", cmd_tour, "the four scenarios below, in order, with the story between them" },
	{ "fork", cmd_fork, "fork emulated with clone: one call, two returns" },
	{ "thread", cmd_thread, "a thread made with clone, joined through CHILD_CLEARTID" },
	{ "userns", cmd_userns, "a child in a new user namespace, where it is root" },
	{ "chimera", cmd_chimera, "CLONE_VM without CLONE_THREAD: two processes, one memory" },
	{ "run", cmd_run, "COMMAND in new namespaces, like unshare(1): a container" },
	{ "probe", cmd_probe, "one clone with your flags: what the child shares, or why not" },
#endif
	{ "env", cmd_env, "what this machine allows: clone3, user namespaces, QEMU, CPUs" },
};

static void usage(struct cl_out *o)
{
	cl_printf(o, "usage: clonelab COMMAND [OPTIONS]\n"
		     "       clonelab --help | --version\n\n"
		     "clone(2) by hand: processes, threads and namespaces made with the raw\n"
		     "clone/clone3 syscalls, and what the kernel handed the new task.\n\n"
		     "commands:\n");
	for (unsigned i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		cl_printf(o, "  %-9s %s\n", cmds[i].name, cmds[i].what);
	cl_printf(o, "\nEvery command takes --help and --json.\n"
		     "Exit status: 0 success, 1 failure, 2 usage error, 3 not possible here.\n");
}

int cmd_json_reported;

#ifndef CL_ENV_ONLY
/* Under --json every error is one JSON object on stdout. A usage error found before the
 * command printed anything gets it here, from the message the command left on stderr
 * (still in its buffer: usage errors come before any clone, so before any flush). */
static int json_usage(int argc, char **argv, int status)
{
	char why[512];
	unsigned n = 0;
	int json = 0;
	for (int i = 1; i < argc && !cl_streq(argv[i], "--"); i++)	/* after --: COMMAND's */
		json |= cl_streq(argv[i], "--json");
	if (!json || status != CL_EXIT_USAGE || cl_stdout.buf || cmd_json_reported)
		return status;
	for (unsigned i = 0; i < cl_stderr.len && cl_stderr.buf[i] != '\n' && n < sizeof why - 1; i++)
		why[n++] = cl_stderr.buf[i];
	why[n] = 0;
	struct cl_json j = { &cl_stdout, 0, 0 };
	cl_json_error(&j, CL_EXIT_USAGE, 0, 0, n ? why : "usage error");
	cl_json_close(&j, '}');
	return status;
}
#else
#define json_usage(argc, argv, status) (status)
#endif

int main(int argc, char **argv, char **envp)
{
	(void)envp;	/* cl_environ has it */
	if (argc < 2) {
		usage(&cl_stderr);
		return CL_EXIT_USAGE;
	}
	const char *c = argv[1];
	if (cl_streq(c, "--help") || cl_streq(c, "-h") || cl_streq(c, "help")) {
		usage(&cl_stdout);
		return cl_out_status(CL_EXIT_OK);
	}
	if (cl_streq(c, "--version")) {
		/* One literal, main's own: a string shared with another function may be
		 * merged into that one's copy, pages away from the rest (linker/clonelab.ld) */
		outf("clonelab " CLONELAB_VERSION " (" CL_ARCH_NAME ")\n");
		return cl_out_status(CL_EXIT_OK);
	}
	/* "Under QEMU user mode?" is decided now, before any command, while we are surely
	 * one thread: asked later, a thread that has exited but not yet left the count
	 * would say yes. (--help and --version above never need it: they stay fast.) */
	cl_under_qemu();
	for (unsigned i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cl_streq(c, cmds[i].name))
			return cl_out_status(json_usage(argc - 1, argv + 1, cmds[i].run(argc - 1, argv + 1)));
	errf("clonelab: unknown command '%s' (try clonelab --help)\n", c);
	return cl_out_status(json_usage(argc, argv, CL_EXIT_USAGE));
}
