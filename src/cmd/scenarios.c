/* scenarios.c: the tour's four answers to "what is a process, what is a thread":
 * fork (nothing shared), thread (everything shared, one thread group), chimera (one
 * address space, two processes) and userns (root in a namespace of your own). */
#include "cmd.h"
#include "pic/pic.h"
#include "kernel/kernel.h"

/* The word each child writes, to show whether the parent's memory is its memory. */
static volatile int value;	/* set before each use; .bss, not .data */

struct report {		/* what a child tells its parent, in the shared page */
	int pid, tid, ppid, uid_before, uid, gid, setuid0, map_err;
	int procpid;		/* its pid as /proc names it, or -errno */
	char uid_map[64];
};

/* What every scenario prints after its own lines: CPU, latency, registers. */
static void common_text(const struct lab *l)
{
	pic_done(l);
	outf("  syscall         ");
	lab_describe_call(l);
	outf("\n  child's CPU     %d (the parent was on %d)\n", l->sh->child_cpu, l->sh->parent_cpu);
	outf("  latency         %ld ns from the syscall to the child's first instruction\n\n",
	    lab_latency_ns(l));
	lab_regs_text(l);
	kview_text(l);
}

static void common_json(struct cl_json *j, const struct lab *l)
{
	pic_done(l);
	pic_json(j);
	cl_json_str(j, "result", "ok");
	cl_json_str(j, "api", l->used_clone3 ? "clone3" : "clone");
	cl_json_bool(j, "fallback", l->fallback);
	cl_json_int(j, "cpu", l->sh->child_cpu);
	cl_json_int(j, "parent_cpu", l->sh->parent_cpu);
	cl_json_int(j, "latency_ns", lab_latency_ns(l));
	lab_call_json(j, l);
	lab_regs_json(j, l);
	kview_json(j, l);
	cl_json_close(j, '}');
}

/* A wait that failed (ECHILD: someone else reaped the child) is an error, never a
 * status. 0, or the exit status after reporting. */
static int wait_failed(long st, struct lab *l, const char *cmd, struct cl_json *j)
{
	if (st >= 0)
		return 0;
	l->ret = st;
	l->failed = "wait4 for the child (was SIGCHLD ignored, so that it was reaped for us?)";
	return lab_fail(l, cmd, j);
}

/* After a clone that returned r in the parent: hold the child for the pictures, then
 * wait for it, its wait status into *st. -1 to go on, or the exit status of a failure
 * (of the clone or of the wait), reported. */
static int after_clone(struct lab *l, long r, const char *cmd, struct cl_json *j, long *st)
{
	if (r < 0)
		return lab_fail(l, cmd, j);
	pic_gather(l);
	*st = lab_wait(l);
	return *st < 0 ? wait_failed(*st, l, cmd, j) : -1;
}

/* The scenario's JSON object, opened with the two processes' pids. */
static void json_pids(struct cl_json *j, int parent_pid, const struct report *c)
{
	cl_json_open(j, 0, '{');
	cl_json_int(j, "parent_pid", parent_pid);
	cl_json_int(j, "child_pid", c->pid);
	cl_json_int(j, "child_ppid", c->ppid);
}

static int scenario_fork(struct cl_json *j, const struct cmd_opts *o)
{
	struct lab l = { .exit_signal = SIGCHLD, .cpu = o->cpu, .api = o->api, .sh = lab_shared_reset() };
	struct report *c = (struct report *)l.sh->scratch;
	int parent_pid = (int)SYS0(getpid);
	value = 1;
	long r = lab_clone(&l);
	if (r == 0) {		/* the child: the same call returned a second time */
		c->pid = (int)SYS0(getpid);
		c->ppid = (int)SYS0(getppid);
		value = 2;	/* our own copy: the parent will not see this */
		pic_hold();
		SYS1(exit, 7);
	}
	long st;
	int status = after_clone(&l, r, "clonelab fork", j, &st), seen = value == 2;
	if (status >= 0)
		return status;
	if (j) {
		json_pids(j, parent_pid, c);
		cl_json_int(j, "returned_in_parent", (long)l.sh->snap.parent[CL_REG_RET]);
		cl_json_int(j, "returned_in_child", (long)l.sh->snap.child[CL_REG_RET]);
		cl_json_bool(j, "child_write_seen_by_parent", seen);
		cl_json_int(j, "child_exit_status", CL_WEXITSTATUS(st));
		common_json(j, &l);
		return CL_EXIT_OK;
	}
	outf("fork: clone(SIGCHLD) with no new stack returns twice\n\n");
	outf("  in the parent   pid %d: clone returned %ld, the child's pid\n", parent_pid,
	    (long)l.sh->snap.parent[CL_REG_RET]);
	outf("  in the child    pid %d (parent %d): clone returned %ld\n", c->pid, c->ppid,
	    (long)l.sh->snap.child[CL_REG_RET]);
	outf("  child's write   %s\n", seen ? "seen by the parent" :
	    "not seen by the parent: the child wrote its own copy of the memory");
	outf("  child's exit    status %d, collected with wait4\n", CL_WEXITSTATUS(st));
	common_text(&l);
	return CL_EXIT_OK;
}

