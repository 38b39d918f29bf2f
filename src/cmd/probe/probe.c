/* probe.c: `clonelab probe`: for any flag set, what parent and child share.
 *
 * The command (its options) and the experiment: one instrumented clone (lab.c, the
 * scenarios' trampolines), watched from both sides (observe.c) and told
 * (report.c). Why a refused clone was refused: rules.c. */
#include "pic/pic.h"
#include "probe_int.h"
#include "kernel/kernel.h"

static const char usage[] =
"usage: clonelab probe [--flags LIST] [--signal SIG|none]\n"
"                      [--api clone|clone3|auto] [--cpu N] [--json]\n"
"                      [--kernel[=auto|kprobe|bpf]] [--show-bpf] [--svg FILE]\n\n"
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
"  autoreap nnp pidfd_autokill empty_mntns: clone3's flags of Linux 7.2\n"
"  none                            nothing shared: a fork\n"
"The kernel's rules: thread needs sighand, sighand needs vm; newuser and newns\n"
"refuse fs; newipc refuses sysvsem; other new* need CAP_SYS_ADMIN unless\n"
"newuser comes too. newtime and the flags after io exist only in clone3.\n"
"Try: vm | vm,sighand | vm,fs,files,sighand,thread,sysvsem | vm,vfork | newuser\n\n"
"--signal  exit signal (default SIGCHLD; none with thread or parent)\n"
"--api     auto (default): clone3, and clone where clone3 answers ENOSYS\n"
"--svg     draw what is shared, and the CPUs and timing, as SVG (- for stdout)\n"
"Exit: 0 ok, 1 refused (errno and the rule), 2 usage, 3 not possible here.\n";


struct lab probe_lab;

