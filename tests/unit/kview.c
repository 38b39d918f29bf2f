/* kview.c: --kernel, the kernel's side of a clone. On a system bed (a real Debian
 * kernel) the full view is checked against the flags, kcmp and the snapshot; natively
 * the partial view; under QEMU user mode the exit 3. And the BTF reader's offsets are
 * printed for tests/host/test_kview.py to compare with pahole. */
#include "test.h"
#include "kernel/kernel.h"

static char out_buf[65536];

/* "1" where there is a CPU 1, else "0": a pinned child starts where the kernel woke it
 * (unpinned, it may migrate before it runs, which the timeline shows). */
static char *test_cpu(void)
{
	static char cpu[2] = "0";
	uint64_t mask[16] = { 0 };
	long n = SYS3(sched_getaffinity, 0, sizeof mask, mask);
	cpu[0] = n > 0 && (mask[0] & 2) ? '1' : '0';
	return cpu;
}

/* clonelab CMD [ARG] --kernel --json --cpu N: its exit status, JSON in out_buf. */
static int run_kernel(const char *cmd, const char *arg)
{
	t_host_exclusive();
	char *argv[] = { (char *)CLONELAB_PATH(), (char *)cmd, "--kernel", "--json", "--cpu", test_cpu(),
			 (char *)arg, (char *)(arg ? "" : 0), 0 };
	if (arg) {
		argv[6] = "--flags", argv[7] = (char *)arg;
	}
	return t_run_status(argv, out_buf, sizeof out_buf);
}

/* "same" of object name in the "kernel" part: 1, 0, or -1 if absent. */
static int obj_same(const char *json, const char *name)
{
	char key[32];
	cl_stpcpy(cl_stpcpy(cl_stpcpy(key, "\""), name), "\":{\"parent\"");
	for (const char *s = json; *s; s++)
		if (json_has(s, key) && memcmp(s, key, cl_strlen(key)) == 0) {
			for (; *s && *s != '}'; s++)
				if (memcmp(s, "\"same\":", 7) == 0)
					return s[7] == 't';
			return -1;
		}
	return -1;
}

