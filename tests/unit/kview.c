/* kview.c: --kernel, the kernel's side of a clone. On a system bed (a real Debian
 * kernel) the full view is checked against the flags, kcmp and the snapshot; natively
 * the partial view; under QEMU user mode the exit 3. And the BTF reader's offsets are
 * printed for tests/host/test_kview.py to compare with pahole. */
#include "test.h"
#include "../../src/cmd/kview_btf.h"

static char out_buf[65536];

/* clonelab CMD [ARG] --kernel --json [--cpu N]: its exit status, JSON in out_buf. */
static int run_kernel(const char *cmd, const char *arg)
{
	static char cpu[4] = "0";
	uint64_t mask[16] = { 0 };	/* the child on CPU 1 where there is one */
	long n = SYS3(sched_getaffinity, 0, sizeof mask, mask);
	cpu[0] = n > 0 && (mask[0] & 2) ? '1' : '0';
	char *argv[] = { (char *)CLONELAB_PATH(), (char *)cmd, "--kernel", "--json", "--cpu", cpu,
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

/* One scenario with --kernel; shared lists the objects that must be the same. */
static int check(const char *cmd, const char *flags, const char *const *shared, int nshared)
{
	int st = run_kernel(cmd, flags);
	if (st == -1)
		return skip("clonelab cannot run here");
	if (t_clonelab_under_qemu()) {
		ASSERT_EQ(st, 3);
		ASSERT_HAS(out_buf, "\"mode\":\"none\"");
		return T_PASS;
	}
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
	if (json_has(out_buf, "\"mode\":\"partial\"")) {
		ASSERT_HAS(out_buf, "\"missing\":[\"");
		return T_PASS;
	}
	ASSERT_HAS(out_buf, "\"mode\":\"full\"");
	ASSERT(!json_has(out_buf, "\"agrees\":false"));
	ASSERT_HAS(out_buf, "\"regs_match\":true");
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

/* Nothing of ours left in tracefs: no instance, no kprobe, after all of the above. */
int t_kview_nothing_left(void)
{
	if (t_clonelab_under_qemu() || SYS0(geteuid) != 0)
		return skip("no tracing here");
	long r = SYS5(mount, "tracefs", "/sys/kernel/tracing", "tracefs", 0, 0);
	int mounted = r == 0;
	char buf[8192];
	long n = cl_read_file("/sys/kernel/tracing/kprobe_events", buf, sizeof buf);
	if (n >= 0)
		ASSERT(!json_has(buf, "clonelab_"));
	long fd = SYS4(openat, AT_FDCWD, "/sys/kernel/tracing/instances", O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0) {
		n = SYS3(getdents64, fd, buf, sizeof buf);
		SYS1(close, fd);
		for (long off = 0; off < n; off += *(uint16_t *)(buf + off + 16))
			ASSERT(!cl_startswith(buf + off + 19, "clonelab_"));
	}
	if (mounted)
		SYS2(umount2, "/sys/kernel/tracing", 2);
	ASSERT(fd >= 0 || r < 0);
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
