/* ex_fork.c: src/examples/fork.c written with a libc (musl or glibc), for the bench's
 * comparison: the same clone (fork: a copy of our memory, SIGCHLD at exit), the same
 * wait, the same lines. printf is what a libc program writes with; stdout is empty
 * when we fork, so nothing is written twice. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int value = 1;

int main(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		value = 2;
		printf("child:  clone returned 0; my pid is %d\n", getpid());
		return 0;
	}
	int status;
	waitpid(pid, &status, __WALL);
	printf("parent: clone returned the child's pid %d\n", pid);
	printf("parent: my pid is %d\n", getpid());
	printf("parent: value, after the child wrote 2: %d\n", value);
	return 0;
}
