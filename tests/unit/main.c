/* main.c: clonelab-test, a freestanding kselftest-style TAP runner.
 *
 *   clonelab-test [--list] [FILTER]
 *
 * Runs every test in the table below whose name contains FILTER, prints TAP on
 * stdout and exits 0 if none failed. As /init of a qemu-system guest (pid 1) it
 * first mounts /proc, and at the end prints "clonelab-guest: done" and powers off.
 * See test.h for how to add a test. */
#include "test.h"

/* ---- the registry: tests.def, one line a test ---- */
#define T(name) int t_##name(void);
#include "tests.def"
#undef T

/* Each test runs in a child process of its own: a crash or a hang is then that test's
 * "not ok", not the end of the run. Only no_zombies runs in the runner (see below). */
static const struct test { const char *name; int (*fn)(void); } tests[] = {
#define T(name) { #name, t_##name },
#include "tests.def"
#undef T
};
#define NTESTS (sizeof tests / sizeof tests[0])

/* ---- helpers (declared in test.h) ---- */
static const char *skip_reason;
static const char *argv0 = "clonelab-test";
char t_last_stderr[4096];
int t_run_as = -1;

int t_run_status(char *const argv[], char *out, size_t size)
{
	int st = 0;
	if (run_capture(argv, out, size, &st) < 0 || (CL_WIFEXITED(st) &&
	    CL_WEXITSTATUS(st) == 127 && json_has(t_last_stderr, "run_capture:")))
		return -1;
	if (!CL_WIFEXITED(st))
		diag("%s killed by signal %d; stderr: %s", argv[0], CL_WTERMSIG(st), t_last_stderr);
	return CL_WIFEXITED(st) ? CL_WEXITSTATUS(st) : 128 + CL_WTERMSIG(st);
}

/* Tests that use state every test binary on this host shares: tracefs (clonelab
 * --kernel, a killed run's leftovers made on purpose). make mutate runs two binaries
 * at once natively, and one's fake leftovers (or their cleanup) would fail the other.
 * So one binary at a time: a flock on /sys/kernel (the directory that holds tracefs,
 * always there), taken at the start of such a test and released by the kernel when
 * the test's process exits (each test runs in a child of its own), however it exits.
 * Nothing is created, so nothing is left behind. */
void t_host_exclusive(void)
{
	static int held;
	if (held)
		return;
	held = 1;
	long fd = SYS4(openat, AT_FDCWD, "/sys/kernel", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd >= 0)
		SYS2(flock, fd, 2 /* LOCK_EX */);	/* waits while another binary's test holds it */
}

static long runner_pid;

static char *scratch_prefix(char *buf)
{
	char num[24];
	return cl_stpcpy(cl_stpcpy(cl_stpcpy(buf, "clonelab-test-"),
				   cl_utoa((unsigned long)runner_pid, num)), "-");
}

char *t_scratch(char *buf, const char *name)
{
	char *p = cl_stpcpy(buf, "/tmp/");
	p = scratch_prefix(p);
	if (cl_strlen(name) > 30)
		name = "long";	/* the tests' names are short; this only keeps buf whole */
	cl_stpcpy(p, name);
	return buf;
}

static void remove_entries(int dirfd, const char *prefix, int depth);

/* Remove NAME in the directory dirfd: a file, or a directory with all it holds (never
 * following a symlink out of it). A directory is read again until it is empty (at most
 * three times): its entries are removed while it is being read. */
