/* ex_userns.c: src/examples/userns.c written with a libc (musl or glibc): the same
 * clone(NEWUSER | SIGCHLD) with no new stack (the libc's syscall(): its clone()
 * wrapper insists on one), the same uid_map line written by the child, the same wait,
 * the same lines. setuid's result is printed as the example's raw syscall gives it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char map[24];
	int len = snprintf(map, sizeof map, "0 %u 1", (unsigned)getuid());
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		printf("clone: errno %d\n", errno);
		return 3;
	}
	if (pid == 0) {
		printf("uid before map: %d\n", (int)getuid());
		int fd = open("/proc/self/uid_map", O_WRONLY);
		if (write(fd, map, len) < 0) { /* the next lines say how it went */ }
		printf("uid after map: %d\n", (int)getuid());
		printf("setuid(0) = %d\n", setuid(0) ? -errno : 0);
		return 0;
	}
	waitpid(pid, 0, __WALL);
	return 0;
}
