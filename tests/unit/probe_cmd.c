/* probe_cmd.c: `clonelab probe --flags ... --json`, natively, under QEMU user mode and on
 * the real kernels (the guest's /clonelab). Substring checks on the compact JSON. */
#include "test.h"

static char out[32768];

/* clonelab probe --flags F --json [a b c]: the exit status, -1 if it cannot run. */
static int probe(const char *flags, const char *a, const char *b, const char *c)
{
	char *argv[] = { (char *)CLONELAB_PATH(), "probe", "--json", "--flags", (char *)flags,
			 (char *)a, (char *)b, (char *)c, 0 };
	return t_run_status(argv, out, sizeof out);
}

#define RUN(r) do { if ((r) < 0) return skip("cannot run clonelab here (no binfmt for this arch)"); } while (0)
/* Under QEMU user mode, shapes it cannot emulate are exit 3, "unsupported". */
#define QEMU_REFUSES(r) do { if (t_clonelab_under_qemu()) { ASSERT_EQ(r, 3); \
	ASSERT_HAS(out, "\"result\":\"unsupported\""); ASSERT_HAS(out, "QEMU"); \
	return T_PASS; } } while (0)

static const char ns_none_shared[] = "\"ns\":{\"user\":true,\"pid\":true,\"uts\":true,"
	"\"ipc\":true,\"mnt\":true,\"net\":true,\"cgroup\":true,\"time\":true}";

/* The "shared" object of the last output, into buf (for comparisons). */
static void shared_of(char *buf, size_t size)
{
	const char *s = out;
	size_t n = 0;
	while (*s && !cl_startswith(s, "\"shared\":{"))
		s++;
	while (*s && n + 1 < size && !(n && s[-1] == '}' && s[-2] == '}'))
		buf[n++] = *s++;
	buf[n] = 0;
}

int t_probe_none(void)
{
	int r = probe("none", 0, 0, 0);
	RUN(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":false,\"fs\":false,\"files\":false,\"sighand\":false,"
		   "\"io\":false,\"sysvsem\":false,\"thread_group\":false,");
	ASSERT_HAS(out, ns_none_shared);
	ASSERT_HAS(out, "\"flags\":[]");
	ASSERT_HAS(out, t_differ(CL_REG_RET, -1, -1));
	return T_PASS;
}

int t_probe_vm(void)
{
	int r = probe("vm", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":true,\"fs\":false,\"files\":false,\"sighand\":false,");
	ASSERT_HAS(out, "\"thread_group\":false");
	ASSERT_HAS(out, "\"effect\":{\"vm\":true,\"fs\":false,\"files\":false,\"sighand\":false}");
	return T_PASS;
}

int t_probe_vm_sighand(void)
{
	int r = probe("vm,sighand", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":true,\"fs\":false,\"files\":false,\"sighand\":true,");
	return T_PASS;
}

int t_probe_nptl(void)
{
	int r = probe("vm,fs,files,sighand,thread,sysvsem,settls,parent_settid,child_cleartid",
		      0, 0, 0);
	RUN(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":true,\"fs\":true,\"files\":true,\"sighand\":true,"
		   "\"io\":false,\"sysvsem\":true,\"thread_group\":true,");
	ASSERT_HAS(out, ns_none_shared);
	ASSERT_HAS(out, "\"exit_signal\":0");	/* the default with thread */
	ASSERT_HAS(out, "\"child_cleartid\":{\"requested\":true,");
	ASSERT_HAS(out, "\"after_exit\":0,\"when\":\"zeroed");
	long tid = 0;
	const char *p = out;
	while (*p && !cl_startswith(p, "\"tids\":{\"tid\":"))
		p++;
	for (p += 14; *p >= '0' && *p <= '9'; p++)
		tid = tid * 10 + (*p - '0');
	char want[64] = "\"parent_settid\":{\"requested\":true,\"at_parent_return\":";
	cl_utoa((unsigned long)tid, want + cl_strlen(want));
	ASSERT_HAS(out, want);
	ASSERT_HAS(out, t_differ(CL_REG_RET, CL_REG_SP, CL_REG_TP));
	return T_PASS;
}

