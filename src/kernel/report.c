/* report.c: the kernel's side of one clone, judged (against the flags, kcmp and
 * /proc, and the snapshot) and printed, as text or as "kernel" in JSON (README). */
#include "kview_int.h"
#include "pic/pic.h"
#include "bpf_view.h"

static const char *const mode_names[] = { "none", "partial", "full" };

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

static int have_obj(int m)
{
	return kv.have_dup && kv.have_wake && kv.off.off[m] >= 0 && !kv.unseen[0][m] && !kv.unseen[1][m];
}
static const char *const backend_names[] = { 0, "kprobe", "bpf" };	/* KV_ order */
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

struct step { int from, to; const char *cond, *sym, *what, *event, *checked; };
static const struct step path[] = { CL_KV_RETURN_PATH };
#define NPATH (int)(sizeof path / sizeof path[0])

/* ---- this kernel's names: the source rows and the saved context, in kallsyms ---- */
static struct {
	int done;		/* 1 once looked up (for this pc) */
	long err;		/* kallsyms unreadable (or without addresses): why */
	const char *why;
	uint64_t pc;		/* the saved return address looked up */
	struct ksym names[NPATH];	/* the steps' functions ("": a step not taken here) */
	struct ksym_at at;	/* the symbol at or below pc */
	int flag;		/* CL_KV_EXIT_FLAG in /proc/cpuinfo: 1, 0, or -1 unknown */
} ks;

static int have_ctx(void) { return kv.have_ctx && kv.off.off[KV_CTX0] >= 0; }
/* The saved context's return address names a symbol's start (never a guess from the
 * nearest one before it: that is another function's name). */
static int ctx_exact(void) { return have_ctx() && !ks.err && ks.at.addr && ks.at.addr == kv.ctx[0]; }

#ifdef CL_KV_EXIT_FLAG
/* Whether /proc/cpuinfo's first "flags" line has the word flag: 1, 0, -1 unknown. */
static int cpu_flag(const char *flag)
{
	static char buf[4096];	/* the first CPU's block has its flags */
	if (cl_read_file("/proc/cpuinfo", buf, sizeof buf) <= 0)
		return -1;
	for (char *s = buf; *s; s++)
		if (cl_startswith(s, "\nflags")) {
			size_t k = cl_strlen(flag);
			for (s += 6; *s && *s != '\n'; s++)
				if (s[-1] == ' ' && memcmp(s, flag, k) == 0 && (s[k] == ' ' || s[k] == '\n' || !s[k]))
					return 1;
			return 0;
		}
	return -1;
}
#endif

/* A step that applies to this kernel (its versions, and its condition on this CPU). */
static int applies(const struct step *s)
{
	if (kv.version < s->from || kv.version > s->to)
		return 0;
#ifdef CL_KV_EXIT_FLAG
	if (*s->cond)	/* "fred" or "!fred"; an unknown flag counts as off */
		return (s->cond[0] == '!') != (ks.flag == 1);
#endif
	return 1;
}

static void lookup(void)
{
	uint64_t pc = have_ctx() ? kv.ctx[0] : 0;
	if (ks.done && ks.pc == pc)
		return;
	for (int i = 0; i < NPATH; i++)
		ks.names[i].name = path[i].sym;
#ifdef CL_KV_EXIT_FLAG
	ks.flag = cpu_flag(CL_KV_EXIT_FLAG);
#endif
	for (int i = 0; i < NPATH; i++)	/* only the steps this kernel and CPU take */
		if (!applies(&path[i]))
			ks.names[i].name = "";
	ks.err = ksyms_resolve(ks.names, NPATH, pc, &ks.at, &ks.why);
	ks.done = 1, ks.pc = pc;
}

/* The verdicts, once per clone: a disagreement makes the command fail; what a full
 * kernel should have shown and did not is said. */
