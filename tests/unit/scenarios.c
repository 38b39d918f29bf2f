/* scenarios.c: the four scenarios through `clonelab CMD --json` (natively and on the
 * real kernels), the examples' output, and the test-bed matrix. The library itself is
 * tested in library.c. */
#include "test.h"

static char out[32768];

const char *t_differ(int a, int b, int c)
{
	static char buf[128];
	int idx[3] = { a, b, c }, n = 0, names_n;
	const char *const *names = cl_reg_names(&names_n);
	/* clonelab lists the differing registers in regs.h order: sort ours likewise */
	while (n < 3 && idx[n] >= 0)
		n++;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			int t = idx[j];
			idx[j] = idx[j - 1], idx[j - 1] = t;
		}
	char *p = cl_stpcpy(buf, "\"differ\":[");	/* 3 names fit: at most 9 bytes each */
	for (int i = 0; i < n; i++) {
		p = cl_stpcpy(p, i ? ",\"" : "\"");
		p = cl_stpcpy(cl_stpcpy(p, names[idx[i]]), "\"");
	}
	cl_stpcpy(p, "]");
	return buf;
}

/* Run `clonelab args... --json` (or an example); returns its exit status, or -1 if it
 * could not be run (then the test is a skip, with the reason printed). */
static int clonelab4(const char *a, const char *b, const char *c, const char *d)
{
	char *argv[] = { (char *)CLONELAB_PATH(), (char *)a, (char *)b, (char *)c, (char *)d, 0 };
	return t_run_status(argv, out, sizeof out);
}

static int clonelab(const char *a, const char *b, const char *c) { return clonelab4(a, b, c, 0); }

/* The integer after "key": in compact JSON, or -999999 if absent. */
static long num(const char *json, const char *key)
{
	char pat[64] = "\"";
	cl_stpcpy(cl_stpcpy(pat + 1, key), "\":");
	for (const char *p = json; *p; p++)
		if (cl_startswith(p, pat)) {
			p += cl_strlen(pat);
			long sign = *p == '-' ? (p++, -1) : 1, v = 0;
			while (*p >= '0' && *p <= '9')
				v = v * 10 + (*p++ - '0');
			return sign * v;
		}
	return -999999;
}

/* Whether it can make user namespaces, by its own account, as the user that
 * run_capture runs it as now (t_run_as). */
static int userns_ok(void)
{
	static char env[2048];
	char *argv[] = { (char *)CLONELAB_PATH(), "env", "--json", 0 };
	int st;
	return run_capture(argv, env, sizeof env, &st) > 0 && json_has(env, "\"userns\":true");
}

#define NEED_CLONELAB(r) do { if ((r) < 0) return skip("cannot run clonelab here (no binfmt for this arch)"); } while (0)

/* Each scenario through clone3 (auto) and through legacy clone: the two put their
 * arguments in different registers, and arm64's legacy order is CLONE_BACKWARDS. */
static int fork_via(const char *api)
{
	int r = clonelab4("fork", "--json", "--api", api);
	NEED_CLONELAB(r);
	ASSERT_EQ(r, 0);
	if (!cl_streq(api, "auto"))
		ASSERT_HAS(out, "\"api\":\"clone\"");
	ASSERT_HAS(out, "\"result\":\"ok\"");
	ASSERT_EQ(num(out, "returned_in_child"), 0);
	ASSERT_EQ(num(out, "returned_in_parent"), num(out, "child_pid"));
	ASSERT(num(out, "child_pid") != num(out, "parent_pid"));
	ASSERT_EQ(num(out, "child_ppid"), num(out, "parent_pid"));
	ASSERT_HAS(out, "\"child_write_seen_by_parent\":false");
	ASSERT_EQ(num(out, "child_exit_status"), 7);
	/* No new stack: only the return register differs. */
	ASSERT_HAS(out, t_differ(CL_REG_RET, -1, -1));
	return T_PASS;
}

