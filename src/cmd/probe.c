/* probe.c: `clonelab probe`: for any flag set, what parent and child share.
 *
 * One instrumented clone (lab.c, the scenarios' trampolines). The child reports its
 * identities and makes one visible change per resource (writes a word, changes cwd
 * and umask, opens a descriptor, ignores a signal); then it waits, alive, while the
 * parent asks the kernel (kcmp, the links in /proc/<tid>/ns) and looks for the changes. With
 * CLONE_VFORK the parent sleeps until the child exits, so the child asks instead. */
#include "pic.h"
#include "probe.h"
#include "kview.h"

#define O_PATH 010000000
#define F_GETFD 1
#define SEM_UNDO 0x1000
#define IPC_RMID 0
#define SIG_IGN_ 1UL
#define F(x) CL_CLONE_##x

static const char usage[] =
"usage: clonelab probe [--flags LIST] [--signal SIG|none]\n"
"                      [--api clone|clone3|auto] [--cpu N] [--json] [--kernel]\n"
"                      [--svg FILE]\n\n"
"One clone with the flags you name; then, for each resource, whether parent\n"
"and child share it or hold copies: asked of the kernel (kcmp, /proc/*/ns) and\n"
"shown by effect. Also both sides' ids, the tid words, registers, CPU, latency.\n\n"
"LIST: names without CLONE_, any case, comma-separated, or a number (0x50f00):\n"
"  vm fs files sighand sysvsem io  share memory, cwd/root/umask, descriptors,\n"
"                                  handlers, semaphore undo, I/O context\n"
"  thread parent vfork             same thread group; our parent as its\n"
"                                  parent; we sleep until it exits or execs\n"
"  newuser newpid newns newuts newipc newnet newcgroup newtime: new namespaces\n"
"  settls parent_settid child_settid child_cleartid pidfd: the parent supplies\n"
"                                  the TLS block, tid words, pidfd slot\n"
"  ptrace untraced detached clear_sighand into_cgroup: the rest of the UAPI\n"
"  none                            nothing shared: a fork\n"
"The kernel's rules: thread needs sighand, sighand needs vm; newuser and newns\n"
"refuse fs; newipc refuses sysvsem; other new* need CAP_SYS_ADMIN unless\n"
"newuser comes too. newtime, clear_sighand, into_cgroup exist only in clone3.\n"
"Try: vm | vm,sighand | vm,fs,files,sighand,thread,sysvsem | vm,vfork | newuser\n\n"
"--signal  exit signal (default SIGCHLD; none with thread or parent)\n"
"--api     auto (default): clone3, and clone where clone3 answers ENOSYS\n"
"--svg     draw what is shared, and the CPUs and timing, as SVG (- for stdout)\n"
"Exit: 0 ok, 1 refused (errno and the rule), 2 usage, 3 not possible here.\n";

const char probe_ns_names[8][7] = { "user", "pid", "uts", "ipc", "mnt", "net", "cgroup", "time" };
#define ns_names probe_ns_names	/* shared through probe.h with the pictures */
/* kcmp types, in the table's row order: vm fs files sighand io sysvsem */
static const char rows[6][8] = { "vm", "fs", "files", "sighand", "io", "sysvsem" };
static const uint8_t kcmp_type[6] = { 1, 3, 2, 4, 5, 6 };

struct ids { int pid, tid, ppid, tgid, uid, gid; };

struct report {			/* in the shared page: what the child tells */
	int step1, mapped, ready, done;	/* hand-offs */
	struct ids id;
	int uid_before, nspid_out, nspid_in;
	int ptid_seen, ctid_seen;	/* the tid words as the child first saw them */
	int fd;				/* the descriptor it opened */
	int asked;			/* 1: the child filled `seen` itself (vfork) */
	int returned, returned_early;	/* vfork: clone returned in the parent before our exit */
	struct seen seen;
	char uid_map[48], gid_map[48];
	int proc_pid;			/* its pid as /proc names it (see lab_proc_pid) */
	char proc_dir[40];		/* "/proc/<tgid>/task/<tid>", as /proc names it */
	long obs_err;			/* an observation that failed: -errno, and what */
	const char *obs_what;
};

static volatile int vm_word;
static struct lab L;
static int parent_pid, parent_proc_pid, effect_sig;

/* Keep the first observation that failed: its errno and what was being read. */
static void obs_failed(struct report *c, long e, const char *what)
{
	if (e < 0 && !c->obs_err)
		c->obs_err = e, c->obs_what = what;
}

static int num_after(const char *text, const char *key)
{
	char v[64];
	unsigned long n = 0;
	if (cl_field(text, key, v, sizeof v) < 0)
		return -1;
	for (const char *p = v; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return (int)n;
}

/* The first line of a map file, blanks squeezed: "0 1000 1". 0 or -errno. */
static long first_line(const char *path, char *out, size_t size)
{
	char buf[256];
	size_t w = 0;
	long r = cl_read_file(path, buf, sizeof buf);
	if (r < 0)
		buf[0] = 0;
	for (const char *s = buf; *s && *s != '\n' && w + 1 < size; s++)
		if (*s != ' ' || (w && out[w - 1] != ' '))
			out[w++] = *s;
	out[w] = 0;
	return r < 0 ? r : 0;
}

/* kcmp and the ns links of two tasks: pdir/cdir are /proc/<x> directories; pa/ch
 * their pids as the caller sees them. */
void probe_ask_kernel(struct seen *s, int pa, int ch, const char *pdir, const char *cdir)
{
	for (int i = 0; i < 6; i++)
		s->kcmp[i] = SYS5(kcmp, pa, ch, kcmp_type[i], 0, 0);
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < 8; i++) {
			char path[64], *p = path;
			const char *d = side ? cdir : pdir;
			while (*d)
				*p++ = *d++;
			memcpy(p, "/ns/", 4), p += 4;
			memcpy(p, ns_names[i], 7);
			char *o = s->ns[side][i];
			long n = SYS4(readlinkat, AT_FDCWD, path, o, 31);
			o[n > 0 ? n : 0] = 0;
		}
}