static void judge(const struct lab *l)
{
	for (int m = 0; m < KV_NOBJ; m++)
		if (have_obj(m) && !agrees(l, m))
			kv.failed = 1;
	if (kv.have_wake && !regs_match(l))
		kv.failed = 1;
	if (kv.none)
		return;
	if (kv.mode == MODE_FULL && !kv.degraded && !(kv.have_dup && kv.have_wake))
		kv_clone_missing("the kprobes were set but did not fire for this clone: no task_struct "
				 "pointers, no kernel-built registers (kprobes disarmed? see "
				 "/sys/kernel/debug/kprobes/enabled)");
	if (kv.have_wake && kv.off.off[KV_CTX0] < 0)
		kv_clone_missing("the saved kernel context: its members are not in this kernel's BTF");
	lookup();
	if (ks.err)
		kv_clone_missing(ks.why);
}

enum { HOW_OBSERVED, HOW_PRESENT, HOW_ABSENT, HOW_UNCHECKED };
static const char *const how_names[] = { "observed", "present", "absent", "unchecked" };

/* How step i is known: seen in this trace, or its function found in (or missing from)
 * this kernel's kallsyms, or not checked (kallsyms unreadable). */
static int how(int i)
{
	const struct step *s = &path[i];
	if ((cl_streq(s->event, "schedule_tail") && kv.tail_seen) ||
	    (cl_streq(s->event, "child_syscall_exit") && kv.child_exit_seen) ||
	    (cl_streq(s->event, "context") && ctx_exact() && cl_streq(ks.at.name, s->sym)))
		return HOW_OBSERVED;
	return ks.err ? HOW_UNCHECKED : ks.names[i].addr ? HOW_PRESENT : HOW_ABSENT;
}

/* ---- the report ---- */
/* What this clone earned: full only when its task pointers and registers were read;
 * none when nothing could be traced for it. */
static int mode(void)
{
	return kv.none ? MODE_NONE : kv.mode == MODE_FULL && kv.have_dup && kv.have_wake ? MODE_FULL : MODE_PARTIAL;
}

static const char *yn(int v) { return v < 0 ? "-" : v ? "same" : "differs"; }

static void objects_text(const struct lab *l)
{
	outf("  task_struct     parent %lx, child %lx\n\n", kv.task[0], kv.task[1]);
	outf("  %-10s %18s %18s  %-8s %-30s %s\n", "object", "parent", "child", "kernel",
	    "decided by", "kcmp or /proc");
	for (int m = 0; m < KV_NOBJ; m++)
		if (have_obj(m))
			outf("  %-10s %18lx %18lx  %-8s %-30s %s%s\n", kv_object_name(m), kv.obj[0][m],
			    kv.obj[1][m], yn(same(m)), decided_by[m], yn(cross(m)),
			    agrees(l, m) ? "" : "  <- DISAGREES");
}

static void regs_text(const struct lab *l)
{
	uint64_t at = kv.ksp + (uint64_t)kv.off.ksp_skip;
	outf("\n  registers as copy_thread() built them, read by %s;\n"
	    "  task_pt_regs(child) = %lx, its kernel stack + %lu:\n", kv.backend == KV_BPF ?
	    "BPF at the sched_process_fork tracepoint" : "a kprobe on wake_up_new_task", at, at - kv.stack);
	outf("    %-10s %18s  %-30s %18s\n", "register", "kernel", "read from", "snapshot");
	for (int r = 0; r < kv_nregs(); r++) {
		char from[40];
		struct cl_out o = { -1, 0, sizeof from - 1, from };
		cl_printf(&o, "%s.%s", kv_member_struct(KV_REG0 + r), kv_member_path(KV_REG0 + r));
		from[o.len] = 0;
		outf("    %-10s %18lx  %-30s %18lx  %s\n", reg_name(r), kv.regs[r], from, snap_of(l, r),
		    reg_ok(l, r) ? "equal" : "DIFFERENT");
	}
}

static void timeline_text(void)
{
	outf("\n  timeline (ns from the parent's syscall entry; trace clock %s%s)\n", CL_KV_TRACE_CLOCK,
	    CL_KV_CLOCK_IS_COUNTER ? ", the trampolines' own counter" :
	    ", user counter aligned by a trace_marker");
	for (int i = 0; i < kv.nev; i++)
		outf("  %10ld  cpu %d  %6d  %s\n", kv_rel_ns(kv.ev[i].t), kv.ev[i].cpu, kv.ev[i].pid, kv.ev[i].what);
}

