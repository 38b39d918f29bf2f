/* out.c: buffered stdout and stderr, and a small printf.
 * Buffered so that a command's report leaves in few writes; flushed before every
 * clone (the child would otherwise inherit, and print again, what is pending). */
#include "rt.h"

/* The buffers live in .bss, not in the file: only these small headers are data. */
static char outbuf[2048], errbuf[512];
struct cl_out cl_stdout = { 1, 0, sizeof outbuf, outbuf };
struct cl_out cl_stderr = { 2, 0, sizeof errbuf, errbuf };

void cl_flush(struct cl_out *o)
{
	unsigned done = 0;
	while (done < o->len) {
		long r = SYS3(write, o->fd, o->buf + done, o->len - done);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;	/* nowhere to report a failing stdout: drop, don't spin */
		done += (unsigned)r;
	}
	o->len = 0;
}

void cl_flush_all(void)
{
	cl_flush(&cl_stdout);
	cl_flush(&cl_stderr);
}

void cl_write(struct cl_out *o, const char *s, size_t n)
{
	while (n) {
		if (o->len == o->size)
			cl_flush(o);
		size_t k = o->size - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += (unsigned)k;
		s += k, n -= k;
	}
}

static void put(struct cl_out *o, char c) { cl_write(o, &c, 1); }

static void pad(struct cl_out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* A JSON string literal: quotes, backslash and control characters escaped. Bytes
 * from 0x80 up pass through: they are UTF-8 in every string clonelab handles. */
static void quoted(struct cl_out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			put(o, '\\'), put(o, (char)c);
		} else if (c == '\n') {
			cl_write(o, "\\n", 2);
		} else if (c == '\t') {
			cl_write(o, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			cl_write(o, u, 6);
		} else {
			put(o, (char)c);
		}
	}
	put(o, '"');
}

/* Every argument clonelab prints is an int, a long or a pointer, so one va_arg site
 * serves all conversions: on x86_64 each va_arg expansion is sizeable. */
__attribute__((noinline)) static unsigned long next(va_list *ap, int lng, int sign)
{
	if (lng)
		return va_arg(*ap, unsigned long);
	int v = va_arg(*ap, int);
	return sign ? (unsigned long)(long)v : (unsigned)v;
}

void cl_vprintf(struct cl_out *o, const char *f, va_list ap)
{
	va_list args;
	va_copy(args, ap);
	for (; *f; f++) {
		if (*f != '%') {
			put(o, *f);
			continue;
		}
		int left = 0, zero = 0, width = 0, lng = 0, neg = 0;
		for (f++; *f == '-' || *f == '0'; f++)
			*f == '-' ? (left = 1) : (zero = 1);
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		if (*f == 'l')
			lng = 1, f++;
		char num[24], *s = num + sizeof num;
		*--s = 0;
		char c = *f;
		if (!c)
			break;		/* a lone '%' at the end */
		if (c == 'p' || c == 's' || c == 'q')
			lng = 1;	/* pointers are long-sized */
		/* Only a known conversion takes an argument: anything else prints as
		 * itself and leaves the arguments where they are. */
		int known = c == 'q' || c == 's' || c == 'c' || c == 'd' || c == 'u' ||
			    c == 'x' || c == 'p';
		unsigned long u = known ? next(&args, lng, c == 'd') : 0;
		unsigned base = 10;
		switch (c) {
		case 'q':
			if (u)
				quoted(o, (const char *)u);
			else
				cl_write(o, "null", 4);
			continue;
		case 's':
			s = u ? (char *)u : "(null)";
			break;
		case 'c':
			num[0] = (char)u, num[1] = 0, s = num;
			break;
		case 'd':
			if ((long)u < 0)
				neg = 1, u = 0UL - u;
			/* fall through */
		case 'u':
		case 'x':
		case 'p':
			if (c == 'x' || c == 'p')
				base = 16;
			do
				*--s = "0123456789abcdef"[u % base];
			while (u /= base);
			if (c == 'p')
				*--s = 'x', *--s = '0';
			break;
		default:	/* "%%" and anything unknown print as themselves */
			put(o, c);
			continue;
		}
		int len = (int)cl_strlen(s) + neg;
		if (!left && !zero)
			pad(o, ' ', width - len);
		if (neg)
			put(o, '-');
		if (!left && zero)
			pad(o, '0', width - len);
		cl_write(o, s, cl_strlen(s));
		if (left)
			pad(o, ' ', width - len);
	}
	va_end(args);
}

void cl_printf(struct cl_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cl_vprintf(o, fmt, ap);
	va_end(ap);
}
