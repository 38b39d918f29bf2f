/* outsider.c: tests/outsider's programs, built by `make outsider` from a `make install`
 * alone (tests/outsider/build.sh), run here: natively, under QEMU user mode, and as
 * /outsider/NAME in the system beds' guests, on Debian's kernels. */
#include "test.h"

static char out[1024];

/* Run outsider/NAME (with one argument, or none): its status as t_run_status gives it,
 * or -2 if it was not built. */
static int outsider(const char *name, const char *arg)
{
	char *argv[] = { (char *)t_path(name), (char *)arg, 0 };
	long fd = SYS4(openat, AT_FDCWD, argv[0], O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	SYS1(close, fd);
	return t_run_status(argv, out, sizeof out);
}

#define RUN(name, arg) do { r = outsider("outsider/" name, arg); \
	if (r == -2) return skip("not built: make outsider"); \
	if (r == -1) return skip("cannot run them here (no binfmt for this arch)"); } while (0)

int t_outsider_programs(void)
{
	int r;
	RUN("threads", 0);	/* threads adding with __atomic builtins */
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(out, "counter 40000, results 28\n");
	RUN("fork", 0);
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(out, "child exited 5\n");
	RUN("ssp", 0);		/* -fstack-protector-all, main thread and a cl_thread */
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(out, "canary set 1\nmain 5\nthread 9\n");
	RUN("ssp", "0");	/* an overflow over the canary: caught, SIGABRT */
	ASSERT_EQ(r, 128 + 6);
	ASSERT_HAS(t_last_stderr, "stack smashing detected");
	RUN("cxx", 0);		/* C++, hosted, static */
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(out, "c++: 22\n");
	RUN("userns", 0);	/* root inside, or exit 3 saying why (QEMU, a policy) */
	if (r == 3)
		diag("userns: not possible here: %s", t_last_stderr);
	else
		ASSERT_STREQ(out, "uid inside 0\n");
	return T_PASS;
}
