/* bpf.c: --kernel's BPF backend. The encoder against known encodings (the kernel's
 * instruction-set.rst, hand-checked), the disassembler against bpftool's syntax, the
 * verifier's refusal read back, --kernel=bpf and --kernel=kprobe on the same clone, and
 * nothing left in the kernel after a SIGKILL in the middle of a traced tour. */
#include "test.h"
#include "kernel/kernel.h"

static int same_bytes(struct bpf_insn i, const uint8_t want[8])
{
	const uint8_t *b = (const uint8_t *)&i;
	for (int k = 0; k < 8; k++)
		if (b[k] != want[k]) {
			diag("byte %d: got %02x, want %02x (code %02x)", k, b[k], want[k], i.code);
			return 0;
		}
	return 1;
}

int t_bpf_encoding(void)
{
	static const struct { struct bpf_insn i; uint8_t b[8]; } cases[] = {
		{ BPF_MOV64_IMM(0, 0), { 0xb7, 0, 0, 0, 0, 0, 0, 0 } },
		{ BPF_EXIT_INSN(), { 0x95, 0, 0, 0, 0, 0, 0, 0 } },
		{ BPF_MOV64_REG(6, 1), { 0xbf, 0x16, 0, 0, 0, 0, 0, 0 } },
		{ BPF_LDX_MEM(BPF_DW, 7, 6, 8), { 0x79, 0x67, 8, 0, 0, 0, 0, 0 } },
		{ BPF_STX_MEM(BPF_DW, 9, 0, 16), { 0x7b, 0x09, 16, 0, 0, 0, 0, 0 } },
		{ BPF_ST_MEM(BPF_W, 10, -4, 0), { 0x62, 0x0a, 0xfc, 0xff, 0, 0, 0, 0 } },
		{ BPF_ST_MEM(BPF_B, 9, 640, 1), { 0x72, 0x09, 0x80, 0x02, 1, 0, 0, 0 } },
		{ BPF_ALU64_IMM(BPF_ADD, 2, -4), { 0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff } },
		{ BPF_ALU64_IMM(BPF_RSH, 0, 32), { 0x77, 0, 0, 0, 32, 0, 0, 0 } },
		{ BPF_ALU64_IMM(BPF_LSH, 0, 32), { 0x67, 0, 0, 0, 32, 0, 0, 0 } },
		{ BPF_CALL_HELPER(BPF_FUNC_probe_read_kernel), { 0x85, 0, 0, 0, 113, 0, 0, 0 } },
		{ BPF_JMP_IMM(BPF_JNE, 0, 0, 1), { 0x55, 0, 1, 0, 0, 0, 0, 0 } },
		{ BPF_JMP_IMM(BPF_JEQ, 0, 0, 453), { 0x15, 0, 0xc5, 0x01, 0, 0, 0, 0 } },
		{ BPF_JMP_REG(BPF_JNE, 1, 7, 3), { 0x5d, 0x71, 3, 0, 0, 0, 0, 0 } },
		{ BPF_LD_MAP_FD_1(1, 4), { 0x18, 0x11, 0, 0, 4, 0, 0, 0 } },
		{ BPF_LD_MAP_FD_2(), { 0, 0, 0, 0, 0, 0, 0, 0 } },
	};
	ASSERT_EQ(sizeof(struct bpf_insn), 8);
	for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
		if (!same_bytes(cases[k].i, cases[k].b)) {
			diag("case %u", k);
			return T_FAIL;
		}
	return T_PASS;
}

int t_bpf_disasm(void)
{
	static const struct { struct bpf_insn i[2]; const char *s; } cases[] = {
		{ { BPF_MOV64_IMM(0, 0) }, "r0 = 0" },
		{ { BPF_MOV64_REG(9, 0) }, "r9 = r0" },
		{ { BPF_LDX_MEM(BPF_DW, 1, 6, 8) }, "r1 = *(u64 *)(r6 +8)" },
		{ { BPF_ST_MEM(BPF_W, 10, -4, 0) }, "*(u32 *)(r10 -4) = 0" },
		{ { BPF_STX_MEM(BPF_DW, 9, 7, 128) }, "*(u64 *)(r9 +128) = r7" },
		{ { BPF_ALU64_IMM(BPF_ADD, 2, -4) }, "r2 += -4" },
		{ { BPF_ALU64_IMM(BPF_RSH, 0, 32) }, "r0 >>= 32" },
		{ { BPF_JMP_IMM(BPF_JEQ, 0, 0, 5) }, "if r0 == 0x0 goto pc+5" },
		{ { BPF_JMP_REG(BPF_JNE, 1, 7, 2) }, "if r1 != r7 goto pc+2" },
		{ { BPF_CALL_HELPER(113) }, "call bpf_probe_read_kernel#113" },
		{ { BPF_EXIT_INSN() }, "exit" },
		{ { BPF_LD_MAP_FD_1(1, 4), BPF_LD_MAP_FD_2() }, "r1 = map[fd:4]" },
	};
	char buf[96];
	for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int slots = kbpf_disasm(cases[k].i, buf, sizeof buf);
		ASSERT_STREQ(buf, cases[k].s);
		ASSERT_EQ(slots, cases[k].i[0].code == 0x18 ? 2 : 1);
	}
	return T_PASS;
}