int t_probe_fs(void)
{
	int r = probe("fs", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":false,\"fs\":true,\"files\":false,\"sighand\":false,");
	ASSERT_HAS(out, "\"effect\":{\"vm\":false,\"fs\":true,");
	return T_PASS;
}

int t_probe_files(void)
{
	int r = probe("FILES", 0, 0, 0);	/* any case */
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"shared\":{\"vm\":false,\"fs\":false,\"files\":true,\"sighand\":false,");
	ASSERT_HAS(out, "\"files\":true,\"sighand\":false}");	/* the effect */
	return T_PASS;
}

int t_probe_newuser(void)
{
	int r = probe("newuser", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"ns\":{\"user\":false,\"pid\":true,\"uts\":true,\"ipc\":true,"
		   "\"mnt\":true,\"net\":true,\"cgroup\":true,\"time\":true}");
	ASSERT_HAS(out, "\"uid_before_map\":65534");
	ASSERT_HAS(out, "\"uid\":0,\"gid\":0,");	/* inside, once mapped */
	return T_PASS;
}

int t_probe_all_ns(void)
{
	int r = probe("newuser,newpid,newns,newuts,newipc,newnet,newcgroup,newtime", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"ns\":{\"user\":false,\"pid\":false,\"uts\":false,\"ipc\":false,"
		   "\"mnt\":false,\"net\":false,\"cgroup\":false,\"time\":false}");
	ASSERT_HAS(out, "\"pid_inside\":1,");
	ASSERT_HAS(out, "\"child\":{\"pid\":1,");
	return T_PASS;
}

int t_probe_vfork(void)
{
	int r = probe("vm,vfork", 0, 0, 0);
	RUN(r);
	ASSERT_EQ(r, 0);
	if (t_clonelab_under_qemu()) {	/* QEMU runs vfork as a plain fork, CLONE_VM dropped */
		ASSERT_HAS(out, "\"shared\":{\"vm\":false,");
		ASSERT_HAS(out, "\"vfork_suspended_parent\":false");
		return T_PASS;
	}
	ASSERT_HAS(out, "\"shared\":{\"vm\":true,\"fs\":false,\"files\":false,\"sighand\":false,");
	ASSERT_HAS(out, "\"asked_by\":\"child\"");
	ASSERT_HAS(out, "\"vfork_suspended_parent\":true");
	return T_PASS;
}

int t_probe_sighand_without_vm(void)
{
	int r = probe("sighand", 0, 0, 0);
	RUN(r);
	QEMU_REFUSES(r);
	ASSERT_EQ(r, 1);
	ASSERT_HAS(out, "\"result\":\"error\",\"errno\":\"EINVAL\",\"explanation\":"
		   "\"CLONE_SIGHAND requires CLONE_VM\"");
	return T_PASS;
}

