/* bpf_view.c: the BPF programs of --kernel's second backend (see bpf_view.h), built
 * instruction by instruction from the offsets the BTF reader found:
 *   clonelab_fork    raw tracepoint sched_process_fork(parent, child): both tasks, their
 *                    objects, the child's kernel stack, saved sp and pt_regs;
 *   clonelab_wakeup  raw tracepoint sched_wakeup_new(p): the CPU chosen for the child;
 *   clonelab_switch  raw tracepoint sched_switch(preempt, prev, next): into the child;
 *   clonelab_fwake   fentry wake_up_new_task(p), clonelab_tail fentry schedule_tail(prev),
 *                    where the kernel has BPF trampolines: what the kprobes see there.
 * Only the clone of the thread kbpf_arm() names is kept (its global tid, learnt by
 * running clonelab_whoami in that thread: right in any pid namespace). The results go
 * into one array map that we read after the clone. Everything is a file descriptor:
 * the kernel frees it all when the process ends, however it ends. */
#include "bpf.h"
#include "bpf_view.h"
#include "kview_int.h"

/* The map's one value, in u64 slots. Each event: seen, bpf_ktime_get_ns, the CPU. */
enum { S_TID = 0, S_EV = 1, NEV_BPF = 5, S_PARENT = S_EV + 3 * NEV_BPF, S_CHILD,
       S_FETCH = 24, NFETCH = 56, S_OK = S_FETCH + NFETCH, NSLOT = S_OK + NFETCH / 8 };
enum { EV_FORK, EV_WAKE, EV_SW, EV_FEWAKE, EV_TAIL };
#define SLOT(s) ((s) * 8)

/* One value read with bpf_probe_read_kernel: from a task (the tracepoint's argument in
 * register base), through up to two offsets (a pointer read at the first, the value at
 * the second), the BTF name of each offset, and where it goes in struct kbpf_seen. */
enum { TO_OBJ, TO_REG, TO_STACK, TO_KSP, TO_TARGET, TO_PREV, TO_CTX };
struct fetch { int base, n, size, to, side, idx; long off[2]; const char *note[2]; };
static struct fetch fetches[NFETCH];
/* none has an initial value: .data stays empty (linker/clonelab.ld); plan() sets them */
static int nfetch, f_target, f_prev;
static long cpu_off;	/* task_struct's cpu, where BTF has it; -1 if not */
static const char *cpu_note;

/* The programs and the verifier's log, in memory mapped when --kernel chooses BPF
 * (bss would cost every run; arm64's tiny code model also caps it at 1 MiB). */
struct space { struct kbpf_prog progs[5], whoami; char log[65536]; };
static struct space *sp;
#define progs (sp->progs)
#define whoami (sp->whoami)
#define verifier_log (sp->log)
static int nprogs, map_fd, have_map, links[5], nlinks, fentry_ok;
static const char *fentry_why;
static char why_buf[640], notes[4096];
static size_t notes_len;

static const char *note(const char *a, const char *b, long n)
{
	char *s = notes + notes_len;
	struct cl_out o = { -1, 0, sizeof notes - notes_len - 1, s };
	if (n >= 0)
		cl_printf(&o, "%s (%ld) + %s", a, n, b);
	else
		cl_printf(&o, "%s%s%s", a, b ? "." : "", b ? b : "");
	s[o.len] = 0;
	notes_len += o.len + 1;
	return s;
}

static int add(int base, int size, int to, int side, int idx, long off0, const char *n0,
	       long off1, const char *n1)
{
	if (nfetch == NFETCH)
		return -1;
	fetches[nfetch] = (struct fetch){ base, off1 < 0 ? 1 : 2, size, to, side, idx,
					  { off0, off1 }, { n0, n1 } };
	return nfetch++;
}