static struct report *rep(void) { return (struct report *)L.sh->scratch; }

/* How /proc names the child: in a pid namespace without a /proc of its own, the
 * tids that clone and gettid return name other tasks there. */
static void child_proc_name(struct report *c)
{
	char link[32];
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/thread-self", link, sizeof link - 1);
	obs_failed(c, n == -ENOENT ? -ESRCH : n, "the child reading /proc/thread-self (this "
		   "/proc does not show it: another pid namespace's?)");
	if (n <= 0)
		return;
	link[n] = 0;
	cl_stpcpy(cl_stpcpy(c->proc_dir, "/proc/"), link);	/* "<tgid>/task/<tid>" */
	for (const char *p = link; *p >= '0' && *p <= '9'; p++)
		c->proc_pid = c->proc_pid * 10 + (*p - '0');
}

static int child_main(void *arg)
{
	(void)arg;
	struct report *c = rep();
	c->ptid_seen = __atomic_load_n(&L.sh->parent_tid, __ATOMIC_ACQUIRE);
	c->ctid_seen = __atomic_load_n(&L.sh->child_tid, __ATOMIC_ACQUIRE);
	int vf = (L.flags & F(VFORK)) != 0;
	c->uid_before = (int)SYS0(getuid);
	child_proc_name(c);	/* before step1: the parent maps us under this name */
	if ((L.flags & F(NEWUSER)) && !vf) {
		lab_post(&c->step1);
		lab_await(&c->mapped);	/* the parent writes our maps */
	}
	c->id.pid = (int)SYS0(getpid), c->id.tid = (int)SYS0(gettid);
	c->id.ppid = (int)SYS0(getppid);
	c->id.uid = (int)SYS0(getuid), c->id.gid = (int)SYS0(getgid);
	char st[2048];
	long r = cl_read_file("/proc/thread-self/status", st, sizeof st);
	obs_failed(c, r, "the child reading /proc/thread-self/status");
	if (r > 0) {
		c->id.tgid = num_after(st, "Tgid");
		char v[64];
		if (cl_field(st, "NSpid", v, sizeof v) == 0) {	/* outermost ... innermost */
			int cur = 0, first = -1;
			for (const char *p = v;; p++) {
				if (*p >= '0' && *p <= '9') {
					cur = cur * 10 + (*p - '0');
					continue;
				}
				if (first < 0)
					first = cur;
				c->nspid_in = cur, cur = 0;
				if (!*p)
					break;
			}
			c->nspid_out = first;
		}
	}
	if (L.flags & F(NEWUSER)) {
		obs_failed(c, first_line("/proc/thread-self/uid_map", c->uid_map, sizeof c->uid_map),
			   "the child reading its uid_map");
		obs_failed(c, first_line("/proc/thread-self/gid_map", c->gid_map, sizeof c->gid_map),
			   "the child reading its gid_map");
	}
	/* the effects: one change per resource, for the parent to look for */
	vm_word = 2;
	SYS1(chdir, "/proc");
	SYS1(umask, 077);
	struct cl_ksigaction ign = { .handler = SIG_IGN_ };
	SYS4(rt_sigaction, effect_sig, &ign, 0, 8);
	c->fd = (int)SYS4(openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0);
	obs_failed(c, c->fd, "the child opening a descriptor, for the parent to look for");
	if (vf) {	/* the parent sleeps until we exit: ask the kernel from here */
		char pdir[24] = "/proc/";
		cl_utoa((unsigned long)parent_proc_pid, pdir + 6);
		probe_ask_kernel(&c->seen, parent_pid, c->id.tid, pdir, "/proc/thread-self");
		if (L.flags & F(NEWPID))	/* our parent is outside our pid namespace */
			for (int i = 0; i < 6; i++)
				c->seen.kcmp[i] = -ESRCH;
		/* Did clone return in the parent before our exit? A real vfork parent
		 * cannot post this; wait 20 ms for it to show that it can. */
		struct { long s, ns; } t = { 0, 20000000 };
		if (!__atomic_load_n(&c->returned, __ATOMIC_ACQUIRE))
			SYS4(futex, &c->returned, FUTEX_WAIT, 0, &t);
		c->returned_early = __atomic_load_n(&c->returned, __ATOMIC_ACQUIRE);
		c->asked = 1;
	} else {
		lab_post(&c->ready);
		lab_await(&c->done);
	}
	return 0;
}

struct obs {			/* the parent's observations */
	struct ids id;
	int eff[4];		/* vm fs files sighand: the child's change seen here */
	int cwd_seen, umask_seen;
	int ret_ptid, ret_ctid, end_ptid, end_ctid, ready_ctid;
	int uid_out, gid_out;
	int pidfd;
	int ioctx, semundo;	/* the parent had an I/O context / an undo list to compare */
	int vfork_slept;	/* CLONE_VFORK: clone returned only after the child's exit */
	struct seen *seen;
};

