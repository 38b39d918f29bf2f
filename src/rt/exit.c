/* exit.c: leaving the process, with buffered output flushed first. */
#include "rt.h"

/* Set by the writer (out.c) on first use: a program that never buffers output does
 * not carry the writer just to flush it, and a position-independent libclonelab.a
 * needs no GOT entry for a weak reference. */
void (*cl_flush_hook)(void);

void cl_flush_if_linked(void)
{
	if (cl_flush_hook)
		cl_flush_hook();
}

void cl_exit(int status)
{
	cl_flush_if_linked();
	SYS1(exit_group, status);
	__builtin_unreachable();
}