/* The values the fork program reads: what the kprobes read (kview.c), as chains. */
static void plan(const struct kv_off *o, long cpu_off, const char *cpu_path, long pid_off)
{
	nfetch = 0, notes_len = 0;
	for (int side = 0; side < 2; side++)
		for (int m = 0; m < KV_NOBJ; m++) {
			const char *st = kv_member_struct(m), *path = kv_member_path(m);
			if (o->off[m] < 0)
				continue;
			if (m == KV_USER_NS || cl_streq(st, "nsproxy")) {
				int via = m == KV_USER_NS ? KV_CRED : KV_NSPROXY;
				add(side, 8, TO_OBJ, side, m, o->off[via], note("task_struct", kv_member_path(via), -1),
				    o->off[m], note(st, path, -1));
			} else {
				add(side, 8, TO_OBJ, side, m, o->off[m], note(st, path, -1), -1, 0);
			}
		}
	add(1, 8, TO_STACK, 1, 0, o->off[KV_STACK], note("task_struct", "stack", -1), -1, 0);
	add(1, 8, TO_KSP, 1, 0, o->off[KV_KSP], note("task_struct", CL_KV_KSP, -1), -1, 0);
	for (int r = 0; r < kv_nregs(); r++) {
		int m = KV_REG0 + r;
		const char *st = kv_member_struct(m), *path = kv_member_path(m);
		if (o->off[m] < 0)
			continue;
		if (cl_streq(st, "pt_regs"))	/* task_pt_regs: above the saved kernel sp */
			add(1, 8, TO_REG, 1, r, o->off[KV_KSP], note("task_struct", CL_KV_KSP, -1),
			    o->ksp_skip + o->off[m], *CL_KV_KSP_SKIP ?
			    note(CL_KV_KSP_SKIP, note("pt_regs", path, -1), o->ksp_skip) : note(st, path, -1));
		else
			add(1, 8, TO_REG, 1, r, o->off[m], note(st, path, -1), -1, 0);
	}
	/* the saved kernel context (CL_KV_CONTEXT): in task_struct itself, or (x86_64) in the
	 * frame the saved kernel sp points at */
	for (int c = 0; c < kv_nctx(); c++) {
		int m = KV_CTX0 + c;
		const char *st = kv_member_struct(m), *path = kv_member_path(m);
		if (o->off[m] < 0)
			continue;
		if (cl_streq(st, "task_struct"))
			add(1, 8, TO_CTX, 1, c, o->off[m], note(st, path, -1), -1, 0);
		else
			add(1, 8, TO_CTX, 1, c, o->off[KV_KSP], note("task_struct", CL_KV_KSP, -1),
			    o->off[m], note(st, path, -1));
	}
	f_target = cpu_off < 0 ? -1 : add(2, 4, TO_TARGET, 0, 0, cpu_off, note("task_struct", cpu_path, -1), -1, 0);
	f_prev = pid_off < 0 ? -1 : add(3, 4, TO_PREV, 0, 0, pid_off, note("task_struct", "pid", -1), -1, 0);
}

/* ---- the programs ---- */
#define E(i) kbpf_emit(p, i, 0)
#define EN(i, n) kbpf_emit(p, i, n)