static int parse_flags(const char *s, uint64_t *f)
{
	unsigned long v;
	*f = 0;
	if (cl_parse_ulong(s, &v) == 0) {
		/* Bits 0-6 are no flags: legacy clone reads the low byte as the exit signal
		 * (a fallback would turn them into a signal for us), clone3 refuses them. */
		if (v & (CL_CSIGNAL & ~CL_CLONE_NEWTIME)) {
			err("clonelab probe: --flags %s: bits 0-6 (0x%lx here) are not clone flags: "
			    "legacy clone reads its low byte as the exit signal; use --signal\n", s,
			    v & (CL_CSIGNAL & ~CL_CLONE_NEWTIME));
			return -1;
		}
		*f = v;
		return 0;
	}
	while (*s) {
		char name[24];
		size_t n = 0;
		while (*s && *s != ',' && *s != '|')
			if (n + 1 < sizeof name)
				name[n++] = *s++;
			else
				s++;
		name[n] = 0;
		if (*s)
			s++;
		const char *nm = name;
		char pre[7];
		memcpy(pre, nm, 6), pre[6] = 0;
		if (n > 6 && cl_strcaseeq(pre, "clone_"))
			nm += 6;	/* a CLONE_ prefix is tolerated */
		if (!*nm || cl_strcaseeq(nm, "none"))
			continue;
		int k = 0;
		while (k < PROBE_NFLAGS && !cl_strcaseeq(nm, probe_flag_names[k]))
			k++;
		if (k == PROBE_NFLAGS) {
			err("clonelab probe: unknown flag '%s'; valid flags:\n ", name);
			for (k = 0; k < PROBE_NFLAGS; k++)
				err(" %s", probe_flag_names[k]);
			err(" none\n  (or a number such as 0x50f00)\n");
			return -1;
		}
		*f |= 1ULL << (k + PROBE_FLAG_LO);
	}
	return 0;
}

static int parse_signal(const char *s, int *sig)
{
	unsigned long v;
	if (cl_strcaseeq(s, "none")) {
		*sig = 0;
		return 0;
	}
	*sig = -1;
	if (cl_parse_ulong(s, &v) == 0 && v < 256)
		*sig = (int)v;
	for (int k = 1; k < 32 && *sig < 0; k++) {
		const char *n = lab_signame(k);
		if (cl_strcaseeq(s, n) || cl_strcaseeq(s, n + 3))
			*sig = k;
	}
	if (*sig < 0) {
		err("clonelab probe: --signal takes a signal name (SIGCHLD, USR1), a number or "
		    "none, not '%s'\n", s);
		return -1;
	}
	/* The exit signal comes to us. We ignore it for the probe's length, but these
	 * two cannot be ignored: one would kill clonelab, the other stop it. */
	if (*sig == SIGKILL || *sig == 19) {
		err("clonelab probe: --signal %s: the child's exit signal is sent to clonelab, "
		    "and %s cannot be caught or ignored: it would %s clonelab itself\n", s,
		    lab_signame(*sig), *sig == SIGKILL ? "kill" : "stop");
		return -1;
	}
	return 0;
}

/* A word's story: when PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID did their work. */
static const char *when_ptid(const struct obs *o, int tid, const struct report *c)
{
	if (!(L.flags & F(PARENT_SETTID)))
		return o->end_ptid == -1 ? "not requested, not written" : "not requested, yet written";
	if (o->ret_ptid == tid)
		return (L.flags & F(VFORK)) ? "already written when clone returned in the parent "
		       "(after the child's exit: vfork)" : "already written when clone returned in "
		       "the parent";
	if (c->ptid_seen == tid)
		return "not yet when clone returned in the parent, but by the child's first "
		       "instruction (written in the child)";
	if (o->end_ptid == tid)
		return "after the parent's return";
	return "never";
}

static const char *when_ctid(const struct obs *o, int tid, const struct report *c)
{
	if (!(L.flags & F(CHILD_SETTID)))
		return c->ctid_seen == -1 ? "not requested, not written" : "not requested, yet written";
	if (c->ctid_seen == tid)
		return o->ret_ctid == tid ? "before the child's first instruction (and before the "
		       "parent's return)" : "before the child's first instruction (after the "
		       "parent's return)";
	return "never";
}

static const char *when_clear(const struct obs *o)
{
	if (!(L.flags & F(CHILD_CLEARTID)))
		return o->end_ctid == 0 ? "not requested, yet zeroed" : "not requested, not zeroed";
	if (o->end_ctid == 0)
		return o->ready_ctid != 0 ? "zeroed at the child's exit, and the futex woken" :
		       "zeroed before the parent looked";
	return (L.flags & F(VM)) ? "not zeroed" : "not zeroed: the kernel clears it at exit only "
	       "when the child's memory is shared (CLONE_VM)";
}

/* Verdict for row i: 1 shared, 0 separate, -1 unknown. */
static int verdict(const struct obs *o, int i)
{
	long k = o->seen->kcmp[i];
	if (k >= 0 && !(i == 4 && !o->ioctx) && !(i == 5 && !o->semundo))
		return k == 0;
	return i < 4 ? o->eff[i] : -1;
}

static int ns_same(const struct obs *o, int i)
{
	const char *a = o->seen->ns[0][i], *b = o->seen->ns[1][i];
	return !*a || !*b ? -1 : cl_streq(a, b);
}

/* The signal the kernel will really send at the child's exit: none for a thread;
 * with CLONE_PARENT, its creator's own exit signal (our helper's SIGCHLD), whatever
 * was asked. */
static int signal_used(void)
{
	if (L.flags & F(THREAD))
		return 0;
	return L.flags & F(PARENT) ? SIGCHLD : L.exit_signal;
}

static const char *signame(int sig)
{
	return !sig ? "none" : lab_signame(sig) ? lab_signame(sig) : sig <= 64 ?
	       "a real-time signal" : "not a signal";
}

static const char *yn(int v) { return v < 0 ? "unknown" : v ? "shared" : "separate"; }

static void json_tri(struct cl_json *j, const char *k, int v)
{
	if (v < 0)
		cl_json_null(j, k);
	else
		cl_json_bool(j, k, v);
}

static void json_ids(struct cl_json *j, const char *key, const struct ids *d)
{
	cl_json_open(j, key, '{');
	cl_json_int(j, "pid", d->pid);
	cl_json_int(j, "tid", d->tid);
	cl_json_int(j, "ppid", d->ppid);
	cl_json_int(j, "tgid", d->tgid);
	cl_json_int(j, "uid", d->uid);
	cl_json_int(j, "gid", d->gid);
}