/* The thread's and the chimera's child: who it is, and one write to `value`, which
 * the parent sees only if they share one address space (CLONE_VM). */
static int vm_child_main(void *p)
{
	struct report *c = p;
	c->pid = (int)SYS0(getpid);
	c->tid = (int)SYS0(gettid);
	c->ppid = (int)SYS0(getppid);
	value = 2;
	pic_hold();
	return 0;
}

static int scenario_thread(struct cl_json *j, const struct cmd_opts *o)
{
	struct lab l = { .flags = CL_THREAD_FLAGS & ~(uint64_t)CL_CSIGNAL, .cpu = o->cpu, .api = o->api,
			 .new_stack = 1, .fn = vm_child_main, .sh = lab_shared_reset() };
	l.arg = l.sh->scratch;
	struct report *c = l.arg;
	int pid = (int)SYS0(getpid), tid = (int)SYS0(gettid);
	value = 1;
	if (lab_clone(&l) < 0)
		return lab_fail(&l, "clonelab thread", j);
	pic_gather(&l);
	long w = lab_wait(&l);
	int joined = w == 0 && l.sh->child_tid == 0;
	if (!joined) {
		l.ret = w < 0 ? w : -ETIMEDOUT;
		l.failed = "join: the kernel did not zero the CHILD_CLEARTID word in 10 s "
			   "(was the child_tid pointer passed where this kernel reads it?)";
		return lab_fail(&l, "clonelab thread", j);
	}
	int seen = value == 2;
	if (j) {
		cl_json_open(j, 0, '{');
		cl_json_int(j, "pid", pid);
		cl_json_int(j, "main_tid", tid);
		cl_json_int(j, "thread_tid", c->tid);
		/* the word itself, as CLONE_PARENT_SETTID left it: -1 if never written */
		cl_json_int(j, "parent_tid_word", l.sh->parent_tid);
		cl_json_int(j, "getpid_in_thread", c->pid);
		cl_json_bool(j, "same_thread_group", c->pid == pid);
		cl_json_bool(j, "thread_write_seen_by_main", seen);
		cl_json_bool(j, "joined", joined);
		common_json(j, &l);
		return CL_EXIT_OK;
	}
	outf("thread: clone(");
	lab_print_flags(&cl_stdout, l.flags, "");	/* from the flags themselves */
	outf(")\n\n");
	outf("  main thread     pid %d, tid %d\n", pid, tid);
	outf("  new thread      pid %d, tid %d: %s\n", c->pid, c->tid,
	    c->pid == pid ? "the same process, another task" : "a different process?");
	outf("  thread's write  %s\n", seen ? "seen by the main thread: one address space" :
	    "not seen by the main thread");
	outf("  joined          %s\n", joined ? "yes: the kernel zeroed the CHILD_CLEARTID word "
	    "and woke our futex" : "no");
	common_text(&l);
	return CL_EXIT_OK;
}

static int scenario_chimera(struct cl_json *j, const struct cmd_opts *o)
{
	struct lab l = { .flags = CL_CLONE_VM, .exit_signal = SIGCHLD, .cpu = o->cpu, .api = o->api,
			 .new_stack = 1, .fn = vm_child_main, .sh = lab_shared_reset() };
	l.arg = l.sh->scratch;
	struct report *c = l.arg;
	int pid = (int)SYS0(getpid);
	value = 1;
	long st, status = after_clone(&l, lab_clone(&l), "clonelab chimera", j, &st);
	if (status >= 0)
		return (int)status;
	int seen = value == 2;
	if (j) {
		json_pids(j, pid, c);
		cl_json_bool(j, "same_thread_group", c->pid == pid);
		cl_json_bool(j, "child_write_seen_by_parent", seen);
		cl_json_int(j, "child_exit_status", CL_WEXITSTATUS(st));
		common_json(j, &l);
		return CL_EXIT_OK;
	}
	outf("chimera: clone(");
	lab_print_flags(&cl_stdout, l.flags, "");
	outf("|SIGCHLD): one address space, two processes\n\n");
	outf("  parent          pid %d\n", pid);
	outf("  child           pid %d (its parent: %d): a process of its own\n", c->pid, c->ppid);
	outf("  child's write   %s\n", seen ? "seen by the parent: they share one address space"
	    : "not seen by the parent");
	outf("  child's exit    status %d, collected with wait4\n", CL_WEXITSTATUS(st));
	common_text(&l);
	return CL_EXIT_OK;
}

