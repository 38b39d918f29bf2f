/* kview.c: --kernel, the kernel's side of a clone (see kernel.h): what this kernel
 * allows, and the tracing around each clone, in a tracefs instance of our own; in full
 * mode kprobes read the two task_structs and the child's pt_regs at offsets found in the
 * running kernel's BTF. In the child: what kcmp and /proc say, for the cross-check. */
#include "kview_int.h"
#include "bpf_view.h"

#define SA_RESTORER 0x04000000	/* x86_64 insists on it; the handler never returns */

struct kv_state kv;	/* bss: kview_enable sets what is not zero */

/* SIGHUP, SIGINT, SIGPIPE (the usual end of `clonelab ... | head`), SIGTERM */
static const int dying_sigs[4] = { 1, 2, 13, SIGTERM };

/* Add what to list (n of max used) unless it is there already. */
static void once(const char **list, int *n, int max, const char *what)
{
	for (int i = 0; i < *n; i++)
		if (cl_streq(list[i], what))
			return;
	if (*n < max)
		list[(*n)++] = what;
}

/* Say once (a tour asks four times) what cannot be shown. */
void kv_missing(const char *what)
{
	once(kv.missing, &kv.nmissing, sizeof kv.missing / sizeof *kv.missing, what);
}

/* The same for this clone only (a kprobe refused, none fired, no instance). */
void kv_clone_missing(const char *what)
{
	once(kv.cmissing, &kv.ncmissing, sizeof kv.cmissing / sizeof *kv.cmissing, what);
}

void kv_reset(void)
{
	memset(&kv.traced, 0, (size_t)((char *)(&kv + 1) - (char *)&kv.traced));
	kv.target_cpu = -1;
}

/* The BPF backend for this run: 0, or -1 with *why. */
static int use_bpf(const char **why)
{
	if (kbpf_setup(&kv.off, why) < 0)
		return -1;
	kv.backend = KV_BPF;
	return 0;
}

/* What this kernel offers: none (with why), partial or full; and by which backend. */
static int probe_mode(const char **why)
{
	if (cl_under_qemu())
		return *why = "QEMU user mode: QEMU emulates clone, there is no kernel of this "
			      "architecture to trace", MODE_NONE;
	if (SYS0(geteuid) != 0)
		return *why = "not root: tracefs, kprobes and BPF need root (CAP_SYS_ADMIN)", MODE_NONE;
	if (tfs_open(&kv.t, why) < 0)
		return MODE_NONE;
	int mode = MODE_FULL;
	if (!tfs_exists(&kv.t, "instances"))
		*why = "this tracefs has no instances (kernel older than 3.x?)", mode = MODE_NONE;
	else if (!tfs_exists(&kv.t, "events/sched/sched_wakeup_new"))
		*why = "no sched tracepoints in this kernel", mode = MODE_NONE;
	if (mode == MODE_FULL && !tfs_exists(&kv.t, "events/syscalls"))
		kv_missing("syscall tracepoints (CONFIG_FTRACE_SYSCALLS): no syscall entry and exit");
	int kprobes = tfs_exists(&kv.t, "kprobe_events");
	static char refusal[128];
	long r;
	/* kprobe events may be there and every kprobe refused (riscv64's 6.12 under QEMU:
	 * EINVAL): one tried now decides, and tfs_close removes it */
	if (mode == MODE_FULL && kprobes && kv.want != KV_BPF &&
	    (r = tfs_kprobe(&kv.t, "try", "arch_dup_task_struct", "src=" CL_KPROBE_ARG1 ":x64")) < 0) {
		struct cl_out o = { -1, 0, sizeof refusal - 1, refusal };
		cl_printf(&o, "kprobe on arch_dup_task_struct refused (%s)", cl_errno_name(r));
		refusal[o.len] = 0;
		kprobes = 0;
	}
	tfs_close(&kv.t);
	if (mode == MODE_FULL) {
		struct btf b;
		long r = btf_load(&b, "/sys/kernel/btf/vmlinux");
		if (r < 0 || kv_offsets(&b, &kv.off) < 0) {
			kv_missing(r < 0 ? "BTF (/sys/kernel/btf/vmlinux): no offsets, so no task_struct "
				"pointers or registers" : "a task_struct member in BTF that --kernel needs");
			mode = MODE_PARTIAL;
		}
		if (r == 0)
			btf_free(&b);
		if (kv.off.off[KV_TIME_NS] < 0 || kv.off.off[KV_CGROUP_NS] < 0)
			kv_missing("time or cgroup namespaces (not in this kernel)");
	}
	if (mode != MODE_FULL) {
		if (mode == MODE_PARTIAL && kv.want != KV_AUTO)	/* a forced one that cannot work */
			return *why = kv.missing[kv.nmissing - 1], MODE_NONE;
		return mode;
	}
	/* kprobes where they work, BPF where they do not (or when asked) */
	const char *no_bpf = 0;
	if (kv.want == KV_KPROBE && !kprobes)
		return *why = *refusal ? refusal : "--kernel=kprobe: this kernel has no kprobe "
			      "events (CONFIG_KPROBE_EVENTS); --kernel=bpf may work", MODE_NONE;
	if (kv.want == KV_BPF || (kv.want == KV_AUTO && !kprobes)) {
		if (use_bpf(&no_bpf) == 0)
			return MODE_FULL;
		if (kv.want == KV_BPF)
			return *why = no_bpf, MODE_NONE;
		kv_missing(*refusal ? refusal : "kprobe events (CONFIG_KPROBE_EVENTS): no "
			   "task_struct pointers, no kernel-built registers, no schedule_tail");
		kv_missing(no_bpf);
		return MODE_PARTIAL;
	}
	kv.backend = KV_KPROBE;
	return MODE_FULL;
}