#ifdef CL_KV_EXIT_FLAG
/* The word of the command line that starts with key ("fred=on"), into out ("" if none). */
static void cmdline_arg(const char *cmd, const char *key, char *out, size_t size)
{
	size_t k = cl_strlen(key), n = 0;
	for (const char *s = cmd; *s; s++)
		if ((s == cmd || s[-1] == ' ') && memcmp(s, key, k) == 0) {
			while (*s && *s != ' ' && *s != '\n' && n + 1 < size)
				out[n++] = *s++;
			break;
		}
	out[n] = 0;
}
#endif

/* Where the saved return address leads, in words: "ret_from_fork_asm (ffffffff81002a40)". */
static const char *ctx_where(char *buf, size_t size)
{
	struct cl_out o = { -1, 0, size - 1, buf };
	if (ctx_exact())
		cl_printf(&o, "%s (%lx)", ks.at.name, kv.ctx[0]);
	else if (ks.err)
		cl_printf(&o, "%lx (not named: %s)", kv.ctx[0], ks.why);
	else if (ks.at.addr)
		cl_printf(&o, "%lx, where no symbol of kallsyms starts (the nearest before is %s+0x%lx)",
			  kv.ctx[0], ks.at.name, kv.ctx[0] - ks.at.addr);
	else
		cl_printf(&o, "%lx, below every symbol of kallsyms", kv.ctx[0]);
	return buf[o.len] = 0, buf;
}

static void context_text(void)
{
	char where[200];
	uint64_t pt = kv.ksp + (uint64_t)kv.off.ksp_skip;
	outf("\n  the saved kernel context, as copy_thread() left it for the scheduler;\n"
	    "  read from %s:\n", CL_KV_CONTEXT_FROM);
	outf("    %-14s %s: the first kernel code it will run\n", "returns into", ctx_where(where, sizeof where));
	if (kv_nctx() > 1 && kv.off.off[KV_CTX0 + 1] >= 0)
		outf("    %-14s %lx: %s\n", kv_ctx_name(1), kv.ctx[1], kv.ctx[1] ? "a kernel thread's "
		    "function (a user task has 0 here)" : "a user task (a kernel thread has its function here)");
	for (int c = 2; c < kv_nctx(); c++)
		if (kv.off.off[KV_CTX0 + c] >= 0)
			outf("    %-14s %lx\n", kv_ctx_name(c), kv.ctx[c]);
	outf("    %-14s %lx (task_struct.stack); the saved sp %lx is stack + %lu;\n"
	    "    %-14s pt_regs, at its top, is stack + %lu\n", "kernel stack", kv.stack, kv.ksp,
	    kv.ksp - kv.stack, "", pt - kv.stack);
}

/* The words of step i, as this kernel has it. */
static void step_text(int i)
{
	const struct step *s = &path[i];
	int h = how(i);
	char where[200];
	outf("    %-9s ", how_names[h]);
	if (h == HOW_OBSERVED && cl_streq(s->event, "context"))
		outf("the child's saved kernel context returns into %s: the first kernel code it will run\n"
		    "              %s (source %s)\n", ctx_where(where, sizeof where), s->what, s->checked);
	else if (h == HOW_ABSENT)
		outf("%s\n              %s is not in this kernel's kallsyms: this kernel's path differs "
		    "from the source of %s\n", s->what, s->sym, s->checked);
	else if (h == HOW_UNCHECKED)
		outf("%s (source %s; not checked against this kernel)\n", s->what, s->checked);
	else if (ks.err || ks.names[i].addr)
		outf("%s\n              %s at %lx in kallsyms (source %s)\n", s->what, s->sym,
		    ks.names[i].addr, s->checked);
	else	/* seen in the trace, but the function has no symbol of its own */
		outf("%s\n              %s is not in kallsyms (inlined in this kernel?); the trace saw "
		    "its work (source %s)\n", s->what, s->sym, s->checked);
}

