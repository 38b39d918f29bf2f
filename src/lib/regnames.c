/* regnames.c: the names of the snapshot's registers, in the order arch/<arch>/snap.*
 * stores them (arch/<arch>/regs.h). */
#include "rt.h"

const char *const *cl_reg_names(int *n)
{
	static const char *const names[CL_NREGS] = { CL_REG_NAMES };
	if (n)
		*n = CL_NREGS;
	return names;
}