int kview_choose(const char *cmd, const char *backend, int show_bpf)
{
	static const char *const names[] = { "auto", "kprobe", "bpf" };	/* KV_ order */
	kv.show_bpf = show_bpf;
	if (!backend)
		return kv.want = KV_AUTO, 0;
	for (int i = 0; i < 3; i++)
		if (cl_streq(backend, names[i]))
			return kv.want = i, 0;
	errf("%s: --kernel= takes auto, kprobe or bpf, not '%s'\n", cmd, backend);
	return -1;
}

/* The lab calls these around each clone once kview_enable has succeeded. */
static void kview_before(struct lab *l);
static void kview_child(struct lab *l);
static const struct lab_observer kview_observer = { kview_before, kview_child };

int kview_enable(const char *cmd, struct cl_json *j)
{
	kv.t.root = -1;		/* no private tracefs mount yet */
	const char *why = 0;
	const char *release = cl_kernel_release();
	long v = cl_kernel_version();	/* major * 1000 + minor; kview counts major * 100 */
	if (release)
		cl_stpcpy(kv.release, release), kv.version = (int)(v / 1000 * 100 + v % 1000);
	kv.mode = probe_mode(&why);
	if (kv.mode == MODE_NONE) {
		if (j) {
			cl_json_error(j, CL_EXIT_UNSUPPORTED, "--kernel", 0, why);
			cl_json_open(j, "kernel", '{');
			cl_json_str(j, "mode", "none");
			cl_json_null(j, "backend");
			cl_json_open(j, "missing", '[');
			cl_json_str(j, 0, why);
			cl_json_close(j, ']');
			cl_json_close(j, '}');
			cl_json_close(j, '}');
		} else {
			errf("%s: not possible here: --kernel: %s\n", cmd, why);
		}
		return CL_EXIT_UNSUPPORTED;
	}
	long p = SYS6(mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cl_is_err(p)) {
		cl_perror(cmd, "mmap for --kernel", p, 0);
		return CL_EXIT_FAIL;
	}
	kv.ch = (struct kv_child *)p;
	kv.on = 1;
	lab_observer = &kview_observer;
	return -1;
}

/* SIGHUP, SIGINT, SIGPIPE, SIGTERM while tracing: remove our tracing, then die of the signal. */
static void on_signal(int sig)
{
	if (SYS0(getpid) == kv.t.pid && SYS0(gettid) != kv.t.pid) {
		/* A thread we cloned took it (our main thread had every signal blocked around
		 * the clone): the main thread, which goes on tracing, must clean up. Hand it
		 * over and wait for the end of the process. */
		struct cl_timespec forever = { 1L << 30, 0 };
		SYS3(tgkill, kv.t.pid, kv.t.pid, sig);
		for (;;)
			SYS2(nanosleep, &forever, 0);
	}
	if (SYS0(getpid) == kv.t.pid)
		tfs_close(&kv.t);
	unsigned long dfl[4] = { 0 };
	uint64_t mask = 1UL << (sig - 1);
	SYS4(rt_sigaction, sig, dfl, 0, 8);
	SYS4(rt_sigprocmask, 1 /* SIG_UNBLOCK */, &mask, 0, 8);
	SYS2(kill, SYS0(getpid), sig);
	cl_exit(128 + sig);
}