/* Refusals: errno and rule, as root and (EPERM cases) as uid 65534. */
static const struct refusal {
	const char *flags, *a, *b;
	int user;		/* -1: as we are (root in the guest); else run as this uid */
	const char *errno_, *why;
} refusals[] = {
	{ "thread", 0, 0, -1, "EINVAL", "CLONE_THREAD requires CLONE_SIGHAND" },
	{ "sighand", 0, 0, -1, "EINVAL", "CLONE_SIGHAND requires CLONE_VM" },
	{ "newuser,fs", 0, 0, -1, "EINVAL", "CLONE_NEWUSER cannot be combined with CLONE_FS" },
	{ "newns,fs", 0, 0, -1, "EINVAL", "CLONE_NEWNS cannot be combined with CLONE_FS" },
	{ "vm,sighand,thread,newuser", 0, 0, -1, "EINVAL", "CLONE_THREAD cannot be combined with "
	  "CLONE_NEWUSER or CLONE_NEWPID" },
	{ "vm,sighand,thread,newpid", 0, 0, -1, "EINVAL", "CLONE_THREAD cannot be combined with "
	  "CLONE_NEWUSER or CLONE_NEWPID" },
	{ "newipc,sysvsem", 0, 0, -1, "EINVAL", "CLONE_NEWIPC cannot be combined with CLONE_SYSVSEM" },
	{ "vm,sighand,clear_sighand", "--api", "clone3", -1, "EINVAL", "CLONE_CLEAR_SIGHAND "
	  "cannot be combined with CLONE_SIGHAND" },
	{ "vm,sighand,thread", "--signal", "SIGCHLD", -1, "EINVAL", "clone3 wants exit_signal 0 "
	  "with CLONE_THREAD or CLONE_PARENT" },
	{ "detached", "--api", "clone3", -1, "EINVAL", "clone3 refuses CLONE_DETACHED" },
	{ "pidfd,parent_settid", "--api", "clone", -1, "EINVAL", "CLONE_PIDFD excludes "
	  "CLONE_PARENT_SETTID" },
	{ "vm", "--signal", "100", -1, "EINVAL", "exit_signal must be a signal number" },
	{ "newpid", 0, 0, 65534, "EPERM", "CLONE_NEWPID needs CAP_SYS_ADMIN; add newuser" },
	{ "newnet,newuts", 0, 0, 65534, "EPERM", "CLONE_NEWUTS|CLONE_NEWNET need CAP_SYS_ADMIN" },
	{ "newipc,sysvsem", 0, 0, 65534, "EPERM", "CLONE_NEWIPC needs CAP_SYS_ADMIN" },
};

int t_probe_refusals(void)
{
	int bad = 0;
	for (unsigned i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		const struct refusal *f = &refusals[i];
		t_run_as = f->user;
		int r = probe(f->flags, f->a, f->b, 0);
		t_run_as = -1;
		RUN(r);
		char want[64] = "\"errno\":\"";
		char *p = want + cl_strlen(want);
		size_t n = cl_strlen(f->errno_);
		memcpy(p, f->errno_, n);
		memcpy(p + n, "\"", 2);
		int expect = 1;
		const char *why = f->why;
		if (t_clonelab_under_qemu())
			expect = 3, why = "QEMU", want[0] = 0;
		if (r != expect || !json_has(out, want) || !json_has(out, why)) {
			diag("--flags %s %s %s as uid %d: exit %d, want %d with %s and \"%s\": %s",
			     f->flags, f->a ? f->a : "", f->b ? f->b : "", f->user, r, expect, want,
			     why, out);
			bad++;
		}
	}
	return bad ? T_FAIL : T_PASS;
}

/* clone and clone3 give the same table for the same flags. */
int t_probe_clone_vs_clone3(void)
{
	static const char *const sets[] = { "none", "vm", "vm,sighand", "fs", "files", "newuser",
		"vm,fs,files,sighand,thread,sysvsem", "vm,vfork", "newuser,newpid,newuts,newipc,newns" };
	for (unsigned i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		char a[512], b[512];
		int r = probe(sets[i], "--api", "clone3", 0);
		RUN(r);
		if (r == 3 && t_clonelab_under_qemu())
			continue;	/* no clone3 under QEMU user mode */
		ASSERT_EQ(r, 0);
		shared_of(a, sizeof a);
		r = probe(sets[i], "--api", "clone", 0);
		ASSERT_EQ(r, 0);
		ASSERT_HAS(out, "\"api\":\"clone\"");
		shared_of(b, sizeof b);
		if (!cl_streq(a, b)) {
			diag("--flags %s: clone3 %s, clone %s", sets[i], a, b);
			return T_FAIL;
		}
	}
	return T_PASS;
}

