/* cmd.h: the subcommands of clonelab. Each takes argv after its own name and returns
 * the exit status: 0 ok, 1 failure, 2 usage error, 3 not possible here. */
#ifndef CL_CMD_H
#define CL_CMD_H
#include "rt.h"

#define CLONELAB_VERSION "0.1.0"

int cmd_env(int argc, char **argv);
int cmd_fork(int argc, char **argv);
int cmd_thread(int argc, char **argv);
int cmd_userns(int argc, char **argv);
int cmd_chimera(int argc, char **argv);
int cmd_tour(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Facts every command may want (src/cmd/facts.c). */
/* clone3(NULL, 0): -EINVAL where clone3 exists (it rejects the NULL), -ENOSYS where not. */
long cl_clone3_probe(void);
/* Try clone(CLONE_NEWUSER|SIGCHLD) with a child that exits at once: 0 or -errno. */
long cl_userns_probe(void);
/* SIGCHLD back to SIG_DFL, for commands that wait for their children: a caller that
 * ignores it (SIG_IGN is inherited across exec) would have the kernel reap them at
 * once, and wait4 would answer ECHILD instead of their status. */
void cl_sigchld_default(void);
#endif