static const char *kcmp_word(long k)
{
	return k == 0 ? "same" : k > 0 ? "different" : cl_errno_name(k);
}

static void json_flags(struct cl_json *j)
{
	cl_json_open(j, "flags", '[');
	for (int k = 0; k < PROBE_NFLAGS; k++)
		if (L.flags & (1ULL << (k + PROBE_FLAG_LO)))
			cl_json_str(j, 0, probe_flag_names[k]);
	cl_json_close(j, ']');
	cl_json_hex(j, "flags_hex", L.flags);
}

static void report_json(struct cl_json *j, const struct obs *o, const struct report *c)
{
	int tid = (int)L.ret;
	cl_json_open(j, 0, '{');
	cl_json_str(j, "result", "ok");
	cl_json_str(j, "api", L.used_clone3 ? "clone3" : "clone");
	cl_json_bool(j, "fallback", L.fallback);
	json_flags(j);
	cl_json_int(j, "exit_signal", L.exit_signal);
	cl_json_int(j, "exit_signal_used", signal_used());
	json_ids(j, "parent", &o->id);
	cl_json_close(j, '}');
	json_ids(j, "child", &c->id);
	if (L.flags & F(NEWPID)) {
		cl_json_int(j, "pid_inside", c->nspid_in);
		cl_json_int(j, "pid_outside", c->nspid_out);
	}
	if (L.flags & F(NEWUSER)) {
		cl_json_int(j, "uid_before_map", c->uid_before);
		cl_json_int(j, "uid_outside", o->uid_out);
		cl_json_int(j, "gid_outside", o->gid_out);
		cl_json_str(j, "uid_map", c->uid_map);
		cl_json_str(j, "gid_map", c->gid_map);
	}
	cl_json_close(j, '}');
	cl_json_open(j, "shared", '{');
	for (int i = 0; i < 6; i++)
		json_tri(j, rows[i], verdict(o, i));
	cl_json_bool(j, "thread_group", c->id.tgid == o->id.tgid);
	cl_json_open(j, "ns", '{');
	for (int i = 0; i < 8; i++)
		json_tri(j, ns_names[i], ns_same(o, i));
	cl_json_close(j, '}');
	cl_json_close(j, '}');
	cl_json_open(j, "how", '{');
	cl_json_str(j, "asked_by", c->asked ? "child" : "parent");
	cl_json_open(j, "kcmp", '{');
	for (int i = 0; i < 6; i++)
		cl_json_str(j, rows[i], kcmp_word(o->seen->kcmp[i]));
	cl_json_close(j, '}');
	cl_json_open(j, "effect", '{');
	for (int i = 0; i < 4; i++)
		cl_json_bool(j, rows[i], o->eff[i]);
	cl_json_close(j, '}');
	cl_json_bool(j, "io_context", o->ioctx);
	cl_json_bool(j, "sem_undo", o->semundo);
	if (L.flags & F(VFORK))
		cl_json_bool(j, "vfork_suspended_parent", o->vfork_slept);
	cl_json_open(j, "qemu_ignored", '[');	/* flags QEMU user mode dropped */
	if (cl_under_qemu())
		for (int i = 0; i < 2; i++)
			if (L.flags & (i ? F(IO) : F(VFORK)))
				cl_json_str(j, 0, i ? "io" : "vfork");
	if (cl_under_qemu() && (L.flags & F(VFORK)) && (L.flags & F(VM)))
		cl_json_str(j, 0, "vm");
	cl_json_close(j, ']');
	cl_json_open(j, "ns", '{');
	for (int i = 0; i < 8; i++) {
		cl_json_open(j, ns_names[i], '[');
		cl_json_str(j, 0, o->seen->ns[0][i]);
		cl_json_str(j, 0, o->seen->ns[1][i]);
		cl_json_close(j, ']');
	}
	cl_json_close(j, '}');
	cl_json_close(j, '}');
	cl_json_open(j, "tids", '{');
	cl_json_int(j, "tid", tid);
	cl_json_open(j, "parent_settid", '{');
	cl_json_bool(j, "requested", (L.flags & F(PARENT_SETTID)) != 0);
	cl_json_int(j, "at_parent_return", o->ret_ptid);
	cl_json_int(j, "at_child_start", c->ptid_seen);
	cl_json_int(j, "after_exit", o->end_ptid);
	cl_json_str(j, "when", when_ptid(o, tid, c));
	cl_json_close(j, '}');
	cl_json_open(j, "child_settid", '{');
	cl_json_bool(j, "requested", (L.flags & F(CHILD_SETTID)) != 0);
	cl_json_int(j, "at_parent_return", o->ret_ctid);
	cl_json_int(j, "at_child_start", c->ctid_seen);
	cl_json_str(j, "when", when_ctid(o, tid, c));
	cl_json_close(j, '}');
	cl_json_open(j, "child_cleartid", '{');
	cl_json_bool(j, "requested", (L.flags & F(CHILD_CLEARTID)) != 0);
	cl_json_int(j, "before_exit", o->ready_ctid);
	cl_json_int(j, "after_exit", o->end_ctid);
	cl_json_str(j, "when", when_clear(o));
	cl_json_close(j, '}');
	if (L.flags & F(PIDFD))
		cl_json_int(j, "pidfd", o->pidfd);
	cl_json_close(j, '}');
	cl_json_int(j, "cpu", L.sh->child_cpu);
	cl_json_int(j, "parent_cpu", L.sh->parent_cpu);
	cl_json_int(j, "latency_ns", lab_latency_ns(&L));
	lab_call_json(j, &L);
	if (L.flags & F(PIDFD))	/* clone3's pidfd field; legacy clone uses parent_tid */
		cl_json_hex(j, "pidfd_slot", (unsigned long)(uintptr_t)(L.used_clone3 ?
			    &L.sh->pidfd : &L.sh->parent_tid));
	lab_regs_json(j, &L);
	kview_json(j, &L);
	cl_json_close(j, '}');
}

