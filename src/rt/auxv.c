/* auxv.c: the environment and the auxiliary vector, as crt0's start-up (start.c) found them.
 * A hosted program has no crt0: there both stay NULL, and cl_getauxval answers 0
 * (its libc's getauxval is the one to ask). */
#include "rt.h"

char **cl_environ;
unsigned long *cl_auxv;

unsigned long cl_getauxval(unsigned long type)
{
	return cl_auxv_find(cl_auxv, type);
}
