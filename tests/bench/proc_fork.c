/* proc_fork.c: process create + wait with a libc's fork + waitpid (glibc or musl);
 * the child _exits at once.
 *   proc_fork [N] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hosted.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500;
	long long t0 = 0;
	fflush(stdout);
	for (long i = 0; i < n + 10; i++) {
		if (i == 10)
			t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
			return 1;
	}
	printf("%lld\n", (now_ns() - t0) / n);
	return 0;
}
