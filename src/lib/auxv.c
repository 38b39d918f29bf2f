/* auxv.c: the environment and the auxiliary vector, set by crt0's start-up code.
 * In a hosted program nobody sets them; cl_getauxval then reads /proc/self/auxv. */
#include "rt.h"

char **cl_environ;
unsigned long *cl_auxv;

unsigned long cl_getauxval(unsigned long type)
{
	static unsigned long copy[64];
	if (!cl_auxv) {
		if (cl_read_file("/proc/self/auxv", (char *)copy, sizeof copy) <= 0)
			return 0;
		cl_auxv = copy;
	}
	for (unsigned long *a = cl_auxv; a[0]; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}