static int userns_main(void *p)
{
	struct lab *l = p;
	struct report *c = (struct report *)l->sh->scratch;
	c->uid_before = (int)SYS0(getuid);	/* no map yet: the overflow uid */
	c->procpid = lab_proc_pid();	/* the parent writes our maps under this pid */
	lab_post(&l->sh->go);
	lab_await(&l->sh->done);		/* the parent writes our maps */
	c->uid = (int)SYS0(getuid);
	c->gid = (int)SYS0(getgid);
	c->setuid0 = (int)SYS1(setuid, 0);
	char map[64];
	if (cl_read_file("/proc/self/uid_map", map, sizeof map) > 0)
		memcpy(c->uid_map, map, sizeof c->uid_map);
	pic_hold();
	return 0;
}

static int scenario_userns(struct cl_json *j, const struct cmd_opts *o)
{
	struct lab l = { .flags = CL_CLONE_NEWUSER, .exit_signal = SIGCHLD, .cpu = o->cpu, .api = o->api,
			 .new_stack = 1, .fn = userns_main, .sh = lab_shared_reset() };
	l.arg = &l;
	struct report *c = (struct report *)l.sh->scratch;
	unsigned uid = (unsigned)SYS0(geteuid), gid = (unsigned)SYS0(getegid);
	if (lab_clone(&l) < 0)
		return lab_fail(&l, "clonelab userns", j);
	int step = 0, status = CL_EXIT_FAIL;
	long r = lab_await_child(&l, &l.sh->go);
	const char *why = "the child exited before it was ready: killed from outside?";
	if (r == 0 && c->procpid < 0)
		r = c->procpid, why = lab_proc_why(r), status = CL_EXIT_UNSUPPORTED;
	else if (r == 0 && (r = cl_userns_map(c->procpid, uid, gid, &step)) < 0)
		why = cl_userns_map_why(step, r);
	lab_post(&l.sh->done);
	pic_gather(&l);
	long st = lab_wait(&l);
	if (r == 0 && st != 0)	/* the child must get through its own checks */
		r = st < 0 ? st : -ESRCH, why = "the child did not exit 0";
	if (r < 0) {
		if (j) {
			cl_json_error(j, status, 0, r, why);
			cl_json_close(j, '}');
		} else {
			cl_perror("clonelab userns", status == CL_EXIT_FAIL ? 0 : "not possible here",
				  r, why);
		}
		return status;
	}
	char *nl = c->uid_map;
	while (*nl && *nl != '\n')
		nl++;
	*nl = 0;
	pic_userns(uid, gid, c->uid_before, c->uid, c->setuid0, c->uid_map);
	if (j) {
		cl_json_open(j, 0, '{');
		cl_json_int(j, "outside_uid", uid);
		cl_json_int(j, "outside_gid", gid);
		cl_json_int(j, "child_pid", l.ret);
		cl_json_int(j, "uid_before_map", c->uid_before);
		cl_json_int(j, "inside_uid", c->uid);
		cl_json_int(j, "inside_gid", c->gid);
		cl_json_str(j, "uid_map", c->uid_map);
		cl_json_bool(j, "setuid0", c->setuid0 == 0);
		common_json(j, &l);
		return CL_EXIT_OK;
	}
	outf("userns: clone(");
	lab_print_flags(&cl_stdout, l.flags, "");
	outf("|SIGCHLD): root in a user namespace of your own\n\n");
	outf("  outside         uid %u, gid %u\n", uid, gid);
	outf("  before the map  the child's uid is %d: unmapped ids show as the overflow uid\n",
	    c->uid_before);
	outf("  the map         the parent wrote \"deny\" to setgroups, \"0 %u 1\" to uid_map,\n"
	    "                  \"0 %u 1\" to gid_map of pid %ld\n", uid, gid, l.ret);
	outf("  after the map   uid %d, gid %d; /proc/self/uid_map reads \"%s\"\n", c->uid,
	    c->gid, c->uid_map);
	outf("  setuid(0)       %s\n", c->setuid0 == 0 ? "succeeded: inside, we are root" :
	    cl_errno_name(c->setuid0));
	common_text(&l);
	return CL_EXIT_OK;
}