static void path_text(void)
{
	outf("\n  the way out (%s, Linux %d.%d; observed: seen in this trace; present or absent:\n"
	    "  a step of the kernel source, its function looked up in this kernel's kallsyms):\n",
	    CL_ARCH_NAME, kv.version / 100, kv.version % 100);
	for (int i = 0; i < NPATH; i++)
		if (applies(&path[i]))
			step_text(i);
#ifdef CL_KV_EXIT_FLAG
	char cmd[512], arg[32] = "";
	if (cl_read_file("/proc/cmdline", cmd, sizeof cmd) > 0)
		cmdline_arg(cmd, CL_KV_EXIT_FLAG "=", arg, sizeof arg);
	if (ks.flag < 0)
		outf("    %s: /proc/cpuinfo's flags could not be read: which exit is taken is not known\n", CL_KV_EXIT_FLAG);
	else
		outf("    %s: this CPU's flags in /proc/cpuinfo %s%s%s%s, so the child leaves through %s\n",
		    CL_KV_EXIT_FLAG, ks.flag ? "have it (the kernel turned it on)" : "do not have it (not in "
		    "this CPU or kernel, or kept off by the command line)", *arg ? "; the command line has " : "",
		    arg, *arg ? "" : "", ks.flag ? "ERETU (" CL_KV_EXIT_FLAG_SYM ")" : "IRET");
#endif
}

/* ---- the picture (--svg, tour --html; pic.h) ---- */
/* The picture's name of object m: "user_ns" is its "user" ns box; nsproxy and cred
 * have no box (pic_find finds none). */
static const char *pic_name(int m, char *buf, size_t size)
{
	size_t n = cl_strlen(kv_object_name(m));
	pic_fmt(buf, size, "%s", kv_object_name(m));
	if (n > 3 && n < size && cl_streq(buf + n - 3, "_ns"))
		buf[n - 3] = 0;
	return buf;
}

/* The kernel's pointers decide a box; what the box showed before (kcmp, Tgid, /proc)
 * stays in its label, and a disagreement is written there, not hidden. */
static void pic_objects(struct pic *p)
{
	char name[16];
	for (int m = 0; m < KV_NOBJ; m++) {
		struct pic_object *b = have_obj(m) ? pic_find(p, pic_name(m, name, sizeof name)) : 0;
		if (!b || b->ptr[0])
			continue;
		int before = b->same;
		const char *how = cl_startswith(b->key, "ns.") ? "/proc" :
			cl_streq(b->key, "thread_group") ? "Tgid" :
			b->key[0] == 'c' || b->key[0] == 'n' ? "deduced" : "kcmp";	/* cred, nsproxy */
		if (pic_kernel_object(p, name, kv.obj[0][m], kv.obj[1][m], 0) < 0)
			continue;
		pic_fmt(b->evidence, sizeof b->evidence, "kernel: %s / %s: %s%s", yn(b->same), how,
			yn(before), before >= 0 && before != b->same ? ": DISAGREE" : "");
	}
}

/* Once per clone, after kv_collect: the task_structs, every object's two pointers and
 * the trace's events, into the picture being made. Its time 0 is the parent's syscall
 * by the user counter (pic_done); the trace's 0 is the parent's sys_enter, so the trace
 * is shifted to put the child's first instruction (the one event both have, aligned by
 * kv_collect: one clock, or the trace_marker) where the picture has it. */
