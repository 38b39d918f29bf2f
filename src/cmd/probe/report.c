/* report.c: what `clonelab probe` saw, told: the table (text), one JSON object,
 * or the --svg picture; and its failures, in the same two forms. */
#include "pic/pic.h"
#include "probe_int.h"
#include "kernel/kernel.h"

/* A word's story: when PARENT_SETTID, CHILD_SETTID, CHILD_CLEARTID did their work. */
static const char *when_ptid(const struct obs *o, int tid, const struct report *c)
{
	if (!(probe_lab.flags & CLONE(PARENT_SETTID)))
		return o->end_ptid == -1 ? "not requested, not written" : "not requested, yet written";
	if (o->ret_ptid == tid)
		return (probe_lab.flags & CLONE(VFORK)) ? "already written when clone returned "
		       "in the parent (after the child's exit: vfork)" : "already written when "
		       "clone returned in the parent";
	if (c->ptid_seen == tid)
		return "not yet when clone returned in the parent, but by the child's first "
		       "instruction (written in the child)";
	if (o->end_ptid == tid)
		return "after the parent's return";
	return "never";
}

static const char *when_ctid(const struct obs *o, int tid, const struct report *c)
{
	if (!(probe_lab.flags & CLONE(CHILD_SETTID)))
		return c->ctid_seen == -1 ? "not requested, not written" : "not requested, yet written";
	if (c->ctid_seen == tid)
		return o->ret_ctid == tid ? "before the child's first instruction (and before the "
		       "parent's return)" : "before the child's first instruction (after the "
		       "parent's return)";
	return "never";
}

static const char *when_clear(const struct obs *o)
{
	if (!(probe_lab.flags & CLONE(CHILD_CLEARTID)))
		return o->end_ctid == 0 ? "not requested, yet zeroed" : "not requested, not zeroed";
	if (o->end_ctid == 0)
		return o->ready_ctid != 0 ? "zeroed at the child's exit, and the futex woken" :
		       "zeroed before the parent looked";
	return (probe_lab.flags & CLONE(VM)) ? "not zeroed" : "not zeroed: the kernel clears "
	       "it at exit only when the child's memory is shared (CLONE_VM)";
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
	if (probe_lab.flags & CLONE(THREAD))
		return 0;
	return probe_lab.flags & CLONE(PARENT) ? SIGCHLD : probe_lab.exit_signal;
}

static const char *signame(int sig)
{
	return !sig ? "none" : lab_signame(sig) ? lab_signame(sig) : sig <= 64 ?
	       "a real-time signal" : "not a signal";
}

/* A verdict in words: 1 shared, 0 separate, -1 unknown. */
static const char *sharing_word(int v)
{
	return v < 0 ? "unknown" : v ? "shared" : "separate";
}

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
	for (int k = 0; k < LAB_NFLAGS; k++)
		if (probe_lab.flags & (1ULL << (k + LAB_FLAG_LO)))
			cl_json_str(j, 0, lab_flag_names[k]);
	cl_json_close(j, ']');
	cl_json_hex(j, "flags_hex", probe_lab.flags);
}

/* "how": who asked the kernel, what kcmp and the effects said, and the ns links. */
static void json_how(struct cl_json *j, const struct obs *o, const struct report *c)
{
	cl_json_open(j, "how", '{');
	cl_json_str(j, "asked_by", c->asked ? "child" : "parent");
	cl_json_open(j, "kcmp", '{');
	for (int i = 0; i < 6; i++)
		cl_json_str(j, probe_rows[i], kcmp_word(o->seen->kcmp[i]));
	cl_json_close(j, '}');
	cl_json_open(j, "effect", '{');
	for (int i = 0; i < 4; i++)
		cl_json_bool(j, probe_rows[i], o->eff[i]);
	cl_json_close(j, '}');
	cl_json_bool(j, "io_context", o->ioctx);
	cl_json_bool(j, "sem_undo", o->semundo);
	if (probe_lab.flags & CLONE(VFORK))
		cl_json_bool(j, "vfork_suspended_parent", o->vfork_slept);
	cl_json_open(j, "qemu_ignored", '[');	/* flags QEMU user mode dropped */
	if (cl_under_qemu())
		for (int i = 0; i < 2; i++)
			if (probe_lab.flags & (i ? CLONE(IO) : CLONE(VFORK)))
				cl_json_str(j, 0, i ? "io" : "vfork");
	if (cl_under_qemu() && (probe_lab.flags & CLONE(VFORK)) && (probe_lab.flags & CLONE(VM)))
		cl_json_str(j, 0, "vm");
	cl_json_close(j, ']');
	cl_json_open(j, "ns", '{');
	for (int i = 0; i < 8; i++) {
		cl_json_open(j, lab_ns_names[i], '[');
		cl_json_str(j, 0, o->seen->ns[0][i]);
		cl_json_str(j, 0, o->seen->ns[1][i]);
		cl_json_close(j, ']');
	}
	cl_json_close(j, '}');
	cl_json_close(j, '}');
}

