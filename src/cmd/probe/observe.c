/* observe.c: what each side of the probe's clone sees.
 *
 * The child (probe_child) reports its identities and makes one visible change per
 * resource (writes a word, changes cwd and umask, opens a descriptor, ignores a
 * signal); then it waits, alive, while the parent (probe_observe) asks the kernel
 * (kcmp, the links in /proc/<tid>/ns) and looks for the changes. With CLONE_VFORK the
 * parent sleeps until the child exits, so the child asks instead. */
#include "probe_int.h"

#define O_PATH 010000000
#define F_GETFD 1
#define SEM_UNDO 0x1000
#define IPC_RMID 0
#define SIG_IGN_ 1UL

const char probe_rows[6][8] = { "vm", "fs", "files", "sighand", "io", "sysvsem" };

static volatile int vm_word;	/* the child writes 2 here: does it reach us? */
static int parent_pid, parent_proc_pid, effect_sig;

/* Keep the first observation that failed: its errno and what was being read. */
void probe_obs_failed(struct report *c, long e, const char *what)
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

/* How /proc names the child: in a pid namespace without a /proc of its own, the
 * tids that clone and gettid return name other tasks there. */
static void child_proc_name(struct report *c)
{
	char link[32];
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/thread-self", link, sizeof link - 1);
	if (n == -ENOENT && (probe_lab.flags & CLONE(EMPTY_MNTNS)))	/* probe_report: exit 3 */
		probe_obs_failed(c, n, "its mount namespace is empty (CLONE_EMPTY_MNTNS): the "
				 "child has no /proc to show itself in");
	probe_obs_failed(c, n == -ENOENT ? -ESRCH : n, "the child reading /proc/thread-self (this "
			 "/proc does not show it: another pid namespace's?)");
	if (n <= 0)
		return;
	link[n] = 0;
	cl_stpcpy(cl_stpcpy(c->proc_dir, "/proc/"), link);	/* "<tgid>/task/<tid>" */
	for (const char *p = link; *p >= '0' && *p <= '9'; p++)
		c->proc_pid = c->proc_pid * 10 + (*p - '0');
}

/* From the child's status text st, NSpid: its pid in each pid namespace, outermost
 * (as we see it) to innermost (as it sees itself). */