int t_scn_fork(void) { return fork_via("auto"); }
int t_scn_fork_legacy(void) { return fork_via("clone"); }

static int thread_via(const char *api)
{
	int r = clonelab4("thread", "--json", "--api", api);
	NEED_CLONELAB(r);
	ASSERT_EQ(r, 0);
	if (!cl_streq(api, "auto"))
		ASSERT_HAS(out, "\"api\":\"clone\"");
	ASSERT_EQ(num(out, "getpid_in_thread"), num(out, "pid"));
	ASSERT(num(out, "thread_tid") != num(out, "main_tid"));
	ASSERT(num(out, "thread_tid") > 0);
	ASSERT_EQ(num(out, "parent_tid_word"), num(out, "thread_tid"));
	ASSERT_HAS(out, "\"same_thread_group\":true");
	ASSERT_HAS(out, "\"thread_write_seen_by_main\":true");
	ASSERT_HAS(out, "\"joined\":true");
	/* New stack and CLONE_SETTLS: return register, stack pointer, thread pointer. */
	ASSERT_HAS(out, t_differ(CL_REG_RET, CL_REG_SP, CL_REG_TP));
	return T_PASS;
}

int t_scn_thread(void) { return thread_via("auto"); }
int t_scn_thread_legacy(void) { return thread_via("clone"); }

static int chimera_via(const char *api)
{
	int r = clonelab4("chimera", "--json", "--api", api);
	NEED_CLONELAB(r);
	if (t_clonelab_under_qemu()) {
		ASSERT_EQ(r, 3);
		ASSERT_HAS(out, "\"result\":\"unsupported\"");
		return T_PASS;
	}
	ASSERT_EQ(r, 0);
	ASSERT(num(out, "child_pid") != num(out, "parent_pid"));
	ASSERT_HAS(out, "\"same_thread_group\":false");
	ASSERT_HAS(out, "\"child_write_seen_by_parent\":true");
	ASSERT_HAS(out, t_differ(CL_REG_RET, CL_REG_SP, -1));
	return T_PASS;
}

int t_scn_chimera(void) { return chimera_via("auto"); }
int t_scn_chimera_legacy(void) { return chimera_via("clone"); }

/* The userns scenario, as whoever we are now: root, or t_run_as. */
static int userns_as(int uid)
{
	t_run_as = uid;
	int ok = userns_ok();
	int r = clonelab("userns", "--json", 0);
	t_run_as = -1;
	NEED_CLONELAB(r);
	if (!ok || t_clonelab_under_qemu()) {
		ASSERT_EQ(r, 3);
		ASSERT_HAS(out, "\"result\":\"unsupported\"");
		return T_PASS;
	}
	ASSERT_EQ(r, 0);
	ASSERT_EQ(num(out, "outside_uid"), uid < 0 ? (long)SYS0(geteuid) : uid);
	ASSERT_EQ(num(out, "uid_before_map"), 65534);
	ASSERT_EQ(num(out, "inside_uid"), 0);
	ASSERT_EQ(num(out, "inside_gid"), 0);
	ASSERT_HAS(out, "\"setuid0\":true");
	ASSERT_HAS(out, t_differ(CL_REG_RET, CL_REG_SP, -1));
	return T_PASS;
}

int t_scn_userns(void) { return userns_as(-1); }

int t_scn_userns_unprivileged(void)
{
	if (SYS0(geteuid) != 0)
		return skip("needs root to become uid 65534");
	return userns_as(65534);
}

