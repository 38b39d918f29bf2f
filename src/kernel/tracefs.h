/* tracefs.h: clonelab's use of the kernel's tracing file system, which is global state:
 * everything made here carries the run's pid and pid namespace ("clonelab_<pid>_<ns>"),
 * is removed by tfs_close(), and a run killed outright is cleaned up by the next
 * tfs_open() of its pid namespace. */
#ifndef CL_TRACEFS_H
#define CL_TRACEFS_H
#include "rt.h"

struct tfs {
	int root;		/* a directory fd on tracefs; -1 when closed */
	int pid;		/* whose names these are */
	unsigned long ns;	/* the inode of our pid namespace */
	char group[48];		/* "clonelab_<pid>_<pidns>": the instance and the kprobe group */
	char inst[64];		/* "instances/clonelab_<pid>_<pidns>" */
	int made_inst;
	int nprobes;
	char probes[8][24];	/* kprobe event names in the group */
};

/* Open tracefs at /sys/kernel/tracing, or, when nothing is mounted there, a private
 * tracefs mount that is nowhere in the file tree (nothing to unmount, even if we are
 * killed); then clean up what dead runs left. 0 or -errno, with *why in words. */
long tfs_open(struct tfs *t, const char **why);
/* Whether the file rel (relative to the tracefs root) exists. */
int tfs_exists(const struct tfs *t, const char *rel);
/* Write s to rel: replacing (set_event_pid, enable) or appending (kprobe_events). */
long tfs_write(const struct tfs *t, const char *rel, const char *s);
long tfs_append(const struct tfs *t, const char *rel, const char *s);
/* The same under our instance: "trace_clock" means instances/clonelab_<pid>/trace_clock. */
long tfs_iwrite(const struct tfs *t, const char *rel, const char *s);
/* Write prefix and the user counter (cl_counter) to our instance's trace_marker, the
 * counter read between the open and the write, so that the marker's trace time is one
 * write(2) after it, not a path lookup too (hundreds of µs under QEMU's TCG); *count:
 * the counter written, *lag: the counts that write took (the kernel stamps the marker
 * somewhere in it). */
long tfs_imark(const struct tfs *t, const char *prefix, uint64_t *count, uint64_t *lag);
/* Read rel under our instance into buf (NUL-terminated); length or -errno. */
long tfs_iread(const struct tfs *t, const char *rel, char *buf, size_t size);
/* Make our instance (a private ring buffer). */
long tfs_instance(struct tfs *t);
/* Add "p:clonelab_<pid>/name place args" to kprobe_events. */
long tfs_kprobe(struct tfs *t, const char *name, const char *place, const char *args);
/* Remove everything of ours: the instance (its events go with it), then the kprobes.
 * Idempotent; async-signal-safe (no allocation, no buffered output). */
void tfs_close(struct tfs *t);
#endif
