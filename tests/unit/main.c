/* main.c: clonelab-test, a freestanding kselftest-style TAP runner.
 *
 *   clonelab-test [--list] [FILTER]
 *
 * Runs every test in the table below whose name contains FILTER, prints TAP on
 * stdout and exits 0 if none failed. As /init of a qemu-system guest (pid 1) it
 * first mounts /proc, and at the end prints "clonelab-guest: done" and powers off.
 * See test.h for how to add a test. */
#include "test.h"

/* ---- the registry: add a declaration and a line ---- */
int t_printf_int(void);
int t_printf_unsigned_hex(void);
int t_printf_long(void);
int t_printf_str_char_ptr(void);
int t_printf_width_flags(void);
int t_printf_quoted(void);
int t_json_not_utf8(void);
int t_json_writer(void);
int t_json_escapes(void);
int t_getopt_flags_values(void);
int t_getopt_stop_positionals(void);
int t_getopt_unknown(void);
int t_getopt_missing_value(void);
int t_parse_ulong(void);
int t_utoa(void);
int t_strings(void);
int t_read_file_status(void);
int t_read_file_errors(void);
int t_field(void);
int t_proc_path(void);
int t_errno_names(void);
int t_stack_protector(void);
int t_stack_alignment(void);
int t_auxv(void);
int t_fork_wait(void);
int t_under_qemu(void);
int t_clone3_probe(void);
int t_userns_probe(void);
int t_run_capture(void);
int t_clonelab_env_json(void);
int t_scn_fork(void);
int t_scn_fork_legacy(void);
int t_scn_thread_legacy(void);
int t_scn_chimera_legacy(void);
int t_scn_thread(void);
int t_scn_chimera(void);
int t_scn_userns(void);
int t_scn_userns_unprivileged(void);
int t_scn_cpu(void);
int t_scn_tour(void);
int t_pic_deterministic(void);
int t_pic_stacked_labels(void);
int t_pic_kernel_view(void);
int t_pic_thread_svg(void);
int t_pic_fork_svg(void);
int t_example_fork(void);
int t_example_thread(void);
int t_example_chimera(void);
int t_example_userns(void);
int t_outsider_programs(void);
int t_thread_join_result(void);
int t_thread_stack_reuse(void);
int t_thread_10000_no_leak(void);
int t_thread_tls_words(void);
int t_thread_guard_page(void);
int t_snap_aligns_stack(void);
int t_clone3_lean(void);
int t_no_zombies(void);
int t_matrix(void);
int t_spawn(void);
int t_userns_map_self(void);
int t_run_pid1(void);
int t_run_id_hostname(void);
int t_run_exit_status(void);
int t_run_no_fd_leak(void);
int t_run_zombie_reaped(void);
int t_run_root(void);
int t_run_init_hides_host(void);
int t_probe_none(void);
int t_probe_vm(void);
int t_probe_vm_sighand(void);
int t_probe_nptl(void);
int t_probe_fs(void);
int t_probe_files(void);
int t_probe_newuser(void);
int t_probe_all_ns(void);
int t_probe_vfork(void);
int t_probe_sighand_without_vm(void);
int t_probe_refusals(void);
int t_probe_clone_vs_clone3(void);
int t_probe_usage(void);
int t_kview_btf_offsets(void);
int t_kview_fork(void);
int t_kview_thread(void);
int t_kview_chimera(void);
int t_kview_userns(void);
int t_kview_probe_vm_sighand(void);
int t_kview_probe_fs_files(void);
int t_kview_probe_new_ns(void);
int t_kview_refused(void);
int t_kview_stale_cleanup(void);
int t_kview_killed(void);
int t_kview_concurrent(void);
int t_kview_nothing_left(void);

/* Each test runs in a child process of its own: a crash or a hang is then that test's
 * "not ok", not the end of the run. Only no_zombies runs in the runner (see below). */