/* "tids": each tid word's story. Its value at up to three moments (a NULL key: not
 * shown), whether its flag was asked for, and when the kernel wrote it. */
struct tid_word {
	const char *name;
	uint64_t flag;
	const char *key[3];
	int val[3];
	const char *when;
};

static void json_tids(struct cl_json *j, const struct obs *o, const struct report *c)
{
	int tid = (int)probe_lab.ret;
	const struct tid_word words[3] = {
		{ "parent_settid", CLONE(PARENT_SETTID),
		  { "at_parent_return", "at_child_start", "after_exit" },
		  { o->ret_ptid, c->ptid_seen, o->end_ptid }, when_ptid(o, tid, c) },
		{ "child_settid", CLONE(CHILD_SETTID), { "at_parent_return", "at_child_start", 0 },
		  { o->ret_ctid, c->ctid_seen, 0 }, when_ctid(o, tid, c) },
		{ "child_cleartid", CLONE(CHILD_CLEARTID), { "before_exit", "after_exit", 0 },
		  { o->ready_ctid, o->end_ctid, 0 }, when_clear(o) } };
	cl_json_open(j, "tids", '{');
	cl_json_int(j, "tid", tid);
	for (int w = 0; w < 3; w++) {
		cl_json_open(j, words[w].name, '{');
		cl_json_bool(j, "requested", (probe_lab.flags & words[w].flag) != 0);
		for (int k = 0; k < 3 && words[w].key[k]; k++)
			cl_json_int(j, words[w].key[k], words[w].val[k]);
		cl_json_str(j, "when", words[w].when);
		cl_json_close(j, '}');
	}
	if (probe_lab.flags & CLONE(PIDFD))
		cl_json_int(j, "pidfd", o->pidfd);
	cl_json_close(j, '}');
}

static void report_json(struct cl_json *j, const struct obs *o, const struct report *c)
{
	cl_json_open(j, 0, '{');
	cl_json_str(j, "result", "ok");
	cl_json_str(j, "api", probe_lab.used_clone3 ? "clone3" : "clone");
	cl_json_bool(j, "fallback", probe_lab.fallback);
	json_flags(j);
	cl_json_int(j, "exit_signal", probe_lab.exit_signal);
	cl_json_int(j, "exit_signal_used", signal_used());
	json_ids(j, "parent", &o->id);
	cl_json_close(j, '}');
	json_ids(j, "child", &c->id);
	if (probe_lab.flags & CLONE(NEWPID)) {
		cl_json_int(j, "pid_inside", c->nspid_in);
		cl_json_int(j, "pid_outside", c->nspid_out);
	}
	if (probe_lab.flags & CLONE(NEWUSER)) {
		cl_json_int(j, "uid_before_map", c->uid_before);
		cl_json_int(j, "uid_outside", o->uid_out);
		cl_json_int(j, "gid_outside", o->gid_out);
		cl_json_str(j, "uid_map", c->uid_map);
		cl_json_str(j, "gid_map", c->gid_map);
	}
	cl_json_close(j, '}');
	cl_json_open(j, "shared", '{');
	for (int i = 0; i < 6; i++)
		json_tri(j, probe_rows[i], verdict(o, i));
	cl_json_bool(j, "thread_group", c->id.tgid == o->id.tgid);
	cl_json_open(j, "ns", '{');
	for (int i = 0; i < 8; i++)
		json_tri(j, lab_ns_names[i], ns_same(o, i));
	cl_json_close(j, '}');
	cl_json_close(j, '}');
	json_how(j, o, c);
	json_tids(j, o, c);
	cl_json_int(j, "cpu", probe_lab.sh->child_cpu);
	cl_json_int(j, "parent_cpu", probe_lab.sh->parent_cpu);
	cl_json_int(j, "latency_ns", lab_latency_ns(&probe_lab));
	lab_call_json(j, &probe_lab);
	if (probe_lab.flags & CLONE(PIDFD))	/* clone3's pidfd field; legacy clone's parent_tid */
		cl_json_hex(j, "pidfd_slot", (unsigned long)(uintptr_t)(probe_lab.used_clone3 ?
			    &probe_lab.sh->pidfd : &probe_lab.sh->parent_tid));
	lab_regs_json(j, &probe_lab);
	kview_json(j, &probe_lab);
	cl_json_close(j, '}');
}