int t_probe_usage(void)
{
	int r = probe("vm,bogus", 0, 0, 0);
	RUN(r);
	ASSERT_EQ(r, 2);
	ASSERT_HAS(t_last_stderr, "unknown flag 'bogus'");
	ASSERT_HAS(t_last_stderr, "into_cgroup");
	return T_PASS;
}

/* Facts of a kernel version (doc/testing.md, "Facts of a version"), held on each bed:
 * clone3's CLONE_NEWTIME (5.6) and CLONE_CLEAR_SIGHAND (5.5) on every kernel here (5.10
 * on); CLONE_PIDFD with CLONE_THREAD, EINVAL before 6.9 (seen on 5.10 and 6.1), taken
 * from then (6.12, 7.2, 6.18); clone3 bit 35 (CLONE_NNP in 7.2's uapi), unknown to 5.10,
 * 6.1, 6.12 and 6.18, taken by 7.2 (7.0 and 7.1 not seen: not judged). */
int t_probe_version_facts(void)
{
	long v = cl_kernel_version();
	if (t_clonelab_under_qemu() || cl_under_qemu())
		return skip("QEMU user mode: the kernel never sees these clones");
	if (SYS0(geteuid) != 0)
		return skip("needs root: new namespaces without a user namespace");
	if (v < 5010)
		return skip("a kernel older than the oldest bed (5.10)");
	diag("kernel version %ld.%ld", v / 1000, v % 1000);
	int r = probe("newtime", "--api", "clone3", 0);
	RUN(r);
	if (r == 3 && json_has(out, "ENOSYS"))
		return skip("no clone3 here (seccomp?)");
	ASSERT_EQ(r, 0);
	ASSERT_HAS(out, "\"time\":false");
	ASSERT_EQ(probe("clear_sighand", "--api", "clone3", 0), 0);
	r = probe("vm,fs,files,sighand,thread,sysvsem,pidfd", "--signal", "none", 0);
	if (v < 6009) {
		ASSERT_EQ(r, 1);
		ASSERT_HAS(out, "CLONE_PIDFD cannot be combined with CLONE_THREAD before Linux 6.9");
	} else {
		ASSERT_EQ(r, 0);
		ASSERT_HAS(out, "\"thread_group\":true");
	}
	/* Linux 7.2's clone3 flags: unknown before it, each with its own rules on it */
	r = probe("nnp", "--api", "clone3", 0);
	if (v <= 6018) {
		ASSERT_EQ(r, 1);
		ASSERT_HAS(out, "came with Linux 7.2, and this older kernel refuses them");
	} else if (v >= 7002) {
		ASSERT_EQ(r, 0);
		ASSERT_HAS(out, "\"flags\":[\"nnp\"]");
	}
	return T_PASS;
}

/* Linux 7.2's clone3 flags on 7.2, each shape tried there: the ones it takes, and the
 * refusals with their rules (rules.c), as root and as uid 65534. */
