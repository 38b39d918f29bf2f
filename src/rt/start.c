/* start.c: from the kernel's initial stack to main(), and the stack protector.
 * Part of crt0.o, which only freestanding programs link. */
#include "rt.h"

int main(int argc, char **argv, char **envp);

/* With -mstack-protector-guard=global the canary lives here instead of in TLS, so
 * it works before (and without) any thread pointer. Seeded before main runs. */
uintptr_t __stack_chk_guard;

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	static const char msg[] = "clonelab: stack smashing detected: aborting\n";
	SYS3(write, 2, msg, sizeof msg - 1);
	/* SIGABRT with its default action, as abort() would; exit 134 if that fails. */
	struct { unsigned long handler, flags, restorer, mask; } dfl = { 0, 0, 0, 0 };
	uint64_t unblock = 1UL << (6 - 1);
	SYS4(rt_sigaction, 6, &dfl, 0, 8);
	SYS4(rt_sigprocmask, 1 /* SIG_UNBLOCK */, &unblock, 0, 8);
	SYS3(tgkill, SYS0(getpid), SYS0(gettid), 6);
	SYS1(exit_group, 134);
	__builtin_unreachable();
}

/* Called by _start with sp = &argc. Not protected itself: it changes the canary. */
__attribute__((noreturn, no_stack_protector, used))
void cl_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **p = envp;
	while (*p)
		p++;
	cl_environ = envp;
	cl_auxv = (unsigned long *)(p + 1);
	const uintptr_t *rnd = (const uintptr_t *)cl_getauxval(AT_RANDOM);
	/* Keep the low byte zero, as glibc does: a string overflow then cannot copy the
	 * canary, since it would have to write its terminating NUL there. */
	if (rnd)
		__stack_chk_guard = rnd[0] & ~(uintptr_t)0xff;
	cl_exit(main(argc, argv, envp));
}
