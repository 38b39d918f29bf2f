/* start.c: from the kernel's initial stack to main(), and the stack protector.
 * Part of crt0.o, which only freestanding programs link. crt0-nossp.o has it built
 * with CL_NO_CANARY: no canary to seed and no __stack_chk_* at all, so that a program
 * built with the stack protector fails to link against it rather than run with a
 * canary that nobody seeded. */
#include "rt.h"

int main(int argc, char **argv, char **envp);

#ifndef CL_NO_CANARY
/* The canary, seeded before main runs. With -mstack-protector-guard=global (and on
 * arm64 by default) code reads it here. Weak: an architecture whose default protector
 * reads it from the thread's control block defines it there, in arch/<arch>/start.*
 * (x86_64: %fs:0x28), so both kinds of code see one canary. */
__attribute__((weak)) uintptr_t __stack_chk_guard;

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	static const char msg[] = "stack smashing detected: aborting\n";
	SYS3(write, 2, msg, sizeof msg - 1);
	/* SIGABRT, as abort() would; if it is blocked or handled, exit 134 all the same. */
	SYS2(kill, SYS0(getpid), 6);
	SYS1(exit_group, 134);
	__builtin_unreachable();
}
#endif

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
#ifndef CL_NO_CANARY
	/* AT_RANDOM: 16 random bytes from the kernel. Keep the low byte zero, as glibc
	 * does: a string overflow cannot then copy the canary, for its NUL lands there. */
	for (unsigned long *a = cl_auxv; a[0]; a += 2)
		if (a[0] == AT_RANDOM)
			__stack_chk_guard = *(uintptr_t *)a[1] & ~(uintptr_t)0xff;
#endif
	cl_exit(main(argc, argv, envp));
}

/* libgcc's outlined atomics (aarch64 without -mno-outline-atomics, then -lgcc) ask
 * the libc's __getauxval for AT_HWCAP; in a freestanding program this is that libc. */
unsigned long __getauxval(unsigned long type)
{
	return cl_auxv_find(cl_auxv, type);
}