static int parse_flags(const char *s, uint64_t *f)
{
	unsigned long v;
	*f = 0;
	if (cl_parse_ulong(s, &v) == 0) {
		/* Bits 0-6 are no flags: legacy clone reads the low byte as the exit signal
		 * (a fallback would turn them into a signal for us), clone3 refuses them. */
		if (v & (CL_CSIGNAL & ~CL_CLONE_NEWTIME)) {
			errf("clonelab probe: --flags %s: bits 0-6 (0x%lx here) are not clone flags: "
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
		while (k < LAB_NFLAGS && !cl_strcaseeq(nm, lab_flag_names[k]))
			k++;
		if (k == LAB_NFLAGS) {
			errf("clonelab probe: unknown flag '%s'; valid flags:\n ", name);
			for (k = 0; k < LAB_NFLAGS; k++)
				errf(" %s", lab_flag_names[k]);
			errf(" none\n  (or a number such as 0x50f00)\n");
			return -1;
		}
		*f |= 1ULL << (k + LAB_FLAG_LO);
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
		errf("clonelab probe: --signal takes a signal name (SIGCHLD, USR1), a number or "
		    "none, not '%s'\n", s);
		return -1;
	}
	/* The exit signal comes to us. We ignore it for the probe's length, but these
	 * two cannot be ignored: one would kill clonelab, the other stop it. */
	if (*sig == SIGKILL || *sig == 19) {
		errf("clonelab probe: --signal %s: the child's exit signal is sent to clonelab, "
		    "and %s cannot be caught or ignored: it would %s clonelab itself\n", s,
		    lab_signame(*sig), *sig == SIGKILL ? "kill" : "stop");
		return -1;
	}
	return 0;
}

static const char *svg_file;	/* --svg FILE, or NULL */
static int probe_run(struct cl_json *j);
static int probe_in_helper(struct cl_json *j);

int cmd_probe(int argc, char **argv)
{
	static const struct cl_opt opts[] = { { "--flags", 1 }, { "--signal", 1 }, { "--api", 1 },
		{ "--cpu", 1 }, { "--json", 0 }, { "--help", 0 }, { "--svg", 1 },
		{ "--kernel", 2 }, { "--show-bpf", 0 }, { 0, 0 } };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	uint64_t flags = 0;
	int sig = -1, api = LAB_AUTO, cpu = -1, json = 0, kernel = 0, show_bpf = 0, k;
	const char *backend = 0;
	while ((k = cl_getopt(&a, opts, "clonelab probe")) != CL_ARG_END) {
		if (k == 0 && parse_flags(a.val, &flags) < 0)
			return CL_EXIT_USAGE;
		if (k == 1 && parse_signal(a.val, &sig) < 0)
			return CL_EXIT_USAGE;
		if (k == 2 && cmd_parse_api("clonelab probe", a.val, &api) < 0)
			return CL_EXIT_USAGE;
		if (k == 3 && cmd_parse_cpu("clonelab probe", a.val, &cpu) < 0)
			return CL_EXIT_USAGE;
		if (k == 4)
			json = 1;
		if (k == 6)
			svg_file = a.val;
		if (k == 7)
			kernel = 1, backend = a.val;
		if (k == 8)
			show_bpf = 1;
		if (k == 5) {
			outf("%s", usage);
			return CL_EXIT_OK;
		}
		if (k < 0) {
			if (k == CL_ARG_POSITIONAL)
				errf("clonelab probe: unexpected argument '%s' (try --help)\n", a.val);
			return CL_EXIT_USAGE;
		}
	}
	if (sig < 0)
		sig = flags & (CLONE(THREAD) | CLONE(PARENT)) ? 0 : SIGCHLD;
	if (api == LAB_CLONE && (flags & ~0xffffff00ULL)) {
		errf("clonelab probe: legacy clone cannot pass ");
		lab_print_flags(&cl_stderr, flags & ~0xffffff00ULL, "CLONE_");
		errf(": its flags end at bit 31, and bits 0-7 are the exit signal (use --signal); "
		    "clone3 only\n");
		return CL_EXIT_USAGE;
	}
	if ((k = cmd_json_dash(json, "--svg", svg_file)) >= 0)
		return k;
	cl_sigchld_default(0);	/* we wait for our children: the kernel must not reap them */
	struct cl_json jj = { &cl_stdout, 0, 0 }, *j = json ? &jj : 0;
	if (show_bpf && (!kernel || json)) {
		errf(json ? "clonelab probe: --show-bpf prints BPF assembly, and --json only JSON: not both\n" :
		     "clonelab probe: --show-bpf shows the programs of --kernel: give both\n");
		return CL_EXIT_USAGE;
	}
	if (kernel && kview_choose("clonelab probe", backend, show_bpf) < 0)
		return CL_EXIT_USAGE;
	if (kernel && (k = kview_enable("clonelab probe", j)) >= 0)
		return k;
	if (json)
		jj.o = pic_json_hold(svg_file);	/* until the picture is written: it may fail */
	probe_lab = (struct lab){ .flags = flags, .exit_signal = sig, .api = api, .cpu = cpu,
				  .sh = lab_shared_reset() };
	if ((flags & (CLONE(PARENT) | CLONE(THREAD))) == CLONE(PARENT))
		return pic_json_done(probe_in_helper(j));	/* the helper wrote the picture */
	return probe_run(j);
}

/* The clone failed with r: say why, and return the exit status. Precondition: r < 0. */
static int refused(struct cl_json *j, long r)
{
	char buf[320];
	const char *why, *rule = "kernel";
	int status;
	if (probe_lab.failed && probe_lab.pinned < 0) {
		why = "sched_setaffinity for --cpu: this CPU does not exist here, or is not "
		      "one we may run on (see `clonelab env` for the count)";
		status = CL_EXIT_UNSUPPORTED, rule = "clonelab";
	} else if (probe_lab.failed) {
		why = probe_lab.failed, status = CL_EXIT_FAIL, rule = "clonelab";
	} else if (probe_lab.fallback && (probe_lab.flags & ~0xffffff00ULL)) {
		r = -ENOSYS;
		why = "clone3 answered ENOSYS here, and legacy clone cannot express these "
		      "flags (bits above 31, or CLONE_NEWTIME in the exit signal's byte)";
		status = CL_EXIT_UNSUPPORTED, rule = "clonelab";
	} else {
		why = probe_why(probe_lab.flags, probe_lab.exit_signal, probe_lab.used_clone3, r,
				buf, sizeof buf, &status, &rule);
	}
	return probe_fail(j, r, why, status, rule);
}

/* After the clone returned tid in the parent: let the child report, look, let it go,
 * and wait for it (vfork: in the other order). Fills o; ps holds what we asked.
 * Precondition: lab_clone returned tid > 0, and the child runs probe_child. */
static void watch(struct obs *o, struct lab_seen *ps, int tid)
{
	struct report *c = probe_report_page();
	int vf = (probe_lab.flags & CLONE(VFORK)) != 0, waited = 0;
	if (vf) {	/* the child's work is done only at its exit (QEMU: a plain fork) */
		lab_post(&c->returned);
		lab_wait(&probe_lab), waited = 1;
		o->vfork_slept = !c->returned_early;
	}
	long gone = 0;
	if ((probe_lab.flags & CLONE(NEWUSER)) && !vf &&
	    !(gone = lab_await_child(&probe_lab, &c->step1)))
		probe_map_child(c);
	if (!vf && !gone)
		gone = lab_await_child(&probe_lab, &c->ready);
	if (gone)
		probe_obs_failed(c, gone, "waiting for the child to report: it exited first "
				 "(killed from outside?)");
	probe_observe(o, c, ps, tid, gone || vf);
	lab_post(&c->done);
	if (!waited)
		lab_wait(&probe_lab);
	o->end_ptid = probe_lab.sh->parent_tid;
	o->end_ctid = probe_lab.sh->child_tid;
	if (probe_lab.flags & CLONE(PIDFD)) {
		if (!probe_lab.used_clone3)	/* legacy clone: parent_tid held the pidfd */
			o->ret_ptid = o->end_ptid = c->ptid_seen = -1;
		SYS1(close, o->pidfd);
	}
}

/* The experiment itself, for the request in probe_lab. */
static int probe_run(struct cl_json *j)
{
	struct obs o = { .pidfd = -1 };
	struct lab_seen ps;
	struct baseline b;
	/* What the flags need: a stack for VM, a cgroup fd for INTO_CGROUP. */
	if (probe_lab.flags & CLONE(VM)) {
		probe_lab.new_stack = 1;
		probe_lab.fn = probe_child;
	}
	if (probe_lab.flags & CLONE(INTO_CGROUP)) {
		long fd = probe_open_own_cgroup();
		if (fd < 0)
			return probe_fail(j, fd, "opening our own cgroup (in the cgroup2 mount that "
					  "/proc/self/mountinfo shows) for CLONE_INTO_CGROUP failed",
					  CL_EXIT_UNSUPPORTED, "clonelab");
		probe_lab.cgroup_fd = (int)fd;
	}
	probe_baseline(&o, &b);

	long r = lab_clone(&probe_lab);
	if (r == 0) {		/* the fork-shaped child */
		probe_child(0);
		SYS1(exit, 0);
	}
	o.ret_ptid = __atomic_load_n(&probe_lab.sh->parent_tid, __ATOMIC_ACQUIRE);
	o.ret_ctid = __atomic_load_n(&probe_lab.sh->child_tid, __ATOMIC_ACQUIRE);
	int status;
	if (r < 0) {
		status = refused(j, r);
	} else {
		watch(&o, &ps, (int)r);
		status = probe_report(j, &o, probe_report_page(), svg_file);
	}
	probe_restore(&b);
	if (probe_lab.cgroup_fd > 0)
		SYS1(close, probe_lab.cgroup_fd);
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
		return probe_fail(j, pid, "fork of the helper process that makes the CLONE_PARENT "
				  "child (so that we can reap it)", CL_EXIT_FAIL, "clonelab");
	int st = 0;
	long r = cl_wait((int)pid, &st, 0);
	struct report *c = probe_report_page();	/* release a child left waiting by a killed helper */
	lab_post(&c->mapped), lab_post(&c->done);
	while (cl_wait(-1, 0, 0) > 0)	/* the CLONE_PARENT child: ours */
		;
	if (r < 0 || !CL_WIFEXITED(st)) {
		errf("clonelab probe: the helper process %s\n", r < 0 ? "could not be waited for" :
		    "was killed by a signal");
		return CL_EXIT_FAIL;
	}
	return CL_WEXITSTATUS(st);
}
