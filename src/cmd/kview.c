/* kview.c: --kernel, the kernel's side of a clone (see kview.h). The trace runs in a
 * tracefs instance of our own; in full mode kprobes read the two task_structs and the
 * child's pt_regs at offsets found in the running kernel's BTF. */
#include "kview.h"
#include "kview_btf.h"
#include "lab.h"
#include "tracefs.h"

#define SA_RESTORER 0x04000000	/* x86_64 insists on it; the handler never returns */
#define NEV 24

enum { MODE_NONE, MODE_PARTIAL, MODE_FULL };
static const char *const mode_names[] = { "none", "partial", "full" };

struct kv_child {		/* written by the child, in a page shared with it */
	int parent_tid, done;
	signed char cross[KV_NOBJ];	/* kcmp / ns links: 1 same, 0 not, -1 cannot tell */
};

struct ev { int64_t t; int cpu, pid; const char *kind; char what[120]; };

static struct {
	int mode, on, failed, nmissing, traced;
	int degraded;			/* this clone: a kprobe we need was refused */
	const char *missing[6];
	struct kv_off off;
	struct tfs t;
	struct kv_child *ch;
	char release[65];
	int version;			/* major*100+minor */
	/* what the trace showed */
	uint64_t task[2], obj[2][KV_NOBJ], regs[KV_MAXREGS], stack, ksp;
	int have_dup, have_wake, tail_seen, child_exit_seen, switched_in, parent_returned, target_cpu;
	uint64_t marker_cnt;
	int64_t marker_ts, t0;
	int have_marker, have_t0, nev;
	struct ev ev[NEV];
	unsigned long old_act[3][4];
} kv = { .t = { .root = -1 } };

static const int dying_sigs[3] = { 1, 2, SIGTERM };	/* SIGHUP, SIGINT, SIGTERM */

/* Say once (a tour asks four times) that what cannot be shown. */
static void missing(const char *what)
{
	for (int i = 0; i < kv.nmissing; i++)
		if (cl_streq(kv.missing[i], what))
			return;
	if (kv.nmissing < 6)
		kv.missing[kv.nmissing++] = what;
}

/* "6.1.0-57-cloud-amd64" -> 601 */
static int version_of(const char *r)
{
	unsigned long major = 0, minor = 0;
	while (*r >= '0' && *r <= '9')
		major = major * 10 + (unsigned long)(*r++ - '0');
	if (*r == '.')
		while (*++r >= '0' && *r <= '9')
			minor = minor * 10 + (unsigned long)(*r - '0');
	return (int)(major * 100 + minor);
}

/* What this kernel offers: none (with why), partial or full. */
static int probe_mode(const char **why)
{
	if (cl_under_qemu())
		return *why = "QEMU user mode: QEMU emulates clone, there is no kernel of this "
			      "architecture to trace", MODE_NONE;
	if (SYS0(geteuid) != 0)
		return *why = "not root: tracefs and kprobes need root (CAP_SYS_ADMIN)", MODE_NONE;
	if (tfs_open(&kv.t, why) < 0)
		return MODE_NONE;
	int mode = MODE_FULL;
	if (!tfs_exists(&kv.t, "instances"))
		*why = "this tracefs has no instances (kernel older than 3.x?)", mode = MODE_NONE;
	else if (!tfs_exists(&kv.t, "events/sched/sched_wakeup_new"))
		*why = "no sched tracepoints in this kernel", mode = MODE_NONE;
	if (mode == MODE_FULL && !tfs_exists(&kv.t, "events/syscalls"))
		missing("syscall tracepoints (CONFIG_FTRACE_SYSCALLS): no syscall entry and exit");
	if (mode == MODE_FULL && !tfs_exists(&kv.t, "kprobe_events")) {
		missing("kprobe events (CONFIG_KPROBE_EVENTS): no task_struct pointers, no "
			"kernel-built registers, no schedule_tail");
		mode = MODE_PARTIAL;
	}
	tfs_close(&kv.t);
	if (mode == MODE_FULL) {
		struct btf b;
		long r = btf_load(&b, "/sys/kernel/btf/vmlinux");
		if (r < 0 || kv_offsets(&b, &kv.off) < 0) {
			missing(r < 0 ? "BTF (/sys/kernel/btf/vmlinux): no offsets, so no task_struct "
				"pointers or registers" : "a task_struct member in BTF that --kernel needs");
			mode = MODE_PARTIAL;
		}
		if (r == 0)
			btf_free(&b);
		if (kv.off.off[KV_TIME_NS] < 0 || kv.off.off[KV_CGROUP_NS] < 0)
			missing("time or cgroup namespaces (not in this kernel)");
	}
	return mode;
}

