/* say.c: the smallest useful output, for tiny programs: one line, one system call. */
#include "rt.h"

/* One writev(2) of two pieces, the caller's text and a line end: a single system call,
 * so a line from one thread is never split by another's (up to PIPE_BUF on a pipe, as
 * for write). Two pieces cost no copy and no cap on the text's length. */
static inline __attribute__((always_inline)) void say2(const char *text, const char *end, size_t n)
{
	struct { const void *base; size_t len; } iov[2] = {
		{ text, cl_strlen(text) }, { end, n } };
	SYS3(writev, 1, iov, 2);
}

void cl_say(const char *text, long number)
{
	char digits[24], *p = digits + sizeof digits;	/* 20 digits, '-', '\n' */
	unsigned long u = number < 0 ? 0UL - (unsigned long)number : (unsigned long)number;
	*--p = '\n';
	do	/* the number, backwards from the end */
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (number < 0)
		*--p = '-';
	say2(text, p, (size_t)(digits + sizeof digits - p));
}

/* A plain line: cl_say without the number. */
void cl_puts(const char *text)
{
	say2(text, "\n", 1);
}