/* No BPF to test: not root, or QEMU user mode (whose bpf(2) is not the kernel's). */
static int no_bpf_here(void)
{
	return SYS0(geteuid) != 0 || cl_under_qemu();
}

/* The verifier refuses a program that reads a register never written: exit 3 comes
 * with its words, not a crash. */
int t_bpf_verifier_refuses(void)
{
	static struct kbpf_prog p;
	static char log[8192];
	if (no_bpf_here())
		return skip("no bpf(2) here");
	kbpf_init(&p, "clonelab_bad", BPF_PROG_TYPE_RAW_TRACEPOINT, "sched_switch");
	kbpf_emit(&p, BPF_MOV64_REG(0, 2), "r2 was never written");
	kbpf_emit(&p, BPF_EXIT_INSN(), 0);
	long r = kbpf_load(&p, log, sizeof log);
	if (r == -ENOSYS || r == -EPERM)
		return skip("bpf(2) refused here");
	ASSERT_EQ(r, -EACCES);
	ASSERT_HAS(log, "R2 !read_ok");
	/* and a good one loads, and its instructions come back as the kernel keeps them */
	kbpf_init(&p, "clonelab_good", BPF_PROG_TYPE_RAW_TRACEPOINT, "sched_switch");
	kbpf_emit(&p, BPF_MOV64_IMM(0, 0), 0);
	kbpf_emit(&p, BPF_EXIT_INSN(), 0);
	ASSERT_OK(kbpf_load(&p, log, sizeof log));
	SYS1(close, p.fd);
	return T_PASS;
}

static char out_a[49152], out_b[16384];	/* a JSON is a few KiB; --show-bpf ~30 */

/* The value of "key": as text up to the next , or }, into v. */
static const char *value_of(const char *json, const char *key, char *v, size_t size)
{
	size_t k = cl_strlen(key), n = 0;
	for (const char *s = json; *s; s++)
		if (memcmp(s, key, k) == 0) {
			for (s += k; *s && *s != ',' && *s != '}' && n + 1 < size; s++)
				v[n++] = *s;
			break;
		}
	v[n] = 0;
	return v;
}

/* Where both backends work (Debian's 6.1 and 6.12 for amd64 and arm64): the same
 * scenario by kprobes and by BPF gives the same verdicts and the same registers. */