/* --svg: the verdicts drawn are the ones reported (pic.h). */
static void picture(const char *svg, const struct obs *o, const struct report *c)
{
	int same[4];
	for (int i = 0; i < 4; i++)
		same[i] = verdict(o, i);
	struct pic *p = pic_begin("probe", svg);
	pic_tasks(p, o->id.tgid, o->id.tid, c->id.tgid, c->id.tid);
	pic_verdicts(p, L.flags, o->seen, same, o->id.tgid, c->id.tgid);
	pic_done(&L);
}

static void ids_row(const char *name, int p, int c, const char *note)
{
	out("  %-6s %10d %10d  %s\n", name, p, c, note);
}

static void report_text(const struct obs *o, const struct report *c)
{
	int tid = (int)L.ret;
	static const char *const effect_text[4][2] = {
		{ "the child's write did not reach us", "the child's write reached us" },
		{ "our cwd and umask stayed", "the child's chdir/umask changed ours" },
		{ "its new descriptor is not in our table", "its new descriptor is in our table" },
		{ "our SIGUSR disposition stayed", "the child's SIG_IGN changed ours" } };
	out("probe: %s(", L.used_clone3 ? "clone3" : "clone");
	probe_print_flags(&cl_stdout, L.flags, "");
	out(", exit signal ");
	if (lab_signame(L.exit_signal))
		out("%s", lab_signame(L.exit_signal));
	else if (L.exit_signal)
		out("%d, %s", L.exit_signal, signame(L.exit_signal));
	else
		out("none");
	out(")%s\n", L.fallback ? ": clone3 answered ENOSYS, so legacy clone" : "");
	if (signal_used() != L.exit_signal)
		out("  the kernel sends %s at its exit instead: CLONE_PARENT gives the child its "
		    "creator's own exit signal\n  (the probe ran in a helper process, so that "
		    "clonelab is the parent that reaps it)\n", signame(signal_used()));
	out("\n");
	out("  %-6s %10s %10s\n", "", "parent", "child");
	ids_row("pid", o->id.pid, c->id.pid, c->id.pid == 1 && (L.flags & F(NEWPID)) ?
		"getpid(): 1 inside the new pid namespace" : "getpid()");
	ids_row("tid", o->id.tid, c->id.tid, "gettid()");
	ids_row("ppid", o->id.ppid, c->id.ppid, "getppid()");
	ids_row("tgid", o->id.tgid, c->id.tgid, "Tgid in /proc/<tid>/status, as we see it");
	ids_row("uid", o->id.uid, c->id.uid, (L.flags & F(NEWUSER)) ? "inside its user namespace" : "");
	ids_row("gid", o->id.gid, c->id.gid, "");
	if (L.flags & F(NEWPID))
		out("  pid namespace: the child is %d inside and %d outside (NSpid)\n",
		    c->nspid_in, c->nspid_out);
	if (L.flags & F(NEWUSER))
		out("  user namespace: uid %d before its map, then %d inside = %d outside; "
		    "uid_map \"%s\", gid_map \"%s\"\n", c->uid_before, c->id.uid, o->uid_out,
		    c->uid_map, c->gid_map);
	out("\n  %-13s %-9s how we know\n", "resource", "");
	for (int i = 0; i < 6; i++) {
		long k = o->seen->kcmp[i];
		out("  %-13s %-9s kcmp %s", rows[i], yn(verdict(o, i)), kcmp_word(k));
		if (k < 0)
			out(k == -ENOSYS ? " (no kcmp here)" : k == -EPERM ? " (no ptrace rights)" :
			    c->asked && (L.flags & F(NEWPID)) ? " (the vfork child asked, and we are "
			    "outside its pid namespace)" : "");
		if ((i == 4 && !o->ioctx) || (i == 5 && !o->semundo))
			out(" (but we have no %s to compare)", i == 4 ? "I/O context" : "undo list");
		if (i < 4)
			out("; %s", effect_text[i][o->eff[i]]);
		out("\n");
	}
	out("  %-13s %-9s Tgid %d vs %d\n", "thread group", c->id.tgid == o->id.tgid ?
	    "shared" : "separate", o->id.tgid, c->id.tgid);
	for (int i = 0; i < 8; i++)
		out("  ns %-10s %-9s %s%s%s\n", ns_names[i], yn(ns_same(o, i)), o->seen->ns[0][i],
		    ns_same(o, i) ? "" : " vs ", ns_same(o, i) ? "" : o->seen->ns[1][i]);
	out("  (%s asked the kernel)\n", c->asked ? "the vfork child" : "the parent");
	if ((L.flags & F(IO)) && cl_under_qemu())
		out("  QEMU user mode ignores CLONE_IO: it never reaches the kernel\n");
	if ((L.flags & F(VFORK)) && !o->vfork_slept)
		out("  CLONE_VFORK did not suspend the parent: clone returned before the child's "
		    "exit%s\n", cl_under_qemu() ? " (QEMU user mode runs vfork as a plain fork, "
		    "dropping CLONE_VM too)" : "");
	out("\n  tid words (child tid %d)\n", tid);
	out("  PARENT_SETTID  %11d  %s\n", o->end_ptid, when_ptid(o, tid, c));
	out("  CHILD_SETTID   %11d  %s\n", c->ctid_seen, when_ctid(o, tid, c));
	out("  CHILD_CLEARTID %11d  %s\n", o->end_ctid, when_clear(o));
	if (L.flags & F(PIDFD))
		out("  pidfd          %11d\n", o->pidfd);
	out("\n  syscall         ");
	lab_describe_call(&L);
	out("\n  child's CPU     %d (the parent was on %d)\n", L.sh->child_cpu, L.sh->parent_cpu);
	out("  latency         %ld ns from the syscall to the child's first instruction\n\n",
	    lab_latency_ns(&L));
	lab_regs_text(&L);
}

