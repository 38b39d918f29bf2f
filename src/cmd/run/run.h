/* run.h: what the files of `clonelab run` share (private to them).
 *
 *   run.c     the command: options, checks, the one clone, the wait
 *   report.c  what it says: the --json report and the errors
 *   child.c   the child: its namespaces' set-up (hostname, mounts, root)
 *   init.c    PID 1: supervise COMMAND, forward signals, reap orphans
 *   exec.c    becoming COMMAND (from child.c, or from init.c's own child), and
 *             what it may not do (no_new_privs, the seccomp filter)
 * The calls go one way: run.c -> child.c -> init.c -> exec.c (child.c may exec too). */
#ifndef CL_RUN_H
#define CL_RUN_H
#include "cmd/cmd.h"

#define ME "clonelab run"
#define SIGBIT(s) (1UL << ((s) - 1))
/* What init (and the outer clonelab) forwards, plus SIGCHLD: the set they wait on. */
#define FWD_SET (SIGBIT(1) | SIGBIT(2) | SIGBIT(3) | SIGBIT(10) | SIGBIT(12) | SIGBIT(15))
#define WAIT_SET (FWD_SET | SIGBIT(SIGCHLD))
#define MAX_ENV_SET 64
#define ELOOP 40
#define EDQUOT 122
#define DROPPED_TIME_WHY "clone3 is refused here (ENOSYS: a seccomp filter, or a kernel " \
	"before 5.3), and legacy clone has no bit for CLONE_NEWTIME"

/* The namespaces, by name and clone flag, in the order of the options and the report. */
#define NNS 8
extern const char ns_names[NNS][8];
extern const uint32_t ns_flags[NNS];

/* What the parent sends down the release pipe once the id maps are written: the child
 * may act as root in its namespaces only after that. */
struct release { int pid, api; };	/* api: 1 clone3, 0 clone (clone3 was ENOSYS) */

/* One container: the options, then what the parent learnt making it. */
struct container {
	uint64_t flags;			/* CL_CLONE_NEW* */
	int mount_proc, no_init, clear_env, json, report_fd;
	long map_uid, map_gid;		/* inside ids; -1: no map */
	unsigned out_uid, out_gid;
	const char *hostname, *root, *cwd;
	char **argv, **envp;
	uint64_t named;			/* the namespaces asked for (not the default set) */
	uint64_t sigmask;		/* the caller's, restored for COMMAND */
	unsigned long old_chld[4];	/* the caller's SIGCHLD action (opaque), for COMMAND */
	char **caller_argv;		/* clonelab's own argv, wiped in the init */
	const char *dropped;		/* a default namespace that could not be made */
	const char *set[MAX_ENV_SET];	/* the --env KEY=VALs */
	int nset, map_root;
	uint64_t implied;		/* namespaces other options need */
	int release_pipe[2];		/* parent -> child: the struct release, or EOF; the
					 * parent holds the write end until it dies */
	int parent_pid;			/* the outer clonelab, as its own pid namespace sees it */
	struct release release;
	const char *root_method;
	char uid_map[40], gid_map[40];
	struct cl_out rep;		/* the --json report */
	char repbuf[1024];
};

/* report.c. Both print the error (cl_perror: errno name and why) and, with --json,
 * write it as one JSON object; run_fail returns CL_EXIT_FAIL. */
void run_report_error(struct container *c, int status, const char *step, long e, const char *why);
int run_fail(struct container *c, const char *step, long e, const char *why);
/* Why DIR/proc could not be opened as a directory inside DIR (0: the errno says it). */
const char *run_proc_dir_why(long e);
/* In the child: read its id maps once released, report once set up. */
void run_read_maps(struct container *c);
/* 0, or -errno if the report could not be written (then COMMAND must not run). */
long run_report_ok(struct container *c);

/* child.c */
int run_child_main(void *container);
/* DIR/proc (dir an open DIR) as a directory, never through a symlink: the fd, or
 * -errno (-ELOOP for a symlink). */
long run_open_proc_dir(long dir);
/* exec.c */
/* Only 0, 1 and 2 survive: the caller's descriptors stop at us. */
void run_close_inherited(void);
/* The same, but for keep (the --report-fd, until the report is written). */
void run_close_inherited_but(int keep);
/* no_new_privs, and the seccomp filter that refuses TIOCSTI and TIOCLINUX: 0 or -errno. */
long run_confine(void);
/* Restore the caller's signal state and become COMMAND: never returns (126, 127). */
__attribute__((noreturn)) void run_exec(struct container *c);

/* init.c */
/* 128+N for a death by signal N, else the exit status. */
int run_status_code(int wait_status);
int run_supervise(int pid, int reap_all);
/* Precondition: in the new pid namespace as its PID 1, with WAIT_SET blocked. */
__attribute__((noreturn)) void run_init(struct container *c);
#endif
