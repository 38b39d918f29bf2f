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

/* ---- the report ---- */
/* What this clone got: the kernel's mode, unless a kprobe it needs was refused. */
static int mode(void) { return kv.degraded ? MODE_PARTIAL : kv.mode; }

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

static void path_text(void)
{
	outf("\n  the way out (%s; observed: seen in this trace; otherwise from the kernel source\n"
	    "  of version %d.%d):\n", CL_ARCH_NAME, kv.version / 100, kv.version % 100);
	for (unsigned i = 0; i < sizeof path / sizeof path[0]; i++)
		if (kv.version >= path[i].from && kv.version <= path[i].to)
			outf("    %-9s %s\n", observed(&path[i]) ? "observed" : "source", path[i].what);
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
static void kview_to_pic(struct pic *p, const struct lab *l)
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
		int who = e->pid == (int)l->ret ? PIC_CHILD : e->pid == kv.ch->parent_tid ? PIC_PARENT :
			  PIC_OTHER;
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
		if (kv.version >= path[i].from && kv.version <= path[i].to) {
			struct pic_step *s = &p->step[p->nsteps++];
			pic_fmt(s->what, sizeof s->what, "%s", path[i].what);
			s->observed = observed(&path[i]);
		}
}

void kview_text(const struct lab *l)
{
	if (!kv.on)
		return;
	kv_collect(l);
	judge(l);
	kview_to_pic(pic_current(), l);
	outf("\nthe kernel's side (--kernel: %s%s%s, Linux %s)\n\n", mode_names[mode()],
	    mode() == MODE_FULL ? " by " : "", mode() == MODE_FULL ? backend_names[kv.backend] : "", kv.release);
	if (kv.have_dup && kv.have_wake)
		objects_text(l);
	if (kv.have_wake)
		regs_text(l);
	outf("\n  target CPU      %d (sched_wakeup_new); the child's first instruction ran on %d\n",
	    kv.target_cpu, l->sh->child_cpu);
	for (int i = 0; i < kv.nev; i++)
		if (cl_streq(kv.ev[i].kind, "syscall_enter") && kv.ev[i].pid == kv.ch->parent_tid)
			outf("  parent's CPU    %d at its syscall entry (the kernel's; getcpu() just before "
			    "said %d)\n", kv.ev[i].cpu, l->sh->parent_cpu);
	timeline_text();
	path_text();
	for (int i = 0; i < kv.nmissing; i++)
		outf("%s%s\n", i ? "                  " : "\n  not shown here  ", kv.missing[i]);
	if (kv.show_bpf && kv.backend == KV_BPF && !kv.shown_bpf++)
		kbpf_show(&cl_stdout);
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
	kview_to_pic(pic_current(), l);
	cl_json_open(j, "kernel", '{');
	cl_json_str(j, "mode", mode_names[mode()]);
	cl_json_str(j, "backend", mode() == MODE_FULL ? backend_names[kv.backend] : 0);
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
		cl_json_int(j, "t_ns", kv_rel_ns(kv.ev[i].t));
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
