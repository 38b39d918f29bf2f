/* kview_int.h: what the parts of --kernel share (kview.c sets up and tears down the
 * tracing, trace.c reads what it caught, report.c judges and prints it). */
#ifndef CL_KVIEW_INT_H
#define CL_KVIEW_INT_H
#include "kernel.h"
#include "lab/lab.h"
#include "tracefs.h"

#define NEV 24		/* timeline events kept: a dozen kinds, at most */

enum { MODE_NONE, MODE_PARTIAL, MODE_FULL };
#define PROC_PID_INIT_INO 0xEFFFFFFCUL	/* the initial pid namespace's inode (proc_ns.h) */
/* how the pointers and registers are read (--kernel=auto|kprobe|bpf): kprobe events in
 * tracefs, or BPF programs (bpf_view.c); KV_AUTO only as a wish */
enum { KV_AUTO, KV_KPROBE, KV_BPF };

struct kv_child {		/* written by the child, in a page shared with it */
	int parent_tid, done;
	signed char cross[KV_NOBJ];	/* kcmp / ns links: 1 same, 0 not, -1 cannot tell */
};

/* One timeline event: kind is its stable name for programs (README), what its words. */
struct ev { int64_t t; int cpu, pid; const char *kind; char what[120]; };

/* A code address by name (0: not in kallsyms), and the symbol at or below one. */
struct ksym { const char *name; uint64_t addr; };
struct ksym_at { uint64_t addr; char name[64]; };

extern struct kv_state {
	int mode, on, failed, nmissing;	/* mode: what this kernel offers, at best */
	int want, backend, show_bpf, shown_bpf;	/* KV_*: asked for, in use; --show-bpf */
	const char *missing[6];		/* what the whole run cannot show, and why */
	struct kv_off off;
	struct tfs t;
	struct kv_child *ch;
	char release[65];
	int version;			/* major*100+minor */
	unsigned long old_act[4][4];
	/* Everything from here to the end is one clone's: what its tracing set up and what
	 * it showed. kv_reset() clears all of it before each clone, so that nothing of an
	 * earlier clone's is ever shown as this one's. */
	int traced;			/* our instance is live for this clone */
	int none;			/* nothing could be traced for this clone: why_none */
	const char *why_none;
	int degraded;			/* a kprobe we need was refused */
	signed char unseen[2][KV_NOBJ];	/* an object's pointer the backend could not read */
	int ncmissing;
	const char *cmissing[4];	/* what this clone's report lacks, and why */
	int gparent, gchild;		/* the two tasks' pids as the trace has them (global) */
	uint64_t task[2], obj[2][KV_NOBJ], regs[KV_MAXREGS], stack, ksp, ctx[KV_MAXCTX];
	int have_dup, have_wake, have_ctx, tail_seen, child_exit_seen, switched_in, parent_returned;
	int target_cpu;			/* -1: not seen */
	uint64_t marker_cnt, marker_want, marker_lag;	/* the marker's counter; the one kept, its write's duration */
	int64_t marker_ts, t0;
	int have_marker, have_t0, nev;
	struct ev ev[NEV];
} kv;

/* kview.c */
void kv_missing(const char *what);	/* say once what cannot be shown, and why */
void kv_clone_missing(const char *what);	/* the same, for this clone only */
void kv_reset(void);			/* forget the last clone's */
void kv_catch_signals(int on);		/* SIGHUP/INT/TERM remove our tracing, or not */
/* trace.c: stop the trace, read it into kv, remove our tracing. Once per clone. */
void kv_collect(const struct lab *l);
long kv_rel_ns(int64_t t);		/* a trace time as ns after the parent's syscall */
/* Our thread's pid as the kernel's trace names it (the global pid, which a pid
 * namespace hides): from a trace_marker of ours read back. 0 if not found. */
int kv_global_tid(void);
/* One timeline event, as the trace's own (kind: its stable name, README). */
void kv_event(int64_t t, int cpu, int pid, const char *kind, const char *what);
/* bpf_view.c: what the BPF programs saw of this clone, into kv (after the trace's). */
void kv_bpf_collect(const struct lab *l);
/* ksyms.c: in one pass over kallsyms, the address of each name (0: absent) and the
 * text symbol at or below pc (pc 0: none asked). 0, or -errno with *why. */
long ksyms_resolve(struct ksym *names, int n, uint64_t pc, struct ksym_at *at, const char **why);
#endif