int kview_enable(const char *cmd, struct cl_json *j)
{
	const char *why = 0;
	char uts[390];
	if (SYS1(uname, uts) == 0)
		cl_stpcpy(kv.release, uts + 130), kv.version = version_of(kv.release);
	kv.mode = probe_mode(&why);
	if (kv.mode == MODE_NONE) {
		if (j) {
			cl_json_open(j, 0, '{');
			cl_json_str(j, "result", "unsupported");
			cl_json_str(j, "explanation", why);
			cl_json_open(j, "kernel", '{');
			cl_json_str(j, "mode", "none");
			cl_json_open(j, "missing", '[');
			cl_json_str(j, 0, why);
			cl_json_close(j, ']');
			cl_json_close(j, '}');
			cl_json_close(j, '}');
		} else {
			err("%s: not possible here: --kernel: %s\n", cmd, why);
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
	return -1;
}

/* SIGHUP, SIGINT, SIGTERM while tracing: remove our tracing, then die of the signal. */
static void on_signal(int sig)
{
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
static void catch_signals(int on)
{
	unsigned long act[4] = { (unsigned long)on_signal, SA_RESTORER, (unsigned long)restorer, 0 };
	for (int i = 0; i < 3; i++) {
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
	missing(b);
}

static void add_probes(void)
{
	static char args[2][2048];
	struct cl_out p = { -1, 0, sizeof args[0] - 1, args[0] }, c = { -1, 0, sizeof args[1] - 1, args[1] };
	long r;
	if ((r = tfs_kprobe(&kv.t, "dup", "arch_dup_task_struct", parent_args(&p))) < 0 ||
	    (r = tfs_kprobe(&kv.t, "wake", "wake_up_new_task", child_args(&c))) < 0) {
		refused(kv.t.nprobes ? "wake_up_new_task" : "arch_dup_task_struct", r,
			"no task_struct pointers, no kernel-built registers");
		kv.degraded = 1;
	}
	if ((r = tfs_kprobe(&kv.t, "tail", "schedule_tail", "prev=" CL_KPROBE_ARG0 ":x64")) < 0)
		refused("schedule_tail", r, "the child's first kernel function not seen");
	/* what schedule_tail calls first; the compiler may have renamed it */
	if (tfs_kprobe(&kv.t, "fts", "finish_task_switch", "prev=" CL_KPROBE_ARG0 ":x64") < 0 &&
	    tfs_kprobe(&kv.t, "fts", "finish_task_switch.isra.0", "prev=" CL_KPROBE_ARG0 ":x64") < 0)
		missing("finish_task_switch: no kprobe under either of its names");
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

void kview_before(struct lab *l)
{
	const char *why;
	(void)l;	/* the clone itself is read from the trace */
	if (!kv.on)
		return;
	kv.traced = kv.degraded = 0;
	memset(kv.ch, 0, sizeof *kv.ch);
	kv.ch->parent_tid = (int)SYS0(gettid);
	catch_signals(1);
	if (tfs_open(&kv.t, &why) < 0 || tfs_instance(&kv.t) < 0) {
		missing("could not make a tracefs instance");
		tfs_close(&kv.t);
		return;
	}
	char pid[16];
	cl_utoa((unsigned long)kv.t.pid, pid);
	tfs_iwrite(&kv.t, "tracing_on", "0");
	tfs_iwrite(&kv.t, "buffer_size_kb", "512");
	tfs_iwrite(&kv.t, "trace_clock", CL_KV_TRACE_CLOCK);
	tfs_iwrite(&kv.t, "options/event-fork", "1");	/* the child joins set_event_pid */
	tfs_iwrite(&kv.t, "set_event_pid", pid);
	if (kv.mode == MODE_FULL)
		add_probes();
	enable_events();
	tfs_iwrite(&kv.t, "tracing_on", "1");
	char mark[48];
	cl_utoa(cl_counter(), cl_stpcpy(mark, "clonelab counter="));
	tfs_iwrite(&kv.t, "trace_marker", mark);	/* aligns the user counter with the trace */
	kv.traced = 1;
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

void kview_child(struct lab *l)
{
	(void)l;
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
	__atomic_store_n(&kv.ch->done, 1, __ATOMIC_RELEASE);
}

/* ---- reading the trace ---- */
static int field(const char *s, const char *key, uint64_t *v)
{
	size_t k = cl_strlen(key);
	for (; *s; s++)
		if ((s[-1] == ' ' || s[-1] == '(') && memcmp(s, key, k) == 0 && s[k] == '=') {
			unsigned long x = 0;
			int hex = s[k + 1] == '0' && s[k + 2] == 'x';
			for (s += k + 1 + 2 * hex;; s++) {
				int d = *s >= '0' && *s <= '9' ? *s - '0' : hex && (*s | 32) >= 'a' &&
					(*s | 32) <= 'f' ? (*s | 32) - 'a' + 10 : -1;
				if (d < 0)
					break;
				x = x * (hex ? 16 : 10) + (unsigned long)d;
			}
			return *v = x, 1;
		}
	return 0;
}

/* "  comm-123   [001] d..2.  1234.567890: body": pid, cpu, timestamp (ns, or clock
 * ticks for a counter clock), body. 0 if the line is not an event. */
static int split(char *s, int *pid, int *cpu, int64_t *ts, char **body)
{
	char *b = s;
	while (*b && !(b[0] == '[' && b[1] >= '0' && b[1] <= '9' && b[4] == ']'))
		b++;
	if (!*b || b == s || *s == '#')
		return 0;
	char *d = b - 1;
	while (d > s && *d == ' ')
		d--;
	while (d > s && d[-1] >= '0' && d[-1] <= '9')
		d--;
	*pid = 0;
	for (; *d >= '0' && *d <= '9'; d++)
		*pid = *pid * 10 + (*d - '0');
	*cpu = (b[1] - '0') * 100 + (b[2] - '0') * 10 + (b[3] - '0');
	for (b += 5; *b;) {	/* flags (optional), then the timestamp token ending in ':' */
		while (*b == ' ')
			b++;
		char *e = b;
		while (*e && *e != ' ')
			e++;
		if (e > b && e[-1] == ':') {
			int64_t whole = 0, frac = 0, scale = 1;
			int dot = 0;
			for (char *c = b; c < e - 1; c++)
				if (*c == '.')
					dot = 1;
				else if (dot)
					frac = frac * 10 + (*c - '0'), scale *= 10;
				else
					whole = whole * 10 + (*c - '0');
			*ts = dot ? whole * 1000000000LL + frac * (1000000000LL / scale) : whole;
			*body = e + 1;
			return 1;
		}
		b = e;
	}
	return 0;
}

/* One timeline event: kind is its stable name for programs (README), what its words. */
static void ev(int64_t t, int cpu, int pid, const char *kind, const char *fmt, ...)
{
	if (kv.nev == NEV)
		return;
	struct ev *e = &kv.ev[kv.nev++];
	struct cl_out o = { -1, 0, sizeof e->what - 1, e->what };
	va_list ap;
	va_start(ap, fmt);
	cl_vprintf(&o, fmt, ap);
	va_end(ap);
	e->what[o.len] = 0;
	e->t = t, e->cpu = cpu, e->pid = pid, e->kind = kind;
}

static void objects_from(const char *body, int side)
{
	for (int m = 0; m < KV_NOBJ; m++)
		field(body, kv_object_name(m), &kv.obj[side][m]);
}

static void kprobe_line(const char *b, int64_t ts, int cpu, int pid, int child)
{
	uint64_t v = 0;
	if (cl_startswith(b, "dup: (") && !kv.have_dup) {
		kv.have_dup = field(b, "src", &kv.task[0]) && field(b, "dst", &kv.task[1]);
		objects_from(b, 0);
		ev(ts, cpu, pid, "dup_task", "arch_dup_task_struct: the parent's task_struct %lx copied into %lx",
		   kv.task[0], kv.task[1]);
	} else if (cl_startswith(b, "wake: (") && field(b, "p", &v) && v == kv.task[1] && !kv.have_wake) {
		kv.have_wake = 1;
		objects_from(b, 1);
		for (int r = 0; r < kv_nregs(); r++) {
			char nm[3] = { 'r', (char)('0' + r), 0 };
			field(b, nm, &kv.regs[r]);
		}
		field(b, "stack", &kv.stack), field(b, "ksp", &kv.ksp);
		ev(ts, cpu, pid, "wake_up_new_task", "wake_up_new_task: the child is made runnable");
	} else if (cl_startswith(b, "tail: (") && pid == child && !kv.tail_seen) {
		kv.tail_seen = 1;
		ev(ts, cpu, pid, "schedule_tail", "schedule_tail: the child's first kernel C function (from ret_from_fork)");
	} else if (cl_startswith(b, "fts: (") && pid == child && kv.tail_seen == 1) {
		kv.tail_seen = 2;	/* the one schedule_tail makes, not later switches */
		ev(ts, cpu, pid, "finish_task_switch", "finish_task_switch: called by schedule_tail, completes the switch");
	}
}

static void sched_line(const char *b, int64_t ts, int cpu, int pid, int child)
{
	uint64_t v = 0, w = 0;
	if (cl_startswith(b, "sched_process_fork:") && field(b, "child_pid", &v) && (int)v == child)
		ev(ts, cpu, pid, "process_fork", "sched_process_fork: the new task is pid %lu", v);
	else if (cl_startswith(b, "sched_wakeup_new:") && field(b, "pid", &v) && (int)v == child &&
		 field(b, "target_cpu", &w)) {
		kv.target_cpu = (int)w;
		ev(ts, cpu, pid, "wakeup_new", "sched_wakeup_new: the kernel chose CPU %lu for the child", w);
	} else if (cl_startswith(b, "sched_migrate_task:") && field(b, "pid", &v) && (int)v == child &&
		   field(b, "orig_cpu", &v) && field(b, "dest_cpu", &w))
		ev(ts, cpu, pid, "migrate", "sched_migrate_task: the child moved from CPU %lu to %lu", v, w);
	else if (cl_startswith(b, "sched_switch:") && field(b, "next_pid", &v) && (int)v == child &&
		 !kv.switched_in++) {
		field(b, "prev_pid", &w);
		ev(ts, cpu, pid, "switch_in", "sched_switch: CPU %d switches from pid %lu into the child", cpu, w);
	}
}

static void syscall_line(const char *b, int64_t ts, int cpu, int pid, int child)
{
	const char *name = cl_startswith(b, "sys_clone3") ? "clone3" : "clone";
	const char *rest = b + 4 + cl_strlen(name);
	if (*rest == '(' && pid == kv.ch->parent_tid && !kv.have_t0) {
		kv.have_t0 = 1, kv.t0 = ts;
		ev(ts, cpu, pid, "syscall_enter", "the parent enters %s", name);
	} else if (cl_startswith(rest, " -> ")) {
		unsigned long v = 0;
		cl_parse_ulong(rest + 4, &v);
		if (pid == kv.ch->parent_tid && !kv.parent_returned++)
			ev(ts, cpu, pid, "parent_return", "the parent returns from %s with %lu, the child's tid", name, v);
		else if (pid == child && !kv.child_exit_seen++)
			ev(ts, cpu, pid, "child_syscall_exit", "the child returns from %s with %lu (syscall exit work)", name, v);
	}
}

static void parse(char *buf, int child)
{
	for (char *line = buf, *nl; *line; line = nl + 1) {
		for (nl = line; *nl && *nl != '\n'; nl++)
			;
		int end = !*nl, pid, cpu;
		*nl = 0;
		int64_t ts;
		char *b;
		uint64_t v;
		if (split(line, &pid, &cpu, &ts, &b)) {
			if (cl_startswith(b, "tracing_mark_write: clonelab counter=") &&
			    field(b, "counter", &v) && !kv.have_marker)
				kv.have_marker = 1, kv.marker_ts = ts, kv.marker_cnt = v;
			else if (cl_startswith(b, "sched_"))
				sched_line(b, ts, cpu, pid, child);
			else if (cl_startswith(b, "sys_clone"))
				syscall_line(b, ts, cpu, pid, child);
			else
				kprobe_line(b, ts, cpu, pid, child);
		}
		if (end)
			break;
	}
}

/* A trace timestamp as ns after the parent's syscall entry. */
static long rel_ns(int64_t t)
{
	int64_t d = t - kv.t0;
	return CL_KV_CLOCK_IS_COUNTER ? (long)(d * 1000000000LL / (int64_t)lab_counter_hz()) : (long)d;
}

static int cmp_ev(const struct ev *a, const struct ev *b) { return a->t > b->t; }

/* Stop the trace, read it, and take everything of ours out of tracefs. Once per clone. */
static void collect(const struct lab *l)
{
	static char *buf;
	int child = (int)l->ret;
	if (!kv.traced)
		return;
	kv.traced = 0;
	kv.have_dup = kv.have_wake = kv.tail_seen = kv.child_exit_seen = kv.switched_in = 0;
	kv.parent_returned = 0;
	kv.have_marker = kv.have_t0 = kv.nev = 0;
	kv.target_cpu = -1;
	memset(kv.obj, 0, sizeof kv.obj);
	tfs_iwrite(&kv.t, "tracing_on", "0");
	if (!buf) {
		long p = SYS6(mmap, 0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		buf = cl_is_err(p) ? 0 : (char *)p;
	}
	if (buf && tfs_iread(&kv.t, "trace", buf, 1 << 20) > 0)
		parse(buf, child);
	tfs_close(&kv.t);
	catch_signals(0);
	const struct cl_snap *s = &l->sh->snap;
	int64_t first = 0;
	int have_first = 0;
	if (CL_KV_CLOCK_IS_COUNTER)
		first = (int64_t)s->t_child, have_first = s->t_child != 0;
	else if (kv.have_marker && s->t_child)	/* the marker pairs a trace time with a count */
		first = kv.marker_ts + (int64_t)((s->t_child - kv.marker_cnt) * 1000000000ULL / lab_counter_hz()),
		have_first = 1;
	if (have_first)
		ev(first, l->sh->child_cpu, child, "first_user_instruction", "the child's first user instruction (its trampoline's counter)");
	for (int i = 1; i < kv.nev; i++)	/* by time: a few dozen at most */
		for (int k = i; k > 0 && cmp_ev(&kv.ev[k - 1], &kv.ev[k]); k--) {
			struct ev e = kv.ev[k];
			kv.ev[k] = kv.ev[k - 1], kv.ev[k - 1] = e;
		}
	if (!kv.have_t0 && kv.nev)
		kv.t0 = kv.ev[0].t;
}

/* ---- verdicts ---- */
static const char *const decided_by[KV_NOBJ] = { "CLONE_VM", "CLONE_FS", "CLONE_FILES",
	"CLONE_SIGHAND", "CLONE_THREAD", "CLONE_NEW* (any but NEWUSER)", "CLONE_THREAD",
	"CLONE_NEWUSER", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWNS", "CLONE_NEWPID",
	"CLONE_NEWNET", "CLONE_NEWTIME", "CLONE_NEWCGROUP" };
static const uint64_t flag_of[KV_NOBJ] = { CL_CLONE_VM, CL_CLONE_FS, CL_CLONE_FILES,
	CL_CLONE_SIGHAND, CL_CLONE_THREAD, CL_CLONE_NEWNS | CL_CLONE_NEWUTS | CL_CLONE_NEWIPC |
	CL_CLONE_NEWPID | CL_CLONE_NEWNET | CL_CLONE_NEWCGROUP | CL_CLONE_NEWTIME, CL_CLONE_THREAD,
	CL_CLONE_NEWUSER, CL_CLONE_NEWUTS, CL_CLONE_NEWIPC, CL_CLONE_NEWNS, CL_CLONE_NEWPID,
	CL_CLONE_NEWNET, CL_CLONE_NEWTIME, CL_CLONE_NEWCGROUP };

/* What the flags say: shared (1) or not (0). The first five objects and cred are
 * shared when their flag is given; nsproxy and the namespaces are new when it is. */
static int flags_say(const struct lab *l, int m)
{
	int given = (l->flags & flag_of[m]) != 0;
	return m <= KV_SIGNAL || m == KV_CRED ? given : !given;
}

static int have_obj(int m) { return kv.have_dup && kv.have_wake && kv.off.off[m] >= 0; }
static int same(int m) { return kv.obj[0][m] == kv.obj[1][m]; }
static int cross(int m) { return __atomic_load_n(&kv.ch->done, __ATOMIC_ACQUIRE) ? kv.ch->cross[m] : -1; }
static int agrees(const struct lab *l, int m)
{
	return same(m) == flags_say(l, m) && (cross(m) < 0 || cross(m) == same(m));
}

static uint64_t snap_of(const struct lab *l, int r)
{
	return l->sh->snap.child[kv_reg_snap(r)];
}

static int reg_ok(const struct lab *l, int r)
{
	return ((kv.regs[r] ^ snap_of(l, r)) & kv_reg_mask(r)) == 0;
}

static int regs_match(const struct lab *l)
{
	for (int r = 0; r < kv_nregs(); r++)
		if (!reg_ok(l, r))
			return 0;
	return 1;
}

static const char *reg_name(int r)
{
	int n;
	return cl_reg_names(&n)[kv_reg_snap(r)];
}

/* The verdicts, once per clone: a disagreement makes the command fail. */
static void judge(const struct lab *l)
{
	for (int m = 0; m < KV_NOBJ; m++)
		if (have_obj(m) && !agrees(l, m))
			kv.failed = 1;
	if (kv.have_wake && !regs_match(l))
		kv.failed = 1;
}

struct step { int from, to; const char *what, *event; };
static const struct step path[] = { CL_KV_RETURN_PATH };

static int observed(const struct step *s)
{
	return (cl_streq(s->event, "schedule_tail") && kv.tail_seen) ||
	       (cl_streq(s->event, "child_syscall_exit") && kv.child_exit_seen);
}

int kview_status(int status)
{
	if (kv.on && kv.traced) {	/* a path that printed no report: still clean up */
		kv.traced = 0;
		tfs_close(&kv.t);
		catch_signals(0);
	}
	return kv.failed && status == CL_EXIT_OK ? CL_EXIT_FAIL : status;
}

/* ---- the report ---- */
/* What this clone got: the kernel's mode, unless a kprobe it needs was refused. */
static int mode(void) { return kv.degraded ? MODE_PARTIAL : kv.mode; }

static const char *yn(int v) { return v < 0 ? "-" : v ? "same" : "differs"; }

static void objects_text(const struct lab *l)
{
	out("  task_struct     parent %lx, child %lx\n\n", kv.task[0], kv.task[1]);
	out("  %-10s %18s %18s  %-8s %-30s %s\n", "object", "parent", "child", "kernel",
	    "decided by", "kcmp or /proc");
	for (int m = 0; m < KV_NOBJ; m++)
		if (have_obj(m))
			out("  %-10s %18lx %18lx  %-8s %-30s %s%s\n", kv_object_name(m), kv.obj[0][m],
			    kv.obj[1][m], yn(same(m)), decided_by[m], yn(cross(m)),
			    agrees(l, m) ? "" : "  <- DISAGREES");
}

static void regs_text(const struct lab *l)
{
	uint64_t at = kv.ksp + (uint64_t)kv.off.ksp_skip;
	out("\n  registers as copy_thread() built them, read by a kprobe on wake_up_new_task;\n"
	    "  task_pt_regs(child) = %lx, its kernel stack + %lu:\n", at, at - kv.stack);
	out("    %-10s %18s  %-30s %18s\n", "register", "kernel", "read from", "snapshot");
	for (int r = 0; r < kv_nregs(); r++) {
		char from[40];
		struct cl_out o = { -1, 0, sizeof from - 1, from };
		cl_printf(&o, "%s.%s", kv_member_struct(KV_REG0 + r), kv_member_path(KV_REG0 + r));
		from[o.len] = 0;
		out("    %-10s %18lx  %-30s %18lx  %s\n", reg_name(r), kv.regs[r], from, snap_of(l, r),
		    reg_ok(l, r) ? "equal" : "DIFFERENT");
	}
}

static void timeline_text(void)
{
	out("\n  timeline (ns from the parent's syscall entry; trace clock %s%s)\n", CL_KV_TRACE_CLOCK,
	    CL_KV_CLOCK_IS_COUNTER ? ", the trampolines' own counter" :
	    ", user counter aligned by a trace_marker");
	for (int i = 0; i < kv.nev; i++)
		out("  %10ld  cpu %d  %6d  %s\n", rel_ns(kv.ev[i].t), kv.ev[i].cpu, kv.ev[i].pid, kv.ev[i].what);
}

static void path_text(void)
{
	out("\n  the way out (%s; observed: seen in this trace; otherwise from the kernel source\n"
	    "  of version %d.%d):\n", CL_ARCH_NAME, kv.version / 100, kv.version % 100);
	for (unsigned i = 0; i < sizeof path / sizeof path[0]; i++)
		if (kv.version >= path[i].from && kv.version <= path[i].to)
			out("    %-9s %s\n", observed(&path[i]) ? "observed" : "source", path[i].what);
}

void kview_text(const struct lab *l)
{
	if (!kv.on)
		return;
	collect(l);
	judge(l);
	out("\nthe kernel's side (--kernel: %s, Linux %s)\n\n", mode_names[mode()], kv.release);
	if (kv.have_dup && kv.have_wake)
		objects_text(l);
	if (kv.have_wake)
		regs_text(l);
	out("\n  target CPU      %d (sched_wakeup_new); the child's first instruction ran on %d\n",
	    kv.target_cpu, l->sh->child_cpu);
	timeline_text();
	path_text();
	for (int i = 0; i < kv.nmissing; i++)
		out("%s%s\n", i ? "                  " : "\n  not shown here  ", kv.missing[i]);
}

static void objects_json(struct cl_json *j, const struct lab *l)
{
	cl_json_open(j, "task", '{');
	cl_json_hex(j, "parent", kv.task[0]);
	cl_json_hex(j, "child", kv.task[1]);
	cl_json_close(j, '}');
	cl_json_open(j, "objects", '{');
	for (int m = 0; m < KV_NOBJ; m++)
		if (have_obj(m)) {
			cl_json_open(j, kv_object_name(m), '{');
			cl_json_hex(j, "parent", kv.obj[0][m]);
			cl_json_hex(j, "child", kv.obj[1][m]);
			cl_json_bool(j, "same", same(m));
			cl_json_str(j, "decided_by", decided_by[m]);
			if (cross(m) < 0)
				cl_json_null(j, "kcmp");
			else
				cl_json_bool(j, "kcmp", cross(m));
			cl_json_bool(j, "agrees", agrees(l, m));
			cl_json_close(j, '}');
		}
	cl_json_close(j, '}');
	cl_json_open(j, "regs_built", '{');
	char where[64];
	struct cl_out o = { -1, 0, sizeof where - 1, where };
	cl_printf(&o, "task_pt_regs(child) = 0x%lx", kv.ksp + (uint64_t)kv.off.ksp_skip);
	where[o.len] = 0;
	cl_json_str(j, "where", where);
	for (int r = 0; r < kv_nregs(); r++)
		cl_json_hex(j, reg_name(r), kv.regs[r]);
	cl_json_close(j, '}');
	cl_json_bool(j, "regs_match", regs_match(l));
}

void kview_json(struct cl_json *j, const struct lab *l)
{
	if (!kv.on)
		return;
	collect(l);
	judge(l);
	cl_json_open(j, "kernel", '{');
	cl_json_str(j, "mode", mode_names[mode()]);
	cl_json_open(j, "missing", '[');
	for (int i = 0; i < kv.nmissing; i++)
		cl_json_str(j, 0, kv.missing[i]);
	cl_json_close(j, ']');
	cl_json_str(j, "kernel_release", kv.release);
	cl_json_str(j, "clock", CL_KV_TRACE_CLOCK);
	cl_json_str(j, "align", CL_KV_CLOCK_IS_COUNTER ? "one clock (" CL_KV_TRACE_CLOCK ")" :
		    "trace_marker carrying the user counter");
	if (kv.have_dup && kv.have_wake) {
		objects_json(j, l);
	} else {
		cl_json_null(j, "task");
		cl_json_open(j, "objects", '{');
		cl_json_close(j, '}');
		cl_json_null(j, "regs_built");
		cl_json_null(j, "regs_match");
	}
	cl_json_int(j, "target_cpu", kv.target_cpu);
	cl_json_int(j, "first_cpu", l->sh->child_cpu);
	cl_json_open(j, "events", '[');
	for (int i = 0; i < kv.nev; i++) {
		cl_json_open(j, 0, '{');
		cl_json_int(j, "t_ns", rel_ns(kv.ev[i].t));
		cl_json_int(j, "cpu", kv.ev[i].cpu);
		cl_json_int(j, "task", kv.ev[i].pid);
		cl_json_str(j, "kind", kv.ev[i].kind);
		cl_json_str(j, "what", kv.ev[i].what);
		cl_json_close(j, '}');
	}
	cl_json_close(j, ']');
	cl_json_open(j, "return_path", '[');
	for (unsigned i = 0; i < sizeof path / sizeof path[0]; i++)
		if (kv.version >= path[i].from && kv.version <= path[i].to) {
			cl_json_open(j, 0, '{');
			cl_json_str(j, "step", path[i].what);
			cl_json_str(j, "how", observed(&path[i]) ? "observed" : "source");
			if (!observed(&path[i])) {
				char v[24];
				struct cl_out o = { -1, 0, sizeof v - 1, v };
				cl_printf(&o, "Linux %d.%d", kv.version / 100, kv.version % 100);
				v[o.len] = 0;
				cl_json_str(j, "source", v);
			}
			cl_json_close(j, '}');
		}
	cl_json_close(j, ']');
	cl_json_close(j, '}');
}
