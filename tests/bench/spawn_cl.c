/* spawn_cl.c: spawn + wait with cl_spawn (clone3 CLONE_VM|CLONE_VFORK on a small
 * stack, then execve) of TARGET, which must exit 0.
 *   spawn_cl TARGET [N] */
#include "free.h"

int main(int argc, char **argv, char **envp)
{
	if (argc < 2)
		die("usage: spawn_cl TARGET [N]", -EINVAL);
	unsigned long n = arg_count(argc - 1, argv + 1, 300);
	char *args[] = { argv[1], 0 };
	uint64_t t0 = 0;
	for (unsigned long i = 0; i < n + 10; i++) {
		if (i == 10)
			t0 = now_ns();
		long pid = cl_spawn(argv[1], args, envp);
		if (pid < 0)
			die("cl_spawn", pid);
		int st;
		long r = cl_wait((int)pid, &st, 0);
		if (r != pid || st != 0)
			die("cl_wait", r < 0 ? r : -ECHILD);
	}
	report(t0, now_ns(), n);
	return 0;
}