static void restorer(void) { cl_exit(CL_EXIT_FAIL); }	/* never reached */

/* Catch them while tracing (on), or put back what was there; an ignored one stays
 * ignored (nohup, background jobs). */
void kv_catch_signals(int on)
{
	unsigned long act[4] = { (unsigned long)on_signal, SA_RESTORER, (unsigned long)restorer, 0 };
	for (int i = 0; i < 4; i++) {
		SYS4(rt_sigaction, dying_sigs[i], on ? act : kv.old_act[i], on ? kv.old_act[i] : 0, 8);
		if (on && kv.old_act[i][0] == 1 /* SIG_IGN */)
			SYS4(rt_sigaction, dying_sigs[i], kv.old_act[i], 0, 8);
	}
}

/* A kprobe fetcharg reading member m of the struct that base points to. */
static void fetch(struct cl_out *o, const char *name, int m, const char *base)
{
	if (kv.off.off[m] < 0)
		return;
	if (m == KV_USER_NS)
		cl_printf(o, " %s=+%ld(+%ld(%s)):x64", name, kv.off.off[m], kv.off.off[KV_CRED], base);
	else if (cl_streq(kv_member_struct(m), "nsproxy"))
		cl_printf(o, " %s=+%ld(+%ld(%s)):x64", name, kv.off.off[m], kv.off.off[KV_NSPROXY], base);
	else if (cl_streq(kv_member_struct(m), "pt_regs"))	/* the pt_regs above the saved ksp */
		cl_printf(o, " %s=+%ld(+%ld(%s)):x64", name, kv.off.ksp_skip + kv.off.off[m],
			  kv.off.off[KV_KSP], base);
	else if (*CL_KV_KSP_SKIP && cl_streq(kv_member_struct(m), CL_KV_KSP_SKIP))
		/* the frame the saved ksp points at (x86_64's inactive_task_frame) */
		cl_printf(o, " %s=+%ld(+%ld(%s)):x64", name, kv.off.off[m], kv.off.off[KV_KSP], base);
	else
		cl_printf(o, " %s=+%ld(%s):x64", name, kv.off.off[m], base);
}

/* arch_dup_task_struct(dst, src): src is the caller, the parent; dst the new task,
 * still a bare copy. Read the parent's objects here. */
static const char *parent_args(struct cl_out *o)
{
	cl_printf(o, "dst=%s:x64 src=%s:x64", CL_KPROBE_ARG0, CL_KPROBE_ARG1);
	for (int m = 0; m < KV_NOBJ; m++)
		fetch(o, kv_object_name(m), m, CL_KPROBE_ARG1);
	return o->buf[o->len] = 0, o->buf;
}

/* wake_up_new_task(p): p is complete, not yet run. Its objects, and its pt_regs. */
static const char *child_args(struct cl_out *o)
{
	cl_printf(o, "p=%s:x64", CL_KPROBE_ARG0);
	for (int m = 0; m < KV_NOBJ; m++)
		fetch(o, kv_object_name(m), m, CL_KPROBE_ARG0);
	fetch(o, "stack", KV_STACK, CL_KPROBE_ARG0);
	fetch(o, "ksp", KV_KSP, CL_KPROBE_ARG0);
	for (int r = 0; r < kv_nregs(); r++) {
		char nm[3] = { 'r', (char)('0' + r), 0 };
		fetch(o, nm, KV_REG0 + r, CL_KPROBE_ARG0);
	}
	for (int c = 0; c < kv_nctx(); c++) {	/* the saved kernel context */
		char nm[3] = { 'c', (char)('0' + c), 0 };
		fetch(o, nm, KV_CTX0 + c, CL_KPROBE_ARG0);
	}
	return o->buf[o->len] = 0, o->buf;
}

/* A kprobe the kernel would not take: what we lose, with its errno (EPERM under
 * lockdown; riscv64's 6.12 under QEMU says EINVAL for every kprobe). */
