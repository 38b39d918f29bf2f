/*
 * clonelab.h: clone(2) by hand, without a libc.
 *
 * Link a freestanding program with crt0.o and libclonelab.a; link a hosted one
 * (glibc, musl) with libclonelab.a alone: every public name starts with cl_ or CL_,
 * so nothing here collides with a libc.
 *
 * Conventions:
 *  - Every call that can fail returns -errno (a negative number), never sets a
 *    global errno: there is none, so nothing here is thread-unsafe because of it.
 *  - "tid" is the kernel's task id. A process's pid is its first thread's tid.
 *  - Before every clone, the library flushes clonelab's own output buffers
 *    (cl_flush_all), so nothing is lost or printed twice. A hosted program must
 *    fflush its stdio buffers itself.
 *  - Every name the library exports is declared here; man 3 clonelab documents them.
 */
#ifndef CLONELAB_H
#define CLONELAB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Clone flags (include/uapi/linux/sched.h). The low byte of legacy clone's
 * flags is the exit signal; clone3 takes it in its own field. ---- */
#define CL_CSIGNAL		0x000000ffUL
#define CL_CLONE_NEWTIME	0x00000080UL	/* clone3 only: bit 7 overlaps CSIGNAL */
#define CL_CLONE_VM		0x00000100UL	/* share the address space */
#define CL_CLONE_FS		0x00000200UL	/* share cwd, root and umask */
#define CL_CLONE_FILES		0x00000400UL	/* share the descriptor table */
#define CL_CLONE_SIGHAND	0x00000800UL	/* share signal handlers */
#define CL_CLONE_PIDFD		0x00001000UL	/* return a pidfd for the child */
#define CL_CLONE_PTRACE		0x00002000UL
#define CL_CLONE_VFORK		0x00004000UL	/* parent sleeps until the child execs or exits */
#define CL_CLONE_PARENT		0x00008000UL	/* the child's parent is our parent */
#define CL_CLONE_THREAD		0x00010000UL	/* same thread group (same pid) */
#define CL_CLONE_NEWNS		0x00020000UL
#define CL_CLONE_SYSVSEM	0x00040000UL	/* share System V semaphore undo lists */
#define CL_CLONE_SETTLS		0x00080000UL	/* set the thread pointer to tls */
#define CL_CLONE_PARENT_SETTID	0x00100000UL	/* store the child's tid at parent_tid */
#define CL_CLONE_CHILD_CLEARTID	0x00200000UL	/* zero child_tid and futex-wake it at exit */
#define CL_CLONE_DETACHED	0x00400000UL	/* ignored by the kernel since 2.6.2 */
#define CL_CLONE_UNTRACED	0x00800000UL
#define CL_CLONE_CHILD_SETTID	0x01000000UL	/* store the child's tid at child_tid */
#define CL_CLONE_NEWCGROUP	0x02000000UL
#define CL_CLONE_NEWUTS		0x04000000UL
#define CL_CLONE_NEWIPC		0x08000000UL
#define CL_CLONE_NEWUSER	0x10000000UL
#define CL_CLONE_NEWPID		0x20000000UL
#define CL_CLONE_NEWNET		0x40000000UL
#define CL_CLONE_IO		0x80000000UL
#define CL_CLONE_CLEAR_SIGHAND	0x100000000ULL	/* clone3 only */
#define CL_CLONE_INTO_CGROUP	0x200000000ULL	/* clone3 only */
/* clone3 only, in Linux 7.2's uapi; kernels before it refuse them as unknown (EINVAL). */
#define CL_CLONE_AUTOREAP	0x400000000ULL	/* the kernel reaps the child at its exit */
#define CL_CLONE_NNP		0x800000000ULL	/* the child starts with no_new_privs */
#define CL_CLONE_PIDFD_AUTOKILL	0x1000000000ULL	/* SIGKILL when clone3's pidfd is closed */
#define CL_CLONE_EMPTY_MNTNS	0x2000000000ULL	/* a new mount namespace with nothing in it */

#define CL_SIGCHLD		17
/* The flags NPTL uses for a thread: works natively, under QEMU user mode and valgrind. */
#define CL_THREAD_FLAGS (CL_CLONE_VM | CL_CLONE_FS | CL_CLONE_FILES | CL_CLONE_SIGHAND | \
	CL_CLONE_THREAD | CL_CLONE_SYSVSEM | CL_CLONE_SETTLS | CL_CLONE_PARENT_SETTID | \
	CL_CLONE_CHILD_CLEARTID)

