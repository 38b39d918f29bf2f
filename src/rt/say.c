/* say.c: the smallest useful output, for tiny programs: one line, one write(2). */
#include "rt.h"

void cl_say(const char *text, long number)
{
	char line[128], *p = line + sizeof line;
	unsigned long u = number < 0 ? 0UL - (unsigned long)number : (unsigned long)number;
	*--p = '\n';
	do	/* the number, backwards from the end */
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (number < 0)
		*--p = '-';
	size_t n = cl_strlen(text);
	if (n > (size_t)(p - line))
		n = (size_t)(p - line);
	p -= n;
	memcpy(p, text, n);	/* then the text in front of it */
	SYS3(write, 1, p, line + sizeof line - p);
}