static const struct test { const char *name; int (*fn)(void); } tests[] = {
	{ "printf_int", t_printf_int },
	{ "printf_unsigned_hex", t_printf_unsigned_hex },
	{ "printf_long", t_printf_long },
	{ "printf_str_char_ptr", t_printf_str_char_ptr },
	{ "printf_width_flags", t_printf_width_flags },
	{ "printf_quoted", t_printf_quoted },
	{ "json_not_utf8", t_json_not_utf8 },
	{ "json_writer", t_json_writer },
	{ "json_escapes", t_json_escapes },
	{ "getopt_flags_values", t_getopt_flags_values },
	{ "getopt_stop_positionals", t_getopt_stop_positionals },
	{ "getopt_unknown", t_getopt_unknown },
	{ "getopt_missing_value", t_getopt_missing_value },
	{ "parse_ulong", t_parse_ulong },
	{ "utoa", t_utoa },
	{ "strings", t_strings },
	{ "read_file_status", t_read_file_status },
	{ "read_file_errors", t_read_file_errors },
	{ "field", t_field },
	{ "proc_path", t_proc_path },
	{ "errno_names", t_errno_names },
	{ "stack_protector", t_stack_protector },
	{ "stack_alignment", t_stack_alignment },
	{ "auxv", t_auxv },
	{ "fork_wait", t_fork_wait },
	{ "under_qemu", t_under_qemu },
	{ "clone3_probe", t_clone3_probe },
	{ "userns_probe", t_userns_probe },
	{ "run_capture", t_run_capture },
	{ "clonelab_env_json", t_clonelab_env_json },
	{ "scn_fork", t_scn_fork },
	{ "scn_thread", t_scn_thread },
	{ "scn_chimera", t_scn_chimera },
	{ "scn_fork_legacy", t_scn_fork_legacy },
	{ "scn_thread_legacy", t_scn_thread_legacy },
	{ "scn_chimera_legacy", t_scn_chimera_legacy },
	{ "scn_userns", t_scn_userns },
	{ "scn_userns_unprivileged", t_scn_userns_unprivileged },
	{ "scn_cpu", t_scn_cpu },
	{ "scn_tour", t_scn_tour },
	{ "pic_deterministic", t_pic_deterministic },
	{ "pic_stacked_labels", t_pic_stacked_labels },
	{ "pic_kernel_view", t_pic_kernel_view },
	{ "pic_thread_svg", t_pic_thread_svg },
	{ "pic_fork_svg", t_pic_fork_svg },
	{ "example_fork", t_example_fork },
	{ "example_thread", t_example_thread },
	{ "example_chimera", t_example_chimera },
	{ "example_userns", t_example_userns },
	{ "outsider_programs", t_outsider_programs },
	{ "thread_join_result", t_thread_join_result },
	{ "thread_stack_reuse", t_thread_stack_reuse },
	{ "thread_10000_no_leak", t_thread_10000_no_leak },
	{ "thread_tls_words", t_thread_tls_words },
	{ "thread_guard_page", t_thread_guard_page },
	{ "snap_aligns_stack", t_snap_aligns_stack },
	{ "clone3_lean", t_clone3_lean },
	{ "spawn", t_spawn },
	{ "userns_map_self", t_userns_map_self },
	{ "matrix", t_matrix },
	{ "run_pid1", t_run_pid1 },
	{ "run_id_hostname", t_run_id_hostname },
	{ "run_exit_status", t_run_exit_status },
	{ "run_no_fd_leak", t_run_no_fd_leak },
	{ "run_zombie_reaped", t_run_zombie_reaped },
	{ "run_root", t_run_root },
	{ "run_init_hides_host", t_run_init_hides_host },
	{ "probe_none", t_probe_none },
	{ "probe_vm", t_probe_vm },
	{ "probe_vm_sighand", t_probe_vm_sighand },
	{ "probe_nptl", t_probe_nptl },
	{ "probe_fs", t_probe_fs },
	{ "probe_files", t_probe_files },
	{ "probe_newuser", t_probe_newuser },
	{ "probe_all_ns", t_probe_all_ns },
	{ "probe_vfork", t_probe_vfork },
	{ "probe_sighand_without_vm", t_probe_sighand_without_vm },
	{ "probe_refusals", t_probe_refusals },
	{ "probe_clone_vs_clone3", t_probe_clone_vs_clone3 },
	{ "probe_usage", t_probe_usage },
	{ "kview_btf_offsets", t_kview_btf_offsets },
	{ "kview_fork", t_kview_fork },
	{ "kview_thread", t_kview_thread },
	{ "kview_chimera", t_kview_chimera },
	{ "kview_userns", t_kview_userns },
	{ "kview_probe_vm_sighand", t_kview_probe_vm_sighand },
	{ "kview_probe_fs_files", t_kview_probe_fs_files },
	{ "kview_probe_new_ns", t_kview_probe_new_ns },
	{ "kview_refused", t_kview_refused },
	{ "kview_stale_cleanup", t_kview_stale_cleanup },
	{ "kview_killed", t_kview_killed },
	{ "kview_concurrent", t_kview_concurrent },
	{ "kview_nothing_left", t_kview_nothing_left },
	/* Last, in the runner itself, a child subreaper: a process any test leaked, or
	 * left unreaped, has come back to us. */
	{ "no_zombies", t_no_zombies },
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
	out("# ");
	cl_vprintf(&cl_stdout, fmt, ap);
	out("\n");
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
		err("clonelab-test: mount proc on /proc: %s\n", cl_errno_name(r));
	/* sysfs: BTF and the tracefs mount point, for --kernel */
	r = SYS5(mount, "sysfs", "/sys", "sysfs", 0, 0);
	if (cl_is_err(r) && r != -EBUSY)
		err("clonelab-test: mount sysfs on /sys: %s\n", cl_errno_name(r));
}