/* struct clone_args, as of Linux 5.7 (88 bytes). All fields are 64-bit. */
struct cl_clone_args {
	uint64_t flags;		/* CL_CLONE_* without the exit signal */
	uint64_t pidfd;		/* int *: where CLONE_PIDFD stores the pidfd */
	uint64_t child_tid;	/* int *: CHILD_SETTID / CHILD_CLEARTID word */
	uint64_t parent_tid;	/* int *: PARENT_SETTID word */
	uint64_t exit_signal;	/* signal sent to the parent at exit (0: none) */
	uint64_t stack;		/* LOWEST address of the child's stack */
	uint64_t stack_size;	/* the kernel starts the child at stack + stack_size */
	uint64_t tls;
	uint64_t set_tid;	/* pid_t *: chosen pids, one per pid namespace level */
	uint64_t set_tid_size;
	uint64_t cgroup;	/* cgroup directory fd for CLONE_INTO_CGROUP */
};

/* ---- Raw system calls: the number, then up to six arguments. Returns the kernel's
 * value, -4095..-1 meaning -errno. ---- */
long cl_syscall0(long nr);
long cl_syscall1(long nr, long a);
long cl_syscall2(long nr, long a, long b);
long cl_syscall3(long nr, long a, long b, long c);
long cl_syscall4(long nr, long a, long b, long c, long d);
long cl_syscall5(long nr, long a, long b, long c, long d, long e);
long cl_syscall6(long nr, long a, long b, long c, long d, long e, long f);

/* ---- Clone trampolines (arch/<arch>/clone.*). The child runs fn(arg) on the given
 * stack and exits with its result; the parent gets the child's tid or -errno.
 * Arguments are in glibc's clone() order; the stub reorders them for the kernel. ---- */
long cl_clone(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
	      int *parent_tid, void *tls, int *child_tid);
/* clone3: args->stack must be set. The trampoline aligns the top (stack + stack_size)
 * down to 16 bytes, keeps fn and arg in the 16 bytes below it, and rewrites
 * args->stack_size so that the kernel starts the child there. Both return -EINVAL
 * (-22), as the C libraries do, when fn or the stack is NULL (or args is NULL), before
 * anything is stored. cl_clone3 stores only inside [stack, stack + stack_size): it
 * returns -EINVAL too when that range leaves no room below the 16 bytes (a stack_size
 * of 0 among them, which the kernel refuses with a stack as well) or wraps around. */
long cl_clone3(struct cl_clone_args *args, size_t size, int (*fn)(void *), void *arg);

/* ---- Register snapshots (arch/<arch>/snap.*): the same, recording every register on
 * both sides into *snap (which may be NULL). With stack_top = NULL and fn = NULL the
 * child returns 0, as from fork. snap must be reachable by both afterwards: shared via
 * CLONE_VM, or in a MAP_SHARED page. The child's frame takes at most CL_SNAP_FRAME
 * bytes below the 16-aligned top of its stack (src/lib/asm-offsets.c checks each
 * architecture's frame against it); clone3 rewrites args->stack_size to start it there.
 * cl_clone3_snap returns -EINVAL for a NULL args, and, as cl_clone3, for a stack
 * (args->stack non-zero) that leaves no room below that frame or wraps around; with
 * args->stack 0 (the fork shape) the kernel judges stack_size. */
#define CL_SNAP_MAXREGS 35
struct cl_snap {
	uint64_t t_clone;	/* cycle counter read just before the syscall */
	uint64_t t_child;	/* cycle counter read as the child's first act */
	uint64_t parent[CL_SNAP_MAXREGS];	/* in cl_reg_names() order */
	uint64_t child[CL_SNAP_MAXREGS];
};
#define CL_SNAP_FRAME 320
long cl_clone_snap(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
		   int *parent_tid, void *tls, int *child_tid, struct cl_snap *snap);
long cl_clone3_snap(struct cl_clone_args *args, size_t size, int (*fn)(void *),
		    void *arg, struct cl_snap *snap);
/* The cycle counter the snapshots use (rdtsc, cntvct_el0), and its frequency in Hz
 * (0 where the architecture does not say: x86). */
uint64_t cl_counter(void);
uint64_t cl_counter_hz(void);
/* The names of the snapshot's registers on this architecture; *n gets their count. */
const char *const *cl_reg_names(int *n);

