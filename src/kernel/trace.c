/* trace.c: what the trace caught for one clone. The instance's "trace" file is
 * text, one event a line: "comm-pid [cpu] flags timestamp: event: fields"; the kprobes'
 * fields are ours (kview.c), the tracepoints' the kernel's. */
#include "kview_int.h"

/* The value of "key=" among an event's fields (0x-hex, or decimal): 1, or 0 if there is
 * none. A key must follow a space or "(": "pid" is not found in "child_pid". */
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

void kv_event(int64_t t, int cpu, int pid, const char *kind, const char *what)
{
	ev(t, cpu, pid, kind, "%s", what);
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
		for (int c = 0; c < kv_nctx(); c++) {
			char nm[3] = { 'c', (char)('0' + c), 0 };
			if (field(b, nm, &kv.ctx[c]) && c == 0)
				kv.have_ctx = 1;	/* where the child resumes: the context's key */
		}
		field(b, "stack", &kv.stack), field(b, "ksp", &kv.ksp);
		ev(ts, cpu, pid, "wake_up_new_task", "wake_up_new_task: the child is made runnable");
	} else if (cl_startswith(b, "tail: (") && pid == child && !kv.tail_seen) {
		kv.tail_seen = 1;
		ev(ts, cpu, pid, "schedule_tail", "schedule_tail: the child, called from ret_from_fork, "
		   "finishes the switch into itself");
	} else if (cl_startswith(b, "fts: (") && pid == child && kv.tail_seen == 1) {
		kv.tail_seen = 2;	/* the one schedule_tail makes, not later switches */
		ev(ts, cpu, pid, "finish_task_switch", "finish_task_switch: called by schedule_tail, completes the switch");
	}
}

static void sched_line(const char *b, int64_t ts, int cpu, int pid, int child)
{
	uint64_t v = 0, w = 0;
	if (!kv.gchild && cl_startswith(b, "sched_process_fork:") && field(b, "pid", &w) &&
	    (int)w == kv.gparent && field(b, "child_pid", &v))
		kv.gchild = child = (int)v;	/* in a pid namespace: the child's global pid */
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
	if (*rest == '(' && pid == kv.gparent && !kv.have_t0) {
		kv.have_t0 = 1, kv.t0 = ts;
		ev(ts, cpu, pid, "syscall_enter", "the parent enters %s", name);
	} else if (cl_startswith(rest, " -> ")) {
		unsigned long v = 0;
		cl_parse_ulong(rest + 4, &v);
		if (pid == kv.gparent && !kv.parent_returned++)
			ev(ts, cpu, pid, "parent_return", "the parent returns from %s with %lu, the child's tid", name, v);
		else if (pid == child && !kv.child_exit_seen++)
			ev(ts, cpu, pid, "child_syscall_exit", "the child returns from %s with %lu (syscall exit work)", name, v);
	}
}

static void parse(char *buf)
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
			    field(b, "counter", &v) && v == kv.marker_want && !kv.have_marker)
				/* stamped somewhere in the write that followed the count: its
				 * middle is wrong by half the write at most (< 1 us on hardware,
				 * hundreds under TCG, where its start drew the kernel's syscall
				 * entry before the parent's and its end far after) */
				kv.have_marker = 1, kv.marker_ts = ts, kv.marker_cnt = v + kv.marker_lag / 2;
			else if (cl_startswith(b, "sched_"))
				sched_line(b, ts, cpu, pid, kv.gchild);
			else if (cl_startswith(b, "sys_clone"))
				syscall_line(b, ts, cpu, pid, kv.gchild);
			else
				kprobe_line(b, ts, cpu, pid, kv.gchild);
		}
		if (end)
			break;
	}
}

/* A trace timestamp as ns after the parent's syscall entry. */
long kv_rel_ns(int64_t t)
{
	int64_t d = t - kv.t0;
	return CL_KV_CLOCK_IS_COUNTER ? (long)(d * 1000000000LL / (int64_t)lab_counter_hz()) : (long)d;
}

static int cmp_ev(const struct ev *a, const struct ev *b) { return a->t > b->t; }

static char *trace_buf(void)
{
	static char *buf;
	if (!buf) {
		long p = cl_map(1 << 20);
		buf = cl_is_err(p) ? 0 : (char *)p;
	}
	return buf;
}

int kv_global_tid(void)
{
	uint64_t c, lag, v;
	char *buf = trace_buf();
	if (!buf || tfs_imark(&kv.t, "clonelab whoami=", &c, &lag) < 0 ||
	    tfs_iread(&kv.t, "trace", buf, 1 << 20) <= 0)
		return 0;
	for (char *line = buf, *nl; *line; line = nl + 1) {
		for (nl = line; *nl && *nl != '\n'; nl++)
			;
		int end = !*nl, pid, cpu;
		int64_t ts;
		char *b;
		*nl = 0;
		if (split(line, &pid, &cpu, &ts, &b) && cl_startswith(b, "tracing_mark_write: clonelab whoami=") &&
		    field(b, "whoami", &v) && v == c)
			return pid;
		if (end)
			break;
	}
	return 0;
}

/* Stop the trace, read it, and take everything of ours out of tracefs. Once per clone. */
void kv_collect(const struct lab *l)
{
	char *buf = trace_buf();
	if (!kv.traced)
		return;
	kv.traced = 0;
	/* outside a pid namespace the child's pid is the kernel's; inside, the trace's
	 * sched_process_fork gives it */
	kv.gchild = kv.t.ns == PROC_PID_INIT_INO ? (int)l->ret : 0;
	tfs_iwrite(&kv.t, "tracing_on", "0");
	if (buf && tfs_iread(&kv.t, "trace", buf, 1 << 20) > 0)
		parse(buf);
	if (kv.backend == KV_BPF)
		kv_bpf_collect(l);
	tfs_close(&kv.t);
	kv_catch_signals(0);
	const struct cl_snap *s = &l->sh->snap;
	int64_t first = 0;
	int have_first = 0;
	if (CL_KV_CLOCK_IS_COUNTER)
		first = (int64_t)s->t_child, have_first = s->t_child != 0;
	else if (kv.have_marker && s->t_child)	/* the marker pairs a trace time with a count */
		first = kv.marker_ts + (int64_t)((s->t_child - kv.marker_cnt) * 1000000000ULL / lab_counter_hz()),
		have_first = 1;
	if (have_first)
		ev(first, l->sh->child_cpu, kv.gchild ? kv.gchild : (int)l->ret, "first_user_instruction", "the child's first user instruction (its trampoline's counter)");
	for (int i = 1; i < kv.nev; i++)	/* by time: a few dozen at most */
		for (int k = i; k > 0 && cmp_ev(&kv.ev[k - 1], &kv.ev[k]); k--) {
			struct ev e = kv.ev[k];
			kv.ev[k] = kv.ev[k - 1], kv.ev[k - 1] = e;
		}
	if (!kv.have_t0 && kv.nev)
		kv.t0 = kv.ev[0].t;
}