static void refused(const char *where, long r, const char *loses)
{
	static char buf[2][160];
	char *b = buf[cl_streq(where, "schedule_tail")];
	struct cl_out o = { -1, 0, sizeof buf[0] - 1, b };
	cl_printf(&o, "kprobe on %s refused (%s): %s", where, cl_errno_name(r), loses);
	b[o.len] = 0;
	kv_clone_missing(b);
}

static void add_probes(void)
{
	static char args[2][2048];
	struct cl_out p = { -1, 0, sizeof args[0] - 1, args[0] }, c = { -1, 0, sizeof args[1] - 1, args[1] };
	long r;
	if ((r = tfs_kprobe(&kv.t, "dup", "arch_dup_task_struct", parent_args(&p))) < 0 ||
	    (r = tfs_kprobe(&kv.t, "wake", "wake_up_new_task", child_args(&c))) < 0) {
		const char *no_bpf;
		/* riscv64's 6.12 under QEMU refuses every kprobe: BPF, if it may choose */
		if (kv.want == KV_AUTO) {
			if (use_bpf(&no_bpf) == 0)
				return;
			kv_missing(no_bpf);
		}
		refused(kv.t.nprobes ? "wake_up_new_task" : "arch_dup_task_struct", r,
			"no task_struct pointers, no kernel-built registers");
		kv.degraded = 1;
	}
	if ((r = tfs_kprobe(&kv.t, "tail", "schedule_tail", "prev=" CL_KPROBE_ARG0 ":x64")) < 0)
		refused("schedule_tail", r, "the child's first kernel function not seen");
	/* what schedule_tail calls first; the compiler may have renamed it */
	if (tfs_kprobe(&kv.t, "fts", "finish_task_switch", "prev=" CL_KPROBE_ARG0 ":x64") < 0 &&
	    tfs_kprobe(&kv.t, "fts", "finish_task_switch.isra.0", "prev=" CL_KPROBE_ARG0 ":x64") < 0)
		kv_clone_missing("finish_task_switch: no kprobe under either of its names");
}

static void enable_events(void)
{
	static const char *const evs[] = { "sched/sched_process_fork", "sched/sched_wakeup_new",
		"sched/sched_switch", "sched/sched_migrate_task", "syscalls/sys_enter_clone3",
		"syscalls/sys_exit_clone3", "syscalls/sys_enter_clone", "syscalls/sys_exit_clone" };
	char path[96];
	for (unsigned i = 0; i < sizeof evs / sizeof evs[0]; i++) {
		cl_stpcpy(cl_stpcpy(cl_stpcpy(path, "events/"), evs[i]), "/enable");
		tfs_iwrite(&kv.t, path, "1");	/* a missing one (no syscall events) stays off */
	}
	if (kv.t.nprobes) {
		cl_stpcpy(cl_stpcpy(cl_stpcpy(path, "events/"), kv.t.group), "/enable");
		tfs_iwrite(&kv.t, path, "1");
	}
}

/* Nothing can be traced for this clone: say why (mode none, exit 3). */
static void no_trace(const char *why, long err)
{
	static char buf[200];
	struct cl_out o = { -1, 0, sizeof buf - 1, buf };
	cl_printf(&o, "%s%s%s%s", why, err ? " (" : "", err ? cl_errno_name(err) : "", err ? ")" : "");
	buf[o.len] = 0;
	kv.none = 1, kv.why_none = buf;
	kv.traced = 0;
	tfs_close(&kv.t);
	kv_catch_signals(0);
}