/* r9 = the map's value (key 0), or leave. r6 holds the context. */
static void lookup(struct kbpf_prog *p)
{
	EN(BPF_ST_MEM(BPF_W, 10, -4, 0), "key 0: the map's one element");
	EN(BPF_LD_MAP_FD_1(1, map_fd), "the results map");
	E(BPF_LD_MAP_FD_2());
	E(BPF_MOV64_REG(2, 10));
	E(BPF_ALU64_IMM(BPF_ADD, 2, -4));
	E(BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	kbpf_jmp_out(p, BPF_JEQ, 0, 0, 0);
	EN(BPF_MOV64_REG(9, 0), "r9: the results");
}

/* Only the first time: mark event ev seen, with its time and CPU. */
static void once(struct kbpf_prog *p, int ev)
{
	int s = S_EV + 3 * ev;
	E(BPF_LDX_MEM(BPF_DW, 1, 9, SLOT(s)));
	kbpf_jmp_out(p, BPF_JNE, 1, 0, "seen already: the first one is ours");
	E(BPF_ST_MEM(BPF_DW, 9, SLOT(s), 1));
	E(BPF_CALL_HELPER(BPF_FUNC_ktime_get_ns));
	E(BPF_STX_MEM(BPF_DW, 9, 0, SLOT(s + 1)));
	E(BPF_CALL_HELPER(BPF_FUNC_get_smp_processor_id));
	E(BPF_STX_MEM(BPF_DW, 9, 0, SLOT(s + 2)));
}

/* Leave unless the task in register reg is the child the fork program saw. */
static void only_child(struct kbpf_prog *p, int reg)
{
	E(BPF_LDX_MEM(BPF_DW, 1, 9, SLOT(S_CHILD)));
	kbpf_jmp_out_reg(p, BPF_JNE, 1, reg, "not our child");
}

/* fetches[f], from the task in register reg, into its slot; its ok byte set if read. */
static void fetch(struct kbpf_prog *p, int f, int reg)
{
	const struct fetch *x = &fetches[f];
	int dst = SLOT(S_FETCH + f), fix[2], nfix = 0;
	for (int k = 0; k < x->n; k++) {
		if (k) {	/* through the pointer just read, if it was */
			fix[nfix++] = p->n;
			E(BPF_JMP_IMM(BPF_JNE, 0, 0, 0));
			E(BPF_LDX_MEM(BPF_DW, 3, 9, dst));
		} else {
			E(BPF_MOV64_REG(3, reg));
		}
		EN(BPF_ALU64_IMM(BPF_ADD, 3, x->off[k]), x->note[k]);
		E(BPF_MOV64_REG(1, 9));
		E(BPF_ALU64_IMM(BPF_ADD, 1, dst));
		E(BPF_MOV64_IMM(2, k + 1 < x->n ? 8 : x->size));
		E(BPF_CALL_HELPER(BPF_FUNC_probe_read_kernel));
	}
	fix[nfix++] = p->n;
	E(BPF_JMP_IMM(BPF_JNE, 0, 0, 0));
	EN(BPF_ST_MEM(BPF_B, 9, SLOT(S_OK) + f, 1), "read: it was seen");
	for (int k = 0; k < nfix; k++)
		p->insn[fix[k]].off = (int16_t)(p->n - fix[k] - 1);
}

static void build_fork(struct kbpf_prog *p)
{
	kbpf_init(p, "clonelab_fork", BPF_PROG_TYPE_RAW_TRACEPOINT, "sched_process_fork");
	EN(BPF_MOV64_REG(6, 1), "r6: the tracepoint's arguments");
	lookup(p);
	E(BPF_CALL_HELPER(BPF_FUNC_get_current_pid_tgid));
	E(BPF_ALU64_IMM(BPF_LSH, 0, 32));
	EN(BPF_ALU64_IMM(BPF_RSH, 0, 32), "the calling thread's global tid");
	EN(BPF_LDX_MEM(BPF_DW, 1, 9, SLOT(S_TID)), "the thread that clones, set before the clone");
	kbpf_jmp_out_reg(p, BPF_JNE, 0, 1, "not our clone");
	once(p, EV_FORK);
	EN(BPF_LDX_MEM(BPF_DW, 7, 6, 0), "r7: args[0], the parent's task_struct");
	EN(BPF_LDX_MEM(BPF_DW, 8, 6, 8), "r8: args[1], the child's task_struct");
	E(BPF_STX_MEM(BPF_DW, 9, 7, SLOT(S_PARENT)));
	E(BPF_STX_MEM(BPF_DW, 9, 8, SLOT(S_CHILD)));
	for (int f = 0; f < nfetch; f++)
		if (fetches[f].base < 2)
			fetch(p, f, fetches[f].base ? 8 : 7);
	kbpf_out(p);
}

static void build_wakeup(struct kbpf_prog *p)
{
	kbpf_init(p, "clonelab_wakeup", BPF_PROG_TYPE_RAW_TRACEPOINT, "sched_wakeup_new");
	EN(BPF_MOV64_REG(6, 1), "r6: the tracepoint's arguments");
	lookup(p);
	EN(BPF_LDX_MEM(BPF_DW, 7, 6, 0), "r7: args[0], the woken task");
	only_child(p, 7);
	once(p, EV_WAKE);
	if (f_target >= 0)
		fetch(p, f_target, 7);
	kbpf_out(p);
}

static void build_switch(struct kbpf_prog *p)
{
	kbpf_init(p, "clonelab_switch", BPF_PROG_TYPE_RAW_TRACEPOINT, "sched_switch");
	EN(BPF_MOV64_REG(6, 1), "r6: the tracepoint's arguments");
	lookup(p);
	EN(BPF_LDX_MEM(BPF_DW, 7, 6, 16), "r7: args[2], next");
	only_child(p, 7);
	once(p, EV_SW);
	EN(BPF_LDX_MEM(BPF_DW, 8, 6, 8), "r8: args[1], prev");
	if (f_prev >= 0)
		fetch(p, f_prev, 8);
	kbpf_out(p);
}

/* fentry: the function's first argument (wake_up_new_task's p), or the current task
 * (schedule_tail runs in the child), must be the child. */
static void build_fentry(struct kbpf_prog *p, const char *name, const char *fn, int ev, uint32_t id)
{
	kbpf_init(p, name, BPF_PROG_TYPE_TRACING, fn);
	p->fentry = 1, p->btf_id = id;
	EN(BPF_MOV64_REG(6, 1), "r6: the function's arguments");
	lookup(p);
	if (ev == EV_TAIL) {
		E(BPF_CALL_HELPER(BPF_FUNC_get_current_task));
		EN(BPF_MOV64_REG(7, 0), "r7: current, the task running schedule_tail");
	} else {
		EN(BPF_LDX_MEM(BPF_DW, 7, 6, 0), "r7: args[0], p");
	}
	only_child(p, 7);
	once(p, ev);
	if (cpu_off >= 0) {
		/* the CPU from the running task's cpu field: riscv64's 6.12 returns 0 from
		 * bpf_get_smp_processor_id in a trampoline (seen in qemu-system, 2 vCPUs) */
		int at = SLOT(S_EV + 3 * ev + 2);
		E(BPF_ST_MEM(BPF_DW, 9, at, 0));
		E(BPF_CALL_HELPER(BPF_FUNC_get_current_task));
		E(BPF_MOV64_REG(3, 0));
		EN(BPF_ALU64_IMM(BPF_ADD, 3, cpu_off), cpu_note);
		E(BPF_MOV64_REG(1, 9));
		E(BPF_ALU64_IMM(BPF_ADD, 1, at));
		E(BPF_MOV64_IMM(2, 4));
		E(BPF_CALL_HELPER(BPF_FUNC_probe_read_kernel));
	}
	kbpf_out(p);
}

/* ---- loading ---- */
static int fail(const char *what, const struct kbpf_prog *p, long r, const char *log)
{
	struct cl_out o = { -1, 0, sizeof why_buf - 1, why_buf };
	cl_printf(&o, "BPF: %s%s%s: %s", what, p ? " " : "", p ? p->name : "", cl_errno_name(r));
	if (log && *log)
		cl_printf(&o, "; the verifier said: %s", log);
	why_buf[o.len] = 0;
	return -1;
}

static long move_up(long fd);

/* Load p and attach it: 0, or -1 with why_buf said. */
static int load_attach(struct kbpf_prog *p)
{
	long r = kbpf_load(p, verifier_log, sizeof verifier_log);
	if (r < 0)
		return fail("the kernel refused to load", p, r, verifier_log);
	r = kbpf_attach(p);
	if (r < 0)
		return fail(p->fentry ? "could not attach fentry program" :
			    "could not attach to its raw tracepoint", p, r, 0);
	links[nlinks++] = (int)move_up(r);
	p->fd = (int)move_up(p->fd);
	return 0;
}

static void close_all(void)
{
	for (int i = 0; i < nlinks; i++)
		SYS1(close, links[i]);
	for (int i = 0; i < nprogs; i++)
		if (progs[i].fd >= 0)
			SYS1(close, progs[i].fd), progs[i].fd = -1;
	if (whoami.n && whoami.fd >= 0)
		SYS1(close, whoami.fd), whoami.fd = -1;
	if (have_map)
		SYS1(close, map_fd), have_map = 0;
	nlinks = nprogs = 0;
}

int kbpf_setup(const struct kv_off *o, const char **why)
{
	struct btf b;
	*why = why_buf;
	if (!sp) {
		long m = cl_map(sizeof *sp);
		if (cl_is_err(m))
			return fail("no memory for the programs", 0, m, 0);
		sp = (struct space *)m;
	}
	long r = btf_load(&b, "/sys/kernel/btf/vmlinux");
	if (r < 0)
		return fail("no BTF at /sys/kernel/btf/vmlinux", 0, r, 0);
	const char *cpu_path = "cpu";
	cpu_off = btf_offset(&b, "task_struct", cpu_path, 0);
	if (cpu_off < 0)
		cpu_off = btf_offset(&b, "task_struct", cpu_path = "thread_info.cpu", 0);
	long pid_off = btf_offset(&b, "task_struct", "pid", 0);
	uint32_t id_wake = btf_func_id(&b, "wake_up_new_task"), id_tail = btf_func_id(&b, "schedule_tail");
	btf_free(&b);
	plan(o, cpu_off, cpu_path, pid_off);
	cpu_note = note("task_struct", cpu_path, -1);

	if ((r = kbpf_map_array("clonelab_kview", SLOT(NSLOT))) < 0)
		return fail("could not make a map", 0, r, 0);
	map_fd = (int)move_up(r), have_map = 1;
	kbpf_init(&whoami, "clonelab_whoami", BPF_PROG_TYPE_RAW_TRACEPOINT, "");
	whoami.insn[0] = BPF_CALL_HELPER(BPF_FUNC_get_current_pid_tgid);
	whoami.insn[1] = BPF_EXIT_INSN();
	whoami.n = 2;
	whoami.note[0] = "the global pid and tid of the thread running it";
	whoami.note[1] = "BPF_PROG_TEST_RUN's retval: the low 32 bits, the tid";
	if ((r = kbpf_load(&whoami, verifier_log, sizeof verifier_log)) < 0) {
		fail("the kernel refused to load", &whoami, r, verifier_log);
		close_all();
		return -1;
	}
	whoami.fd = (int)move_up(whoami.fd);
	build_fork(&progs[nprogs++]);
	build_wakeup(&progs[nprogs++]);
	build_switch(&progs[nprogs++]);
	for (int i = 0; i < nprogs; i++)
		if (load_attach(&progs[i]) < 0) {
			close_all();
			return -1;
		}
	/* fentry: BPF trampolines are not in every kernel (no ftrace direct calls: EOPNOTSUPP
	 * or ENOTSUPP); without them, no schedule_tail */
	int n0 = nprogs, l0 = nlinks;
	fentry_ok = 0;
	if (!id_wake || !id_tail) {
		fentry_why = "fentry: wake_up_new_task or schedule_tail is not a function in BTF";
		return 0;
	}
	build_fentry(&progs[nprogs++], "clonelab_fwake", "wake_up_new_task", EV_FEWAKE, id_wake);
	build_fentry(&progs[nprogs++], "clonelab_tail", "schedule_tail", EV_TAIL, id_tail);
	for (int i = n0; i < nprogs; i++)
		if (load_attach(&progs[i]) < 0) {
			static char fw[sizeof why_buf + 80];
			cl_stpcpy(cl_stpcpy(fw, "fentry (BPF trampolines) not here, so schedule_tail not "
					    "seen: "), why_buf + 5);
			fentry_why = fw;
			for (int k = l0; k < nlinks; k++)
				SYS1(close, links[k]);
			for (int k = n0; k < nprogs; k++)
				if (progs[k].fd >= 0)
					SYS1(close, progs[k].fd), progs[k].fd = -1;
			nlinks = l0, nprogs = n0;
			return 0;
		}
	fentry_ok = 1, fentry_why = 0;
	return 0;
}

const char *kbpf_no_fentry(void) { return fentry_ok ? 0 : fentry_why ? fentry_why : "fentry: not tried"; }

void kbpf_arm(void)
{
	static uint64_t v[NSLOT];
	if (!have_map)
		return;
	long tid = kbpf_test_run(&whoami);	/* the global tid; Linux 5.10 on */
	memset(v, 0, sizeof v);
	v[S_TID] = (uint64_t)(tid < 0 ? SYS0(gettid) : tid);
	kbpf_map_update(map_fd, 0, v);
}

long kbpf_collect(struct kbpf_seen *s)
{
	static uint64_t v[NSLOT];
	memset(s, 0, sizeof *s);
	if (!have_map)
		return -ENOENT;	/* no map: not set up */
	long r = kbpf_map_lookup(map_fd, 0, v);
	if (r < 0)
		return r;
	const uint8_t *ok = (const uint8_t *)&v[S_OK];
	int *seen[NEV_BPF] = { &s->fork, &s->wake, &s->sw, &s->fe_wake, &s->tail };
	for (int e = 0; e < NEV_BPF; e++) {
		*seen[e] = v[S_EV + 3 * e] != 0;
		s->ns[e] = v[S_EV + 3 * e + 1], s->cpu[e] = (int)v[S_EV + 3 * e + 2];
	}
	s->task[0] = v[S_PARENT], s->task[1] = v[S_CHILD];
	for (int f = 0; f < nfetch; f++) {
		const struct fetch *x = &fetches[f];
		uint64_t val = v[S_FETCH + f];
		signed char k = (signed char)ok[f];
		switch (x->to) {
		case TO_OBJ: s->obj[x->side][x->idx] = val, s->obj_ok[x->side][x->idx] = k; break;
		case TO_REG: s->regs[x->idx] = val, s->regs_ok[x->idx] = k; break;
		case TO_STACK: s->stack = val, s->stack_ok = k; break;
		case TO_KSP: s->ksp = val, s->ksp_ok = k; break;
		case TO_TARGET: s->target_cpu = (int)(uint32_t)val, s->target_ok = k; break;
		case TO_PREV: s->prev_pid = k ? (int)(uint32_t)val : -1; break;
		case TO_CTX: s->ctx[x->idx] = val, s->ctx_ok[x->idx] = k; break;
		}
	}
	s->fentry = fentry_ok;
	return 0;
}

/* fd, moved up to 512 or above, out of the way of the numbers a child allocates: a
 * child that closes ours must not free a number that then means something else to it
 * and to a parent sharing its memory (probe compares the two tables by number). */
static int high;
static long move_up(long fd)
{
	if (fd < 0)
		return fd;
	long h = SYS3(fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 512);
	if (h < 0) {	/* a tiny RLIMIT_NOFILE: keep it, and leave it to the child */
		high = -1;
		return fd;
	}
	SYS1(close, fd);
	return h;
}

void kbpf_child(void)
{
	if (high < 0)
		return;
	/* the numbers only: with CLONE_VM these variables are the parent's too */
	for (int i = 0; i < nlinks; i++)
		SYS1(close, links[i]);
	for (int i = 0; i < nprogs; i++)
		SYS1(close, progs[i].fd);
	if (whoami.n && whoami.fd >= 0)
		SYS1(close, whoami.fd);
	if (have_map)
		SYS1(close, map_fd);
}

static const char *const type_names[] = { [BPF_PROG_TYPE_RAW_TRACEPOINT] = "raw tracepoint",
					    [BPF_PROG_TYPE_TRACING] = "fentry" };

void kbpf_show(struct cl_out *o)
{
	const struct kbpf_prog *all[6] = { &whoami };
	for (int i = 0; i < nprogs; i++)
		all[i + 1] = &progs[i];
	cl_printf(o, "\nthe BPF programs this run loaded (--show-bpf; bpftool's syntax, each offset "
		  "named from BTF):\n");
	for (int i = 0; i <= nprogs; i++) {
		const struct kbpf_prog *p = all[i];
		if (!p->n || p->fd < 0)
			continue;
		cl_printf(o, "\n  %s: %s %s, %d instructions\n", p->name, type_names[p->type],
			  p == &whoami ? "(run once per clone with BPF_PROG_TEST_RUN, not attached)" :
			  p->attach, p->n);
		kbpf_print(p, o);
	}
}

/* ---- into the kernel view (kview_int.h) ---- */
/* A BPF time (bpf_ktime_get_ns) on the trace's clock, through the events both saw
 * (each raw tracepoint program fires in the same call as the trace's event of that
 * name): between two of them, in proportion; after the last, at the rate between the
 * first and the last. The clocks' rates are never assumed: under QEMU's TCG the TSC
 * and the kernel's ns do not keep step. */
static int on_trace_clock(const struct kbpf_seen *s, uint64_t ns, int64_t *t)
{
	static const char *const kinds[3] = { "process_fork", "wakeup_new", "switch_in" };
	const int *seen[3] = { &s->fork, &s->wake, &s->sw };
	int64_t an[3], at[3];	/* the anchors, in the order of the kernel's path */
	int n = 0;
	for (int a = 0; a < 3; a++)
		for (int i = 0; *seen[a] && i < kv.nev; i++)
			if (cl_streq(kv.ev[i].kind, kinds[a]) && (!n || (int64_t)s->ns[a] > an[n - 1])) {
				an[n] = (int64_t)s->ns[a], at[n++] = kv.ev[i].t;
				break;
			}
	if (!n)
		return 0;
	int k = 0;	/* the interval: from anchor k to k + 1, or the first to the last */
	while (k + 2 < n && (int64_t)ns > an[k + 1])
		k++;
	int64_t d = (int64_t)ns - an[k];
	if (n == 1)
		*t = at[0] + (CL_KV_CLOCK_IS_COUNTER ? d * (int64_t)lab_counter_hz() / 1000000000LL : d);
	else if ((int64_t)ns > an[n - 1] || (int64_t)ns < an[0])
		*t = ns < (uint64_t)an[0] ? at[0] - (an[0] - (int64_t)ns) * (at[n - 1] - at[0]) / (an[n - 1] - an[0])
					  : at[n - 1] + ((int64_t)ns - an[n - 1]) * (at[n - 1] - at[0]) / (an[n - 1] - an[0]);
	else
		*t = at[k] + d * (at[k + 1] - at[k]) / (an[k + 1] - an[k]);
	return 1;
}

void kv_bpf_collect(const struct lab *l)
{
	struct kbpf_seen s;
	(void)l;
	if (kbpf_collect(&s) < 0 || !s.fork) {
		kv_missing("BPF: the fork program did not see this clone: no task_struct pointers");
		return;
	}
	int missed = !s.stack_ok || !s.ksp_ok;
	kv.task[0] = s.task[0], kv.task[1] = s.task[1];
	for (int side = 0; side < 2; side++)
		for (int m = 0; m < KV_NOBJ; m++) {
			kv.obj[side][m] = s.obj[side][m];
			kv.unseen[side][m] = kv.off.off[m] >= 0 && !s.obj_ok[side][m];
			missed |= kv.unseen[side][m];
		}
	for (int r = 0; r < kv_nregs(); r++)
		kv.regs[r] = s.regs[r], missed |= !s.regs_ok[r];
	kv.stack = s.stack, kv.ksp = s.ksp;
	kv.have_dup = kv.have_wake = 1;
	for (int c = 0; c < kv_nctx(); c++)
		kv.ctx[c] = s.ctx[c];
	kv.have_ctx = s.ctx_ok[0];	/* where the child resumes: the context's key */
	if (missed)
		kv_missing("BPF: bpf_probe_read_kernel failed for some of the values (shown as not seen)");
	if (s.wake && s.target_ok && kv.target_cpu < 0)
		kv.target_cpu = s.target_cpu;
	if (!s.fentry) {
		kv_missing(kbpf_no_fentry());
		return;
	}
	int64_t t;
	if (s.fe_wake && on_trace_clock(&s, s.ns[EV_FEWAKE], &t))
		kv_event(t, s.cpu[EV_FEWAKE], kv.gparent ? kv.gparent : kv.ch->parent_tid, "wake_up_new_task",
			 "wake_up_new_task: the child is made runnable");
	if (s.tail)
		kv.tail_seen = 1;
	if (s.tail && on_trace_clock(&s, s.ns[EV_TAIL], &t))
		kv_event(t, s.cpu[EV_TAIL], kv.gchild ? kv.gchild : (int)l->ret, "schedule_tail",
			 "schedule_tail: the child, called from ret_from_fork, finishes the switch into itself");
}
