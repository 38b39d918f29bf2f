/* flags.c: the clone flags' names, as `probe --flags` takes them and as the
 * commands print them: "vm", "VM|FS", "CLONE_VM|CLONE_FS". */
#include "lab.h"

const char lab_flag_names[LAB_NFLAGS][15] = {
	"newtime", "vm", "fs", "files", "sighand", "pidfd", "ptrace", "vfork", "parent",
	"thread", "newns", "sysvsem", "settls", "parent_settid", "child_cleartid",
	"detached", "untraced", "child_settid", "newcgroup", "newuts", "newipc", "newuser",
	"newpid", "newnet", "io", "clear_sighand", "into_cgroup", "autoreap", "nnp",
	"pidfd_autokill", "empty_mntns" };

void lab_print_flags(struct cl_out *o, uint64_t f, const char *prefix)
{
	int first = 1;
	for (int i = 0; i < LAB_NFLAGS; i++) {
		if (!(f & (1ULL << (i + LAB_FLAG_LO))))
			continue;
		char up[16];
		const char *n = lab_flag_names[i];
		int k = 0;
		for (; n[k]; k++)
			up[k] = (char)(n[k] >= 'a' ? n[k] - 32 : n[k]);
		up[k] = 0;
		cl_printf(o, "%s%s%s", first ? "" : "|", prefix, up);
		first = 0;
	}
	if (f & ~LAB_KNOWN_FLAGS)
		cl_printf(o, "%s0x%lx", first ? "" : "|", (unsigned long)(f & ~LAB_KNOWN_FLAGS));
	else if (first)
		cl_printf(o, "0");
}
