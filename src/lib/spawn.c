/* spawn.c: start a program in a new process, the vfork way.
 *
 * clone3(CLONE_VM | CLONE_VFORK | CLONE_CLEAR_SIGHAND, exit signal SIGCHLD) on a small
 * stack carved out of cl_spawn's own frame: no page tables are copied, no stack is
 * mapped, and the parent sleeps in the kernel until the child has called execve (or
 * exited), so the child may borrow the parent's memory until then.
 *  - CLONE_CLEAR_SIGHAND (Linux 5.5) resets every caught signal to SIG_DFL in the child
 *    (ignored ones stay ignored, as POSIX wants across exec): a handler of the parent's
 *    can never run on the borrowed stack. Older kernels take the legacy clone path,
 *    where the child resets the handlers itself.
 *  - Signals are blocked across the clone and the caller's mask is restored in the
 *    child just before execve (execve keeps the mask).
 *  - An execve failure is written by the child into ctx.err, in the shared memory, and
 *    the child exits 127; the parent reaps it and returns the -errno.
 *  - QEMU user mode cannot share memory with a child process: QEMU 7.2 has no clone3
 *    (ENOSYS) and quietly turns CLONE_VM|CLONE_VFORK into a plain fork (the child's
 *    error word would never reach us, and the parent would not wait for the exec);
 *    later ones refuse the shape with EINVAL. So when clone3 refuses (ENOSYS, EINVAL)
 *    under QEMU, and on any kernel that refuses both clone shapes with EINVAL, cl_spawn
 *    falls back to cl_fork + execve, with a close-on-exec pipe for the error. */
#include "rt.h"

#define SPAWN_STACK 2048
#define NSIG 64
#define SIG_DFL 0UL
#define SIG_IGN 1UL

struct spawn_ctx {
	const char *path;
	char *const *argv;
	char *const *envp;
	uint64_t mask;		/* the caller's signal mask */
	int reset_handlers;	/* legacy clone: no CLONE_CLEAR_SIGHAND, reset by hand */
	volatile int err;	/* the child's execve error, seen by the parent (CLONE_VM) */
};

static void reset_handlers(void)
{
	for (int sig = 1; sig <= NSIG; sig++) {
		struct cl_ksigaction old, dfl = { .handler = SIG_DFL };
		if (sig == SIGKILL || sig == 19 /* SIGSTOP */)
			continue;
		if (SYS4(rt_sigaction, sig, 0, &old, 8) == 0 && old.handler != SIG_DFL &&
		    old.handler != SIG_IGN)
			SYS4(rt_sigaction, sig, &dfl, 0, 8);
	}
}

static int spawn_child(void *p)
{
	struct spawn_ctx *c = p;
	if (c->reset_handlers)
		reset_handlers();
	cl_set_sigmask(&c->mask);
	c->err = (int)SYS3(execve, c->path, c->argv, c->envp);
	return 127;
}

/* QEMU user mode (and any kernel refusing both vfork shapes): fork, then execve. */
static long spawn_fork(struct spawn_ctx *c)
{
	int fds[2];
	long r = SYS2(pipe2, fds, O_CLOEXEC);
	if (r < 0)
		return r;
	long pid = cl_fork();
	if (pid == 0) {
		SYS1(close, fds[0]);
		cl_set_sigmask(&c->mask);
		int e = (int)SYS3(execve, c->path, c->argv, c->envp);
		SYS3(write, fds[1], &e, sizeof e);
		SYS1(exit_group, 127);
	}
	SYS1(close, fds[1]);
	if (pid > 0) {
		int e = 0;
		while ((r = SYS3(read, fds[0], &e, sizeof e)) == -EINTR)
			;
		if (r == sizeof e) {
			cl_wait((int)pid, 0, 0);
			pid = e;
		}
	}
	SYS1(close, fds[0]);
	return pid;
}

long cl_spawn(const char *path, char *const argv[], char *const envp[])
{
	static int vfork_refused;	/* QEMU: don't ask twice */
	char stack[SPAWN_STACK] __attribute__((aligned(16)));
	struct spawn_ctx c = { path, argv, envp, 0, 0, 0 };
	long r;

	cl_flush_if_linked();
	cl_block_all(&c.mask);
	if (vfork_refused) {
		r = -EINVAL;
	} else {
		struct cl_clone_args a = {
			.flags = CL_CLONE_VM | CL_CLONE_VFORK | CL_CLONE_CLEAR_SIGHAND,
			.exit_signal = SIGCHLD,
			.stack = (uint64_t)(uintptr_t)stack,
			.stack_size = sizeof stack,
		};
		r = cl_clone3(&a, sizeof a, spawn_child, &c);
		if ((r == -ENOSYS || r == -EINVAL) && cl_under_qemu()) {
			r = -EINVAL;	/* see above: only the fork shape is real there */
		} else if (r == -ENOSYS || r == -EINVAL) {	/* before 5.3 / before 5.5 */
			c.reset_handlers = 1;
			r = cl_clone(spawn_child, stack + sizeof stack,
				     CL_CLONE_VM | CL_CLONE_VFORK | SIGCHLD, &c, 0, 0, 0);
		}
		if (r == -EINVAL)
			vfork_refused = 1;
	}
	if (r == -EINVAL)
		r = spawn_fork(&c);
	cl_set_sigmask(&c.mask);
	if (r > 0 && c.err) {	/* the child could not execve: it exits 127; reap it */
		cl_wait((int)r, 0, 0);
		r = c.err;
	}
	return r;
}