/* ---- Start-up (crt0.o, freestanding programs) ----
 * crt0.o's _start calls main(argc, argv, envp) and then cl_exit with its result. It
 * seeds the stack protector's canary from AT_RANDOM, where GCC's default code reads it
 * (x86_64: a thread pointer with the canary at %fs:0x28; aarch64: __stack_chk_guard),
 * so -fstack-protector-all works unchanged. In a hosted program these stay NULL and
 * cl_getauxval answers 0: ask the libc's getauxval there. */
extern char **cl_environ;		/* envp, as the kernel passed it */
extern unsigned long *cl_auxv;		/* the auxiliary vector: type, value pairs */
unsigned long cl_getauxval(unsigned long type);	/* 0 if absent */
/* Flush clonelab's output buffers, then exit_group(status): the whole process. */
__attribute__((noreturn)) void cl_exit(int status);

/* ---- Processes ---- */
/* fork, emulated with clone(SIGCHLD) and no new stack: returns twice, 0 in the child. */
long cl_fork(void);
/* wait4(pid, status, options | __WALL): __WALL so that children whose exit signal is
 * not SIGCHLD are found too. Returns the pid reaped or -errno. */
long cl_wait(int pid, int *status, int options);
#define CL_WNOHANG 1
#define CL_WALL 0x40000000
/* Decoding a wait status. */
#define CL_WIFEXITED(s)	(((s) & 0x7f) == 0)
#define CL_WEXITSTATUS(s)	(((s) >> 8) & 0xff)
#define CL_WIFSIGNALED(s)	(((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define CL_WTERMSIG(s)	((s) & 0x7f)

/* ---- What this environment allows ---- */
/* clone3(NULL, 0): -EINVAL where clone3 exists (it rejects the NULL), -ENOSYS where
 * not (kernels before 5.3, QEMU user mode, seccomp profiles that refuse it). */
long cl_clone3_probe(void);
/* Try clone(CLONE_NEWUSER|SIGCHLD) with a child that exits at once: 0 or -errno. */
long cl_userns_probe(void);
/* 1 if our children go to another pid namespace than our own, as after
 * unshare(CLONE_NEWPID) (unshare --pid without --fork): CLONE_NEWPID is then EINVAL.
 * 0 if not, or if /proc cannot tell. */
int cl_pidns_unshared(void);
/* Run the program at path in a new process, as posix_spawn does: clone3(CLONE_VM |
 * CLONE_VFORK | CLONE_CLEAR_SIGHAND) on a small stack inside the caller's frame, then
 * execve(path, argv, envp). Signals are blocked across the clone and the caller's mask
 * is restored in the child; the child's handlers are all SIG_DFL (ignored signals stay
 * ignored). Returns the child's pid (reap it with cl_wait) once it has exec'd, or
 * -errno: the clone's, or execve's (the child then exited 127 and is already reaped).
 * Under QEMU user mode, which refuses that clone, it falls back to cl_fork + execve. */
long cl_spawn(const char *path, char *const argv[], char *const envp[]);
/* execvp's search, with the PATH to search given: a file with a '/' is execve'd as it
 * is; otherwise each directory of path (':'-separated, an empty one meaning the
 * working directory; NULL: CL_EXEC_DEFAULT_PATH) is tried in turn. Returns only on
 * failure, with -errno: -ENOENT if no directory had it (or file is ""), -EACCES if
 * one had it but it could not be run and none could, or the first other error, which
 * ends the search (-ENOEXEC: found, not a program). No /bin/sh retry on ENOEXEC. */
#define CL_EXEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
long cl_execvp(const char *file, char *const argv[], char *const envp[], const char *path);

/* ---- Threads ----
 * cl_thread_spawn: a thread with CL_THREAD_FLAGS on a stack from mmap with a
 * 64 KiB PROT_NONE guard below it (a page or more on every page size), and its own TLS block (struct cl_thread itself, at
 * the top of the stack mapping) set with CLONE_SETTLS. Signals are blocked across the
 * clone and restored in the thread before fn runs.
 * cl_thread_join: futex-waits (shared, not private: the kernel's CLEARTID wake is a
 * shared wake) until the kernel has zeroed the thread's tid word, then keeps the stack
 * in a small cache for the next spawn. Only then is the stack free to reuse.
 * A thread must not call a libc in a hosted program: its thread pointer is ours.
 * x86_64 code built with GCC's default stack protector reads its canary at %fs:0x28,
 * which in a thread is sigmask below: constant for the thread's life, so checks hold,
 * but it is no secret (-mstack-protector-guard=global uses crt0's random one). */
