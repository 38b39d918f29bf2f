/* probe_int.h: inside `clonelab probe`, between probe.c (the command and the
 * experiment), observe.c (what each side sees) and report.c (the table,
 * the JSON, the picture). */
#ifndef CL_PROBE_INT_H
#define CL_PROBE_INT_H
#include "probe.h"

/* The request and what lab_clone handed back: one probe per process. */
extern struct lab probe_lab;
/* kcmp's rows, in the table's order: vm fs files sighand io sysvsem */
extern const char probe_rows[6][8];

struct ids { int pid, tid, ppid, tgid, uid, gid; };

struct report {			/* in the shared page: what the child tells */
	int step1, mapped, ready, done;	/* hand-offs */
	struct ids id;
	int uid_before, nspid_out, nspid_in;
	int ptid_seen, ctid_seen;	/* the tid words as the child first saw them */
	int fd;				/* the descriptor it opened */
	int asked;			/* 1: the child filled `seen` itself (vfork) */
	int returned, returned_early;	/* vfork: clone returned in the parent before our exit */
	struct lab_seen seen;
	char uid_map[48], gid_map[48];
	int proc_pid;			/* its pid as /proc names it (see lab_proc_pid) */
	char proc_dir[40];		/* "/proc/<tgid>/task/<tid>", as /proc names it */
	long obs_err;			/* an observation that failed: -errno, and what */
	const char *obs_what;
};

static inline struct report *probe_report_page(void)
{
	return (struct report *)probe_lab.sh->scratch;
}

struct obs {			/* the parent's observations */
	struct ids id;
	int eff[4];		/* vm fs files sighand: the child's change seen here */
	int cwd_seen, umask_seen;
	int ret_ptid, ret_ctid, end_ptid, end_ctid, ready_ctid;
	int uid_out, gid_out;
	int pidfd;
	int ioctx, semundo;	/* the parent had an I/O context / an undo list to compare */
	int vfork_slept;	/* CLONE_VFORK: clone returned only after the child's exit */
	struct lab_seen *seen;
};

/* observe.c */
/* What the parent set before the clone, for the child's changes to stand out. */
struct baseline {
	long cwd, umask;		/* our cwd (an O_PATH fd) and umask before */
	struct cl_ksigaction act, exit_act;	/* the effect signal's and the exit signal's */
	int ignore_exit;		/* 1: the exit signal is ignored for the probe */
};
/* Before the clone: our ids into o, what kcmp can compare (an I/O context, an undo
 * list), and the effects' baseline (cwd "/", umask 022, SIGUSR default), saved in b. */
void probe_baseline(struct obs *o, struct baseline *b);
/* After the clone: our cwd, umask and signal actions as they were. */
void probe_restore(const struct baseline *b);
/* The child's side: its ids and its changes, reported in the shared page. */
int probe_child(void *arg);
/* Keep the first observation that failed: its errno and what was being read. */
void probe_obs_failed(struct report *c, long e, const char *what);
/* Write the new user namespace's maps for the child (after its step1), then post mapped. */
void probe_map_child(struct report *c);
/* The parent's look, while the child waits (or, with vfork, after it exited: then
 * gone is set and there is no child to read). ps receives what kcmp and /proc say. */
void probe_observe(struct obs *o, struct report *c, struct lab_seen *ps, int tid, int gone);
/* Our cgroup2 directory, opened O_DIRECTORY: a fd, or -errno. */
long probe_open_own_cgroup(void);

/* report.c */
/* The table (and --svg picture, if svg), or, if an observation failed, that failure.
 * Returns the exit status. */
int probe_report(struct cl_json *j, const struct obs *o, const struct report *c,
		 const char *svg);
/* A failure, as text on stderr or one JSON object (j); returns status. */
int probe_fail(struct cl_json *j, long e, const char *why, int status, const char *rule);
#endif