/* --svg: the verdicts drawn are the ones reported (pic.h). */
static void picture(const char *svg, const struct obs *o, const struct report *c)
{
	int same[4];
	for (int i = 0; i < 4; i++)
		same[i] = verdict(o, i);
	struct pic *p = pic_begin("probe", svg);
	/* the parent's view of both tasks: in a new pid namespace the child calls itself 1,
	 * which the picture shows as its pid inside, beside clone's answer outside */
	int newpid = (probe_lab.flags & CLONE(NEWPID)) && probe_lab.ret > 0;
	pic_tasks(p, o->id.tgid, o->id.tid, newpid ? (int)probe_lab.ret : c->id.tgid,
		  newpid ? (int)probe_lab.ret : c->id.tid);
	if (newpid)
		p->task[PIC_CHILD].inner_tid = c->id.tid;
	pic_verdicts(p, probe_lab.flags, o->seen, same, o->id.tgid, c->id.tgid);
	pic_done(&probe_lab);
}

static void ids_row(const char *name, int p, int c, const char *note)
{
	outf("  %-6s %10d %10d  %s\n", name, p, c, note);
}

/* The call made, then both sides' ids. */
static void text_call_and_ids(const struct obs *o, const struct report *c)
{
	outf("probe: %s(", probe_lab.used_clone3 ? "clone3" : "clone");
	lab_print_flags(&cl_stdout, probe_lab.flags, "");
	outf(", exit signal ");
	if (lab_signame(probe_lab.exit_signal))
		outf("%s", lab_signame(probe_lab.exit_signal));
	else if (probe_lab.exit_signal)
		outf("%d, %s", probe_lab.exit_signal, signame(probe_lab.exit_signal));
	else
		outf("none");
	outf(")%s\n", probe_lab.fallback ? ": clone3 answered ENOSYS, so legacy clone" : "");
	if (signal_used() != probe_lab.exit_signal)
		outf("  the kernel sends %s at its exit instead: CLONE_PARENT gives the child its "
		    "creator's own exit signal\n  (the probe ran in a helper process, so that "
		    "clonelab is the parent that reaps it)\n", signame(signal_used()));
	outf("\n");
	outf("  %-6s %10s %10s\n", "", "parent", "child");
	ids_row("pid", o->id.pid, c->id.pid, c->id.pid == 1 && (probe_lab.flags & CLONE(NEWPID)) ?
		"getpid(): 1 inside the new pid namespace" : "getpid()");
	ids_row("tid", o->id.tid, c->id.tid, "gettid()");
	ids_row("ppid", o->id.ppid, c->id.ppid, "getppid()");
	ids_row("tgid", o->id.tgid, c->id.tgid, "Tgid in /proc/<tid>/status, as we see it");
	ids_row("uid", o->id.uid, c->id.uid,
		(probe_lab.flags & CLONE(NEWUSER)) ? "inside its user namespace" : "");
	ids_row("gid", o->id.gid, c->id.gid, "");
	if (probe_lab.flags & CLONE(NEWPID))
		outf("  pid namespace: the child is %d inside and %d outside (NSpid)\n",
		    c->nspid_in, c->nspid_out);
	if (probe_lab.flags & CLONE(NEWUSER))
		outf("  user namespace: uid %d before its map, then %d inside = %d outside; "
		    "uid_map \"%s\", gid_map \"%s\"\n", c->uid_before, c->id.uid, o->uid_out,
		    c->uid_map, c->gid_map);
}