int t_scn_cpu(void)
{
	uint64_t mask[16] = { 0 };
	long n = SYS3(sched_getaffinity, 0, sizeof mask, mask);
	int last = -1;
	for (long i = 0; i < n * 8; i++)
		if (mask[i / 64] >> (i % 64) & 1)
			last = (int)i;
	char cpu[8];
	int r = clonelab("fork", "--json", "--cpu");
	(void)r;	/* "--cpu" without a value: a usage error */
	NEED_CLONELAB(r);
	ASSERT_EQ(r, 2);
	char *argv[] = { (char *)CLONELAB_PATH(), "thread", "--json", "--cpu",
			 cl_utoa((unsigned long)last, cpu), 0 };
	int st;
	ASSERT(run_capture(argv, out, sizeof out, &st) > 0);
	ASSERT_EQ(st, 0);
	ASSERT_EQ(num(out, "cpu"), last);
	return T_PASS;
}

int t_scn_tour(void)
{
	int r = clonelab("tour", 0, 0);
	NEED_CLONELAB(r);
	ASSERT(r == 0 || r == 3);	/* 3: userns or chimera not possible here */
	ASSERT_HAS(out, "fork: clone(SIGCHLD)");
	ASSERT_HAS(out, "thread: clone(VM|FS|FILES");
	return T_PASS;
}

/* ---- the examples ---- */
static int example(const char *name)
{
	char *argv[] = { (char *)t_path(name), 0 };
	return t_run_status(argv, out, sizeof out);
}

int t_example_fork(void)
{
	int r = example("examples/fork");
	NEED_CLONELAB(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "child:  clone returned 0; my pid is ");
	ASSERT_HAS(out, "parent: clone returned the child's pid ");
	ASSERT_HAS(out, "value, after the child wrote 2: 1\n");
	return T_PASS;
}

int t_example_thread(void)
{
	int r = example("examples/thread");
	NEED_CLONELAB(r);
	ASSERT_EQ(r, 0);
	const char *a = out, *b;
	for (b = out; *b && !cl_startswith(b, "main:   getpid() = "); b++)
		;
	ASSERT(cl_startswith(a, "thread: getpid() = "));
	ASSERT(*b);
	/* the same number after both "getpid() = " */
	a += 19, b += 19;
	while (*a >= '0' && *a <= '9' && *a == *b)
		a++, b++;
	ASSERT(*a == '\n' && *b == '\n');
	ASSERT_HAS(out, "value, after the thread wrote 2: 2\n");
	return T_PASS;
}

int t_example_chimera(void)
{
	int r = example("examples/chimera");
	NEED_CLONELAB(r);
	ASSERT_EQ(r, t_clonelab_under_qemu() ? 3 : 0);
	if (r == 0)
		ASSERT_HAS(out, "value, after the child wrote 2: 2\n");
	return T_PASS;
}

int t_example_userns(void)
{
	int r = example("examples/userns");
	NEED_CLONELAB(r);
	if (t_clonelab_under_qemu() || !userns_ok()) {
		ASSERT_EQ(r, 3);
		return T_PASS;
	}
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "uid before map: 65534\n");
	ASSERT_HAS(out, "uid after map: 0\n");
	ASSERT_HAS(out, "setuid(0) = 0\n");
	return T_PASS;
}

/* The recording trampoline with a misaligned stack top: the parent aligns it, the
 * child finds sp 16-aligned, and the snapshot shows it. */
static int ran;
static int mark(void *arg) { ran = (int)(long)arg; return 0; }

int t_snap_aligns_stack(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	static struct cl_snap snap;
	static int tid;
	unsigned long flags = CL_CLONE_VM | CL_CLONE_FS | CL_CLONE_FILES | CL_CLONE_SIGHAND |
		CL_CLONE_THREAD | CL_CLONE_SYSVSEM | CL_CLONE_PARENT_SETTID |
		CL_CLONE_CHILD_CLEARTID;
	long r = cl_clone_snap(mark, stack + sizeof stack - 8, flags, (void *)7L, &tid, 0,
			       &tid, &snap);
	ASSERT_OK(r);
	for (int t; (t = __atomic_load_n(&tid, __ATOMIC_ACQUIRE));)
		SYS4(futex, &tid, FUTEX_WAIT, t, 0);
	ASSERT_EQ(ran, 7);
	ASSERT_EQ(snap.child[CL_REG_SP] % 16, 0);
	ASSERT(snap.child[CL_REG_SP] < (uintptr_t)(stack + sizeof stack - 8));
	ASSERT_EQ(snap.child[CL_REG_RET], 0);
	ASSERT_EQ(snap.parent[CL_REG_RET], r);
	ASSERT_EQ(snap.child[CL_REG_PC], snap.parent[CL_REG_PC]);
	ASSERT(snap.t_child >= snap.t_clone);
	return T_PASS;
}

