/* offsets.c: which kernel members --kernel reads (see offsets.h). */
#include "offsets.h"

static const struct { const char *strct, *path, *name; } members[KV_REG0] = {
	{ "task_struct", "mm", "mm" }, { "task_struct", "fs", "fs" },
	{ "task_struct", "files", "files" }, { "task_struct", "sighand", "sighand" },
	{ "task_struct", "signal", "signal" }, { "task_struct", "nsproxy", "nsproxy" },
	{ "task_struct", "cred", "cred" }, { "cred", "user_ns", "user_ns" },
	{ "nsproxy", "uts_ns", "uts_ns" }, { "nsproxy", "ipc_ns", "ipc_ns" },
	{ "nsproxy", "mnt_ns", "mnt_ns" }, { "nsproxy", "pid_ns_for_children", "pid_ns" },
	{ "nsproxy", "net_ns", "net_ns" }, { "nsproxy", "time_ns", "time_ns" },
	{ "nsproxy", "cgroup_ns", "cgroup_ns" },
	{ "task_struct", "stack", "stack" }, { "task_struct", CL_KV_KSP, "ksp" },
};
static const struct { const char *strct, *member; int snap; unsigned long mask; } regs[] = { CL_KV_REGS };
_Static_assert(sizeof regs / sizeof regs[0] <= KV_MAXREGS, "CL_KV_REGS: at most KV_MAXREGS");
static const struct { const char *strct, *member, *name; } ctx[] = { CL_KV_CONTEXT };
_Static_assert(sizeof ctx / sizeof ctx[0] <= KV_MAXCTX, "CL_KV_CONTEXT: at most KV_MAXCTX");

/* Members by index: the fixed ones, the registers, the context (absent slots: NULL). */
static int valid(int m) { return m < KV_REG0 + kv_nregs() || (m >= KV_CTX0 && m < KV_CTX0 + kv_nctx()); }

int kv_nregs(void) { return sizeof regs / sizeof regs[0]; }
int kv_nctx(void) { return sizeof ctx / sizeof ctx[0]; }
const char *kv_ctx_name(int c) { return ctx[c].name; }
const char *kv_member_struct(int m)
{
	return m < KV_REG0 ? members[m].strct : m < KV_CTX0 ? regs[m - KV_REG0].strct : ctx[m - KV_CTX0].strct;
}
const char *kv_member_path(int m)
{
	return m < KV_REG0 ? members[m].path : m < KV_CTX0 ? regs[m - KV_REG0].member : ctx[m - KV_CTX0].member;
}
int kv_reg_snap(int r) { return regs[r].snap; }
unsigned long kv_reg_mask(int r) { return regs[r].mask; }
const char *kv_object_name(int m) { return members[m].name; }

int kv_offsets(const struct btf *b, struct kv_off *o)
{
	int ok = 1;
	for (int m = 0; m < KV_NMEMBERS; m++) {
		o->off[m] = o->size[m] = -1;
		if (!valid(m))
			continue;
		o->off[m] = btf_offset(b, kv_member_struct(m), kv_member_path(m), &o->size[m]);
		/* time and cgroup namespaces are optional in a kernel, and the saved context
		 * is shown only where found; the rest is needed */
		if (o->off[m] < 0 && m != KV_TIME_NS && m != KV_CGROUP_NS && m < KV_CTX0)
			ok = 0;
	}
	o->pt_regs_size = btf_sizeof(b, "pt_regs");
	o->ksp_skip = *CL_KV_KSP_SKIP ? btf_sizeof(b, CL_KV_KSP_SKIP) : 0;
	return ok && o->pt_regs_size > 0 && o->ksp_skip >= 0 ? 0 : -1;
}

void kv_offsets_print(const struct btf *b, struct cl_out *out)
{
	struct kv_off o;
	kv_offsets(b, &o);
	for (int m = 0; m < KV_NMEMBERS; m++)
		if (valid(m))
			cl_printf(out, "%s.%s %ld %ld\n", kv_member_struct(m), kv_member_path(m), o.off[m], o.size[m]);
	cl_printf(out, "sizeof.pt_regs %ld\n", o.pt_regs_size);
	if (*CL_KV_KSP_SKIP)
		cl_printf(out, "sizeof.%s %ld\n", CL_KV_KSP_SKIP, o.ksp_skip);
}