/* Before the clone (in the parent): a private trace instance, probes, events on. */
static void kview_before(struct lab *l)
{
	const char *why = 0;
	(void)l;	/* the clone itself is read from the trace */
	if (!kv.on)
		return;
	if (kv.traced)	/* an earlier clone's tracing, never read: remove it first */
		tfs_close(&kv.t);
	kv_reset();
	memset(kv.ch, 0, sizeof *kv.ch);
	kv.ch->parent_tid = (int)SYS0(gettid);
	kv_catch_signals(1);
	long r = tfs_open(&kv.t, &why);
	if (r < 0)
		return no_trace(why, 0);
	kv.traced = 1;	/* from here on kview_status cleans up, whatever happens */
	if ((r = tfs_instance(&kv.t)) < 0)
		return no_trace(r == -EEXIST ? "could not make our tracefs instance: its name is "
				"taken (by another process?)" : "could not make our tracefs instance", r);
	/* tracefs filters by the kernel's pids; in a pid namespace ours are others */
	kv.gparent = kv.t.ns == PROC_PID_INIT_INO ? kv.ch->parent_tid : kv_global_tid();
	if (kv.gparent <= 0)
		return no_trace("in a pid namespace, and the kernel's pid of this task could not "
				"be learned from a trace_marker: tracing by pid would trace another task", 0);
	char pid[16];
	cl_utoa((unsigned long)kv.gparent, pid);
	tfs_iwrite(&kv.t, "tracing_on", "0");
	tfs_iwrite(&kv.t, "buffer_size_kb", "512");
	tfs_iwrite(&kv.t, "trace_clock", CL_KV_TRACE_CLOCK);
	tfs_iwrite(&kv.t, "options/event-fork", "1");	/* the child joins set_event_pid */
	tfs_iwrite(&kv.t, "set_event_pid", pid);
	if (kv.mode == MODE_FULL && kv.backend == KV_KPROBE)
		add_probes();
	if (kv.backend == KV_BPF)
		kbpf_arm();	/* this thread's clone, from now on */
	enable_events();
	tfs_iwrite(&kv.t, "tracing_on", "1");
	/* aligns the user counter with the trace: three markers, the quickest write is kept
	 * (a slow one, preempted say, says less about when it was stamped) */
	kv.marker_lag = ~0ULL, kv.marker_want = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t c, lag;
		if (tfs_imark(&kv.t, "clonelab counter=", &c, &lag) == 0 && lag < kv.marker_lag)
			kv.marker_lag = lag, kv.marker_want = c;
	}
}

/* ---- in the child: what kcmp and the /proc ns links say ---- */
static const signed char kcmp_type[KV_NOBJ] = { 1, 3, 2, 4, -1, -1, -1 };	/* VM FILES FS SIGHAND */
static const char *const ns_link[KV_NOBJ] = { [KV_USER_NS] = "user", [KV_UTS_NS] = "uts",
	[KV_IPC_NS] = "ipc", [KV_MNT_NS] = "mnt", [KV_PID_NS] = "pid_for_children",
	[KV_NET_NS] = "net", [KV_TIME_NS] = "time_for_children", [KV_CGROUP_NS] = "cgroup" };

static int same_link(int ptid, const char *ns)
{
	char a[64], b[64], pa[64], pb[64];
	cl_proc_path(pa, ptid, "ns/");
	cl_stpcpy(pa + cl_strlen(pa), ns);
	cl_stpcpy(cl_stpcpy(pb, "/proc/thread-self/ns/"), ns);
	long na = SYS4(readlinkat, AT_FDCWD, pa, a, sizeof a - 1);
	long nb = SYS4(readlinkat, AT_FDCWD, pb, b, sizeof b - 1);
	if (na <= 0 || nb <= 0)
		return -1;
	return na == nb && memcmp(a, b, (size_t)na) == 0;
}

/* In the child, first thing: ask kcmp and /proc what it shares, for the cross-check. */
static void kview_child(struct lab *l)
{
	if (!kv.on)
		return;
	int ptid = kv.ch->parent_tid, me = (int)SYS0(gettid);
	for (int m = 0; m < KV_NOBJ; m++) {
		long r = -1;
		if (m < 7 && kcmp_type[m] > 0)
			r = SYS5(kcmp, ptid, me, kcmp_type[m], 0, 0);
		kv.ch->cross[m] = (signed char)(r < 0 ? -1 : r == 0);
		if (ns_link[m])
			kv.ch->cross[m] = (signed char)same_link(ptid, ns_link[m]);
	}
	/* one signal_struct is one thread group: the same tgid */
	kv.ch->cross[KV_SIGNAL] = (signed char)(SYS0(getpid) == kv.t.pid);
	if (kv.backend == KV_BPF && !(l->flags & CL_CLONE_FILES))
		kbpf_child();	/* our BPF descriptors go with our process, not with the child's */
	__atomic_store_n(&kv.ch->done, 1, __ATOMIC_RELEASE);
}

int kview_status(int status)
{
	if (kv.on && kv.traced) {	/* a path that printed no report: still clean up */
		kv.traced = 0;
		tfs_close(&kv.t);
		kv_catch_signals(0);
	}
	if (kv.on && kv.none && status == CL_EXIT_OK)
		return CL_EXIT_UNSUPPORTED;	/* this clone went untraced: not possible here */
	return kv.failed && status == CL_EXIT_OK ? CL_EXIT_FAIL : status;
}