/* The number after key in json, or -2 if absent. */
static long num(const char *json, const char *key)
{
	size_t k = cl_strlen(key);
	for (const char *s = json; *s; s++)
		if (memcmp(s, key, k) == 0) {
			long v = 0, neg = s[k] == '-';
			for (s += k + neg; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return neg ? -v : v;
		}
	return -2;
}

/* The bed matrix's "kernel view" cell (tests/bedtable.py), from the thread scenario:
 * full, or partial with the first thing missing (its text up to the first colon). */
static void matrix_line(const char *json)
{
	const char *m = json;
	char why[96] = "";
	for (; *m && memcmp(m, "\"missing\":[\"", 12) != 0; m++)
		;
	if (*m) {
		size_t n = 0;
		for (m += 12; *m && *m != '"' && *m != ':' && n + 1 < sizeof why; m++)
			why[n++] = *m;
		why[n] = 0;
	}
	if (json_has(json, "\"mode\":\"full\""))
		diag("matrix kernel view: pass (full)");
	else if (json_has(json, "\"mode\":\"partial\""))
		diag("matrix kernel view: partial (%s)", why);
	else
		diag("matrix kernel view: FAIL");
}

/* One scenario with --kernel; shared lists the objects that must be the same. */
static int check(const char *cmd, const char *flags, const char *const *shared, int nshared)
{
	int st = run_kernel(cmd, flags);
	/* the system beds' cell; the host tests give it natively and under QEMU user mode */
	int matrix = cl_streq(cmd, "thread") && !flags && t_is_guest();
	if (st == -1)
		return skip("clonelab cannot run here");
	if (t_clonelab_under_qemu()) {
		ASSERT_EQ(st, 3);
		ASSERT_HAS(out_buf, "\"mode\":\"none\"");
		return T_PASS;
	}
	if (matrix && SYS0(geteuid) == 0)
		matrix_line(out_buf);
	if (SYS0(geteuid) != 0) {
		ASSERT_EQ(st, 3);
		return T_PASS;
	}
	if (st == 3 && (json_has(out_buf, "user namespace") || json_has(out_buf, "unsupported")))
		return skip("not possible here");
	if (st != 0)
		diag("%s", out_buf);
	ASSERT_EQ(st, 0);
	ASSERT_EQ(num(out_buf, "\"target_cpu\":"), num(out_buf, "\"first_cpu\":"));
	ASSERT_HAS(out_buf, "the parent enters clone");
	/* Debian's kernels have kprobe events and BTF: all of it, unless the kernel refused
	 * the kprobes themselves (riscv64's 6.12 under QEMU does), which must be said */
	if (t_is_guest() && !json_has(out_buf, "refused"))
		ASSERT_HAS(out_buf, "\"mode\":\"full\"");
	if (json_has(out_buf, "\"mode\":\"partial\"")) {
		ASSERT_HAS(out_buf, "\"missing\":[\"");
		return T_PASS;
	}
	ASSERT_HAS(out_buf, "\"mode\":\"full\"");
	ASSERT(!json_has(out_buf, "\"agrees\":false"));
	ASSERT_HAS(out_buf, "\"regs_match\":true");
	/* kprobes see schedule_tail, and so does BPF's fentry; BPF without trampolines
	 * (the native host here) must say that it does not */
	ASSERT(json_has(out_buf, "\"backend\":\"kprobe\"") || json_has(out_buf, "\"backend\":\"bpf\""));
	if (json_has(out_buf, "\"backend\":\"kprobe\"") || !json_has(out_buf, "fentry (BPF trampolines) not here"))
		ASSERT_HAS(out_buf, "schedule_tail: the child's first kernel C function");
	static const char *const objs[] = { "mm", "fs", "files", "sighand", "signal", "cred" };
	for (int i = 0; i < 6; i++) {
		int want = 0;
		for (int k = 0; k < nshared; k++)
			want |= cl_streq(shared[k], objs[i]);
		if (obj_same(out_buf, objs[i]) != want)
			diag("object %s: same is %d, want %d", objs[i], obj_same(out_buf, objs[i]), want);
		ASSERT_EQ(obj_same(out_buf, objs[i]), want);
	}
	ASSERT_EQ(obj_same(out_buf, "user_ns"), !json_has(cmd, "userns") && !(flags && json_has(flags, "newuser")));
	return T_PASS;
}

int t_kview_fork(void) { return check("fork", 0, 0, 0); }
int t_kview_thread(void)
{
	static const char *const s[] = { "mm", "fs", "files", "sighand", "signal", "cred" };
	return check("thread", 0, s, 6);
}
int t_kview_chimera(void)
{
	static const char *const s[] = { "mm" };
	return check("chimera", 0, s, 1);
}
int t_kview_userns(void) { return check("userns", 0, 0, 0); }
int t_kview_probe_vm_sighand(void)
{
	static const char *const s[] = { "mm", "sighand" };
	return check("probe", "vm,sighand", s, 2);
}
int t_kview_probe_fs_files(void)
{
	static const char *const s[] = { "fs", "files" };
	return check("probe", "fs,files", s, 2);
}

int t_kview_probe_new_ns(void)
{
	return check("probe", "newuser,newpid,newuts,newipc,newnet,newns,newcgroup", 0, 0);
}

/* A clone the kernel refuses: the error as without --kernel, and nothing left behind. */
int t_kview_refused(void)
{
	int st = run_kernel("probe", "sighand");	/* CLONE_SIGHAND requires CLONE_VM */
	if (st == -1 || SYS0(geteuid) != 0 || t_clonelab_under_qemu())
		return skip("no tracing here");
	ASSERT_EQ(st, 1);
	ASSERT_HAS(out_buf, "EINVAL");
	return T_PASS;
}

/* tracefs, mounted here if it is not (and then detached again by tracefs_done). */
static int tracefs_mounted;
static void tracefs_start(void)
{
	tracefs_mounted = SYS5(mount, "tracefs", "/sys/kernel/tracing", "tracefs", 0, 0) == 0;
}
static void tracefs_done(void)
{
	if (tracefs_mounted)
		SYS2(umount2, "/sys/kernel/tracing", 2 /* MNT_DETACH */);
}

/* "clonelab_<pid>" of a process that is gone: a leftover. */
static int is_leftover(const char *s)
{
	unsigned long pid = 0;
	if (!cl_startswith(s, "clonelab_"))
		return 0;
	for (s += 9; *s >= '0' && *s <= '9'; s++)
		pid = pid * 10 + (unsigned long)(*s - '0');
	return SYS2(kill, pid, 0) == -ESRCH;
}

/* Leftovers of dead runs in kprobe_events and instances/ (runs still alive, such as a
 * concurrent one, are theirs to clean); -1 if tracefs cannot be read. */
static int leftovers(void)
{
	static char buf[16384];
	int n = 0;
	long len = cl_read_file("/sys/kernel/tracing/kprobe_events", buf, sizeof buf);
	for (long i = 0; i + 2 < len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && buf[i + 1] == ':' && is_leftover(buf + i + 2))
			n++, diag("left in kprobe_events: a line at %ld", i);
	long fd = SYS4(openat, AT_FDCWD, "/sys/kernel/tracing/instances", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	len = SYS3(getdents64, fd, buf, sizeof buf);
	SYS1(close, fd);
	for (long off = 0; off < len; off += *(uint16_t *)(buf + off + 16))
		if (is_leftover(buf + off + 19))
			n++, diag("left in instances: %s", buf + off + 19);
	return n;
}

/* No tracing to test: not root, QEMU user mode, or no clonelab to run. */
static int no_tracing_here(void)
{
	char *argv[] = { (char *)CLONELAB_PATH(), "--version", 0 }, v[64];
	return SYS0(geteuid) != 0 || cl_under_qemu() || t_clonelab_under_qemu() ||
	       t_run_status(argv, v, sizeof v) != 0;
}

/* leftovers(), with tracefs mounted for the look if it is not. */
static int leftovers_now(void)
{
	t_host_exclusive();
	tracefs_start();
	int n = leftovers();
	tracefs_done();
	return n;
}

/* Start clonelab with args (NULL-ended, at most 6) and its stdout into path, in a
 * process group of its own (its pid). */
static long start_to_file(const char *path, char *const *args)
{
	t_host_exclusive();
	long pid = cl_fork();
	if (pid == 0) {
		SYS2(setpgid, 0, 0);
		char *argv[8] = { (char *)CLONELAB_PATH() };
		for (int i = 0; i < 6 && args[i]; i++)
			argv[i + 1] = args[i];
		long fd = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		SYS3(dup3, fd, 1, 0);
		SYS3(execve, argv[0], argv, cl_environ);
		SYS1(exit_group, 127);
	}
	return pid;
}

/* Nothing of ours left in tracefs: no instance, no kprobe, after all of the above. */
int t_kview_nothing_left(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	ASSERT_EQ(leftovers_now(), 0);
	return T_PASS;
}

/* A run killed outright leaves its instance (and kprobe): the next run removes them. */
int t_kview_stale_cleanup(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	long pid = cl_fork();
	if (pid == 0)
		SYS1(exit_group, 0);
	cl_wait((int)pid, 0, 0);	/* now a pid nobody has */
	t_host_exclusive();	/* before the fakes: no other binary may count or clean them */
	char group[32], inst[80], probe[96], en[160];
	cl_utoa((unsigned long)pid, cl_stpcpy(group, "clonelab_"));
	cl_stpcpy(cl_stpcpy(inst, "/sys/kernel/tracing/instances/"), group);
	cl_stpcpy(cl_stpcpy(cl_stpcpy(probe, "p:"), group), "/stale schedule_tail");
	cl_stpcpy(cl_stpcpy(cl_stpcpy(cl_stpcpy(en, inst), "/events/"), group), "/stale/enable");
	tracefs_start();
	ASSERT_OK(SYS3(mkdirat, AT_FDCWD, inst, 0700));
	int kprobes = 0;
	long fd = SYS4(openat, AT_FDCWD, "/sys/kernel/tracing/kprobe_events", O_WRONLY | 02000 /* O_APPEND */, 0);
	if (fd >= 0) {
		kprobes = SYS3(write, fd, probe, cl_strlen(probe)) > 0;
		SYS1(close, fd);
	}
	if (kprobes)	/* enabled in the instance, as a killed run leaves it */
		ASSERT_OK(cl_write_file(en, "1"));
	int before = leftovers();
	int st = run_kernel("fork", 0);
	int after = leftovers();
	if (after) {	/* never leave our fakes behind, whatever happened */
		cl_write_file(en, "0");
		SYS3(unlinkat, AT_FDCWD, inst, 0x200 /* AT_REMOVEDIR */);
		probe[0] = '-', probe[cl_strlen(probe) - cl_strlen(" schedule_tail")] = 0;
		if (kprobes && (fd = SYS4(openat, AT_FDCWD, "/sys/kernel/tracing/kprobe_events",
					  O_WRONLY | 02000, 0)) >= 0)
			SYS3(write, fd, probe, cl_strlen(probe)), SYS1(close, fd);
	}
	tracefs_done();
	ASSERT_EQ(before, 1 + kprobes);
	ASSERT_EQ(st, 0);
	ASSERT_EQ(after, 0);
	return T_PASS;
}

/* SIGTERM or SIGINT at any moment of a traced tour: the handler removes our tracing. */
int t_kview_killed(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	SYS2(prctl, 36 /* PR_SET_CHILD_SUBREAPER */, 1);
	for (int i = 0; i < 6; i++) {
		char *args[] = { "tour", "--kernel", 0 };
		long pid = start_to_file("/tmp/clonelab-kview-killed", args);
		struct cl_timespec d = { 0, (i + 1) * 7000000L };	/* a different moment each time */
		SYS2(nanosleep, &d, 0);
		/* the group: a scenario's child left waiting for its killed parent goes too */
		SYS2(kill, -pid, i % 2 ? 2 /* SIGINT */ : SIGTERM);
		while (SYS4(wait4, -1, 0, CL_WALL, 0) != -ECHILD)	/* orphans come back to us */
			;
		if (leftovers_now())
			diag("left after the kill %d ms after the start (%s)", (i + 1) * 7,
			     i % 2 ? "SIGINT" : "SIGTERM");
	}
	ASSERT_EQ(leftovers_now(), 0);
	return T_PASS;
}

/* Two traced runs at once: each sees its own clone, whole and right. */
int t_kview_concurrent(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	static char outs[2][32768];
	long pids[2];
	for (int k = 0; k < 2; k++) {
		char path[32] = "/tmp/clonelab-kview-0";
		path[20] = (char)('0' + k);
		char *args[] = { k ? "thread" : "chimera", "--kernel", "--json", "--cpu", test_cpu(), 0 };
		pids[k] = start_to_file(path, args);
	}
	for (int k = 0; k < 2; k++) {
		int st = 0;
		char path[32] = "/tmp/clonelab-kview-0";
		path[20] = (char)('0' + k);
		cl_wait((int)pids[k], &st, 0);
		cl_read_file(path, outs[k], sizeof outs[k]);
		ASSERT_EQ(st, 0);
		ASSERT(!json_has(outs[k], "\"agrees\":false"));
		ASSERT(!json_has(outs[k], "\"regs_match\":false"));
		ASSERT_EQ(num(outs[k], "\"target_cpu\":"), num(outs[k], "\"first_cpu\":"));
		ASSERT_EQ(obj_same(outs[k], "fs"), json_has(outs[k], "\"mode\":\"full\"") ? k : -1);
	}
	return T_PASS;
}

/* The offsets clonelab reads, from CLONELAB_BTF or the running kernel's BTF. */
int t_kview_btf_offsets(void)
{
	const char *path = t_getenv("CLONELAB_BTF");
	struct btf b;
	if (!path && cl_under_qemu())
		return skip("under QEMU user mode the running kernel's BTF is another architecture's");
	long r = btf_load(&b, path ? path : "/sys/kernel/btf/vmlinux");
	if (r < 0)
		return path ? (diag("%s: %s", path, cl_errno_name(r)), T_FAIL) : skip("no BTF here");
	char lines[4096];
	struct cl_out o;
	t_mem_out(&o, lines, sizeof lines);
	kv_offsets_print(&b, &o);
	struct kv_off off;
	int ok = kv_offsets(&b, &off);
	btf_free(&b);
	for (char *s = (char *)t_mem_str(&o), *nl; *s; s = nl + 1) {
		for (nl = s; *nl != '\n'; nl++)
			;
		*nl = 0;
		diag("btf %s", s);
	}
	ASSERT_EQ(ok, 0);
	ASSERT(off.off[KV_MM] > 0 && off.size[KV_MM] == 8);
	return T_PASS;
}
