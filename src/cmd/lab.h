/* lab.h: one clone, instrumented. The scenarios and `probe` describe a clone as a
 * struct lab; lab_clone() performs it through the recording trampolines and keeps
 * everything the kernel handed back in a page both sides share, whatever the flags. */
#ifndef CL_LAB_H
#define CL_LAB_H
#include "cmd.h"

enum { LAB_AUTO, LAB_CLONE, LAB_CLONE3 };

/* MAP_SHARED, so the child's writes reach the parent even without CLONE_VM. */
struct lab_shared {
	struct cl_snap snap;
	int parent_tid;		/* PARENT_SETTID word; -1 until written */
	int child_tid;		/* CHILD_SETTID / CHILD_CLEARTID word; -1 until written */
	int pidfd;		/* CLONE_PIDFD slot */
	int child_cpu;		/* where the child's first instructions ran */
	int parent_cpu;
	int go, done;		/* futex words for parent/child hand-offs */
	char scratch[3072];	/* for the command: what the child reports */
};

struct lab {
	/* the request */
	uint64_t flags;		/* CL_CLONE_* without the exit signal */
	int exit_signal;
	int api;		/* LAB_AUTO: clone3, and clone where clone3 is ENOSYS */
	int cpu;		/* -1: anywhere; else start the child on this CPU */
	int new_stack;		/* give the child its own stack (needed with CLONE_VM) */
	int cgroup_fd;		/* for CLONE_INTO_CGROUP */
	int (*fn)(void *);	/* the child's work; NULL with no stack: the fork shape */
	void *arg;
	/* what happened */
	long ret;		/* the child's tid, or -errno */
	const char *failed;	/* with ret < 0: the step that failed, if not clone itself */
	int used_clone3, fallback;
	struct cl_clone_args args;	/* what went to the kernel (legacy clone: the same
					 * values; its stack is the child's sp itself) */
	struct lab_shared *sh;
	void *stack;
	size_t stack_size;
	uint64_t sigmask;		/* restored in the child after set-up */
	uint64_t affinity[16];	/* the parent's, restored on both sides after --cpu */
	int pinned;		/* 1: pinned for --cpu; -1: that CPU was refused */
};

/* The shared page, mapped once, cleared on every call: one call per clone. */
struct lab_shared *lab_shared_reset(void);
/* Perform the clone. The parent gets the child's tid or -errno; a fork-shaped child
 * gets 0 and carries on. A child with fn runs it and exits with its result. */
long lab_clone(struct lab *l);
/* Wait for the child: wait4(__WALL), for a CLONE_PARENT child its exit (our parent
 * reaps it), or for a CLONE_THREAD child the kernel's
 * CHILD_CLEARTID wake (or, without that flag, polling until the tid is gone).
 * Frees the stack. Returns the wait status (0 for a thread) or -errno: -ETIMEDOUT if a
 * thread's CHILD_CLEARTID word is still not zeroed after 10 s. */
long lab_wait(struct lab *l);
/* Hand-offs through futex words in the shared page. */
void lab_post(int *word);
void lab_await(int *word);
/* Ticks per second of the counter the trampolines read. */
uint64_t lab_counter_hz(void);
/* The parent's side: await the child's post, unless the child exits first.
 * 0, or -ESRCH if it exited (or was killed) without posting. */
int lab_await_child(const struct lab *l, int *word);
/* Our pid as /proc names it (readlink /proc/self), or -errno. Inside a pid namespace
 * without a /proc of its own, getpid() and clone's return name other processes there.
 * lab_proc_why(): why it failed, in words. */
int lab_proc_pid(void);
const char *lab_proc_why(long err);
/* 1 while the child runs, 0 once it has exited (reaped or a zombie). */
int lab_alive(const struct lab *l);
/* Nanoseconds from the syscall to the child's first instruction. */
long lab_latency_ns(const struct lab *l);
/* Why register i differs between parent and child, or NULL if nothing explains it. */
const char *lab_reg_why(const struct lab *l, int i);
/* The register table as text, or as "regs": {parent, child, differ} in JSON. */
void lab_regs_text(const struct lab *l);
void lab_regs_json(struct cl_json *j, const struct lab *l);
/* "call": the syscall and the arguments that reached the kernel, pointers in hex,
 * so that strace can be held against them. */
void lab_call_json(struct cl_json *j, const struct lab *l);
/* "clone3" or "clone", with the fallback noted, for text output. */
void lab_describe_call(const struct lab *l);
/* A signal's name ("SIGCHLD") or NULL. */
const char *lab_signame(int sig);
/* cpu: set from "--cpu N", validated. 0 or -1 (reported). */
int lab_parse_cpu(const char *cmd, const char *s, int *cpu);
/* api: set from "--api clone|clone3|auto", validated. 0 or -1 (reported). */
int lab_parse_api(const char *cmd, const char *s, int *api);
/* Common command scaffolding: [--json] [--cpu N] [--api clone|clone3|auto] [--kernel] [--help],
 * and --svg FILE / --html FILE (pictures: pic.h). Returns -1 to go on, or an exit
 * status to return now. */
struct lab_opts { int json, cpu, api, kernel; const char *svg, *html; };
int lab_options(int argc, char **argv, const char *cmd, const char *usage, struct lab_opts *o);
/* Report a failed lab_clone for command cmd (text on stderr, or JSON on stdout) and
 * return the exit status: 3 where the environment forbids the shape, 1 otherwise. */
int lab_fail(const struct lab *l, const char *cmd, struct cl_json *j);
/* getcpu(), or -1. */
int lab_getcpu(void);
#endif
