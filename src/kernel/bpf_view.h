/* bpf_view.h: --kernel's second backend (doc/kernel.md): BPF programs on the scheduler's
 * raw tracepoints (and fentry where the kernel has BPF trampolines) read what the kprobes
 * read, for kernels without kprobe events. kview.c sets it up and asks it what it saw. */
#ifndef CL_BPF_VIEW_H
#define CL_BPF_VIEW_H
#include "offsets.h"

/* What the programs saw of one clone. A value is only meaningful where its flag says so. */
struct kbpf_seen {
	int fork, wake, sw, fe_wake, tail;	/* each program's event seen */
	uint64_t task[2];			/* parent, child task_struct */
	uint64_t obj[2][KV_NOBJ], regs[KV_MAXREGS], stack, ksp, ctx[KV_MAXCTX];
	signed char obj_ok[2][KV_NOBJ], regs_ok[KV_MAXREGS], stack_ok, ksp_ok, ctx_ok[KV_MAXCTX];
	uint64_t ns[5];				/* bpf_ktime_get_ns of each: fork, wake, sw, fe_wake, tail */
	int cpu[5];				/* bpf_get_smp_processor_id of each */
	int target_cpu, target_ok;		/* the woken task's cpu (task_cpu(p)) */
	int prev_pid;				/* the task switched away from */
	int fentry;				/* the fentry programs are attached */
};

/* Build, load and attach the programs, with the offsets in o. 0, or -1 with the reason
 * in *why (a static string: the errno, or the verifier's last lines). */
int kbpf_setup(const struct kv_off *o, const char **why);
/* Whether fentry works here; if not, why (set by kbpf_setup). */
const char *kbpf_no_fentry(void);
/* Before a clone, in the cloning thread: forget the last clone, watch this thread's. */
void kbpf_arm(void);
/* After it: what the programs saw. 0, or -errno. */
long kbpf_collect(struct kbpf_seen *s);
/* In a child that does not share our descriptor table: let go of the programs' fds, so
 * that they go with our process and not only with the child. */
void kbpf_child(void);
/* --show-bpf: every program loaded, as BPF assembly with the BTF name of each offset. */
void kbpf_show(struct cl_out *o);
#endif
