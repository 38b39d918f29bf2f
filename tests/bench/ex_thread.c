/* ex_thread.c: src/examples/thread.c written with a libc (musl or glibc): the libc's
 * clone() with the same flags, the same 16 KiB stack, the same futex join on the
 * CHILD_CLEARTID word, the same lines. Not pthread_create: that is another clone
 * (TLS, a guard page, a mmap'd stack), timed in section 2. The thread gets no TLS of
 * its own, so it runs on the main thread's: fine here, as main only waits meanwhile,
 * and the lines it prints land in the one shared stdout buffer that main flushes. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FUTEX_WAIT 0	/* linux/futex.h: musl-gcc sees no kernel headers */

#define FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static volatile int value = 1;
static int tid;
static char stack[16384] __attribute__((aligned(16)));

static int worker(void *arg)
{
	(void)arg;
	value = 2;
	printf("thread: getpid() = %d\n", getpid());
	printf("thread: gettid() = %ld\n", syscall(SYS_gettid));
	return 0;
}

int main(void)
{
	if (clone(worker, stack + sizeof stack, FLAGS, 0, &tid, 0, &tid) < 0)
		return 1;
	for (int t; (t = __atomic_load_n(&tid, __ATOMIC_ACQUIRE));)
		syscall(SYS_futex, &tid, FUTEX_WAIT, t, 0);
	printf("main:   getpid() = %d\n", getpid());
	printf("main:   gettid() = %ld\n", syscall(SYS_gettid));
	printf("main:   value, after the thread wrote 2: %d\n", value);
	return 0;
}
