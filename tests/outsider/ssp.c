/* ssp.c: built with -fstack-protector-all: every function checks a canary, in the main
 * thread and in a cl_thread; with an argument, an 8-byte overflow must be caught
 * (SIGABRT). Prints "canary set 1", "main 5", "thread 9". */
#include "clonelab.h"
extern unsigned long __stack_chk_guard;
static int fill(void *arg)
{
	volatile char buf[64];
	for (int i = 0; i < 64; i++)
		buf[i] = (char)i;
	return buf[(long)arg];
}
__attribute__((noinline)) static void smash(long n)
{
	volatile char buf[8];
	for (long i = 0; i < n; i++)
		buf[i] = 'x';
}
int main(int argc, char **argv)
{
	struct cl_thread *t;
	int r = -1;
	if (cl_thread_spawn(&t, fill, (void *)9L) < 0 || cl_thread_join(t, &r) < 0)
		return 1;
	cl_say("canary set ", __stack_chk_guard != 0);
	cl_say("main ", fill((void *)5L));
	cl_say("thread ", r);
	if (argc > 1)
		smash(16 + argv[1][0] - '0');	/* 8 bytes past buf: over the canary */
	return 0;
}
