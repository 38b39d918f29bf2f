/* exec.c: the start-up timer (hosted, glibc). Times execve + exit of each candidate,
 * side by side, in interleaved rounds.
 *
 *   bench-exec ROUNDS BATCH NAME=PATH[,ARG...] ...
 *
 * Each round runs every candidate BATCH times in a row (vfork + execve in the child,
 * wait4 in the parent), the candidates' order rotated by one each round, and prints
 *   exec NAME ROUND NS_PER_EXEC
 * One extra round 0 goes first as a warm-up (page cache, dentries) and is not printed.
 * The children's stdout and stderr are /dev/null; results go to the driver's own
 * stdout, moved to a close-on-exec descriptor so that no child inherits it.
 * A candidate that exits non-zero stops the run (exit 1): a broken binary must not
 * look fast. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hosted.h"

extern char **environ;

struct cand { const char *name; char *argv[8]; };

static FILE *errs;

static long long run_batch(struct cand *c, int batch, long *minflt)
{
	long faults = 0;
	long long t0 = now_ns();
	for (int i = 0; i < batch; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			execve(c->argv[0], c->argv, environ);
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
	}
	long long ns = (now_ns() - t0) / batch;
	*minflt = faults / batch;
	return ns;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench-exec ROUNDS BATCH NAME=PATH[,ARG...] ...\n");
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
	for (int r = 0; r <= rounds; r++)
		for (int j = 0; j < n; j++) {
			struct cand *x = &c[(j + r) % n];
			long minflt;
			long long ns = run_batch(x, r ? batch : 2, &minflt);
			if (r)
				fprintf(res, "exec %s %d %lld %ld\n", x->name, r, ns, minflt);
		}
	fclose(res);
	return 0;
}
