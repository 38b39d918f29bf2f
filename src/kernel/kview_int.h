/* kview_int.h: what the parts of --kernel share (kview.c sets up and tears down the
 * tracing, trace.c reads what it caught, report.c judges and prints it). */
#ifndef CL_KVIEW_INT_H
#define CL_KVIEW_INT_H
#include "kernel.h"
#include "lab/lab.h"
#include "tracefs.h"

#define NEV 24		/* timeline events kept: a dozen kinds, at most */

enum { MODE_NONE, MODE_PARTIAL, MODE_FULL };
/* how the pointers and registers are read (--kernel=auto|kprobe|bpf): kprobe events in
 * tracefs, or BPF programs (bpf_view.c); KV_AUTO only as a wish */
enum { KV_AUTO, KV_KPROBE, KV_BPF };

struct kv_child {		/* written by the child, in a page shared with it */
	int parent_tid, done;
	signed char cross[KV_NOBJ];	/* kcmp / ns links: 1 same, 0 not, -1 cannot tell */
};

/* One timeline event: kind is its stable name for programs (README), what its words. */
struct ev { int64_t t; int cpu, pid; const char *kind; char what[120]; };

extern struct kv_state {
	int mode, on, failed, nmissing, traced;
	int degraded;			/* this clone: a kprobe we need was refused */
	int want, backend, show_bpf, shown_bpf;	/* KV_*: asked for, in use; --show-bpf */
	signed char unseen[2][KV_NOBJ];	/* an object's pointer the backend could not read */
	const char *missing[6];
	struct kv_off off;
	struct tfs t;
	struct kv_child *ch;
	char release[65];
	int version;			/* major*100+minor */
	/* what the trace showed */
	uint64_t task[2], obj[2][KV_NOBJ], regs[KV_MAXREGS], stack, ksp;
	int have_dup, have_wake, tail_seen, child_exit_seen, switched_in, parent_returned, target_cpu;
	uint64_t marker_cnt, marker_want, marker_lag;	/* the marker's counter; the one kept, its write's duration */
	int64_t marker_ts, t0;
	int have_marker, have_t0, nev;
	struct ev ev[NEV];
	unsigned long old_act[3][4];
} kv;

/* kview.c */
void kv_missing(const char *what);	/* say once what cannot be shown, and why */
void kv_catch_signals(int on);		/* SIGHUP/INT/TERM remove our tracing, or not */
/* trace.c: stop the trace, read it into kv, remove our tracing. Once per clone. */
void kv_collect(const struct lab *l);
long kv_rel_ns(int64_t t);		/* a trace time as ns after the parent's syscall */
/* One timeline event, as the trace's own (kind: its stable name, README). */
void kv_event(int64_t t, int cpu, int pid, const char *kind, const char *what);
/* bpf_view.c: what the BPF programs saw of this clone, into kv (after the trace's). */
void kv_bpf_collect(const struct lab *l);
#endif