static void own_ids(struct ids *d)
{
	char st[2048];
	d->pid = (int)SYS0(getpid), d->tid = (int)SYS0(gettid), d->ppid = (int)SYS0(getppid);
	d->uid = (int)SYS0(getuid), d->gid = (int)SYS0(getgid);
	d->tgid = cl_read_file("/proc/self/status", st, sizeof st) > 0 ? num_after(st, "Tgid") : d->pid;
}

/* Write the new user namespace's maps for the child, under the pid /proc knows it by:
 * root inside is our euid and egid outside. */
static void map_child(struct report *c)
{
	int step = 0;
	if (c->proc_pid > 0) {	/* else the child has said why (child_proc_name) */
		long r = cl_userns_map(c->proc_pid, (unsigned)SYS0(geteuid),
				       (unsigned)SYS0(getegid), &step);
		obs_failed(c, r, cl_userns_map_why(step, r));
	}
	lab_post(&c->mapped);
}

static int fail(struct cl_json *j, long e, const char *why, int status, const char *rule)
{
	if (j) {
		cl_json_open(j, 0, '{');
		cl_json_str(j, "result", status == CL_EXIT_UNSUPPORTED ? "unsupported" : "error");
		cl_json_str(j, "errno", cl_errno_name(e));
		cl_json_str(j, "explanation", why);
		cl_json_str(j, "rule", rule);
		if (L.failed && L.ret < 0) {	/* no clone was made: no api was used */
			cl_json_null(j, "api");
			cl_json_null(j, "fallback");
		} else {
			cl_json_str(j, "api", L.used_clone3 ? "clone3" : "clone");
			cl_json_bool(j, "fallback", L.fallback);
		}
		json_flags(j);
		cl_json_int(j, "exit_signal", L.exit_signal);
		if (!L.failed)
			lab_call_json(j, &L);
		cl_json_close(j, '}');
	} else {
		err("clonelab probe: %s", status == CL_EXIT_UNSUPPORTED ? "not possible here: " : "");
		cl_printf(&cl_stderr, "%s: %s\n", cl_errno_name(e) ? cl_errno_name(e) : "?", why);
	}
	return status;
}


/* The next space-separated field of a /proc line into out (size bytes); returns the
 * rest of the line. */
static const char *field(const char *p, char *out, size_t size)
{
	size_t n = 0;
	while (*p == ' ')
		p++;
	for (; *p && *p != ' ' && *p != '\n'; p++)
		if (n + 1 < size)
			out[n++] = *p;
	out[n] = 0;
	return p;
}

/* Our cgroup2 directory, opened: /proc/self/cgroup's "0::PATH" under the cgroup2 mount
 * that /proc/self/mountinfo shows, which is /sys/fs/cgroup only on a unified layout (a
 * hybrid one has it at /sys/fs/cgroup/unified; anything can mount it anywhere). */
static long open_own_cgroup(void)
{
	char info[16384];	/* on the stack: a page or four, only while probing */
	char cg[1024], root[256], mnt[256], type[16], skip[256], path[600];
	const char *l = cg;
	if (cl_read_file("/proc/self/cgroup", cg, sizeof cg) <= 0)
		return -ENOENT;
	while (*l && !cl_startswith(l, "0::"))	/* the cgroup2 line */
		while (*l && *l++ != '\n')
			;
	if (!*l || cl_read_file("/proc/self/mountinfo", info, sizeof info) <= 0)
		return -ENOENT;
	field(l + 3, cg, sizeof cg);	/* cg = our path in the hierarchy */
	for (const char *p = info; *p;) {
		/* id parent maj:min ROOT MOUNTPOINT options [optional...] - TYPE source ... */
		for (int i = 0; i < 3; i++)
			p = field(p, skip, sizeof skip);
		p = field(field(p, root, sizeof root), mnt, sizeof mnt);
		do
			p = field(p, skip, sizeof skip);
		while (*skip && !cl_streq(skip, "-"));
		p = field(p, type, sizeof type);
		while (*p && *p++ != '\n')
			;
		size_t n = cl_strlen(root);
		if (!cl_streq(type, "cgroup2") || cl_strlen(mnt) + cl_strlen(cg) >= sizeof path)
			continue;
		if (cl_streq(root, "/"))
			n = 0;	/* the whole hierarchy: our path goes under the mount point */
		else if (!cl_startswith(cg, root) || (cg[n] && cg[n] != '/'))
			continue;	/* a subtree that does not hold our cgroup */
		cl_stpcpy(cl_stpcpy(path, mnt), cg + n);
		return SYS4(openat, AT_FDCWD, path, O_DIRECTORY | O_CLOEXEC, 0);
	}
	return -ENOENT;
}

static const char *svg_file;	/* --svg FILE, or NULL */
static int probe_run(struct cl_json *j);
static int probe_in_helper(struct cl_json *j);