static void kview_to_pic(struct pic *p)
{
	long shift = 0;
	if (!p)
		return;
	for (int i = 0; i < p->nev; i++)
		if (p->ev[i].kernel)
			return;	/* done for this clone: text and JSON both report */
	if (kv.have_dup && kv.have_wake) {
		p->task[PIC_PARENT].task_struct = kv.task[0];
		p->task[PIC_CHILD].task_struct = kv.task[1];
		pic_objects(p);
	}
	if (kv.have_wake) {	/* the child's kernel stack, pt_regs at its top, the saved sp */
		p->task[PIC_CHILD].stack = kv.stack;
		p->task[PIC_CHILD].pt_regs = kv.ksp + (uint64_t)kv.off.ksp_skip;
		p->task[PIC_CHILD].ksp = kv.ksp;
		for (int r = 0; r < kv_nregs() && r < 8; r++, p->nkregs++) {
			pic_fmt(p->kreg_name[r], sizeof p->kreg_name[r], "%s", reg_name(r));
			p->kreg[r] = kv.regs[r];
		}
	}
	for (int i = 0; i < kv.nev; i++)
		if (cl_streq(kv.ev[i].kind, "first_user_instruction") && p->latency_ns >= 0)
			shift = p->latency_ns - kv_rel_ns(kv.ev[i].t);
	for (int i = 0; i < kv.nev; i++) {
		const struct ev *e = &kv.ev[i];
		if (cl_streq(e->kind, "first_user_instruction"))
			continue;	/* the picture has it, from the same counter */
		int who = e->pid == kv.gchild ? PIC_CHILD : e->pid == kv.gparent ? PIC_PARENT : PIC_OTHER;
		pic_kevent(p, kv_rel_ns(e->t) + shift, e->cpu, who, e->kind, e->what);
		/* the parent's CPU is where the kernel saw its syscall enter: getcpu() just
		 * before can have run elsewhere */
		if (who == PIC_PARENT && cl_streq(e->kind, "syscall_enter")) {
			p->parent_cpu = e->cpu, p->parent_cpu_seen = 1;
			for (int k = 0; k < p->nev; k++)
				if (!p->ev[k].kernel && p->ev[k].task == PIC_PARENT)
					p->ev[k].cpu = e->cpu;
		}
	}
	for (unsigned i = 0; i < sizeof path / sizeof path[0] && p->nsteps < 8; i++)
		if (applies(&path[i])) {
			struct pic_step *s = &p->step[p->nsteps++];
			pic_fmt(s->what, sizeof s->what, "%s", path[i].what);
			s->observed = how((int)i) == HOW_OBSERVED;
		}
}

/* The missing lines: the run's, then this clone's. */
static void missing_text(void)
{
	for (int i = 0; i < kv.nmissing + kv.ncmissing; i++)
		outf("%s%s\n", i ? "                  " : "\n  not shown here  ",
		    i < kv.nmissing ? kv.missing[i] : kv.cmissing[i - kv.nmissing]);
}

void kview_text(const struct lab *l)
{
	if (!kv.on)
		return;
	kv_collect(l);
	judge(l);
	outf("\nthe kernel's side (--kernel: %s%s%s, Linux %s)\n", mode_names[mode()],
	    mode() == MODE_FULL ? " by " : "", mode() == MODE_FULL ? backend_names[kv.backend] : "", kv.release);
	if (kv.none) {	/* nothing of this clone was seen: nothing is shown */
		outf("\n  nothing traced   %s\n", kv.why_none);
		return;
	}
	kview_to_pic(pic_current());
	outf("\n");
	if (kv.have_dup && kv.have_wake)
		objects_text(l);
	if (kv.have_wake)
		regs_text(l);
	if (have_ctx())
		context_text();
	if (kv.target_cpu >= 0)
		outf("\n  target CPU      %d (sched_wakeup_new); the child's first instruction ran on %d\n",
		    kv.target_cpu, l->sh->child_cpu);
	else
		outf("\n  target CPU      not seen (no sched_wakeup_new); the child's first instruction ran on %d\n",
		    l->sh->child_cpu);
	for (int i = 0; i < kv.nev; i++)
		if (cl_streq(kv.ev[i].kind, "syscall_enter") && kv.ev[i].pid == kv.gparent)
			outf("  parent's CPU    %d at its syscall entry (the kernel's; getcpu() just before "
			    "said %d)\n", kv.ev[i].cpu, l->sh->parent_cpu);
	timeline_text();
	path_text();
	missing_text();
	if (kv.show_bpf && kv.backend == KV_BPF && !kv.shown_bpf++)
		kbpf_show(&cl_stdout);
}