__attribute__((noreturn)) static void guest_poweroff(void)
{
	out("clonelab-guest: done\n");
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
			out("usage: clonelab-test [--list] [FILTER]\n"
			    "Runs the tests whose name contains FILTER (all without), prints TAP.\n");
			return 0;
		} else if (argv[i][0] == '-') {
			err("clonelab-test: unknown option '%s'\n", argv[i]);
			return 2;
		} else
			filter = argv[i];
	}
	if (list) {
		for (unsigned i = 0; i < NTESTS; i++)
			if (matches(tests[i].name, filter))
				out("%s\n", tests[i].name);
		return 0;
	}
	int guest = SYS0(getpid) == 1;
	t_is_guest();	/* decide now, while we may still be pid 1 */
	cl_under_qemu();	/* and this while we have one thread: the tests inherit both */
	if (guest)
		guest_setup();
	SYS2(prctl, 36 /* PR_SET_CHILD_SUBREAPER */, 1);	/* leaked processes come back */
	/* "\n" first: a serial console glues the first line onto the firmware's. */
	out("\nTAP version 13\n");
	unsigned planned = 0;
	for (unsigned i = 0; i < NTESTS; i++)
		planned += (unsigned)matches(tests[i].name, filter);
	out("1..%u\n", planned);
	unsigned n = 0, failed = 0, skipped = 0;
	for (unsigned i = 0; i < NTESTS; i++) {
		if (!matches(tests[i].name, filter))
			continue;
		static char reason[256];
		skip_reason = 0;
		reason[0] = 0;
		cl_flush_all();
		int r = tests[i].fn == t_no_zombies ? tests[i].fn()
			: run_isolated(&tests[i], reason, sizeof reason);
		if (skip_reason)
			r = T_SKIP, cl_stpcpy(reason, skip_reason);
		n++;
		if (r == T_SKIP) {
			skipped++;
			out("ok %u %s # SKIP %s\n", n, tests[i].name, reason);
		} else if (r == T_PASS) {
			out("ok %u %s\n", n, tests[i].name);
		} else {
			failed++;
			out("not ok %u %s\n", n, tests[i].name);
		}
		cl_flush_all();
	}
	out("# %s: %u tests, %u passed, %u failed, %u skipped\n", CL_ARCH_NAME, n,
	    n - failed - skipped, failed, skipped);
	if (guest)
		guest_poweroff();
	return failed ? 1 : 0;
}