int t_clone3_lean(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	static int tid;
	struct cl_clone_args a = {
		.flags = CL_CLONE_VM | CL_CLONE_FS | CL_CLONE_FILES | CL_CLONE_SIGHAND |
			 CL_CLONE_THREAD | CL_CLONE_SYSVSEM | CL_CLONE_PARENT_SETTID |
			 CL_CLONE_CHILD_CLEARTID,
		.child_tid = (uintptr_t)&tid, .parent_tid = (uintptr_t)&tid,
		.stack = (uintptr_t)stack, .stack_size = sizeof stack,
	};
	ran = 0;
	long r = cl_clone3(&a, sizeof a, mark, (void *)9L);
	if (r == -ENOSYS)
		return skip("no clone3 here");
	ASSERT_OK(r);
	for (int t; (t = __atomic_load_n(&tid, __ATOMIC_ACQUIRE));)
		SYS4(futex, &tid, FUTEX_WAIT, t, 0);
	ASSERT_EQ(ran, 9);
	ASSERT_EQ(a.stack_size, sizeof stack - 16);	/* the trampoline's two words */
	return T_PASS;
}

int t_no_zombies(void)
{
	int st;
	ASSERT_EQ(SYS4(wait4, -1, &st, CL_WNOHANG | CL_WALL, 0), -ECHILD);
	return T_PASS;
}

/* ---- the test-bed matrix (README): what each scenario did here, observed ---- */
int t_matrix(void)
{
	static char *const cases[][8] = {
		{ "fork", "fork", "--json", 0 },
		{ "thread", "thread", "--json", 0 },
		{ "userns", "userns", "--json", 0 },
		{ "userns as uid 65534", "userns", "--json", 0 },
		{ "chimera", "chimera", "--json", 0 },
		{ "probe thread set", "probe", "--flags", "vm,fs,files,sighand,thread,sysvsem", "--json", 0 },
		{ "run", "run", "--report-fd", "2", "--json", "--", "/bin/true", 0 },
	};
	/* Under QEMU user mode, what we exec may run natively (qemu-x86_64 on an
	 * x86_64 host): the host tests give that bed's matrix instead. */
	if (cl_under_qemu())
		return skip("the host tests give the matrix under QEMU user mode");
	int bad = 0;
	char uts[6 * 65];
	if (SYS1(uname, uts) == 0)
		diag("matrix kernel: %s", uts + 2 * 65);
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[8] = { (char *)CLONELAB_PATH() };
		for (int k = 1; k < 8 && cases[i][k]; k++)
			argv[k] = cases[i][k];
		if (i == 3 && SYS0(geteuid) != 0)
			continue;
		t_run_as = i == 3 ? 65534 : -1;
		int st = 0;
		long n = run_capture(argv, out, sizeof out, &st);
		t_run_as = -1;
		if (n < 0 || (CL_WEXITSTATUS(st) == 127 && json_has(t_last_stderr, "run_capture:")))
			return skip("cannot run clonelab here");
		int rc = CL_WIFEXITED(st) ? CL_WEXITSTATUS(st) : 128 + CL_WTERMSIG(st);
		diag("matrix %s: %s", cases[i][0], rc == 0 ? "pass" : rc == 3 ?
		     "not possible here (exit 3)" : "FAIL");
		bad |= rc != 0;
	}
	return bad ? T_FAIL : T_PASS;
}
