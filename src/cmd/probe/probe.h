/* probe.h: `clonelab probe`, shared between probe.c (the experiment) and rules.c
 * (why the kernel, or QEMU, refused a clone). */
#ifndef CL_PROBE_H
#define CL_PROBE_H
#include "cmd/cmd.h"

/* Why a clone of these flags with this exit signal was refused with err (< 0).
 * Returns the explanation (in buf if built there) and sets *status to the exit
 * status: 1 for a kernel rule, 3 where the environment (QEMU user mode, no user
 * namespaces) forbids the shape. *rule gets "kernel", "qemu", "environment" (no clone3), "clonelab" or "unknown". */
const char *probe_why(uint64_t flags, int sig, int clone3, long err, char *buf,
		      size_t size, int *status, const char **rule);
#endif