static void read_nspid(struct report *c, const char *st)
{
	char v[64];
	int cur = 0, first = -1;
	if (cl_field(st, "NSpid", v, sizeof v) < 0)
		return;
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

/* Precondition: running in the clone's child, probe_lab and the page as the parent
 * set them before the clone. */
int probe_child(void *arg)
{
	(void)arg;
	struct report *c = probe_report_page();
	c->ptid_seen = __atomic_load_n(&probe_lab.sh->parent_tid, __ATOMIC_ACQUIRE);
	c->ctid_seen = __atomic_load_n(&probe_lab.sh->child_tid, __ATOMIC_ACQUIRE);
	int vf = (probe_lab.flags & CLONE(VFORK)) != 0;
	c->uid_before = (int)SYS0(getuid);
	child_proc_name(c);	/* before step1: the parent maps us under this name */
	if ((probe_lab.flags & CLONE(NEWUSER)) && !vf) {
		lab_post(&c->step1);
		lab_await(&c->mapped);	/* the parent writes our maps */
	}
	c->id.pid = (int)SYS0(getpid), c->id.tid = (int)SYS0(gettid);
	c->id.ppid = (int)SYS0(getppid);
	c->id.uid = (int)SYS0(getuid), c->id.gid = (int)SYS0(getgid);
	char st[2048];
	long r = cl_read_file("/proc/thread-self/status", st, sizeof st);
	probe_obs_failed(c, r, "the child reading /proc/thread-self/status");
	if (r > 0) {
		c->id.tgid = num_after(st, "Tgid");
		read_nspid(c, st);
	}
	if (probe_lab.flags & CLONE(NEWUSER)) {
		probe_obs_failed(c, cl_read_first_line("/proc/thread-self/uid_map", c->uid_map,
					       sizeof c->uid_map), "the child reading its uid_map");
		probe_obs_failed(c, cl_read_first_line("/proc/thread-self/gid_map", c->gid_map,
					       sizeof c->gid_map), "the child reading its gid_map");
	}
	/* the effects: one change per resource, for the parent to look for */
	vm_word = 2;
	SYS1(chdir, "/proc");
	SYS1(umask, 077);
	struct cl_ksigaction ign = { .handler = SIG_IGN_ };
	SYS4(rt_sigaction, effect_sig, &ign, 0, 8);
	c->fd = (int)SYS4(openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0);
	probe_obs_failed(c, c->fd, "the child opening a descriptor, for the parent to look for");
	if (vf) {	/* the parent sleeps until we exit: ask the kernel from here */
		char pdir[24] = "/proc/";
		cl_utoa((unsigned long)parent_proc_pid, pdir + 6);
		lab_ask_kernel(&c->seen, parent_pid, c->id.tid, pdir, "/proc/thread-self");
		if (probe_lab.flags & CLONE(NEWPID))	/* our parent is outside our pid ns */
			for (int i = 0; i < 6; i++)
				c->seen.kcmp[i] = -ESRCH;
		/* Did clone return in the parent before our exit? A real vfork parent
		 * cannot post this; wait 20 ms for it to show that it can. */
		struct cl_timespec t = { 0, 20000000 };
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

static void own_ids(struct ids *d)
{
	char st[2048];
	d->pid = (int)SYS0(getpid), d->tid = (int)SYS0(gettid), d->ppid = (int)SYS0(getppid);
	d->uid = (int)SYS0(getuid), d->gid = (int)SYS0(getgid);
	d->tgid = cl_read_file("/proc/self/status", st, sizeof st) > 0 ? num_after(st, "Tgid") : d->pid;
}

/* Write the new user namespace's maps for the child, under the pid /proc knows it by:
 * root inside is our euid and egid outside. Precondition: the child posted step1. */
void probe_map_child(struct report *c)
{
	int step = 0;
	if (c->proc_pid > 0) {	/* else the child has said why (child_proc_name) */
		long r = cl_userns_map(c->proc_pid, (unsigned)SYS0(geteuid),
				       (unsigned)SYS0(getegid), &step);
		probe_obs_failed(c, r, cl_userns_map_why(step, r));
	}
	lab_post(&c->mapped);
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
long probe_open_own_cgroup(void)
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

/* The parent's look, while the child waits (or, with vfork, after it exited: then
 * gone is set and there is no child to read). ps receives what kcmp and /proc say. */
void probe_observe(struct obs *o, struct report *c, struct lab_seen *ps, int tid, int gone)
{
	if (probe_lab.flags & CLONE(PIDFD))
		o->pidfd = probe_lab.used_clone3 ? probe_lab.sh->pidfd : probe_lab.sh->parent_tid;
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
	o->ready_ctid = __atomic_load_n(&probe_lab.sh->child_tid, __ATOMIC_ACQUIRE);
	if (c->asked) {
		o->seen = &c->seen;
	} else {	/* kcmp takes pids as we see them; /proc, as it names them */
		lab_ask_kernel(ps, parent_pid, tid, "/proc/self", c->proc_dir);
		o->seen = ps;
	}
	o->uid_out = o->gid_out = -1;
	if ((probe_lab.flags & CLONE(NEWUSER)) && !gone) {
		char st[2048], path[64];
		cl_stpcpy(cl_stpcpy(path, c->proc_dir), "/status");
		n = cl_read_file(path, st, sizeof st);
		probe_obs_failed(c, n, "reading the child's status in /proc");
		if (n > 0)
			o->uid_out = num_after(st, "Uid"), o->gid_out = num_after(st, "Gid");
	}
}

void probe_baseline(struct obs *o, struct baseline *b)
{
	int sig = probe_lab.exit_signal;
	parent_pid = (int)SYS0(getpid);
	parent_proc_pid = lab_proc_pid();
	if (parent_proc_pid <= 0)
		parent_proc_pid = parent_pid;
	own_ids(&o->id);
	effect_sig = sig == 10 ? 12 : 10;	/* SIGUSR1, or SIGUSR2 if that is the exit signal */
	/* Something for kcmp to compare for IO and SYSVSEM: an I/O context, an undo list. */
	o->ioctx = SYS3(ioprio_set, 1, 0, 0) == 0;	/* IOPRIO_WHO_PROCESS, self, class none */
	long semid = SYS3(semget, 0, 1, 0600);		/* IPC_PRIVATE */
	if (semid >= 0) {
		struct { unsigned short num; short op, flg; } up = { 0, 1, SEM_UNDO };
		o->semundo = SYS3(semop, semid, &up, 1) == 0;
		SYS4(semctl, semid, 0, IPC_RMID, 0);
	}
	/* The effects' baseline: cwd "/", umask 022, SIGUSR default. */
	b->cwd = SYS4(openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	SYS1(chdir, "/");
	b->umask = SYS1(umask, 022);
	struct cl_ksigaction dfl = { 0 }, ign = { .handler = SIG_IGN_ };
	SYS4(rt_sigaction, effect_sig, &dfl, &b->act, 8);
	/* Any exit signal but SIGCHLD (whose default is to ignore) must not kill or stop
	 * us: real-time ones (32-64) kill by default. 65 and up are no signals at all. */
	b->ignore_exit = sig && sig != SIGCHLD && sig <= 64;
	if (b->ignore_exit)	/* a child's exit signal must not kill us */
		SYS4(rt_sigaction, sig, &ign, &b->exit_act, 8);
	vm_word = 1;
	probe_report_page()->fd = -1;
}

/* Precondition: probe_baseline(o, b) ran. */
void probe_restore(const struct baseline *b)
{
	if (b->cwd >= 0)
		SYS1(fchdir, b->cwd), SYS1(close, b->cwd);
	SYS1(umask, b->umask);
	SYS4(rt_sigaction, effect_sig, &b->act, 0, 8);
	if (b->ignore_exit)
		SYS4(rt_sigaction, probe_lab.exit_signal, &b->exit_act, 0, 8);
}