int t_kview_backends_agree(void)
{
	if (no_bpf_here())
		return skip("no tracing here");
	static const char *const scen[] = { "thread", "chimera", "fork" };
	for (int s = 0; s < 3; s++) {
		char *a[] = { (char *)CLONELAB_PATH(), (char *)scen[s], "--kernel=kprobe", "--json", "--cpu", "0", 0 };
		char *b[] = { (char *)CLONELAB_PATH(), (char *)scen[s], "--kernel=bpf", "--json", "--cpu", "0", 0 };
		t_host_exclusive();
		int sa = t_run_status(a, out_a, sizeof out_a), sb = t_run_status(b, out_b, sizeof out_b);
		if (sa == -1 || t_clonelab_under_qemu())
			return skip("clonelab cannot trace here");
		if (sa == 3 || sb == 3 || !json_has(out_a, "\"mode\":\"full\"") || !json_has(out_b, "\"mode\":\"full\""))
			return skip(sa == 3 ? "no kprobes here" : sb == 3 ? "no BPF here" : "one backend is partial here");
		ASSERT_EQ(sa, 0);
		ASSERT_EQ(sb, 0);
		ASSERT_HAS(out_a, "\"backend\":\"kprobe\"");
		ASSERT_HAS(out_b, "\"backend\":\"bpf\"");
		static const char *const objs[] = { "\"mm\":{", "\"fs\":{", "\"files\":{", "\"sighand\":{",
			"\"signal\":{", "\"nsproxy\":{", "\"cred\":{", "\"user_ns\":{", "\"pid_ns\":{" };
		for (int o = 0; o < 9; o++) {
			char va[16], vb[16];
			const char *pa = out_a, *pb = out_b;
			while (*pa && memcmp(pa, objs[o], cl_strlen(objs[o])))
				pa++;
			while (*pb && memcmp(pb, objs[o], cl_strlen(objs[o])))
				pb++;
			ASSERT(*pa && *pb);
			value_of(pa, "\"same\":", va, sizeof va);
			value_of(pb, "\"same\":", vb, sizeof vb);
			if (!cl_streq(va, vb))
				diag("%s %s: kprobe says same=%s, bpf same=%s", scen[s], objs[o], va, vb);
			ASSERT_STREQ(va, vb);
		}
		ASSERT_HAS(out_a, "\"regs_match\":true");
		ASSERT_HAS(out_b, "\"regs_match\":true");
		/* the register the kernel sets (the return value) and the one it copies (pc) */
		char ra[40], rb[40];
		int n;
		const char *const *names = cl_reg_names(&n);
		for (int r = 0; r < 2; r++) {
			char key[24];
			cl_stpcpy(cl_stpcpy(cl_stpcpy(key, "\""), names[r ? CL_REG_PC : CL_REG_RET]), "\":");
			const char *pa = out_a, *pb = out_b;
			while (*pa && memcmp(pa, "\"regs_built\"", 12))
				pa++;
			while (*pb && memcmp(pb, "\"regs_built\"", 12))
				pb++;
			value_of(pa, key, ra, sizeof ra);
			value_of(pb, key, rb, sizeof rb);
			ASSERT(*ra);
			ASSERT_STREQ(ra, rb);
		}
	}
	return T_PASS;
}

/* The names of loaded programs called clonelab_*: how many. -1 if we cannot ask. */
static int our_programs(void)
{
	uint32_t id = 0, next;
	char name[16];
	int n = 0;
	long r;
	while ((r = kbpf_prog_next(id, &next, name)) == 0) {
		if (cl_startswith(name, "clonelab_"))
			n++;
		id = next;
	}
	return r == -ENOENT ? n : -1;
}

/* SIGKILL in the middle of a traced tour by BPF: the programs and links were file
 * descriptors, and the kernel frees them with the process (and its children, killed
 * with it: a clone's child without CLONE_FILES held copies until it let them go). */
int t_kview_bpf_nothing_left(void)
{
	if (no_bpf_here())
		return skip("no tracing here");
	char *v[] = { (char *)CLONELAB_PATH(), "--version", 0 }, vb[64];
	if (t_run_status(v, vb, sizeof vb) != 0 || t_clonelab_under_qemu())
		return skip("clonelab cannot trace here");
	t_host_exclusive();	/* no other run of ours loads programs meanwhile */
	/* the runs of the tests before (killed ones too) let go of theirs; the kernel frees
	 * a program after an RCU grace period, so a moment may pass */
	struct cl_timespec ms = { 0, 10000000 };
	int before;
	for (int k = 0; k < 200 && (before = our_programs()) > 0; k++)
		SYS2(nanosleep, &ms, 0);
	if (before < 0)
		return skip("BPF_PROG_GET_NEXT_ID refused here");
	if (before)
		diag("clonelab_* programs left by the tests before this one: %d", before);
	ASSERT_EQ(before, 0);
	SYS2(prctl, 36 /* PR_SET_CHILD_SUBREAPER */, 1);
	int seen_loaded = 0;
	for (int i = 0; i < 4; i++) {
		long pid = cl_fork();
		if (pid == 0) {
			SYS2(setpgid, 0, 0);
			long fd = SYS4(openat, AT_FDCWD, "/dev/null", O_WRONLY, 0);
			SYS3(dup3, fd, 1, 0);
			char *argv[] = { (char *)CLONELAB_PATH(), "tour", "--kernel=bpf", 0 };
			SYS3(execve, argv[0], argv, cl_environ);
			SYS1(exit_group, 127);
		}
		/* wait until its programs are loaded (a bound, not a timing), then a little more */
		int st = 0;
		for (int k = 0; k < 300 && our_programs() == 0; k++) {
			if (SYS4(wait4, pid, &st, CL_WNOHANG, 0) == pid) {	/* it ended first */
				diag("clonelab tour --kernel=bpf ended first, with status %d", st);
				return T_FAIL;
			}
			SYS2(nanosleep, &ms, 0);
		}
		seen_loaded += our_programs() > 0;
		struct cl_timespec d = { 0, (i + 1) * 5000000L };
		SYS2(nanosleep, &d, 0);
		SYS2(kill, -pid, SIGKILL);
		cl_wait((int)pid, 0, 0);
		/* the kernel frees a program after an RCU grace period: wait for it, boundedly,
		 * reaping the group's orphans, which come back to us */
		for (int k = 0; k < 200 && our_programs() != 0; k++) {
			while (SYS4(wait4, -1, 0, CL_WALL | CL_WNOHANG, 0) > 0)
				;
			SYS2(nanosleep, &ms, 0);
		}
		while (SYS4(wait4, -1, 0, CL_WALL | CL_WNOHANG, 0) > 0)
			;
		if (our_programs())
			diag("left after a SIGKILL %d ms after loading", (i + 1) * 5);
		ASSERT_EQ(our_programs(), 0);
	}
	/* the killed tours' instance makers (tfs_instance: a session of their own) outlive
	 * them briefly and come back to us: wait for each, or one is left to the runner */
	while (SYS4(wait4, -1, 0, CL_WALL, 0) != -ECHILD)
		;
	ASSERT(seen_loaded > 0);	/* the test saw them alive: it can fail */
	return T_PASS;
}

