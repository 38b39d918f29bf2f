/* lab.c: filling a picture from a clone made by lab.c. The scenarios call three
 * hooks, which do nothing unless a picture was asked for (--svg, tour --html):
 * pic_hold in the child keeps it alive while pic_gather in the parent asks the kernel
 * (lab_ask_kernel: kcmp and /proc/<tid>/ns, as probe does), and pic_done records
 * the call, CPUs, latency and registers. probe fills its own verdicts (pic_verdicts). */
#include "pic.h"

static struct pic cur;
static int on;
static const char *out_path;
static int *hold;	/* MAP_SHARED: [0] the child holds, [1] the parent has looked */

struct pic *pic_current(void) { return on ? &cur : 0; }

struct pic *pic_begin(const char *name, const char *out)
{
	memset(&cur, 0, sizeof cur);
	pic_fmt(cur.name, sizeof cur.name, "%s", name);
	cur.latency_ns = -1;
	cur.parent_cpu = cur.child_cpu = -1;
	on = 1, out_path = out;
	if (!hold) {
		long p = SYS6(mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		hold = cl_is_err(p) ? 0 : (int *)p;	/* without it: no verdicts, no hold */
	}
	if (hold)
		hold[0] = hold[1] = 0;
	if (out && cl_streq(out, "-"))
		pic_quiet_stdout();
	return &cur;
}

void pic_quiet_stdout(void)
{
	long fd = SYS4(openat, AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC, 0);
	cl_flush(&cl_stdout);
	cl_write(&cl_stdout, "", 0);	/* sets cl_stdout up, so its fd can change */
	if (fd >= 0)
		cl_stdout.fd = (int)fd;
}

/* Wait for a word posted with lab_post, 10 s at most (the other side may be dead). */
static int await10(int *w)
{
	struct cl_timespec t = { 0, 100000000 };
	for (int i = 0; i < 100 && !__atomic_load_n(w, __ATOMIC_ACQUIRE); i++)
		SYS4(futex, w, FUTEX_WAIT, 0, &t);
	return __atomic_load_n(w, __ATOMIC_ACQUIRE);
}

void pic_hold(void)
{
	if (!on || !hold)
		return;
	lab_post(&hold[0]);
	await10(&hold[1]);
}

/* A number from /proc/<tid>/status: Tgid, PPid, or NSpid's last (its pid in its own
 * namespace). -1 if not readable. */
static int status_of(int tid, const char *field)
{
	char path[40], st[2048], v[64];
	unsigned long n;
	if (cl_read_file(cl_proc_path(path, tid, "status"), st, sizeof st) < 0 ||
	    cl_field(st, field, v, sizeof v) < 0)
		return -1;
	char *last = v;
	for (char *q = v; *q; q++)
		if ((*q == ' ' || *q == '\t') && q[1] && q[1] != ' ' && q[1] != '\t')
			last = q + 1;
	return cl_parse_ulong(last, &n) < 0 ? -1 : (int)n;
}

void pic_gather(const struct lab *l)
{
	if (!on || !hold || l->ret <= 0)
		return;
	int tid = (int)l->ret, me = (int)SYS0(getpid);
	struct lab_seen s;
	char cdir[24];
	memset(&s, 0, sizeof s);
	for (int i = 0; i < 6; i++)
		s.kcmp[i] = -ESRCH;
	int held = await10(&hold[0]);
	if (held) {
		cl_proc_path(cdir, tid, "");
		cdir[cl_strlen(cdir) - 1] = 0;	/* no trailing slash */
		lab_ask_kernel(&s, me, tid, "/proc/self", cdir);
	}
	int tg = held ? status_of(tid, "Tgid") : -1;
	int pp = held ? status_of(tid, "PPid") : -1, inner = held ? status_of(tid, "NSpid") : -1;
	lab_post(&hold[1]);
	pic_tasks(&cur, me, (int)SYS0(gettid), tg, tid);
	cur.task[0].ppid = (int)SYS0(getppid);
	cur.task[1].ppid = pp > 0 ? pp : 0;
	cur.task[1].inner_tid = inner > 0 && inner != tid ? inner : 0;
	pic_verdicts(&cur, l->flags, &s, 0, status_of(me, "Tgid"), tg);
}

static struct pic_object *add(struct pic *p, const char *name, const char *key, const char *flag,
			      int set, int same, const char *evidence)
{
	if (p->nobj >= PIC_MAX_OBJ)
		return 0;
	struct pic_object *b = &p->obj[p->nobj++];
	memset(b, 0, sizeof *b);
	pic_fmt(b->name, sizeof b->name, "%s", name);
	pic_fmt(b->key, sizeof b->key, "%s", key);
	pic_fmt(b->flag, sizeof b->flag, "%s", flag);
	pic_fmt(b->evidence, sizeof b->evidence, "%s", evidence);
	b->flag_set = set != 0, b->same = same, b->holder = -1;
	pic_fmt(b->own, sizeof b->own, "copy");
	return b;
}

static void about(struct pic_object *b, int holder, const char *own, const char *what)
{
	if (!b)
		return;
	b->holder = holder;
	pic_fmt(b->own, sizeof b->own, "%s", own);
	pic_fmt(b->what, sizeof b->what, "%s", what);
}

/* The namespace's line in the graph: who points to it, what it is. */
static const char *const ns_what[8] = { "cred->user_ns: the user namespace",
	"nsproxy->pid_ns_for_children", "nsproxy->uts_ns: host and domain name",
	"nsproxy->ipc_ns: System V IPC, POSIX queues", "nsproxy->mnt_ns: the mounts",
	"nsproxy->net_ns: the network", "nsproxy->cgroup_ns: the cgroup root",
	"nsproxy->time_ns: the clocks' offsets" };

void pic_verdicts(struct pic *p, uint64_t flags, const struct lab_seen *s, const int *same4,
		  int tgid_parent, int tgid_child)
{
	static const char names[4][8] = { "mm", "fs", "files", "sighand" };
	static const char keys[4][8] = { "vm", "fs", "files", "sighand" };
	static const char flag[4][14] = { "CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND" };
	static const char *const what[4] = { "->mm: the address space (mm_struct)",
		"->fs: root, cwd, umask (fs_struct)", "->files: the fd table (files_struct)",
		"->sighand: the signal handlers" };
	static const uint64_t bits[4] = { CLONE(VM), CLONE(FS), CLONE(FILES), CLONE(SIGHAND) };
	static const uint64_t nsbits[8] = { CLONE(NEWUSER), CLONE(NEWPID), CLONE(NEWUTS),
		CLONE(NEWIPC), CLONE(NEWNS), CLONE(NEWNET), CLONE(NEWCGROUP), CLONE(NEWTIME) };
	static const char nsflag[8][10] = { "NEWUSER", "NEWPID", "NEWUTS", "NEWIPC", "NEWNS",
		"NEWNET", "NEWCGROUP", "NEWTIME" };
	char t[64], n[16], fl[24], key[16];
	int nsame[8];
	p->nobj = 0;
	for (int i = 0; i < 4; i++) {
		long k = s->kcmp[i];
		int same = same4 ? same4[i] : k < 0 ? -1 : k == 0;
		if (k >= 0)
			pic_fmt(t, sizeof t, "kcmp: %s", k ? "different" : "same");
		else
			pic_fmt(t, sizeof t, "kcmp: %s; %s", cl_errno_name(k) ? cl_errno_name(k) :
				"failed", same >= 0 ?
				"decided by effect" : "no answer");
		about(add(p, names[i], keys[i], flag[i], flags & bits[i], same, t), -1, "copy", what[i]);
	}
	about(add(p, "signal", "thread_group", "CLONE_THREAD", flags & CLONE(THREAD),
		  tgid_parent > 0 && tgid_child > 0 ? tgid_parent == tgid_child : -1,
		  pic_fmt(t, sizeof t, "Tgid in /proc/<tid>/status: %d, %d", tgid_parent, tgid_child)),
	      -1, "fresh", "->signal: the thread group (signal_struct)");
	for (int i = 0; i < 8; i++) {
		const char *a = s->ns[0][i], *b = s->ns[1][i];
		nsame[i] = !*a || !*b ? -1 : cl_streq(a, b);
	}
	/* cred and nsproxy: no kcmp for them. A different user ns means a different cred,
	 * a different namespace under nsproxy a different nsproxy; otherwise not seen
	 * (--kernel reads their pointers). */
	int other = 0;
	for (int i = 1; i < 8; i++)
		other |= nsame[i] == 0;
	int cred = add(p, "cred", "cred", "CLONE_THREAD", flags & CLONE(THREAD), nsame[0] == 0 ? 0 : -1,
		       nsame[0] == 0 ? "deduced: its user ns differs" : "pointers not seen") - p->obj;
	about(&p->obj[cred], -1, "copy", "->cred: uids, gids, capabilities (cred)");
	for (int i = 0; i < 8; i++) {
		int holder = i ? -2 : cred;
		if (i == 1) {
			uint64_t any = 0;
			for (int k = 1; k < 8; k++)
				any |= flags & nsbits[k];
			struct pic_object *x = add(p, "nsproxy", "nsproxy", "CLONE_NEW*", any != 0,
						   other ? 0 : -1, other ? "deduced: a namespace in it differs" :
						   "pointer not seen");
			about(x, -1, "new", "->nsproxy: the other namespaces");
		}
		if (i)
			holder = (int)(pic_find(p, "nsproxy") - p->obj);
		pic_fmt(t, sizeof t, "/proc/<tid>/ns/%s: %s", lab_ns_names[i], nsame[i] < 0 ?
			"not readable" : nsame[i] ? "one link" : "two links");
		about(add(p, pic_fmt(n, sizeof n, "%s ns", lab_ns_names[i]),
			  pic_fmt(key, sizeof key, "ns.%s", lab_ns_names[i]),
			  pic_fmt(fl, sizeof fl, "CLONE_%s", nsflag[i]), flags & nsbits[i], nsame[i], t),
		      holder, i < 2 ? "new, nested" : "new", ns_what[i]);
	}
}

void pic_done(const struct lab *l)
{
	if (!on)
		return;
	char api[8];
	struct cl_out m = { -1, 0, sizeof cur.call - 1, cur.call };
	const char *sig = l->exit_signal ? lab_signame(l->exit_signal) : 0;
	pic_fmt(api, sizeof api, "%s", l->used_clone3 ? "clone3" : "clone");
	cl_printf(&m, "%s(", api);
	if (l->flags || !sig)
		lab_print_flags(&m, l->flags, "");
	if (sig)
		cl_printf(&m, "%s%s", l->flags ? "|" : "", sig);
	cl_printf(&m, ")");
	cur.call[m.len] = 0;
	cur.parent_cpu = l->sh->parent_cpu, cur.child_cpu = l->sh->child_cpu;
	cur.latency_ns = lab_latency_ns(l);
	char t[56];
	pic_event(&cur, 0, cur.parent_cpu, PIC_PARENT, 0,
		  pic_fmt(t, sizeof t, "parent: %s() enters the kernel", api));
	if (cur.latency_ns >= 0)
		pic_event(&cur, cur.latency_ns, cur.child_cpu, PIC_CHILD, 0,
			  "child: its first instruction");
	cur.reg_names = cl_reg_names(&cur.nregs);
	for (int i = 0; i < cur.nregs && i < CL_SNAP_MAXREGS; i++) {
		cur.regs[0][i] = l->sh->snap.parent[i], cur.regs[1][i] = l->sh->snap.child[i];
		cur.reg_why[i] = lab_reg_why(l, i);
	}
}

/* "shared": the verdicts drawn, in probe's JSON shape, so that a test can hold the
 * picture against them. Nothing if no picture was gathered. */
void pic_json(struct cl_json *j)
{
	if (!on || !cur.nobj)
		return;
	cl_json_open(j, "shared", '{');
	for (int ns = 0; ns < 2; ns++) {
		if (ns)
			cl_json_open(j, "ns", '{');
		for (int i = 0; i < cur.nobj; i++) {
			const struct pic_object *b = &cur.obj[i];
			if (cl_startswith(b->key, "ns.") != ns || cl_streq(b->key, "cred") || cl_streq(b->key, "nsproxy"))
				continue;
			if (b->same < 0)
				cl_json_null(j, b->key + 3 * ns);
			else
				cl_json_bool(j, b->key + 3 * ns, b->same);
		}
	}
	cl_json_close(j, '}');
	cl_json_close(j, '}');
}

int pic_write_svg(int status, const char *cmd)
{
	/* no picture of a clone that did not happen; one that happened and failed (--kernel
	 * disagreeing with kcmp, say) is drawn, with what disagreed */
	long e = 0;
	if (on && out_path && (status == CL_EXIT_OK || (status == CL_EXIT_FAIL && cur.call[0]))) {
		struct cl_out *o = pic_file_open(out_path, &e);
		if (o) {
			pic_document(o, &cur);
			e = pic_file_close();
		}
	}
	return pic_file_report(status, e, cmd, "--svg", out_path);
}
