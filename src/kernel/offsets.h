/* offsets.h: the kernel struct members --kernel reads, and where they are on the
 * running kernel, from its BTF. */
#ifndef CL_KVIEW_BTF_H
#define CL_KVIEW_BTF_H
#include "btf.h"

/* task_struct's object pointers, in the order of the --kernel table; then the
 * namespaces under nsproxy and the user namespace under cred. */
enum { KV_MM, KV_FS, KV_FILES, KV_SIGHAND, KV_SIGNAL, KV_NSPROXY, KV_CRED, KV_USER_NS,
       KV_UTS_NS, KV_IPC_NS, KV_MNT_NS, KV_PID_NS, KV_NET_NS, KV_TIME_NS, KV_CGROUP_NS,
       KV_NOBJ,
       /* then what the registers need: the stack, the saved kernel sp, the registers */
       KV_STACK = KV_NOBJ, KV_KSP, KV_REG0, KV_MAXREGS = 6,
       /* then the child's saved kernel context (arch/<arch>/regs.h, CL_KV_CONTEXT) */
       KV_CTX0 = KV_REG0 + KV_MAXREGS, KV_MAXCTX = 8, KV_NMEMBERS = KV_CTX0 + KV_MAXCTX };

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
/* The registers --kernel reads (arch/<arch>/regs.h, CL_KV_REGS): how many, and for
 * register r its index in the snapshot and the bits compared. */
int kv_nregs(void);
int kv_reg_snap(int r);
unsigned long kv_reg_mask(int r);
/* The saved kernel context --kernel reads (CL_KV_CONTEXT): how many members, and the
 * name of member c ("ret_addr", "x19"). Member 0 is where the child resumes, member 1
 * what tells a kernel thread (its function) from a user task (0). */
int kv_nctx(void);
const char *kv_ctx_name(int c);
/* Fill o from b. 0, or -1 if a member --kernel cannot do without is missing. */
int kv_offsets(const struct btf *b, struct kv_off *o);
/* "struct.member offset size" per line, for the tests that compare with pahole. */
void kv_offsets_print(const struct btf *b, struct cl_out *out);
#endif
