/* report.c: what a lab clone did, told: the registers on both sides and why they
 * differ, the call that reached the kernel, and a failed clone's errno and reason. */
#include "lab.h"

const char *lab_reg_why(const struct lab *l, int i)
{
	if (i == CL_REG_RET)
		return "the kernel sets the child's return value to 0; the parent gets the child's tid";
	if (i == CL_REG_SP)
		return "the child starts on the stack the parent passed (newsp)";
	if (i == CL_REG_TP && (l->flags & CL_CLONE_SETTLS))
		return "CLONE_SETTLS: the kernel set the child's thread pointer to tls";
	return 0;
}

static int differs(const struct lab *l, int i)
{
	return l->sh->snap.parent[i] != l->sh->snap.child[i];
}

void lab_regs_text(const struct lab *l)
{
	int n;
	const char *const *names = cl_reg_names(&n);
	outf("  %-10s %18s %18s\n", "register", "parent", "child");
	for (int i = 0; i < n; i++) {
		int d = differs(l, i);
		outf("  %-10s %18lx %18lx%s\n", names[i], l->sh->snap.parent[i],
		    l->sh->snap.child[i], d ? "  <- differs" : "");
	}
	for (int i = 0; i < n; i++)
		if (differs(l, i)) {
			const char *why = lab_reg_why(l, i);
			outf("  %s: %s\n", names[i], why ? why : "not explained by the kernel's contract");
		}
}

void lab_regs_json(struct cl_json *j, const struct lab *l)
{
	int n;
	const char *const *names = cl_reg_names(&n);
	cl_json_open(j, "regs", '{');
	cl_json_open(j, "parent", '{');
	for (int i = 0; i < n; i++)
		cl_json_hex(j, names[i], l->sh->snap.parent[i]);
	cl_json_close(j, '}');
	cl_json_open(j, "child", '{');
	for (int i = 0; i < n; i++)
		cl_json_hex(j, names[i], l->sh->snap.child[i]);
	cl_json_close(j, '}');
	cl_json_open(j, "differ", '[');
	for (int i = 0; i < n; i++)
		if (differs(l, i))
			cl_json_str(j, 0, names[i]);
	cl_json_close(j, ']');
	cl_json_open(j, "why", '{');
	for (int i = 0; i < n; i++)
		if (differs(l, i))
			cl_json_str(j, names[i], lab_reg_why(l, i));
	cl_json_close(j, '}');
	cl_json_close(j, '}');
}

void lab_call_json(struct cl_json *j, const struct lab *l)
{
	const struct cl_clone_args *a = &l->args;
	int legacy = !l->used_clone3;
	cl_json_open(j, "call", '{');
	cl_json_str(j, "syscall", legacy ? "clone" : "clone3");
	cl_json_hex(j, "flags", (unsigned long)l->flags);
	cl_json_int(j, "exit_signal", l->exit_signal);
	/* Legacy clone takes the new sp itself: the trampoline's frame below the top. */
	cl_json_hex(j, "stack", legacy ? (l->new_stack ? (unsigned long)l->sh->snap.child[CL_REG_SP] : 0)
		    : (unsigned long)a->stack);
	cl_json_hex(j, "stack_size", legacy ? 0 : (unsigned long)a->stack_size);
	cl_json_hex(j, "tls", l->flags & CL_CLONE_SETTLS ? (unsigned long)a->tls : 0);
	cl_json_hex(j, "parent_tid", (unsigned long)(uintptr_t)&l->sh->parent_tid);
	cl_json_hex(j, "child_tid", (unsigned long)(uintptr_t)&l->sh->child_tid);
	cl_json_close(j, '}');
}

void lab_describe_call(const struct lab *l)
{
	if (l->used_clone3)
		outf("clone3");
	else if (l->fallback)
		outf("clone (clone3 answered ENOSYS here)");
	else
		outf("clone");
}

const char *lab_signame(int sig)
{
	static const char names[][10] = { "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
		"SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
		"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
		"SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
		"SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS" };
	return sig > 0 && sig < 32 ? names[sig] : 0;
}

int lab_fail(const struct lab *l, const char *cmd, struct cl_json *j)
{
	const char *why = 0, *what = l->failed ? l->failed : l->used_clone3 ? "clone3" : "clone";
	int status = CL_EXIT_FAIL;
	if (!l->failed && (l->flags & CL_CLONE_NEWUSER) && cl_userns_why(l->ret) &&
	    (l->ret == -EPERM || l->ret == -ENOSPC || l->ret == -EUSERS)) {
		why = cl_userns_why(l->ret);
		status = CL_EXIT_UNSUPPORTED;
	} else if (!l->failed && l->ret == -EINVAL && cl_under_qemu()) {
		why = CL_QEMU_CLONE_WHY;
		status = CL_EXIT_UNSUPPORTED;
	} else if (l->failed && l->pinned < 0) {
		why = "this CPU does not exist here, or is not one we may run on (see "
		      "`clonelab env` for the count)";
		status = CL_EXIT_UNSUPPORTED;
	} else if (!l->failed && l->ret == -ENOSYS && l->used_clone3) {
		why = "no clone3 here: kernels before 5.3, QEMU user mode and some seccomp "
		      "filters lack it (--api auto falls back to clone)";
		status = CL_EXIT_UNSUPPORTED;
	}
	if (j) {
		cl_json_error(j, status, what, l->ret, why);
		cl_json_close(j, '}');
	} else {
		errf("%s: %s", cmd, status == CL_EXIT_UNSUPPORTED ? "not possible here: " : "");
		cl_perror(what, 0, l->ret, why);
	}
	return status;
}
