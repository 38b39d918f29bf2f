/* exec.c: becoming COMMAND, the last step of both the child (child.c) and the
 * container's init (init.c): the caller's signal state back, only descriptors 0, 1
 * and 2 kept, then execve through PATH. And what COMMAND may no longer do, set once
 * in the child before it execs or becomes the init (run_confine). */
#include "run.h"

#define ENOEXEC 8
#define PR_SET_SECCOMP 22
#define PR_SET_NO_NEW_PRIVS 38
#define SECCOMP_MODE_FILTER 2
#define SECCOMP_RET_ERRNO 0x00050000U
#define SECCOMP_RET_ALLOW 0x7fff0000U
/* Classic BPF (include/uapi/linux/filter.h, bpf_common.h): a 32-bit load from the
 * struct seccomp_data, a compare with a constant, a return. */
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_RET_K 0x06
/* struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]. */
#define SD_NR 0
#define SD_ARCH 4
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SD_ARG1_LOW 24		/* args[1]'s low 32 bits: the ioctl request */
#else
#define SD_ARG1_LOW 28
#endif
#ifndef CL_X32_NR_IOCTL		/* no third ABI: the slot compares ioctl again */
#define CL_SECOND_NR_IOCTL CL_NR_ioctl
#else
#define CL_SECOND_NR_IOCTL (CL_X32_SYSCALL_BIT | CL_X32_NR_IOCTL)
#endif

struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { unsigned short len; const struct sock_filter *filter; };
#define STMT(code, k) { code, 0, 0, k }
#define JEQ(k, jt, jf) { BPF_JEQ_K, jt, jf, k }	/* jt, jf: instructions to skip */

/* Refuse TIOCSTI (queue input on a terminal: typed into the host's shell, bubblewrap's
 * CVE-2017-5226) and TIOCLINUX (its console twin, TIOCL_PASTESEL) with EPERM, in every
 * ABI a task may call ioctl through. The kernel's tty layer reads the request as 32
 * bits, so only its low 32 bits are compared (a 32-bit load: that is the mask); an
 * exact 64-bit compare let TIOCSTI | 1 << 32 through (CVE-2019-10063). */
static const struct sock_filter tty_filter[] = {
	/* 0 */ STMT(BPF_LD_W_ABS, SD_ARCH),
	/* 1 */ JEQ(CL_AUDIT_ARCH, 0, 3),			/* else 5 */
	/* 2 */ STMT(BPF_LD_W_ABS, SD_NR),
	/* 3 */ JEQ(CL_NR_ioctl, 4, 0),				/* 8 */
	/* 4 */ JEQ(CL_SECOND_NR_IOCTL, 3, 7),			/* 8, else 12 */
	/* 5 */ JEQ(CL_AUDIT_ARCH_COMPAT, 0, 7),		/* else 13 */
	/* 6 */ STMT(BPF_LD_W_ABS, SD_NR),
	/* 7 */ JEQ(CL_COMPAT_NR_IOCTL, 0, 4),			/* 8, else 12 */
	/* 8 */ STMT(BPF_LD_W_ABS, SD_ARG1_LOW),
	/* 9 */ JEQ(CL_TIOCSTI, 1, 0),				/* 11 */
	/* 10 */ JEQ(CL_TIOCLINUX, 0, 1),			/* 11, else 12 */
	/* 11 */ STMT(BPF_RET_K, SECCOMP_RET_ERRNO | EPERM),
	/* 12 */ STMT(BPF_RET_K, SECCOMP_RET_ALLOW),
	/* 13: an arch this kernel cannot run here: nothing to allow */
	STMT(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS),
};

long run_confine(void)
{
	/* Always (as bubblewrap): a setuid or file-capability program inside gains
	 * nothing by exec, and the filter needs it without CAP_SYS_ADMIN. */
	long e = SYS5(prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (e < 0)
		return e;
	struct sock_fprog prog = { sizeof tty_filter / sizeof tty_filter[0], tty_filter };
	return SYS3(prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static const char *env_get(char **env, const char *key)
{
	size_t k = cl_strlen(key);
	for (; *env; env++)
		if (cl_startswith(*env, key) && (*env)[k] == '=')
			return *env + k + 1;
	return 0;
}

/* close_range is Linux 5.9; before it, or where a seccomp filter refuses it, one by
 * one: no /proc/self/fd to list (it may not be ours, or mounted), so up to 65536,
 * above any default RLIMIT_NOFILE soft limit. */
void run_close_inherited_but(int keep)
{
	long e = keep > 3 ? SYS3(close_range, 3, (unsigned)keep - 1, 0) : 0;
	if (e == 0)
		e = SYS3(close_range, keep > 2 ? (unsigned)keep + 1 : 3U, ~0U, 0);
	if (e < 0)
		for (int fd = 3; fd < 65536; fd++)
			if (fd != keep)
				SYS1(close, fd);
}

void run_close_inherited(void)
{
	run_close_inherited_but(-1);
}

static const char *exec_why(long e, int searched)
{
	if (e == -EACCES)
		return searched ? "found but not executable, or a PATH directory is not "
			"searchable" : "found, but not executable (no x permission, a "
			"directory, or a noexec mount)";
	if (e == -ENOEXEC)
		return "found, but not a program this kernel can run (no #! line, or another "
			"architecture)";
	return 0;
}

void run_exec(struct container *c)
{
	const char *file = c->argv[0];
	int searched = *file != 0;	/* a name without '/' is looked for in PATH */
	for (const char *s = file; *s; s++)
		searched &= *s != '/';
	const char *path = searched ? env_get(c->envp, "PATH") : 0;
	if (searched && !path)
		path = CL_EXEC_DEFAULT_PATH;
	/* The caller's SIGCHLD disposition and mask, as if clonelab were not there. */
	SYS4(rt_sigaction, SIGCHLD, c->old_chld, 0, 8);
	cl_set_sigmask(&c->sigmask);
	/* Only 0, 1 and 2 go on: whatever the caller let us inherit stops here too. */
	run_close_inherited();
	long e = cl_execvp(file, c->argv, c->envp, path);
	if (e == -ENOENT || e == -ENOTDIR) {
		errf(ME ": %s: not found", file);
		if (path)
			errf(" in PATH=%s", path);
		if (c->root)
			errf(" (inside --root %s)", c->root);
		errf("\n");
		cl_exit(127);
	}
	cl_perror(ME, file, e, exec_why(e, searched));
	cl_exit(126);
}
