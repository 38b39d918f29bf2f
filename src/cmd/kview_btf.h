/* kview_btf.h: the kernel struct members --kernel reads, and where they are on the
 * running kernel, from its BTF. */
#ifndef CL_KVIEW_BTF_H
#define CL_KVIEW_BTF_H
#include "btf.h"

/* task_struct's object pointers, in the order of the --kernel table; then the
 * namespaces under nsproxy and the user namespace under cred. */
enum { KV_MM, KV_FS, KV_FILES, KV_SIGHAND, KV_SIGNAL, KV_NSPROXY, KV_CRED, KV_USER_NS,
       KV_UTS_NS, KV_IPC_NS, KV_MNT_NS, KV_PID_NS, KV_NET_NS, KV_TIME_NS, KV_CGROUP_NS,
       KV_NOBJ,
       /* then what the registers need */
       KV_STACK = KV_NOBJ, KV_KSP, KV_TP, KV_REG0, KV_NMEMBERS = KV_REG0 + 4 };

struct kv_off {
	long off[KV_NMEMBERS];	/* byte offset in its struct, -1 if absent */
	long size[KV_NMEMBERS];
	long pt_regs_size;	/* sizeof(struct pt_regs) */
	long ksp_skip;		/* what lies between the saved kernel sp and pt_regs */
};

/* The struct and member path of member m ("task_struct", "thread.fsbase"). */
const char *kv_member_struct(int m);
const char *kv_member_path(int m);
/* The display name of object m < KV_NOBJ ("mm", "pid_ns"). */
const char *kv_object_name(int m);
/* Register r (0-3) of pt_regs that --kernel reads: its index in the snapshot. */
int kv_reg_snap(int r);
/* Fill o from b. 0, or -1 if a member --kernel cannot do without is missing. */
int kv_offsets(const struct btf *b, struct kv_off *o);
/* "struct.member offset size" per line, for the tests that compare with pahole. */
void kv_offsets_print(const struct btf *b, struct cl_out *out);
#endif