#define SVG_HELP "\n--svg FILE draws what parent and child share, and the clone's CPUs and\n" \
	"timing, as SVG (- for stdout, instead of the report).\n" KERNEL_HELP
#define KERNEL_HELP "--kernel adds the kernel's side of the clone (root; see README): by kprobes,\n" \
	"or by BPF programs where there are none (=kprobe or =bpf to choose);\n" \
	"--show-bpf prints those programs, with the BTF name of each offset.\n"

static const struct {
	const char *name;
	int (*run)(struct cl_json *, const struct cmd_opts *);
	const char *usage;
} scenarios[] = {
	{ "fork", scenario_fork, "usage: clonelab fork [--json] [--cpu N] [--api clone|clone3|auto]\n"
	  "       [--svg FILE] [--kernel[=auto|kprobe|bpf]] [--show-bpf]\n\n"
	  "fork emulated with clone(SIGCHLD) and no new stack: the call returns twice,\n"
	  "0 in the child. Shows both returns, both pids, that the child's write stays\n"
	  "its own, and the registers the kernel handed each side.\n" SVG_HELP },
	{ "thread", scenario_thread, "usage: clonelab thread [--json] [--cpu N] [--api clone|clone3|auto]\n"
	  "       [--svg FILE] [--kernel[=auto|kprobe|bpf]] [--show-bpf]\n\n"
	  "A thread made with clone: one address space and one thread group (same pid,\n"
	  "another tid), joined through the kernel's CHILD_CLEARTID futex wake.\n" SVG_HELP },
	{ "userns", scenario_userns, "usage: clonelab userns [--json] [--cpu N] [--api clone|clone3|auto]\n"
	  "       [--svg FILE] [--kernel[=auto|kprobe|bpf]] [--show-bpf]\n\n"
	  "A child in a new user namespace: uid 65534 before its uid_map is written,\n"
	  "0 after, and setuid(0) succeeds inside. Works unprivileged where the system\n"
	  "allows user namespaces; exits 3 where it does not.\n" SVG_HELP },
	{ "chimera", scenario_chimera, "usage: clonelab chimera [--json] [--cpu N] [--api clone|clone3|auto]\n"
	  "       [--svg FILE] [--kernel[=auto|kprobe|bpf]] [--show-bpf]\n\n"
	  "CLONE_VM without CLONE_THREAD: two processes (two pids, separately waited for)\n"
	  "sharing one address space. Impossible under QEMU user mode (exit 3).\n" SVG_HELP },
};

static int run_one(int k, int argc, char **argv)
{
	char cmd[24] = "clonelab ";
	memcpy(cmd + 9, scenarios[k].name, cl_strlen(scenarios[k].name) + 1);
	struct cmd_opts o;
	int r = cmd_options(argc, argv, cmd, scenarios[k].usage, &o);
	if (r >= 0)
		return r;
	cl_sigchld_default(0);
	struct cl_json j = { &cl_stdout, 0, 0 };
	if (o.html) {
		errf("%s: --html is for clonelab tour (try --svg FILE)\n", cmd);
		return CL_EXIT_USAGE;
	}
	if (o.svg)
		pic_begin(scenarios[k].name, o.svg);
	if (o.json)
		j.o = pic_json_hold(o.svg);	/* until the picture is written: it may fail */
	return pic_write_svg(kview_status(scenarios[k].run(o.json ? &j : 0, &o)), cmd);
}

int cmd_fork(int argc, char **argv) { return run_one(0, argc, argv); }
int cmd_thread(int argc, char **argv) { return run_one(1, argc, argv); }
int cmd_userns(int argc, char **argv) { return run_one(2, argc, argv); }
int cmd_chimera(int argc, char **argv) { return run_one(3, argc, argv); }

static const char *const story[] = {
	"A process is a task with its own memory, files and signal handlers. fork is\n"
	"clone with nothing shared: the child gets copies, and the call returns twice.\n",
	"A thread is a task that shares all of that and joins its creator's thread\n"
	"group: same pid, its own tid. The same clone call, with more flags.\n",
	"Namespaces are the other axis: CLONE_NEWUSER gives the child its own user ids,\n"
	"where it can be root without being root outside.\n",
	"And the muddy middle: CLONE_VM alone makes a second process that shares the\n"
	"first one's memory. Linux does not care what you call it; the flags decide.\n",
};

