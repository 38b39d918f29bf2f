/* kernel.c: which kernel we run on, from uname(2). */
#include "rt.h"

const char *cl_kernel_release(void)
{
	static char uts[6 * 65];	/* struct utsname: six fields of 65 bytes */
	return SYS1(uname, uts) == 0 ? uts + 2 * 65 : 0;	/* the third: release */
}

long cl_kernel_version(void)
{
	const char *s = cl_kernel_release();
	unsigned long v[2] = { 0, 0 };
	if (!s)
		return 0;
	for (int k = 0; k < 2; k++, s++)	/* "6.9.0-rc1": 6, then 9 */
		for (; *s >= '0' && *s <= '9'; s++)
			v[k] = v[k] * 10 + (unsigned long)(*s - '0');
	return (long)(v[0] * 1000 + v[1]);
}