static void remove_tree(int dirfd, const char *name, int depth)
{
	if (SYS3(unlinkat, dirfd, name, 0) != -EISDIR || depth > 8)
		return;
	for (int pass = 0; pass < 3; pass++) {
		long fd = SYS4(openat, dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
		if (fd < 0)
			return;
		remove_entries((int)fd, "", depth + 1);
		SYS1(close, fd);
		if (SYS3(unlinkat, dirfd, name, AT_REMOVEDIR) != -ENOTEMPTY)
			return;
	}
}

/* Remove every entry of the directory dirfd whose name starts with prefix. */
static void remove_entries(int dirfd, const char *prefix, int depth)
{
	char buf[1024];
	long n;
	while ((n = SYS3(getdents64, dirfd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n; off += cl_dirent_len(buf + off)) {
			const char *name = cl_dirent_name(buf + off);
			if (!cl_streq(name, ".") && !cl_streq(name, "..") && cl_startswith(name, prefix))
				remove_tree(dirfd, name, depth);
		}
}

/* After each test: remove every /tmp entry that t_scratch named for this run. */
static void sweep_scratch(void)
{
	char prefix[48];
	scratch_prefix(prefix);
	long fd = SYS4(openat, AT_FDCWD, "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	remove_entries((int)fd, prefix, 0);
	SYS1(close, fd);
}

int t_clonelab_under_qemu(void)
{
	static int known = -1;
	if (known < 0) {
		static char env[2048];
		char *argv[] = { (char *)CLONELAB_PATH(), "env", "--json", 0 };
		int st;
		known = run_capture(argv, env, sizeof env, &st) > 0 &&
			json_has(env, "\"qemu_user\":true");
	}
	return known;
}

int skip(const char *reason)
{
	skip_reason = reason ? reason : "skipped";
	return T_SKIP;
}

void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	outf("# ");
	cl_vprintf(&cl_stdout, fmt, ap);
	outf("\n");
	va_end(ap);
}

const char *t_getenv(const char *name)
{
	size_t n = cl_strlen(name);
	for (char **e = cl_environ; e && *e; e++)
		if (cl_startswith(*e, name) && (*e)[n] == '=')
			return *e + n + 1;
	return 0;
}

/* Decided once, by the runner: the tests run in its children, whose pid is not 1. */
static int guest_known = -1;

int t_is_guest(void)
{
	if (guest_known < 0) {
		const char *g = t_getenv("CLONELAB_GUEST");
		guest_known = SYS0(getpid) == 1 || (g && cl_streq(g, "1"));
	}
	return guest_known;
}

const char *t_path(const char *rel)
{
	static char bufs[4][512];
	static unsigned slot;
	char *buf = bufs[slot++ % 4], *p = buf, *end = buf + sizeof bufs[0] - 1;
	if (t_is_guest()) {
		*p++ = '/';
	} else {
		/* argv[0]'s directory (build/<arch>/tests), then "/../". */
		const char *slash = 0;
		for (const char *s = argv0; *s; s++)
			if (*s == '/')
				slash = s;
		if (slash) {
			for (const char *s = argv0; s <= slash && p < end; s++)
				*p++ = *s;
		} else {
			*p++ = '.', *p++ = '/';
		}
		for (const char *s = "../"; *s; s++)
			*p++ = *s;
	}
	while (*rel && p < end)
		*p++ = *rel++;
	*p = 0;
	return buf;
}

int json_has(const char *json, const char *needle)
{
	size_t n = cl_strlen(needle);
	if (!json)
		return 0;
	for (const char *s = json; *s; s++)
		if (memcmp(s, needle, n) == 0)
			return 1;
	return n == 0;
}

void t_mem_out(struct cl_out *o, char *buf, size_t size)
{
	/* fd -1: should it ever fill up, the "flush" fails (EBADF) and drops. */
	o->fd = -1, o->len = 0, o->size = (unsigned)(size - 1), o->buf = buf;
}

const char *t_mem_str(struct cl_out *o)
{
	o->buf[o->len] = 0;
	return o->buf;
}

static long read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char sink[256];
	for (;;) {
		long r;
		if (len + 1 < size)
			r = SYS3(read, fd, buf + len, size - 1 - len);
		else
			r = SYS3(read, fd, sink, sizeof sink);	/* drain, so the child never blocks */
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + 1 < size)
			len += (size_t)r;
	}
	buf[len] = 0;
	return (long)len;
}

int run_capture(char *const argv[], char *out, size_t size, int *status)
{
	int po[2], pe[2];
	long r = SYS2(pipe2, po, O_CLOEXEC);
	if (cl_is_err(r))
		return (int)r;
	r = SYS2(pipe2, pe, O_CLOEXEC);
	if (cl_is_err(r)) {
		SYS1(close, po[0]), SYS1(close, po[1]);
		return (int)r;
	}
	long pid = cl_fork();
	if (pid == 0) {
		SYS3(dup3, po[1], 1, 0);
		SYS3(dup3, pe[1], 2, 0);
		if (t_run_as >= 0) {	/* become an unprivileged user, as setpriv would */
			SYS2(setgroups, 0, 0);
			SYS3(setresgid, t_run_as, t_run_as, t_run_as);
			SYS3(setresuid, t_run_as, t_run_as, t_run_as);
			/* setuid without exec left us non-dumpable: /proc/<pid>/ files
			 * (uid_map among them) would then be root's. Undo that. */
			SYS2(prctl, 4 /* PR_SET_DUMPABLE */, 1);
		}
		r = SYS3(execve, argv[0], argv, cl_environ);
		const char *name = cl_errno_name(r);
		static const char msg[] = "run_capture: execve ";
		SYS3(write, 2, msg, sizeof msg - 1);
		SYS3(write, 2, argv[0], cl_strlen(argv[0]));
		SYS3(write, 2, ": ", 2);
		SYS3(write, 2, name ? name : "?", cl_strlen(name ? name : "?"));
		SYS3(write, 2, "\n", 1);
		SYS1(exit_group, 127);
	}
	SYS1(close, po[1]);
	SYS1(close, pe[1]);
	if (cl_is_err(pid)) {
		SYS1(close, po[0]), SYS1(close, pe[0]);
		return (int)pid;
	}
	/* stdout to its end first, then stderr: enough for the small outputs of tests
	 * (a child that fills the 64 KiB stderr pipe first would stall). */
	long n = read_all(po[0], out, size);
	read_all(pe[0], t_last_stderr, sizeof t_last_stderr);
	SYS1(close, po[0]);
	SYS1(close, pe[0]);
	int st = 0;
	cl_wait((int)pid, &st, 0);
	if (status)
		*status = st;
	return (int)n;
}

/* ---- the runner ---- */
static int matches(const char *name, const char *filter)
{
	return !filter || json_has(name, filter);
}

static void guest_setup(void)
{
	long r = SYS5(mount, "proc", "/proc", "proc", 0, 0);
	if (cl_is_err(r) && r != -EBUSY)
		errf("clonelab-test: mount proc on /proc: %s\n", cl_errno_name(r));
	/* sysfs: BTF and the tracefs mount point, for --kernel */
	r = SYS5(mount, "sysfs", "/sys", "sysfs", 0, 0);
	if (cl_is_err(r) && r != -EBUSY)
		errf("clonelab-test: mount sysfs on /sys: %s\n", cl_errno_name(r));
	/* the test markers in the kernel log (kmsg_mark), all of them: the guest's own kernel */
	cl_write_file("/proc/sys/kernel/printk_devkmsg", "on");
}

/* A line in the guest's kernel log: "clonelab-test: NAME" before each test. */
static void kmsg_mark(const char *name)
{
	char line[96];
	long fd = SYS4(openat, AT_FDCWD, "/dev/kmsg", O_WRONLY | O_CLOEXEC, 0);
	if (fd < 0)	/* opened each time: no descriptor of ours for a test to count */
		return;
	char *e = cl_stpcpy(cl_stpcpy(line, "clonelab-test: "), name);
	SYS3(write, fd, line, (size_t)(e - line));
	SYS1(close, fd);
}

__attribute__((noreturn)) static void guest_poweroff(void)
{
	outf("clonelab-guest: done\n");
	cl_flush_all();
	SYS4(reboot, 0xfee1deadL, 672274793L, 0x4321fedcL /* POWER_OFF */, 0);
	cl_exit(1);	/* init exiting panics the kernel; boot.sh still sees "done" */
}

/* A test still running after this many seconds is killed and fails: a guard against
 * hangs, not a timing test. CLONELAB_TEST_SECONDS raises it for slow beds (emulated
 * CPUs on a busy host: tests/system/boot.sh sets it on the kernel command line). */
static long test_seconds(void)
{
	const char *s = t_getenv("CLONELAB_TEST_SECONDS");
	long n = 0;
	while (s && *s >= '0' && *s <= '9' && n < 100000)
		n = n * 10 + (*s++ - '0');
	return n > 0 ? n : 30;
}

/* Run one test in a child of its own, in its own process group; returns its result,
 * with a skip reason copied into reason. */
static int run_isolated(const struct test *t, char *reason, size_t size)
{
	int p[2];
	if (SYS2(pipe2, p, O_CLOEXEC) < 0)
		return t->fn();
	long pid = cl_fork();
	if (pid == 0) {
		SYS2(setpgid, 0, 0);
		SYS1(close, p[0]);
		int r = t->fn();
		if (skip_reason || r == T_SKIP) {
			const char *why = skip_reason ? skip_reason : "";
			SYS3(write, p[1], why, cl_strlen(why));
			r = T_SKIP;
		}
		cl_flush_all();
		SYS1(exit_group, r);
	}
	SYS1(close, p[1]);
	if (pid < 0) {
		SYS1(close, p[0]);
		return t->fn();
	}
	struct cl_timespec now, start, nap = { 0, 1000000 };
	int st = 0;
	SYS2(clock_gettime, 1, &start);
	while (cl_wait((int)pid, &st, CL_WNOHANG) == 0) {
		SYS2(clock_gettime, 1, &now);
		if (now.tv_sec - start.tv_sec >= test_seconds()) {
			SYS2(kill, -pid, SIGKILL);
			cl_wait((int)pid, &st, 0);
			diag("%s: still running after %ld s: killed", t->name, test_seconds());
			break;
		}
		SYS2(nanosleep, &nap, 0);
		if (nap.tv_nsec < 50000000)
			nap.tv_nsec *= 2;
	}
	long n = SYS3(read, p[0], reason, size - 1);
	reason[n > 0 ? n : 0] = 0;
	SYS1(close, p[0]);
	if (CL_WIFSIGNALED(st) && CL_WTERMSIG(st) != SIGKILL)
		diag("%s: killed by signal %d", t->name, CL_WTERMSIG(st));
	if (!CL_WIFEXITED(st))
		return T_FAIL;
	return CL_WEXITSTATUS(st) <= T_SKIP ? CL_WEXITSTATUS(st) : T_FAIL;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;	/* cl_environ has it */
	const char *filter = 0;
	int list = 0;
	if (argc > 0)
		argv0 = argv[0];
	for (int i = 1; i < argc; i++) {
		if (cl_streq(argv[i], "--list"))
			list = 1;
		else if (cl_streq(argv[i], "--help") || cl_streq(argv[i], "-h")) {
			outf("usage: clonelab-test [--list] [FILTER]\n"
			    "Runs the tests whose name contains FILTER (all without), prints TAP.\n");
			return 0;
		} else if (argv[i][0] == '-') {
			errf("clonelab-test: unknown option '%s'\n", argv[i]);
			return 2;
		} else
			filter = argv[i];
	}
	if (list) {
		for (unsigned i = 0; i < NTESTS; i++)
			if (matches(tests[i].name, filter))
				outf("%s\n", tests[i].name);
		return 0;
	}
	int guest = SYS0(getpid) == 1;
	t_is_guest();	/* decide now, while we may still be pid 1 */
	cl_under_qemu();	/* and this while we have one thread: the tests inherit both */
	if (guest)
		guest_setup();
	SYS2(prctl, 36 /* PR_SET_CHILD_SUBREAPER */, 1);	/* leaked processes come back */
	runner_pid = SYS0(getpid);
	/* "\n" first: a serial console glues the first line onto the firmware's. */
	outf("\nTAP version 13\n");
	unsigned planned = 0;
	for (unsigned i = 0; i < NTESTS; i++)
		planned += (unsigned)matches(tests[i].name, filter);
	outf("1..%u\n", planned);
	unsigned n = 0, failed = 0, skipped = 0;
	for (unsigned i = 0; i < NTESTS; i++) {
		if (!matches(tests[i].name, filter))
			continue;
		static char reason[256];
		skip_reason = 0;
		reason[0] = 0;
		cl_flush_all();
		if (guest)	/* kernel_log_clean names the test that was running at a WARNING */
			kmsg_mark(tests[i].name);
		int r = tests[i].fn == t_no_zombies ? tests[i].fn()
			: run_isolated(&tests[i], reason, sizeof reason);
		if (skip_reason)
			r = T_SKIP, cl_stpcpy(reason, skip_reason);
		sweep_scratch();
		n++;
		if (r == T_SKIP) {
			skipped++;
			outf("ok %u %s # SKIP %s\n", n, tests[i].name, reason);
		} else if (r == T_PASS) {
			outf("ok %u %s\n", n, tests[i].name);
		} else {
			failed++;
			outf("not ok %u %s\n", n, tests[i].name);
		}
		cl_flush_all();
	}
	outf("# %s: %u tests, %u passed, %u failed, %u skipped\n", CL_ARCH_NAME, n,
	    n - failed - skipped, failed, skipped);
	if (guest)
		guest_poweroff();
	return failed ? 1 : 0;
}

void *t_map(size_t size)
{
	long m = cl_map(size);
	if (cl_is_err(m)) {
		errf("clonelab-test: mmap of %lu bytes: %s\n", (unsigned long)size, cl_errno_name(m));
		cl_exit(CL_EXIT_FAIL);
	}
	return (void *)m;
}