/* The saved kernel context (null where not captured). */
static void context_json(struct cl_json *j)
{
	if (!have_ctx()) {
		cl_json_null(j, "context");
		return;
	}
	cl_json_open(j, "context", '{');
	cl_json_hex(j, "pc", kv.ctx[0]);
	cl_json_str(j, "symbol", ctx_exact() ? ks.at.name : 0);
	if (ctx_exact())
		cl_json_int(j, "offset", 0);
	else
		cl_json_null(j, "offset");
	cl_json_hex(j, "sp", kv.ksp);
	cl_json_hex(j, "stack", kv.stack);
	cl_json_hex(j, "pt_regs", kv.ksp + (uint64_t)kv.off.ksp_skip);
	cl_json_str(j, "read_from", CL_KV_CONTEXT_FROM);
	if (kv_nctx() > 1 && kv.off.off[KV_CTX0 + 1] >= 0)
		cl_json_bool(j, "user_task", kv.ctx[1] == 0);
	cl_json_open(j, "saved", '{');
	for (int c = 1; c < kv_nctx(); c++)
		if (kv.off.off[KV_CTX0 + c] >= 0)
			cl_json_hex(j, kv_ctx_name(c), kv.ctx[c]);
	cl_json_close(j, '}');
	cl_json_close(j, '}');
}

static void path_json(struct cl_json *j)
{
	cl_json_open(j, "return_path", '[');
	for (int i = 0; i < NPATH; i++)
		if (applies(&path[i])) {
			int h = how(i);
			char v[40];
			struct cl_out o = { -1, 0, sizeof v - 1, v };
			cl_printf(&o, "Linux %s", path[i].checked);
			v[o.len] = 0;
			cl_json_open(j, 0, '{');
			cl_json_str(j, "step", path[i].what);
			cl_json_str(j, "how", how_names[h]);
			cl_json_str(j, "symbol", path[i].sym);
			if (h == HOW_OBSERVED && cl_streq(path[i].event, "context"))
				cl_json_hex(j, "address", kv.ctx[0]);
			else if (!ks.err && ks.names[i].addr)
				cl_json_hex(j, "address", ks.names[i].addr);
			else
				cl_json_null(j, "address");
			cl_json_str(j, "source", v);
			cl_json_close(j, '}');
		}
	cl_json_close(j, ']');
#ifdef CL_KV_EXIT_FLAG
	char cmd[512], arg[32] = "";
	if (cl_read_file("/proc/cmdline", cmd, sizeof cmd) > 0)
		cmdline_arg(cmd, CL_KV_EXIT_FLAG "=", arg, sizeof arg);
	cl_json_open(j, "exit", '{');
	cl_json_str(j, "cpu_flag", CL_KV_EXIT_FLAG);
	if (ks.flag < 0)
		cl_json_null(j, "cpu_has");
	else
		cl_json_bool(j, "cpu_has", ks.flag);
	cl_json_str(j, "cmdline", *arg ? arg : 0);
	cl_json_str(j, "takes", ks.flag < 0 ? 0 : ks.flag ? "ERETU" : "IRET");
	cl_json_close(j, '}');
#endif
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
	kv_collect(l);
	judge(l);
	if (!kv.none)
		kview_to_pic(pic_current());
	cl_json_open(j, "kernel", '{');
	cl_json_str(j, "mode", mode_names[mode()]);
	cl_json_str(j, "backend", mode() == MODE_FULL ? backend_names[kv.backend] : 0);
	cl_json_open(j, "missing", '[');
	if (kv.none)
		cl_json_str(j, 0, kv.why_none);
	for (int i = 0; i < kv.nmissing; i++)
		cl_json_str(j, 0, kv.missing[i]);
	for (int i = 0; i < kv.ncmissing; i++)
		cl_json_str(j, 0, kv.cmissing[i]);
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
	context_json(j);
	if (kv.target_cpu >= 0)
		cl_json_int(j, "target_cpu", kv.target_cpu);
	else
		cl_json_null(j, "target_cpu");
	cl_json_int(j, "first_cpu", l->sh->child_cpu);
	cl_json_open(j, "events", '[');
	for (int i = 0; i < kv.nev; i++) {
		cl_json_open(j, 0, '{');
		cl_json_int(j, "t_ns", kv_rel_ns(kv.ev[i].t));
		cl_json_int(j, "cpu", kv.ev[i].cpu);
		cl_json_int(j, "task", kv.ev[i].pid);
		cl_json_str(j, "kind", kv.ev[i].kind);
		cl_json_str(j, "what", kv.ev[i].what);
		cl_json_close(j, '}');
	}
	cl_json_close(j, ']');
	if (kv.none)
		cl_json_open(j, "return_path", '['), cl_json_close(j, ']');
	else
		path_json(j);
	cl_json_close(j, '}');
}
