/* thread: clone with VM|FS|FILES|SIGHAND|THREAD|SYSVSEM: one memory, one thread
 * group (same pid, another tid). Joined when the kernel zeroes the CHILD_CLEARTID
 * word at the thread's exit and wakes its futex. (The library's cl_thread_spawn adds
 * a guard page, TLS and a stack cache; this is the mechanism underneath.) */
#include "clonelab.h"
#include "sysnr.h"

#define FLAGS (CL_CLONE_VM | CL_CLONE_FS | CL_CLONE_FILES | CL_CLONE_SIGHAND | \
	CL_CLONE_THREAD | CL_CLONE_SYSVSEM | CL_CLONE_PARENT_SETTID | CL_CLONE_CHILD_CLEARTID)

static volatile int value = 1;
static int tid;	/* the kernel writes the thread's tid here, and zeroes it at exit */
static char stack[16384] __attribute__((aligned(16)));

static int worker(void *arg)
{
	(void)arg;
	value = 2;
	cl_say("thread: getpid() = ", cl_syscall0(CL_NR_getpid));
	cl_say("thread: gettid() = ", cl_syscall0(CL_NR_gettid));
	return 0;
}

int main(void)
{
	if (cl_clone(worker, stack + sizeof stack, FLAGS, 0, &tid, 0, &tid) < 0)
		return 1;
	for (int t; (t = __atomic_load_n(&tid, __ATOMIC_ACQUIRE));)
		cl_syscall4(CL_NR_futex, (long)&tid, 0 /* FUTEX_WAIT, shared */, t, 0);
	cl_say("main:   getpid() = ", cl_syscall0(CL_NR_getpid));
	cl_say("main:   gettid() = ", cl_syscall0(CL_NR_gettid));
	cl_say("main:   value, after the thread wrote 2: ", value);
	return 0;
}
