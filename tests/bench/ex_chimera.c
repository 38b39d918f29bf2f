/* ex_chimera.c: src/examples/chimera.c written with a libc (musl or glibc): the
 * libc's clone(CLONE_VM | SIGCHLD) on the same 16 KiB stack, the same wait, the same
 * lines. The child shares our memory, stdout's buffer with it: its line waits there
 * (it exits through the clone wrapper's exit syscall, which flushes nothing) until
 * the parent's exit writes it first, in order. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int value = 1;
static char stack[16384] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	value = 2;
	printf("child:  my pid is %d\n", getpid());
	return 0;
}

int main(void)
{
	int pid = clone(child, stack + sizeof stack, CLONE_VM | SIGCHLD, 0);
	if (pid < 0) {
		printf("clone(CLONE_VM) failed: errno %d\n", errno);
		return 3;
	}
	int status;
	waitpid(pid, &status, __WALL);
	printf("parent: my pid is %d\n", getpid());
	printf("parent: value, after the child wrote 2: %d\n", value);
	return 0;
}