static const struct refusal flags72[] = {
	{ "autoreap", 0, 0, -1, "EINVAL", "CLONE_AUTOREAP wants exit_signal 0" },
	{ "pidfd,autoreap", 0, 0, -1, "EINVAL", "CLONE_AUTOREAP wants exit_signal 0" },
	{ "vm,sighand,thread,autoreap", "--signal", "none", -1, "EINVAL", "CLONE_AUTOREAP is "
	  "refused with CLONE_THREAD and with CLONE_PARENT" },
	{ "parent,autoreap", "--signal", "none", -1, "EINVAL", "CLONE_AUTOREAP is refused with "
	  "CLONE_THREAD and with CLONE_PARENT" },
	{ "pidfd_autokill", "--signal", "none", -1, "EINVAL", "CLONE_PIDFD_AUTOKILL needs "
	  "CLONE_PIDFD and CLONE_AUTOREAP" },
	{ "pidfd,pidfd_autokill", "--signal", "none", -1, "EINVAL", "CLONE_PIDFD_AUTOKILL needs "
	  "CLONE_PIDFD and CLONE_AUTOREAP" },
	{ "autoreap,pidfd_autokill", "--signal", "none", -1, "EINVAL", "CLONE_PIDFD_AUTOKILL needs "
	  "CLONE_PIDFD and CLONE_AUTOREAP" },
	{ "vm,sighand,thread,nnp", "--signal", "none", -1, "EINVAL", "CLONE_NNP cannot be combined "
	  "with CLONE_THREAD" },
	{ "fs,empty_mntns", 0, 0, -1, "EINVAL", "CLONE_EMPTY_MNTNS cannot be combined with CLONE_FS" },
};
static const struct taken {
	const char *flags, *a, *b;
	int user;	/* -1: as we are (root in the guest); else run as this uid */
	int status;	/* probe's exit status */
	const char *want;
} taken72[] = {
	{ "nnp", 0, 0, -1, 0, "\"flags\":[\"nnp\"]" },
	{ "autoreap", "--signal", "none", -1, 0, "\"flags\":[\"autoreap\"]" },
	{ "pidfd,autoreap,pidfd_autokill", "--signal", "none", -1, 0, "\"result\":\"ok\"" },
	{ "empty_mntns", 0, 0, -1, 3, "CLONE_EMPTY_MNTNS): the child has no /proc" },
	{ "nnp", 0, 0, 65534, 0, "\"flags\":[\"nnp\"]" },
	{ "autoreap", "--signal", "none", 65534, 0, "\"flags\":[\"autoreap\"]" },
	{ "pidfd,autoreap,pidfd_autokill", "--signal", "none", 65534, 1, "\"errno\":\"EPERM\","
	  "\"explanation\":\"CLONE_PIDFD_AUTOKILL needs CAP_SYS_ADMIN unless CLONE_NNP comes too" },
	{ "pidfd,autoreap,pidfd_autokill,nnp", "--signal", "none", 65534, 0, "\"result\":\"ok\"" },
	{ "empty_mntns", 0, 0, 65534, 1, "\"errno\":\"EPERM\",\"explanation\":"
	  "\"CLONE_EMPTY_MNTNS needs CAP_SYS_ADMIN; add newuser" },
	{ "newuser,empty_mntns", 0, 0, 65534, 3, "CLONE_EMPTY_MNTNS): the child has no /proc" },
};

int t_probe_flags72(void)
{
	if (t_clonelab_under_qemu() || cl_under_qemu())
		return skip("QEMU user mode: the kernel never sees these clones");
	if (cl_kernel_version() < 7002)
		return skip("Linux 7.2's flags: this kernel is older (t_probe_version_facts)");
	if (SYS0(geteuid) != 0)
		return skip("needs root (and uid 65534)");
	int bad = 0;
	for (unsigned i = 0; i < sizeof flags72 / sizeof flags72[0]; i++) {
		const struct refusal *f = &flags72[i];
		int r = probe(f->flags, "--api=clone3", f->a, f->b);
		RUN(r);
		if (r != 1 || !json_has(out, "\"errno\":\"EINVAL\"") || !json_has(out, f->why)) {
			diag("--flags %s %s %s: exit %d, want 1 with EINVAL and \"%s\": %s", f->flags,
			     f->a ? f->a : "", f->b ? f->b : "", r, f->why, out);
			bad++;
		}
	}
	for (unsigned i = 0; i < sizeof taken72 / sizeof taken72[0]; i++) {
		const struct taken *f = &taken72[i];
		t_run_as = f->user;
		int r = probe(f->flags, "--api=clone3", f->a, f->b);
		t_run_as = -1;
		RUN(r);
		if (r != f->status || !json_has(out, f->want)) {
			diag("--flags %s %s %s as uid %d: exit %d, want %d with \"%s\": %s", f->flags,
			     f->a ? f->a : "", f->b ? f->b : "", f->user, r, f->status, f->want, out);
			bad++;
		}
	}
	return bad ? T_FAIL : T_PASS;
}
