/* exec.c: the start-up timer (hosted, glibc). Times execve + exit of each candidate,
 * side by side, in interleaved rounds.
 *
 *   bench-exec [-R] ROUNDS BATCH NAME=PATH[,ARG...] ...
 *
 * -R gives every child the same start: no environment and no address randomisation
 * (personality ADDR_NO_RANDOMIZE, which execve keeps). The page-fault check needs it:
 * where argv, envp and the auxiliary vector end on the stack, and so whether a
 * program's first stack frames cross into one more page, moves with the caller's
 * environment and with the randomised stack offset (seen: 30 runs each, clonelab
 * --version took 3 faults or more, the asm minimum 2 or more; with 1000 bytes more of
 * environment, never 3 against once 2; with -R, 3 and 2 every time). Where
 * personality is refused, -R still empties the environment, and says so.
 *
 * Each round runs every candidate BATCH times in a row (vfork + execve in the child,
 * wait4 in the parent), in an order shuffled anew each round, and prints
 *   exec NAME ROUND NS_PER_EXEC MINFLT_PER_EXEC CPU_NS_PER_EXEC
 * NS is wall-clock time, the driver's vfork and wait4 included. MINFLT and CPU are the
 * child's, from wait4's rusage, from the vfork to its exit: its minor page faults (a
 * count, the same on a busy machine as on an idle one), and the CPU time it used,
 * user + system (the kernel accounts that to the nanosecond and scales the two parts
 * to it, so their sum is exact to the microsecond it is reported in). CPU time leaves
 * out the time spent waiting for a CPU that another job holds: on a shared machine it
 * is the steadier figure.
 * One extra round 0 goes first as a warm-up (page cache, dentries) and is not printed.
 * The children's stdout and stderr are /dev/null; results go to the driver's own
 * stdout, moved to a close-on-exec descriptor so that no child inherits it.
 * A candidate that exits non-zero stops the run (exit 1): a broken binary must not
 * look fast.
 * Shuffled, not rotated: a rotation keeps each candidate's neighbours, and a program
 * that leaves the kernel work behind (freeing 4 MiB it touched) would always slow
 * down the same next one (measured: 1.8x on clonelab --version behind the 4 MiB
 * .bss variant of the exec-cost experiment). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hosted.h"

extern char **environ;

struct cand { const char *name; char *argv[8]; };

static char *no_env[] = { 0 };
static char **child_env;

static FILE *errs;

static long long run_batch(struct cand *c, int batch, long *minflt, long long *cpu)
{
	long faults = 0;
	long long cpu_us = 0;
	long long t0 = now_ns();
	for (int i = 0; i < batch; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			execve(c->argv[0], c->argv, child_env);
			_exit(127);
		}
		int st;
		struct rusage ru;
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || st != 0) {
			fprintf(errs, "bench-exec: %s failed (status 0x%x)\n", c->name,
				pid < 0 ? -1 : st);
			exit(1);
		}
		faults += ru.ru_minflt;
		cpu_us += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
			  ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	}
	long long ns = (now_ns() - t0) / batch;
	*minflt = faults / batch;
	*cpu = cpu_us * 1000 / batch;
	return ns;
}

int main(int argc, char **argv)
{
	child_env = environ;
	if (argc > 1 && !strcmp(argv[1], "-R")) {
		/* A container's seccomp filter may refuse it (Docker's default does): then
		 * the runs keep their random stack offset, and the caller's least of
		 * several runs has to find the lucky layout. */
		if (personality(PER_LINUX | ADDR_NO_RANDOMIZE) < 0)
			perror("bench-exec: personality(ADDR_NO_RANDOMIZE), so runs keep a random "
			       "stack offset");
		child_env = no_env;
		argv++, argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: bench-exec [-R] ROUNDS BATCH NAME=PATH[,ARG...] ...\n");
		return 2;
	}
	int rounds = atoi(argv[1]), batch = atoi(argv[2]), n = argc - 3;
	struct cand *c = calloc(n, sizeof *c);
	for (int i = 0; i < n; i++) {
		char *s = strdup(argv[3 + i]), *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "bench-exec: '%s' is not NAME=PATH\n", s);
			return 2;
		}
		*eq = 0;
		c[i].name = s;
		int k = 0;
		for (char *tok = strtok(eq + 1, ","); tok && k < 7; tok = strtok(0, ","))
			c[i].argv[k++] = tok;
	}
	int out = fcntl(1, F_DUPFD_CLOEXEC, 3);
	errs = fdopen(fcntl(2, F_DUPFD_CLOEXEC, 3), "w");
	setvbuf(errs, 0, _IONBF, 0);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 1), dup2(null, 2);
	FILE *res = fdopen(out, "w");
	int *order = calloc(n, sizeof *order);
	unsigned long long seed = 0x9e3779b97f4a7c15ull;	/* the same shuffles every run */
	for (int r = 0; r <= rounds; r++) {
		for (int j = 0; j < n; j++)
			order[j] = j;
		for (int j = n - 1; j > 0; j--) {	/* Fisher-Yates, on a xorshift64 */
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			int k = (int)(seed % (unsigned)(j + 1)), t = order[j];
			order[j] = order[k], order[k] = t;
		}
		for (int j = 0; j < n; j++) {
			struct cand *x = &c[order[j]];
			long minflt;
			long long cpu, ns = run_batch(x, r ? batch : 2, &minflt, &cpu);
			if (r)
				fprintf(res, "exec %s %d %lld %ld %lld\n", x->name, r, ns, minflt, cpu);
		}
	}
	fclose(res);
	return 0;
}
