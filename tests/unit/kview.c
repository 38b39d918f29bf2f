/* kview.c: --kernel, the kernel's side of a clone. On a system bed (a real Debian
 * kernel) the full view is checked against the flags, kcmp and the snapshot; natively
 * the partial view; under QEMU user mode the exit 3. And the BTF reader's offsets are
 * printed for tests/host/test_kview.py to compare with pahole. */
#include "test.h"
#include "kernel/kernel.h"

static char (*out_buf_p)[65536];	/* mapped (test.h) */
#define out_buf T_MAPPED(out_buf_p)

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
		ASSERT_HAS(out_buf, "schedule_tail: the child, called from ret_from_fork");
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

/* "clonelab_<pid>_<ns>" of our pid namespace's process that is gone: a leftover. */
static int is_leftover(const char *s)
{
	unsigned long pid = 0;
	char ns[24], mine[48];
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid", mine, sizeof mine - 1);
	if (!cl_startswith(s, "clonelab_") || n < 7)
		return 0;
	mine[n - 1] = 0;	/* "pid:[4026531836]" */
	for (s += 9; *s >= '0' && *s <= '9'; s++)
		pid = pid * 10 + (unsigned long)(*s - '0');
	cl_stpcpy(cl_stpcpy(ns, "_"), mine + 5);	/* then the end, or "/EVENT" in kprobe_events */
	size_t k = cl_strlen(ns);
	return memcmp(s, ns, k) == 0 && (!s[k] || s[k] == '/' || s[k] == ' ' || s[k] == '\n') &&
	       SYS2(kill, pid, 0) == -ESRCH;
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
	for (long off = 0; off < len; off += cl_dirent_len(buf + off))
		if (is_leftover(cl_dirent_name(buf + off)))
			n++, diag("left in instances: %s", cl_dirent_name(buf + off));
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
	char group[48], inst[96], probe[112], en[192], link[48];
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid", link, sizeof link - 1);
	if (n < 7)
		return skip("no /proc/self/ns/pid");
	link[n - 1] = 0;	/* "pid:[4026531836]": the run's name carries its pid namespace */
	char *g = cl_stpcpy(group, "clonelab_");
	g += cl_strlen(cl_utoa((unsigned long)pid, g));
	cl_stpcpy(cl_stpcpy(g, "_"), link + 5);
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
		SYS3(unlinkat, AT_FDCWD, inst, AT_REMOVEDIR);
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
		char path[64];
		long pid = start_to_file(t_scratch(path, "kview-killed"), args);
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
	static char (*outs_p)[2][32768];
#define outs T_MAPPED(outs_p)
	long pids[2];
	for (int k = 0; k < 2; k++) {
		char path[64];
		t_scratch(path, k ? "kview-1" : "kview-0");
		char *args[] = { k ? "thread" : "chimera", "--kernel", "--json", "--cpu", test_cpu(), 0 };
		pids[k] = start_to_file(path, args);
	}
	for (int k = 0; k < 2; k++) {
		int st = 0;
		char path[64];
		t_scratch(path, k ? "kview-1" : "kview-0");
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


/* ---- issue 19 D and issue 21: what the kernel view shows was seen ---- */

/* Kprobes registered but disarmed (debugfs kprobes/enabled = 0): the clone's task
 * pointers and registers are never read, so its view is partial, with the reason. */
int t_kview_kprobes_disarmed(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	t_host_exclusive();
	const char *sw = "/sys/kernel/debug/kprobes/enabled";
	int mounted = SYS5(mount, "debugfs", "/sys/kernel/debug", "debugfs", 0, 0) == 0;
	if (cl_write_file(sw, "0") < 0) {
		if (mounted)
			SYS2(umount2, "/sys/kernel/debug", 2);
		return skip("no kprobes switch here (no kprobes)");
	}
	int st = run_kernel("thread", 0);
	cl_write_file(sw, "1");
	if (mounted)
		SYS2(umount2, "/sys/kernel/debug", 2);
	if (json_has(out_buf, "refused"))
		return skip("this kernel refuses the kprobes anyway");
	if (json_has(out_buf, "\"backend\":\"bpf\""))	/* riscv64 6.12: kprobes refused, BPF chosen */
		return skip("BPF reads this kernel, not kprobes: their switch does not apply");
	ASSERT_EQ(st, 0);
	ASSERT_HAS(out_buf, "\"mode\":\"partial\"");
	ASSERT_HAS(out_buf, "did not fire");
	ASSERT_HAS(out_buf, "\"task\":null");
	ASSERT_HAS(out_buf, "\"context\":null");
	return T_PASS;
}

/* The quoted string after key in json ("key":"value"), into out; 0 if absent or null. */
static int jstr(const char *json, const char *key, char *out, size_t size)
{
	size_t k = cl_strlen(key), n = 0;
	for (const char *s = json; *s; s++)
		if (memcmp(s, key, k) == 0) {
			if (s[k] != '"')
				return 0;
			for (s += k + 1; *s && *s != '"' && n + 1 < size; s++)
				out[n++] = *s;
			return out[n] = 0, 1;
		}
	return 0;
}

/* One pass over /proc/kallsyms: the first text symbol at exactly pc into at (if pc),
 * and every line but those naming hide1 or hide2 copied to fd (if fd >= 0). 0 or -errno. */
static long kallsyms_pass(uint64_t pc, char *at, size_t size, const char *hide1, const char *hide2, long fd)
{
	static char (*buf_p)[65536 + 256];
	char *buf = T_MAPPED(buf_p);
	long in = SYS4(openat, AT_FDCWD, "/proc/kallsyms", O_RDONLY | O_CLOEXEC, 0), r;
	size_t have = 0;
	if (in < 0)
		return in;
	if (at)
		at[0] = 0;
	do {
		if ((r = SYS3(read, in, buf + have, sizeof *buf_p - 1 - have)) < 0)
			break;
		have += (size_t)r;
		char *s = buf, *end = buf + have, *nl;
		for (; s < end; s = nl + 1) {
			for (nl = s; nl < end && *nl != '\n'; nl++)
				;
			if (nl == end && r > 0)
				break;
			char *name = s;	/* "ffffffff81002a40 T name[\t[module]]" */
			uint64_t a = 0;
			for (; name < nl && *name != ' '; name++)
				a = a << 4 | (uint64_t)(*name <= '9' ? *name - '0' : (*name | 32) - 'a' + 10);
			char type = name + 1 < nl ? name[1] : 0;
			name += 3;
			size_t len = 0;
			while (name + len < nl && name[len] != '\t' && name[len] != ' ')
				len++;
			int hidden = (hide1 && len == cl_strlen(hide1) && memcmp(name, hide1, len) == 0) ||
				     (hide2 && len == cl_strlen(hide2) && memcmp(name, hide2, len) == 0);
			if (at && !at[0] && a == pc && (type | 32) == 't' && len < size)
				memcpy(at, name, len), at[len] = 0;
			if (fd >= 0 && !hidden)
				SYS3(write, fd, s, (size_t)(nl - s) + (nl < end));
			if (nl == end)
				break;
		}
		have = (size_t)(end - s);
		if (s < end)
			memmove(buf, s, have);
		else
			have = 0;
	} while (r > 0);
	SYS1(close, in);
	return r < 0 ? r : 0;
}

static uint64_t hex(const char *s)
{
	unsigned long v = 0;
	return cl_parse_ulong(s, &v) == 0 ? v : 0;
}

/* Where the child's saved kernel context returns: the symbol this kernel's kallsyms
 * gives for that address, exactly; and every step of the way out observed in the trace
 * or present in kallsyms (Debian's 6.1 and 6.12: none absent). */
int t_kview_context(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	int st = run_kernel("thread", 0);
	ASSERT_EQ(st, 0);
	ASSERT(!json_has(out_buf, "\"how\":\"unchecked\""));
	ASSERT(!json_has(out_buf, "\"how\":\"source\""));	/* each step checked against kallsyms */
	if (!json_has(out_buf, "\"mode\":\"full\""))
		return skip("--kernel is not full here: no saved context read");
	char pc[24], sym[64], want[64], row[96];
	ASSERT(jstr(out_buf, "\"context\":{\"pc\":", pc, sizeof pc));
	ASSERT_OK(kallsyms_pass(hex(pc), want, sizeof want, 0, 0, -1));
	diag("saved return address %s: kallsyms says %s", pc, want[0] ? want : "(none)");
	ASSERT(want[0]);
	char key[64];
	cl_stpcpy(cl_stpcpy(cl_stpcpy(key, "\"context\":{\"pc\":\""), pc), "\",\"symbol\":");
	ASSERT(jstr(out_buf, key, sym, sizeof sym));
	ASSERT_STREQ(sym, want);
	cl_stpcpy(cl_stpcpy(cl_stpcpy(row, "\"how\":\"observed\",\"symbol\":\""), want), "\"");
	ASSERT_HAS(out_buf, row);
	ASSERT(!json_has(out_buf, "\"how\":\"absent\""));
	return T_PASS;
}

/* A name this kernel lacks is said to be absent, never replaced by another: a
 * kallsyms without the saved context's symbol and one present step's function
 * (CLONELAB_KALLSYMS), and both are reported absent, the context unnamed. */
int t_kview_absent_name(void)
{
	if (no_tracing_here())
		return skip("no tracing here");
	int st = run_kernel("thread", 0);
	ASSERT_EQ(st, 0);
	char ctx[64] = "", present[64];
	if (json_has(out_buf, "\"context\":{"))
		jstr(out_buf, "\"how\":\"observed\",\"symbol\":", ctx, sizeof ctx);
	ASSERT(!json_has(out_buf, "\"how\":\"source\""));	/* each step checked against kallsyms */
	/* the last present step: the final exit, which no trace event shows, so that hiding
	 * it cannot be overruled by an observation (schedule_tail's kprobe would be) */
	const char *key = "\"how\":\"present\",\"symbol\":";
	present[0] = 0;
	for (const char *p = out_buf; *p; p++)
		if (memcmp(p, key, cl_strlen(key)) == 0)
			jstr(p, key, present, sizeof present);
	if (!present[0])
		return skip("no step present in kallsyms to hide");
	char path[64];
	t_scratch(path, "kallsyms");
	long fd = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_OK(fd);
	long r = kallsyms_pass(0, 0, 0, present, ctx[0] ? ctx : 0, fd);
	SYS1(close, fd);
	ASSERT_OK(r);
	/* our environment and CLONELAB_KALLSYMS (this test runs in a child of its own) */
	static char *env[256], var[96];
	int n = 0;
	for (char **e = cl_environ; e && *e && n < 254; e++)
		env[n++] = *e;
	cl_stpcpy(cl_stpcpy(var, "CLONELAB_KALLSYMS="), path);
	env[n++] = var, env[n] = 0;
	cl_environ = env;
	st = run_kernel("thread", 0);
	SYS3(unlinkat, AT_FDCWD, path, 0);
	ASSERT_EQ(st, 0);
	char row[128], got[64];
	cl_stpcpy(cl_stpcpy(cl_stpcpy(row, "\"how\":\"absent\",\"symbol\":\""), present), "\"");
	ASSERT_HAS(out_buf, row);
	if (ctx[0]) {	/* the context's own symbol gone: its address is named by nobody */
		cl_stpcpy(cl_stpcpy(cl_stpcpy(row, "\"how\":\"absent\",\"symbol\":\""), ctx), "\"");
		ASSERT_HAS(out_buf, row);
		ASSERT_HAS(out_buf, "\"symbol\":null,\"offset\":null");
		ASSERT(!jstr(out_buf, "\"how\":\"observed\",\"symbol\":", got, sizeof got) ||
		       !cl_streq(got, ctx));
	}
	return T_PASS;
}