/* --kernel=HOW: a backend that cannot work here is exit 3 with the reason (never a
 * quiet partial view); one that is not a backend is a usage error. */
int t_kview_forced_backend(void)
{
	static const char *const how[] = { "--kernel=kprobe", "--kernel=bpf" };
	if (no_bpf_here())
		return skip("no tracing here");
	for (int k = 0; k < 2; k++) {
		char *a[] = { (char *)CLONELAB_PATH(), "fork", (char *)how[k], "--json", 0 };
		t_host_exclusive();
		int st = t_run_status(a, out_a, sizeof out_a);
		if (st == -1 || t_clonelab_under_qemu())
			return skip("clonelab cannot trace here");
		if (st == 3) {
			ASSERT_HAS(out_a, "\"mode\":\"none\"");
			ASSERT_HAS(out_a, k ? "BPF" : "kprobe");
		} else {
			ASSERT_EQ(st, 0);
			ASSERT_HAS(out_a, "\"mode\":\"full\"");
			ASSERT_HAS(out_a, k ? "\"backend\":\"bpf\"" : "\"backend\":\"kprobe\"");
		}
	}
	char *bad[] = { (char *)CLONELAB_PATH(), "fork", "--kernel=ebpf", 0 };
	ASSERT_EQ(t_run_status(bad, out_a, sizeof out_a), 2);
	ASSERT_HAS(t_last_stderr, "--kernel= takes auto, kprobe or bpf");
	return T_PASS;
}

/* --show-bpf: each program the run loaded, as BPF assembly with the BTF names. */
int t_kview_show_bpf(void)
{
	if (no_bpf_here())
		return skip("no tracing here");
	char *a[] = { (char *)CLONELAB_PATH(), "thread", "--kernel=bpf", "--show-bpf", 0 };
	t_host_exclusive();
	int st = t_run_status(a, out_a, sizeof out_a);
	if (st == -1 || t_clonelab_under_qemu())
		return skip("clonelab cannot trace here");
	if (st == 3)
		return skip("no BPF here");
	ASSERT_EQ(st, 0);
	ASSERT_HAS(out_a, "--kernel: full by bpf");
	ASSERT_HAS(out_a, "clonelab_fork: raw tracepoint sched_process_fork");
	ASSERT_HAS(out_a, "; task_struct.mm");
	ASSERT_HAS(out_a, "; nsproxy.uts_ns");
	ASSERT_HAS(out_a, "call bpf_probe_read_kernel#113");
	ASSERT_HAS(out_a, "clonelab_wakeup: raw tracepoint sched_wakeup_new");
	ASSERT_HAS(out_a, "clonelab_switch: raw tracepoint sched_switch");
	char *j[] = { (char *)CLONELAB_PATH(), "thread", "--kernel", "--show-bpf", "--json", 0 };
	ASSERT_EQ(t_run_status(j, out_b, sizeof out_b), 2);
	return T_PASS;
}
