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
	while (n)	/* then the text in front of it (a loop: smaller than a memcpy call) */
		*--p = text[--n];
	SYS3(write, 1, p, line + sizeof line - p);
}

/* A plain line: cl_say without the number. */
void cl_puts(const char *text)
{
	char line[128];
	size_t n = cl_strlen(text);
	if (n > sizeof line - 1)
		n = sizeof line - 1;
	memcpy(line, text, n);
	line[n] = '\n';
	SYS3(write, 1, line, n + 1);
}
