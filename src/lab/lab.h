/* lab.h: one clone, instrumented. The scenarios and `probe` describe a clone as a
 * struct lab; lab_clone() performs it through the recording trampolines and keeps
 * everything the kernel handed back in a page both sides share, whatever the flags. */
#ifndef CL_LAB_H
#define CL_LAB_H
#include "rt.h"

/* A clone flag by its name without CLONE_: CLONE(VM) is CL_CLONE_VM. */
#define CLONE(x) CL_CLONE_##x
/* Why QEMU user mode refuses a clone shape, for the commands' explanations: a fact of
 * the QEMU versions it was seen on (the user-<arch>* beds, tests/system/qemus.tab). */
#define CL_QEMU_CLONE_WHY "QEMU user mode emulates clone itself (seen on QEMU 7.2 and 11.1) " \
	"and accepts only the fork shape (exit signal SIGCHLD, no sharing) and the full " \
	"thread shape (VM|FS|FILES|SIGHAND|THREAD|SYSVSEM)"

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

/* Someone watching each clone from outside (--kernel: the kernel's side): before is
 * called in the parent just before the clone, child first thing in the child. The lab
 * knows nothing of how they watch; NULL: nobody does. */
struct lab_observer {
	void (*before)(struct lab *l);
	void (*child)(struct lab *l);
};
extern const struct lab_observer *lab_observer;

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
/* Report a failed lab_clone for command cmd (text on stderr, or JSON on stdout) and
 * return the exit status: 3 where the environment forbids the shape, 1 otherwise. */
int lab_fail(const struct lab *l, const char *cmd, struct cl_json *j);
/* getcpu(), or -1. */
int lab_getcpu(void);
/* ---- the flags by name (flags.c) ---- */
/* Flag names, lower case, for bits LAB_FLAG_LO .. LAB_FLAG_LO + LAB_NFLAGS - 1. */
#define LAB_FLAG_LO 7
#define LAB_NFLAGS 31
#define LAB_KNOWN_FLAGS 0x3fffffff80ULL
extern const char lab_flag_names[LAB_NFLAGS][15];
/* "VM|FS|..." (upper case, each name after prefix: "" or "CLONE_") into o;
 * unknown bits as hex. */
void lab_print_flags(struct cl_out *o, uint64_t flags, const char *prefix);

/* ---- what two tasks share, as the kernel answers (seen.c) ---- */
/* kcmp rows vm fs files sighand io sysvsem (0 same, > 0 different, -errno), and the
 * ns links in lab_ns_names order. */
struct lab_seen {
	long kcmp[6];
	char ns[2][8][32];	/* [0] parent, [1] child */
};
extern const char lab_ns_names[8][7];
/* Ask kcmp and /proc/<x>/ns about two live tasks. pdir/cdir: their /proc/<x>
 * directories; pa/ch: their pids as we see them. */
void lab_ask_kernel(struct lab_seen *s, int pa, int ch, const char *pdir, const char *cdir);
#endif