struct cl_thread {
	void *tcb[2];		/* the thread pointer (tls) points here; arch/<arch>/abi.h's
				 * CL_TLS_INIT fills it as the architecture's TLS ABI wants */
	volatile int tid;	/* PARENT_SETTID writes it; CHILD_CLEARTID zeroes it */
	int result;		/* fn's return value */
	int (*fn)(void *);
	void *arg;
	uint64_t sigmask;	/* the spawner's mask, restored in the thread */
	void *map;		/* the whole mapping: guard page + stack + this block */
	size_t map_size;
	struct cl_thread *next;	/* the stack cache's free list */
};
#define CL_THREAD_STACK (64 * 1024)	/* less the struct cl_thread at its top */
/* A NULL fn: -EINVAL, as cl_clone gives. */
int cl_thread_spawn(struct cl_thread **t, int (*fn)(void *), void *arg);
int cl_thread_join(struct cl_thread *t, int *result);
/* The calling thread's tid. */
int cl_gettid(void);
/* Drop every cached stack (mostly for tests that count mappings). */
void cl_thread_trim(void);

/* ---- User namespaces ----
 * Make uid 0 inside the user namespace of process pid (0: this process) map to
 * outside_uid, and gid 0 to outside_gid: "deny" to setgroups, then "0 <outside> 1" to
 * uid_map and gid_map. Returns 0 or -errno, with *step (if given) the file that
 * failed: 0 setgroups, 1 uid_map, 2 gid_map; cl_userns_map_why() says why in words.
 * Writable by the parent for its child, or by the child for itself. */
int cl_userns_map(int pid, unsigned outside_uid, unsigned outside_gid, int *step);
const char *cl_userns_map_why(int step, long err);
/* The same with chosen inside ids: "inside_uid outside_uid 1" to uid_map (skipped if
 * inside_uid < 0), "deny" to setgroups and "inside_gid outside_gid 1" to gid_map (both
 * skipped if inside_gid < 0). */
int cl_userns_map_ids(int pid, long inside_uid, unsigned outside_uid, long inside_gid,
		      unsigned outside_gid, int *step);
/* Why creating a user namespace failed with err (either sign), in plain words; NULL
 * for an errno that has no user-namespace reason. EINVAL names QEMU user mode too. */
const char *cl_userns_why(long err);

/* ---- Output ----
 * cl_say: text, then number in decimal, then a newline, in one unbuffered writev(2) to
 * stdout. Safe from any thread or child; what tiny programs use. cl_puts: text and a
 * newline alone, the same way (cl_say always appends a number). Text of any length:
 * it is not copied, the system call takes it where it is. */
void cl_say(const char *text, long number);
void cl_puts(const char *text);
/* v in decimal into buf (21 bytes suffice); returns buf. And strlen, for tiny programs. */
char *cl_utoa(unsigned long v, char *buf);
size_t cl_strlen(const char *s);
/* Buffered output (not thread-safe: print from one thread).
 * Flushed for you: before every clone the library makes, by cl_exit (and so when a
 * freestanding program's main returns), and in a hosted program at exit() or the return
 * from main (a destructor the libc runs). Not flushed by _exit, a signal, or exit
 * syscalls of your own: call cl_flush_all() first. */
struct cl_out { int fd; unsigned len; unsigned size; char *buf; };	/* fd -1: memory,
	 * which keeps the first size bytes written and drops the rest */
extern struct cl_out cl_stdout, cl_stderr;
/* printf-like: %s %c %d %u %x %ld %lu %lx %p, width, '-' and '0', and %q for a
 * JSON-quoted string. */
void cl_printf(struct cl_out *o, const char *fmt, ...);
void cl_vprintf(struct cl_out *o, const char *fmt, va_list ap);
void cl_write(struct cl_out *o, const char *s, size_t n);
/* Write out what is pending, waiting (poll) while a non-blocking fd is full: 0 or
 * -errno. After an error on cl_stdout or cl_stderr, their output is dropped. */
long cl_flush(struct cl_out *o);
void cl_flush_all(void);
/* The errno's name ("EINVAL") and its plain meaning; NULL if unknown. Either sign. */
const char *cl_errno_name(long err);
const char *cl_errno_text(long err);

/* ---- Environment ----
 * 1 under QEMU user mode (which emulates clone and accepts only the fork and the
 * whole-thread shapes), else 0. Ask while single-threaded: the first answer is kept. */
int cl_under_qemu(void);

#ifdef __cplusplus
}
#endif
#endif