static void report_text(const struct obs *o, const struct report *c)
{
	int tid = (int)probe_lab.ret;
	static const char *const effect_text[4][2] = {
		{ "the child's write did not reach us", "the child's write reached us" },
		{ "our cwd and umask stayed", "the child's chdir/umask changed ours" },
		{ "its new descriptor is not in our table", "its new descriptor is in our table" },
		{ "our SIGUSR disposition stayed", "the child's SIG_IGN changed ours" } };
	text_call_and_ids(o, c);
	outf("\n  %-13s %-9s how we know\n", "resource", "");
	for (int i = 0; i < 6; i++) {
		long k = o->seen->kcmp[i];
		outf("  %-13s %-9s kcmp %s", probe_rows[i], sharing_word(verdict(o, i)), kcmp_word(k));
		if (k < 0)
			outf(k == -ENOSYS ? " (no kcmp here)" : k == -EPERM ? " (no ptrace rights)" :
			    c->asked && (probe_lab.flags & CLONE(NEWPID)) ? " (the vfork child "
			    "asked, and we are outside its pid namespace)" : "");
		if ((i == 4 && !o->ioctx) || (i == 5 && !o->semundo))
			outf(" (but we have no %s to compare)", i == 4 ? "I/O context" : "undo list");
		if (i < 4)
			outf("; %s", effect_text[i][o->eff[i]]);
		outf("\n");
	}
	outf("  %-13s %-9s Tgid %d vs %d\n", "thread group", c->id.tgid == o->id.tgid ?
	    "shared" : "separate", o->id.tgid, c->id.tgid);
	for (int i = 0; i < 8; i++)
		outf("  ns %-10s %-9s %s%s%s\n", lab_ns_names[i], sharing_word(ns_same(o, i)),
		    o->seen->ns[0][i], ns_same(o, i) ? "" : " vs ",
		    ns_same(o, i) ? "" : o->seen->ns[1][i]);
	outf("  (%s asked the kernel)\n", c->asked ? "the vfork child" : "the parent");
	if ((probe_lab.flags & CLONE(IO)) && cl_under_qemu())
		outf("  QEMU user mode ignores CLONE_IO: it never reaches the kernel\n");
	if ((probe_lab.flags & CLONE(VFORK)) && !o->vfork_slept)
		outf("  CLONE_VFORK did not suspend the parent: clone returned before the child's "
		    "exit%s\n", cl_under_qemu() ? " (QEMU user mode runs vfork as a plain fork, "
		    "dropping CLONE_VM too)" : "");
	outf("\n  tid words (child tid %d)\n", tid);
	outf("  PARENT_SETTID  %11d  %s\n", o->end_ptid, when_ptid(o, tid, c));
	outf("  CHILD_SETTID   %11d  %s\n", c->ctid_seen, when_ctid(o, tid, c));
	outf("  CHILD_CLEARTID %11d  %s\n", o->end_ctid, when_clear(o));
	if (probe_lab.flags & CLONE(PIDFD))
		outf("  pidfd          %11d\n", o->pidfd);
	outf("\n  syscall         ");
	lab_describe_call(&probe_lab);
	outf("\n  child's CPU     %d (the parent was on %d)\n", probe_lab.sh->child_cpu,
	    probe_lab.sh->parent_cpu);
	outf("  latency         %ld ns from the syscall to the child's first instruction\n\n",
	    lab_latency_ns(&probe_lab));
	lab_regs_text(&probe_lab);
}

int probe_fail(struct cl_json *j, long e, const char *why, int status, const char *rule)
{
	if (j) {
		cl_json_error(j, status, 0, e, why);
		cl_json_str(j, "rule", rule);
		if (probe_lab.failed && probe_lab.ret < 0) {	/* no clone made: no api used */
			cl_json_null(j, "api");
			cl_json_null(j, "fallback");
		} else {
			cl_json_str(j, "api", probe_lab.used_clone3 ? "clone3" : "clone");
			cl_json_bool(j, "fallback", probe_lab.fallback);
		}
		json_flags(j);
		cl_json_int(j, "exit_signal", probe_lab.exit_signal);
		if (!probe_lab.failed)
			lab_call_json(j, &probe_lab);
		cl_json_close(j, '}');
	} else {
		errf("clonelab probe: %s", status == CL_EXIT_UNSUPPORTED ? "not possible here: " : "");
		cl_printf(&cl_stderr, "%s: %s\n", cl_errno_name(e) ? cl_errno_name(e) : "?", why);
	}
	return status;
}

/* The table, or, if an observation failed, that failure: a table built on it would
 * mislead. Returns the exit status. */
int probe_report(struct cl_json *j, const struct obs *o, const struct report *c, const char *svg)
{
	if (svg)
		picture(svg, o, c);
	if (c->obs_err) {
		char why[200];
		struct cl_out w = { -1, 0, sizeof why - 1, why };
		memset(why, 0, sizeof why);
		int empty = c->obs_err == -ENOENT && (probe_lab.flags & CLONE(EMPTY_MNTNS));
		cl_printf(&w, "the clone succeeded, but %s: %s", empty ? "it cannot be observed" :
			  "observing it failed", c->obs_what);
		probe_lab.failed = "observation";
		return probe_fail(j, c->obs_err, why, empty ? CL_EXIT_UNSUPPORTED : CL_EXIT_FAIL,
				  "clonelab");
	}
	if (j)
		report_json(j, o, c);
	else
		report_text(o, c), kview_text(&probe_lab);
	return CL_EXIT_OK;
}
