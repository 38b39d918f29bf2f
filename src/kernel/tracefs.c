/* tracefs.c: the tracing file system, used carefully (see tracefs.h). */
#include "tracefs.h"

#define TRACEFS "/sys/kernel/tracing"
#define O_APPEND 02000
#define MS_REC 0x4000
#define MS_PRIVATE (1 << 18)
#define PID_MAX_LIMIT (4UL << 20)	/* the kernel's largest pid_max (64-bit) */
#define EMFILE 24

static char *join(char *buf, const char *a, const char *b)
{
	char *p = cl_stpcpy(buf, a);
	if (b)
		cl_stpcpy(cl_stpcpy(p, "/"), b);
	return buf;
}

int tfs_exists(const struct tfs *t, const char *rel)
{
	uint64_t st[32];	/* struct stat, whatever its layout here */
	return SYS4(newfstatat, t->root, rel, st, 0) == 0;
}

/* SIGHUP, SIGINT, SIGPIPE and SIGTERM wait while a tracefs file is open: their handler removes
 * our instance, which an open file of it keeps busy (rmdir says EBUSY). */
static void hold_signals(int hold, uint64_t *old)
{
	uint64_t dying = 1UL << (1 - 1) | 1UL << (2 - 1) | 1UL << (13 - 1) | 1UL << (SIGTERM - 1);
	SYS4(rt_sigprocmask, hold ? SIG_BLOCK : SIG_SETMASK, hold ? &dying : old, hold ? old : 0, 8);
}

static long put(const struct tfs *t, const char *rel, const char *s, int flags)
{
	uint64_t mask;
	hold_signals(1, &mask);
	long fd = SYS4(openat, t->root, rel, O_WRONLY | O_CLOEXEC | flags, 0), r = fd;
	if (!cl_is_err(fd)) {
		r = SYS3(write, fd, s, cl_strlen(s));	/* tracefs takes a command per write */
		SYS1(close, fd);
	}
	hold_signals(0, &mask);
	return r < 0 ? r : 0;
}

long tfs_write(const struct tfs *t, const char *rel, const char *s) { return put(t, rel, s, O_TRUNC); }
long tfs_append(const struct tfs *t, const char *rel, const char *s) { return put(t, rel, s, O_APPEND); }

long tfs_iwrite(const struct tfs *t, const char *rel, const char *s)
{
	char path[160];
	return put(t, join(path, t->inst, rel), s, O_TRUNC);
}

long tfs_imark(const struct tfs *t, const char *prefix, uint64_t *count, uint64_t *lag)
{
	char path[160], mark[64];
	uint64_t mask, c = 0;
	hold_signals(1, &mask);
	long fd = SYS4(openat, t->root, join(path, t->inst, "trace_marker"), O_WRONLY | O_CLOEXEC, 0);
	long r = fd;
	if (!cl_is_err(fd)) {
		cl_utoa(c = cl_counter(), cl_stpcpy(mark, prefix));	/* after the open: see tracefs.h */
		r = SYS3(write, fd, mark, cl_strlen(mark));
		*lag = cl_counter() - c, *count = c;
		SYS1(close, fd);
	}
	hold_signals(0, &mask);
	return r < 0 ? r : 0;
}

static long get(const struct tfs *t, const char *rel, char *buf, size_t size)
{
	uint64_t mask;
	hold_signals(1, &mask);
	long fd = SYS4(openat, t->root, rel, O_RDONLY | O_CLOEXEC, 0), r = fd;
	size_t len = 0;
	if (!cl_is_err(fd)) {
		while (len + 1 < size && (r = SYS3(read, fd, buf + len, size - 1 - len)) > 0)
			len += (size_t)r;
		SYS1(close, fd);
	}
	hold_signals(0, &mask);
	buf[len] = 0;
	return r < 0 ? r : (long)len;
}

long tfs_iread(const struct tfs *t, const char *rel, char *buf, size_t size)
{
	char path[160];
	return get(t, join(path, t->inst, rel), buf, size);
}

/* The inode of our pid namespace ("pid:[4026531836]"), 0 if unknown: a pid means
 * something only in its namespace. */
static unsigned long pidns_ino(void)
{
	char link[48];
	unsigned long ino = 0;
	long n = SYS4(readlinkat, AT_FDCWD, "/proc/self/ns/pid", link, sizeof link - 1);
	for (long i = 0; i < n; i++)
		if (link[i] >= '0' && link[i] <= '9')
			ino = ino * 10 + (unsigned long)(link[i] - '0');
	return ino;
}

/* Exactly the name tfs_open makes, "clonelab_<pid>_<pidns>" (no leading zero, a pid
 * below PID_MAX_LIMIT, nothing after), of our pid namespace, whose owner no longer
 * exists: its pid, else 0. Anything else (another tool's "clonelab_12foo", a pid wrapped
 * past 2^32, a name without a namespace, another namespace's run) is not ours. */