static const char tour_usage[] = "usage: clonelab tour [--json] [--cpu N] [--api clone|clone3|auto]\n"
	  "       [--html FILE] [--kernel[=auto|kprobe|bpf]] [--show-bpf]\n\n"
	"Runs fork, thread, userns and chimera in order, with the story that links them.\n"
	"Exit status: 0 if all ran, 3 if some are not possible here, 1 on a failure.\n"
	"--cpu N starts each child on CPU N; --api chooses clone3, legacy clone, or\n"
	"clone3 with a fallback to clone where it is ENOSYS (auto, the default).\n"
	"--html FILE writes one self-contained page: each scenario's story, its two\n"
	"pictures (what is shared; CPUs and timing) and its registers (- for stdout).\n"
"--kernel adds the kernel's side of each clone (root, tracefs; see README):\n"
"by kprobes, or by BPF programs where there are none (=kprobe or =bpf to\n"
"choose); --show-bpf prints those programs.\n";

/* tour --html: each scenario's text report goes to a memfd as well, so that the page
 * tells everything the terminal does. Start: point stdout at the memfd; end: copy what
 * came since `from` to the real stdout and into text. -1 (no memfd): no capture. */
#define MFD_CLOEXEC 1U	/* uapi linux/memfd.h */
#define CAPTURED 16384
static char *captured;	/* mapped: .bss is near what aarch64's code model reaches */

static int capture_start(long mfd)
{
	cl_flush(&cl_stdout);
	cl_write(&cl_stdout, "", 0);	/* sets cl_stdout up, so that its fd can change */
	int fd = cl_stdout.fd;
	if (mfd >= 0)
		cl_stdout.fd = (int)mfd;
	return fd;
}

static const char *capture_end(long mfd, int fd, long *from)
{
	char chunk[4096];
	size_t n = 0;
	long r;
	cl_flush(&cl_stdout);
	cl_stdout.fd = fd;
	if (mfd < 0)
		return 0;
	if (!captured) {
		long m = cl_map(CAPTURED);
		captured = cl_is_err(m) ? 0 : (char *)m;
	}
	while ((r = SYS4(pread64, mfd, chunk, sizeof chunk, *from)) > 0) {
		size_t k = !captured ? 0 : (size_t)r < CAPTURED - 1 - n ? (size_t)r : CAPTURED - 1 - n;
		cl_write(&cl_stdout, chunk, (size_t)r);	/* the terminal gets all of it */
		if (k)
			memcpy(captured + n, chunk, k);	/* the page its first 16 KiB */
		n += k, *from += r;
	}
	if (captured)
		captured[n] = 0;
	return captured;
}

int cmd_tour(int argc, char **argv)
{
	struct cmd_opts o;
	int worst = CL_EXIT_OK;
	int r = cmd_options(argc, argv, "clonelab tour", tour_usage, &o);
	if (r >= 0)
		return r;
	if (o.svg) {
		errf("clonelab tour: --svg is for one scenario (try --html FILE)\n");
		return CL_EXIT_USAGE;
	}
	/* --json: the one object waits for the page, which may fail */
	struct cl_out *out = o.json ? pic_json_hold(o.html) : &cl_stdout;
	if (o.html && tour_html_begin(o.html) < 0)
		return CL_EXIT_FAIL;
	cl_sigchld_default(0);
	long mfd = o.html && !o.json ? SYS2(memfd_create, "clonelab-tour", MFD_CLOEXEC) : -1, from = 0;
	for (int k = 0; k < 4; k++) {
		/* --json: one object whose members are the scenarios' own objects, on one line:
		 * at depth 1 they do not end with the newline of a top-level object. */
		struct cl_json j = { out, 1, 0 };
		if (o.json)
			cl_printf(out, "%s%q:", k ? "," : "{", scenarios[k].name);
		else
			outf("%s%s\n", k ? "\n\n" : "", story[k]);
		if (o.html)
			pic_begin(scenarios[k].name, 0);
		int fd = o.html ? capture_start(mfd) : -1;
		r = kview_status(scenarios[k].run(o.json ? &j : 0, &o));
		if (o.html)
			tour_html_section(scenarios[k].name, story[k], r, capture_end(mfd, fd, &from));
		if (r == CL_EXIT_FAIL || (r == CL_EXIT_UNSUPPORTED && worst == CL_EXIT_OK))
			worst = r;
		cl_flush_all();
	}
	if (o.json)
		cl_printf(out, "}\n");
	if (mfd >= 0)
		SYS1(close, mfd);
	return o.html ? tour_html_end(worst) : worst;
}