int cmd_probe(int argc, char **argv)
{
	static const struct cl_opt opts[] = { { "--flags", 1 }, { "--signal", 1 }, { "--api", 1 },
		{ "--cpu", 1 }, { "--json", 0 }, { "--help", 0 }, { "--svg", 1 },
		{ "--kernel", 0 }, { 0, 0 } };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	uint64_t flags = 0;
	int sig = -1, api = LAB_AUTO, cpu = -1, json = 0, kernel = 0, k;
	while ((k = cl_getopt(&a, opts, "clonelab probe")) != CL_ARG_END) {
		if (k == 0 && parse_flags(a.val, &flags) < 0)
			return CL_EXIT_USAGE;
		if (k == 1 && parse_signal(a.val, &sig) < 0)
			return CL_EXIT_USAGE;
		if (k == 2 && lab_parse_api("clonelab probe", a.val, &api) < 0)
			return CL_EXIT_USAGE;
		if (k == 3 && lab_parse_cpu("clonelab probe", a.val, &cpu) < 0)
			return CL_EXIT_USAGE;
		if (k == 4)
			json = 1;
		if (k == 6)
			svg_file = a.val;
		if (k == 7)
			kernel = 1;
		if (k == 5) {
			out("%s", usage);
			return CL_EXIT_OK;
		}
		if (k < 0) {
			if (k == CL_ARG_POSITIONAL)
				err("clonelab probe: unexpected argument '%s' (try --help)\n", a.val);
			return CL_EXIT_USAGE;
		}
	}
	if (sig < 0)
		sig = flags & (F(THREAD) | F(PARENT)) ? 0 : SIGCHLD;
	if (api == LAB_CLONE && (flags & ~0xffffff00ULL)) {
		err("clonelab probe: legacy clone cannot pass ");
		probe_print_flags(&cl_stderr, flags & ~0xffffff00ULL, "CLONE_");
		err(": its flags end at bit 31, and bits 0-7 are the exit signal (use --signal); "
		    "clone3 only\n");
		return CL_EXIT_USAGE;
	}
	cl_sigchld_default();	/* we wait for our children: the kernel must not reap them */
	struct cl_json jj = { &cl_stdout, 0, 0 }, *j = json ? &jj : 0;
	if (kernel && (k = kview_enable("clonelab probe", j)) >= 0)
		return k;
	L = (struct lab){ .flags = flags, .exit_signal = sig, .api = api, .cpu = cpu,
			  .sh = lab_shared() };
	if ((flags & (F(PARENT) | F(THREAD))) == F(PARENT))
		return probe_in_helper(j);
	return probe_run(j);
}

/* The clone failed with r: say why, and return the exit status. */
static int refused(struct cl_json *j, long r)
{
	char buf[320];
	const char *why, *rule = "kernel";
	int status;
	if (L.failed && L.pinned < 0) {
		why = "sched_setaffinity for --cpu: this CPU does not exist here, or is not "
		      "one we may run on (see `clonelab env` for the count)";
		status = CL_EXIT_UNSUPPORTED, rule = "clonelab";
	} else if (L.failed) {
		why = L.failed, status = CL_EXIT_FAIL, rule = "clonelab";
	} else if (L.fallback && (L.flags & ~0xffffff00ULL)) {
		r = -ENOSYS;
		why = "clone3 answered ENOSYS here, and legacy clone cannot express these "
		      "flags (bits above 31, or CLONE_NEWTIME in the exit signal's byte)";
		status = CL_EXIT_UNSUPPORTED, rule = "clonelab";
	} else {
		why = probe_why(L.flags, L.exit_signal, L.used_clone3, r, buf, sizeof buf,
				&status, &rule);
	}
	return fail(j, r, why, status, rule);
}

/* The parent's look, while the child waits (or, with vfork, after it exited: then
 * gone is set and there is no child to read). ps receives what kcmp and /proc say. */
static void observe(struct obs *o, struct report *c, struct seen *ps, int tid, int gone)
{
	if (L.flags & F(PIDFD))
		o->pidfd = L.used_clone3 ? L.sh->pidfd : L.sh->parent_tid;
	/* The child's effects: the descriptor first, before we open anything. Without
	 * shared files, the child's descriptor may have the number of our pidfd, which
	 * the kernel reserved after copying our table: that one is not its. */
	o->eff[2] = c->fd >= 0 && c->fd != o->pidfd && SYS2(fcntl, c->fd, F_GETFD) >= 0;
	if (o->eff[2])
		SYS1(close, c->fd);
	o->eff[0] = vm_word == 2;
	char here[64];
	long n = SYS2(getcwd, here, sizeof here);
	o->cwd_seen = n > 0 && cl_streq(here, "/proc");
	o->umask_seen = SYS1(umask, 022) == 077;
	o->eff[1] = o->cwd_seen || o->umask_seen;
	struct cl_ksigaction now;
	o->eff[3] = SYS4(rt_sigaction, effect_sig, 0, &now, 8) == 0 && now.handler == SIG_IGN_;
	o->ready_ctid = __atomic_load_n(&L.sh->child_tid, __ATOMIC_ACQUIRE);
	if (c->asked) {
		o->seen = &c->seen;
	} else {	/* kcmp takes pids as we see them; /proc, as it names them */
		probe_ask_kernel(ps, parent_pid, tid, "/proc/self", c->proc_dir);
		o->seen = ps;
	}
	o->uid_out = o->gid_out = -1;
	if ((L.flags & F(NEWUSER)) && !gone) {
		char st[2048], path[64];
		cl_stpcpy(cl_stpcpy(path, c->proc_dir), "/status");
		n = cl_read_file(path, st, sizeof st);
		obs_failed(c, n, "reading the child's status in /proc");
		if (n > 0)
			o->uid_out = num_after(st, "Uid"), o->gid_out = num_after(st, "Gid");
	}
}

/* The table, or, if an observation failed, that failure: a table built on it would
 * mislead. Returns the exit status. */
static int report(struct cl_json *j, const struct obs *o, const struct report *c)
{
	if (c->obs_err) {
		char why[200];
		struct cl_out w = { -1, 0, sizeof why - 1, why };
		memset(why, 0, sizeof why);
		cl_printf(&w, "the clone succeeded, but observing it failed: %s", c->obs_what);
		L.failed = "observation";
		return fail(j, c->obs_err, why, CL_EXIT_FAIL, "clonelab");
	}
	if (j)
		report_json(j, o, c);
	else
		report_text(o, c), kview_text(&L);
	return CL_EXIT_OK;
}