static int dead_owner(const char *name, unsigned long ns)
{
	unsigned long pid = 0, their_ns = 0;
	if (!cl_startswith(name, "clonelab_") || name[9] < '1' || name[9] > '9')
		return 0;
	for (name += 9; *name >= '0' && *name <= '9'; name++)
		if ((pid = pid * 10 + (unsigned long)(*name - '0')) >= PID_MAX_LIMIT)
			return 0;
	if (*name != '_' || name[1] < '1' || name[1] > '9')
		return 0;
	while (*++name >= '0' && *name <= '9')
		if ((their_ns = their_ns * 10 + (unsigned long)(*name - '0')) > 0xffffffffUL)
			return 0;
	if (*name || their_ns != ns)
		return 0;
	return SYS2(kill, pid, 0) == -ESRCH ? (int)pid : 0;
}

/* Left by a run that was killed outright: instances first (their enabled events keep
 * the kprobes busy), then the kprobes of dead groups. */
static void clean_stale(const struct tfs *t)
{
	static char buf[16384];
	char path[160];
	long fd = SYS4(openat, t->root, "instances", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), n;
	while (!cl_is_err(fd) && (n = SYS3(getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n; off += cl_dirent_len(buf + off)) {
			const char *name = cl_dirent_name(buf + off);
			if (dead_owner(name, t->ns))
				SYS3(unlinkat, t->root, join(path, "instances", name), AT_REMOVEDIR);
		}
	if (!cl_is_err(fd))
		SYS1(close, fd);
	if (get(t, "kprobe_events", buf, sizeof buf) <= 0)
		return;
	for (char *line = buf, *nl; *line; line = nl + 1) {	/* "p:GROUP/EVENT place args" */
		for (nl = line; *nl && *nl != '\n'; nl++)
			;
		char *sp = line;
		while (sp < nl && *sp != ' ')
			sp++;
		*sp = 0;
		char *slash = line;	/* "p:GROUP/EVENT": the group is the owner's name */
		while (*slash && *slash != '/')
			slash++;
		if (line[0] && line[1] == ':' && *slash == '/') {
			*slash = 0;
			if (dead_owner(line + 2, t->ns)) {
				*slash = '/', line[0] = '-';
				tfs_append(t, "kprobe_events", line);
			}
		}
		if (!*nl)
			break;
	}
}

/* A tracefs mount of our own that is nowhere in the file tree (fsopen, fsconfig and
 * fsmount, Linux 5.2): nothing to unmount, and no race with another run's mount. */
static long private_mount(void)
{
	long fs = SYS2(fsopen, "tracefs", 1 /* FSOPEN_CLOEXEC */);
	if (fs < 0)
		return fs;
	long r = SYS5(fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, 0, 0, 0);
	long m = r < 0 ? r : SYS3(fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
	SYS1(close, fs);
	return m;
}

/* Before 5.2 (no fsopen): a helper that shares our fd table (CLONE_FILES) makes a
 * mount namespace of its own, mounts tracefs there, puts an fd of it in place of our
 * placeholder, and exits. The mount is in nobody's file tree, whenever either of us is
 * killed: it lives as long as our fd, as a detached mount does. 0 or -errno. */
static long mount_in_own_ns(struct tfs *t)
{
	long ph = SYS4(openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (ph < 0)
		return ph;
	/* exit signal 0: no SIGCHLD, and never reaped for us if SIGCHLD is ignored */
	long pid = SYS5(clone, CL_CLONE_FILES, 0, 0, 0, 0);
	if (pid == 0) {	/* the helper, on a copy of our memory */
		long r = SYS1(unshare, CL_CLONE_NEWNS);
		if (r == 0)	/* private first: our mount must not propagate back */
			r = SYS5(mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0);
		if (r == 0)
			r = SYS5(mount, "tracefs", TRACEFS, "tracefs", 0, 0);
		long fd = r < 0 ? r : SYS4(openat, AT_FDCWD, TRACEFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd >= 0) {	/* our table is the parent's: leave only the placeholder */
			r = SYS3(dup3, fd, ph, O_CLOEXEC);
			SYS1(close, fd);
		}
		SYS1(exit_group, r < 0 ? -r : fd < 0 ? -fd : 0);
	}
	int st = 0;
	long w = pid < 0 ? pid : SYS4(wait4, pid, &st, CL_WALL, 0);
	long r = pid < 0 ? pid : w < 0 ? w : (st & 0x7f) ? -EINTR : -((st >> 8) & 0xff);
	t->root = (int)ph;
	if (r == 0 && !tfs_exists(t, "README"))
		r = -ENOENT;
	if (r < 0)
		SYS1(close, ph), t->root = -1;
	return r;
}

/* Why tracefs cannot be had, with the errno in words. */
static const char *why_not(const char *what, long err)
{
	static char buf[200];
	struct cl_out o = { -1, 0, sizeof buf - 1, buf };
	cl_printf(&o, "%s (%s%s)", what, cl_errno_name(err),
		  err == -EMFILE ? ": too many open files" : err == -EPERM ?
		  ": not root, or kernel lockdown" : err == -ENOENT ? ": is the kernel built with tracing?" : "");
	buf[o.len] = 0;
	return buf;
}

long tfs_open(struct tfs *t, const char **why)
{
	memset(t, 0, sizeof *t);
	t->root = -1;	/* closed, for a signal handler that comes before the open */
	t->pid = (int)SYS0(getpid);
	t->ns = pidns_ino();
	if (!t->ns) {	/* then no name tells our runs from another namespace's */
		*why = "no /proc/self/ns/pid (is /proc mounted?): without our pid namespace, "
		       "which tracing is ours cannot be told";
		return -ENOENT;
	}
	char *p = cl_stpcpy(t->group, "clonelab_");
	p += cl_strlen(cl_utoa((unsigned long)t->pid, p));
	cl_utoa(t->ns, cl_stpcpy(p, "_"));
	join(t->inst, "instances", t->group);
	long r = SYS4(openat, AT_FDCWD, TRACEFS, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	t->root = (int)r;
	if (t->root >= 0 && !tfs_exists(t, "README")) {	/* nothing mounted there */
		SYS1(close, t->root);
		t->root = -1;
		r = private_mount();
		if (r == -ENOSYS)
			r = mount_in_own_ns(t);
		else
			t->root = (int)r;
		if (r < 0) {
			t->root = -1;
			*why = why_not("cannot mount tracefs", r);
			return r;
		}
	} else if (t->root < 0) {
		*why = r == -EPERM ? why_not("kernel lockdown refuses tracefs", r) :
		       why_not("cannot open " TRACEFS, r);
		return r;
	}
	clean_stale(t);
	return 0;
}

/* The instance's mkdir, made by a child of ours in a session of its own. In that mkdir
 * the kernel allocates a ring buffer for each of the other CPUs and, if the task making
 * it has a fatal signal pending, gives up with a WARNING in its log ("failed to allocate
 * ring buffer on CPU 1", trace_rb_cpu_prepare; seen on 5.10 when a traced tour was
 * killed with SIGKILL). Made by us, a kill -9 of clonelab or of its process group would
 * leave that warning behind, and panic a machine booted with panic_on_warn; neither
 * reaches a task in another session. Returns 0 or -errno. */
static long mkdir_shielded(const struct tfs *t)
{
	uint64_t old;
	/* The signals we catch wait until the mkdir is over: the handler that removes the
	 * instance must never run while the child may still make it. */
	cl_block_all(&old);
	long r, pid = cl_fork();
	if (pid == 0) {
		SYS0(setsid);
		SYS1(exit_group, (int)-SYS3(mkdirat, t->root, t->inst, 0700));	/* 0 or errno */
	}
	int st = 0;
	if (pid < 0)	/* no process to spare (RLIMIT_NPROC, say): make it ourselves */
		r = SYS3(mkdirat, t->root, t->inst, 0700);
	else if (cl_wait((int)pid, &st, 0) == pid && CL_WIFEXITED(st))
		r = -(long)CL_WEXITSTATUS(st);
	else	/* SIGCHLD ignored (the kernel reaped it, status and all), or it was killed */
		r = tfs_exists(t, t->inst) ? 0 : -EIO;
	cl_set_sigmask(&old);
	return r;
}

long tfs_instance(struct tfs *t)
{
	t->made_inst = 1;	/* first: a signal may come between the mkdir and us knowing */
	long r = mkdir_shielded(t);
	t->made_inst = r == 0;
	return r;
}

long tfs_kprobe(struct tfs *t, const char *name, const char *place, const char *args)
{
	static char line[4096];
	if (t->nprobes == 8 || cl_strlen(args) > sizeof line - 128)
		return -E2BIG;
	char *p = cl_stpcpy(cl_stpcpy(cl_stpcpy(line, "p:"), t->group), "/");
	p = cl_stpcpy(cl_stpcpy(cl_stpcpy(cl_stpcpy(p, name), " "), place), " ");
	cl_stpcpy(p, args);
	cl_stpcpy(t->probes[t->nprobes++], name);	/* first, for the same reason */
	long r = tfs_append(t, "kprobe_events", line);
	if (r < 0)
		t->nprobes--;
	return r;
}

void tfs_close(struct tfs *t)
{
	char line[96];
	if (t->root < 0)
		return;
	if (t->made_inst) {
		tfs_iwrite(t, "tracing_on", "0");
		tfs_iwrite(t, "events/enable", "0");
		struct cl_timespec ms = { 0, 10000000 };
		/* EBUSY while a reader still holds the instance: a moment, then again */
		for (int i = 0; i < 20 && SYS3(unlinkat, t->root, t->inst, AT_REMOVEDIR) == -EBUSY; i++)
			SYS2(nanosleep, &ms, 0);
		t->made_inst = 0;
	}
	while (t->nprobes > 0) {
		char *p = cl_stpcpy(cl_stpcpy(line, "-:"), t->group);
		cl_stpcpy(cl_stpcpy(p, "/"), t->probes[--t->nprobes]);
		tfs_append(t, "kprobe_events", line);
	}
	SYS1(close, t->root);
	t->root = -1;
}
