/* init.c: clonelab's init, PID 1 of the new pid namespace, and the wait both it
 * and the outer clonelab do.
 *
 * Why an init by default: the kernel treats PID 1 specially. A signal with no handler
 * is dropped (unshare --fork sh -c 'kill -TERM $$' exits 0), orphans are reparented
 * to it (and most programs never reap them), and its exit kills the namespace. With
 * clonelab's init as PID 1, COMMAND gets ordinary signal semantics and exit statuses,
 * and zombies are reaped. The init uses no signal handlers: it blocks the signals it
 * forwards and SIGCHLD and takes them with rt_sigtimedwait. */
#include "run.h"

#define PR_SET_DUMPABLE 4

int run_status_code(int st)
{
	return CL_WIFSIGNALED(st) ? 128 + CL_WTERMSIG(st) : CL_WEXITSTATUS(st);
}

/* Wait for pid, forwarding the FWD_SET signals, from a process or from a terminal:
 * the container is in a session of its own (child.c), so a terminal's Ctrl-C reaches
 * only the outer clonelab, and reaches COMMAND through it. With reap_all, also reap
 * every other child (orphans, as PID 1). Returns pid's wait status.
 * Precondition: WAIT_SET is blocked, so that the signals queue for rt_sigtimedwait. */
int run_supervise(int pid, int reap_all)
{
	uint64_t set = WAIT_SET;
	for (;;) {
		int info[32];	/* siginfo_t: not read, but the kernel writes it */
		long sig = SYS4(rt_sigtimedwait, &set, info, 0, 8);
		if (sig == SIGCHLD) {
			int st;
			long w;
			while ((w = SYS4(wait4, reap_all ? -1 : pid, &st, CL_WNOHANG | CL_WALL, 0)) > 0)
				if (w == pid)
					return st;
			if (w == -ECHILD) {	/* someone else reaped it: we cannot know how */
				errf(ME ": wait4: ECHILD: the child was reaped by someone else\n");
				return 1 << 8;
			}
		} else if (sig > 0) {
			SYS2(kill, pid, sig);
		}
	}
}

/* The init outlives its set-up in the container's sight, and its argv and environment
 * areas still hold the caller's strings (clonelab's arguments with every --env value,
 * and the caller's variables even with --clear-env): /proc/1/cmdline and
 * /proc/1/environ show that memory. COMMAND's argv and environment were copied out
 * before the clone (run.c's pack), so blank the originals; and make the init
 * non-dumpable: its /proc files are then the user namespace owner's, and root inside
 * cannot open /proc/1/environ, mem or fd. (Re-exec'ing a clean init would need
 * clonelab's binary inside --root DIR, which need not hold it.) */
static void hide_caller(struct container *c)
{
	static const char name[] = "clonelab-init";
	size_t n0 = cl_strlen(c->caller_argv[0]);
	for (char **v = c->caller_argv; *v; v++)
		memset(*v, 0, cl_strlen(*v));
	for (char **v = cl_environ; *v; v++)
		memset(*v, 0, cl_strlen(*v));
	memcpy(c->caller_argv[0], name, n0 < sizeof name - 1 ? n0 : sizeof name - 1);
	SYS2(prctl, PR_SET_DUMPABLE, 0);
}

void run_init(struct container *c)
{
	hide_caller(c);
	long pid = cl_fork();
	if (pid == 0)
		run_exec(c);
	if (pid < 0)
		cl_exit(run_fail(c, "fork of COMMAND", pid, 0));
	/* As PID 1, init cannot die of the signal that killed COMMAND: 128+N instead. */
	cl_exit(run_status_code(run_supervise((int)pid, 1)));
}