/* The experiment itself, for the request in L. */
static int probe_run(struct cl_json *j)
{
	uint64_t flags = L.flags;
	int sig = L.exit_signal;
	struct report *c = rep();
	struct obs o = { .pidfd = -1 };
	struct seen ps;
	parent_pid = (int)SYS0(getpid);
	parent_proc_pid = lab_proc_pid();
	if (parent_proc_pid <= 0)
		parent_proc_pid = parent_pid;
	own_ids(&o.id);
	effect_sig = sig == 10 ? 12 : 10;	/* SIGUSR1, or SIGUSR2 if that is the exit signal */

	/* What the flags need: a stack for VM, a cgroup fd for INTO_CGROUP; something
	 * for kcmp to compare for IO and SYSVSEM (an I/O context, an undo list). */
	if (flags & F(VM)) {
		L.new_stack = 1;
		L.fn = child_main;
	}
	if (flags & F(INTO_CGROUP)) {
		long fd = open_own_cgroup();
		if (fd < 0)
			return fail(j, fd, "opening our own cgroup (in the cgroup2 mount that "
				    "/proc/self/mountinfo shows) for CLONE_INTO_CGROUP failed",
				    CL_EXIT_UNSUPPORTED, "clonelab");
		L.cgroup_fd = (int)fd;
	}
	o.ioctx = SYS3(ioprio_set, 1, 0, 0) == 0;	/* IOPRIO_WHO_PROCESS, self, class none */
	long semid = SYS3(semget, 0, 1, 0600);		/* IPC_PRIVATE */
	if (semid >= 0) {
		struct { unsigned short num; short op, flg; } up = { 0, 1, SEM_UNDO };
		o.semundo = SYS3(semop, semid, &up, 1) == 0;
		SYS4(semctl, semid, 0, IPC_RMID, 0);
	}
	/* The effects' baseline: cwd "/", umask 022, SIGUSR default. */
	long cwd = SYS4(openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	SYS1(chdir, "/");
	long old_umask = SYS1(umask, 022);
	struct cl_ksigaction dfl = { 0 }, old_act, ign = { .handler = SIG_IGN_ }, old_exit;
	SYS4(rt_sigaction, effect_sig, &dfl, &old_act, 8);
	/* Any exit signal but SIGCHLD (whose default is to ignore) must not kill or stop
	 * us: real-time ones (32-64) kill by default. 65 and up are no signals at all. */
	int ignore_exit = sig && sig != SIGCHLD && sig <= 64;
	if (ignore_exit)	/* a child's exit signal must not kill us */
		SYS4(rt_sigaction, sig, &ign, &old_exit, 8);
	vm_word = 1;
	c->fd = -1;

	long r = lab_clone(&L);
	if (r == 0) {		/* the fork-shaped child */
		child_main(0);
		SYS1(exit, 0);
	}
	o.ret_ptid = __atomic_load_n(&L.sh->parent_tid, __ATOMIC_ACQUIRE);
	o.ret_ctid = __atomic_load_n(&L.sh->child_tid, __ATOMIC_ACQUIRE);
	int status = CL_EXIT_OK;
	if (r < 0) {
		status = refused(j, r);
		goto restore;
	}
	int tid = (int)r;
	int vf = (flags & F(VFORK)) != 0, waited = 0;
	if (vf) {	/* the child's work is done only at its exit (QEMU: a plain fork) */
		lab_post(&c->returned);
		lab_wait(&L), waited = 1;
		o.vfork_slept = !c->returned_early;
	}
	long gone = 0;
	if ((flags & F(NEWUSER)) && !vf && !(gone = lab_await_child(&L, &c->step1)))
		map_child(c);
	if (!vf && !gone)
		gone = lab_await_child(&L, &c->ready);
	if (gone)
		obs_failed(c, gone, "waiting for the child to report: it exited first (killed "
			   "from outside?)");
	observe(&o, c, &ps, tid, gone || vf);
	lab_post(&c->done);
	if (!waited)
		lab_wait(&L);
	o.end_ptid = L.sh->parent_tid;
	o.end_ctid = L.sh->child_tid;
	if (flags & F(PIDFD)) {
		if (!L.used_clone3)
			o.ret_ptid = o.end_ptid = c->ptid_seen = -1;	/* legacy clone: parent_tid held the pidfd */
		SYS1(close, o.pidfd);
	}
	if (svg_file)
		picture(svg_file, &o, c);
	status = report(j, &o, c);
restore:
	if (cwd >= 0)
		SYS1(fchdir, cwd), SYS1(close, cwd);
	SYS1(umask, old_umask);
	SYS4(rt_sigaction, effect_sig, &old_act, 0, 8);
	if (ignore_exit)
		SYS4(rt_sigaction, sig, &old_exit, 0, 8);
	if (L.cgroup_fd > 0)
		SYS1(close, L.cgroup_fd);
	return pic_write_svg(kview_status(status), "clonelab probe");	/* in our cwd again */
}

/* CLONE_PARENT makes the child our parent's child: it would be left to our parent
 * (a shell, a test runner) to reap, a zombie until then. So the experiment runs in a
 * helper process of ours, and its CLONE_PARENT child is ours to reap. The kernel
 * gives such a child its creator's own exit signal: the helper's, SIGCHLD. */
static int probe_in_helper(struct cl_json *j)
{
	long pid = cl_fork();
	if (pid == 0)
		SYS1(exit_group, cl_out_status(probe_run(j)));
	if (pid < 0)
		return fail(j, pid, "fork of the helper process that makes the CLONE_PARENT "
			    "child (so that we can reap it)", CL_EXIT_FAIL, "clonelab");
	int st = 0;
	long r = cl_wait((int)pid, &st, 0);
	struct report *c = rep();	/* release a child left waiting by a killed helper */
	lab_post(&c->mapped), lab_post(&c->done);
	while (cl_wait(-1, 0, 0) > 0)	/* the CLONE_PARENT child: ours */
		;
	if (r < 0 || !CL_WIFEXITED(st)) {
		err("clonelab probe: the helper process %s\n", r < 0 ? "could not be waited for" :
		    "was killed by a signal");
		return CL_EXIT_FAIL;
	}
	return CL_WEXITSTATUS(st);
}
