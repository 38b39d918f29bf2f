/* cmd.h: the subcommands of clonelab. Each takes argv after its own name and returns
 * the exit status: 0 ok, 1 failure, 2 usage error, 3 not possible here. */
#ifndef CL_CMD_H
#define CL_CMD_H
#include "lab/lab.h"

int cmd_env(int argc, char **argv);
int cmd_fork(int argc, char **argv);
int cmd_thread(int argc, char **argv);
int cmd_userns(int argc, char **argv);
int cmd_chimera(int argc, char **argv);
int cmd_tour(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Set by a command that has written its own JSON error object, so that main does not
 * add a second one for a usage error (exit 2). */
extern int cmd_json_reported;

/* SIGCHLD back to SIG_DFL, for commands that wait for their children: a caller that
 * ignores it (SIG_IGN is inherited across exec) would have the kernel reap them at
 * once, and wait4 would answer ECHILD instead of their status. Zeroes are SIG_DFL, no
 * flags and no mask, in every architecture's kernel sigaction struct. run keeps the
 * caller's action (old, opaque) for COMMAND. */
static inline void cl_sigchld_default(void *old)	/* old: where the previous action goes, or NULL */
{
	unsigned long dfl[4] = { 0 };
	SYS4(rt_sigaction, SIGCHLD, dfl, old, 8);
}

/* The options the clone commands share (opts.c). */
/* cpu: set from "--cpu N", validated. 0 or -1 (reported). */
int cmd_parse_cpu(const char *cmd, const char *s, int *cpu);
/* api: set from "--api clone|clone3|auto", validated. 0 or -1 (reported). */
int cmd_parse_api(const char *cmd, const char *s, int *api);
/* [--json] [--cpu N] [--api clone|clone3|auto] [--kernel] [--help], and --svg FILE /
 * --html FILE (pictures: pic/pic.h). Returns -1 to go on, or an exit status to return
 * now. */
struct cmd_opts { int json, cpu, api, kernel; const char *svg, *html; };
int cmd_options(int argc, char **argv, const char *cmd, const char *usage, struct cmd_opts *o);
/* --json with a picture to stdout (opt is "--svg" or "--html", path "-"): both would
 * go there, so a usage error, as one JSON object: 2. Otherwise -1. */
int cmd_json_dash(int json, const char *opt, const char *path);
#endif
