/* api.c: the API's edges: cl_clone without a stack or fn, cl_userns_why of either
 * sign, cl_puts, cl_exit flushing. Exits 4. */
#include "clonelab.h"
static char stack[4096] __attribute__((aligned(16)));
static int fn(void *arg) { return arg != 0; }
int main(void)
{
	struct cl_clone_args a = { 0 };
	cl_say("clone no stack ", cl_clone(fn, 0, CL_SIGCHLD, 0, 0, 0, 0));
	cl_say("clone no fn ", cl_clone(0, stack + sizeof stack, CL_SIGCHLD, 0, 0, 0, 0));
	cl_say("clone3 no args ", cl_clone3(0, sizeof a, fn, 0));
	cl_say("clone3 no fn ", cl_clone3(&a, sizeof a, 0, 0));
	cl_say("why either sign ", cl_userns_why(28) == cl_userns_why(-28));
	cl_puts("a plain line");
	cl_printf(&cl_stdout, "%s\n", cl_userns_why(-28));
	cl_exit(4);
}
