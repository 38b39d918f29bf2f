/* str.c: the few string helpers clonelab needs. */
#include "rt.h"

size_t cl_strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return (size_t)(p - s);
}

int cl_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

int cl_strcaseeq(const char *a, const char *b)
{
	while (*a && lower(*a) == lower(*b))
		a++, b++;
	return lower(*a) == lower(*b);
}

int cl_startswith(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

int cl_parse_ulong(const char *s, unsigned long *v)
{
	unsigned long base = 10, r = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && lower(*s) >= 'a' && lower(*s) <= 'f')
			d = (unsigned)(lower(*s) - 'a' + 10);
		else
			return -1;
		if (r > (~0UL - d) / base)
			return -1;	/* overflow */
		r = r * base + d;
	}
	*v = r;
	return 0;
}

char *cl_utoa(unsigned long v, char *buf)
{
	int n = 1;
	for (unsigned long t = v; t /= 10;)	/* count the digits, then fill backwards */
		n++;
	buf[n] = 0;
	do
		buf[--n] = (char)('0' + v % 10);
	while (v /= 10);
	return buf;
}

char *cl_stpcpy(char *d, const char *s)
{
	while ((*d = *s++))
		d++;
	return d;
}
