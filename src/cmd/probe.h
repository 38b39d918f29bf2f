/* probe.h: `clonelab probe`, shared between probe.c (the experiment) and
 * probe_rules.c (why the kernel, or QEMU, refused a clone). */
#ifndef CL_PROBE_H
#define CL_PROBE_H
#include "lab.h"

/* Flag names, lower case, for bits PROBE_FLAG_LO .. PROBE_FLAG_LO + PROBE_NFLAGS - 1. */
#define PROBE_FLAG_LO 7
#define PROBE_NFLAGS 27
#define PROBE_KNOWN_FLAGS 0x3ffffff80ULL
extern const char probe_flag_names[PROBE_NFLAGS][15];
/* "VM|FS|..." (upper case, each name after prefix: "" or "CLONE_") into o;
 * unknown bits as hex. */
void probe_print_flags(struct cl_out *o, uint64_t flags, const char *prefix);

/* Why a clone of these flags with this exit signal was refused with err (< 0).
 * Returns the explanation (in buf if built there) and sets *status to the exit
 * status: 1 for a kernel rule, 3 where the environment (QEMU user mode, no user
 * namespaces) forbids the shape. *rule gets "kernel", "qemu", "environment" (no clone3), "clonelab" or "unknown". */
const char *probe_why(uint64_t flags, int sig, int clone3, long err, char *buf,
		      size_t size, int *status, const char **rule);

/* What kcmp and /proc/<tid>/ns say about two tasks (probe_ask_kernel): kcmp rows vm fs
 * files sighand io sysvsem (0 same, > 0 different, -errno), the ns links in
 * probe_ns_names order. pdir/cdir: /proc/<x> directories; pa/ch: pids as we see them. */
struct seen {
	long kcmp[6];
	char ns[2][8][32];	/* [0] parent, [1] child */
};
extern const char probe_ns_names[8][7];
void probe_ask_kernel(struct seen *s, int pa, int ch, const char *pdir, const char *cdir);
#endif
