/* spawn_posix.c: spawn + wait with a libc's posix_spawn + waitpid of TARGET, which
 * must exit 0.
 *   spawn_posix TARGET [N] */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "hosted.h"

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long n = argc > 2 ? atol(argv[2]) : 300;
	char *args[] = { argv[1], 0 };
	long long t0 = 0;
	for (long i = 0; i < n + 10; i++) {
		if (i == 10)
			t0 = now_ns();
		pid_t pid;
		int st;
		if (posix_spawn(&pid, argv[1], 0, 0, args, environ) ||
		    waitpid(pid, &st, 0) != pid || st != 0)
			return 1;
	}
	printf("%lld\n", (now_ns() - t0) / n);
	return 0;
}
