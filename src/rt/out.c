/* out.c: buffered stdout and stderr, and a small printf.
 * Buffered so that a command's report leaves in few writes; flushed before every
 * clone (the child would otherwise inherit, and print again, what is pending). */
#include "rt.h"

/* Buffers and headers all live in .bss: with no initialised data, a program's R+W
 * segment has no file contents and execve maps it anonymous (no copy-on-write page,
 * no zeroing of a partial file page), which tests/bench measures. The two headers
 * are filled in at their first write. */
static char outbuf[2048], errbuf[512];
struct cl_out cl_stdout, cl_stderr;

static void std_init(struct cl_out *o)
{
	if (o == &cl_stdout)
		o->fd = 1, o->size = sizeof outbuf, o->buf = outbuf;
	else if (o == &cl_stderr)
		o->fd = 2, o->size = sizeof errbuf, o->buf = errbuf;
}

/* Wait until fd takes more bytes: a non-blocking stdout (a pipe or a terminal the
 * caller made O_NONBLOCK) answers EAGAIN when it is full; the bytes must still go. */
static long wait_writable(int fd)
{
	struct { int fd; short events, revents; } p = { fd, 4 /* POLLOUT */, 0 };
	long r;
	do
		r = SYS5(ppoll, &p, 1, 0, 0, 8);
	while (r == -EINTR);
	return r < 0 ? r : 0;
}

/* The first write error of stdout and of stderr (-errno), for cl_out_status. */
static int std_err[2];

long cl_flush(struct cl_out *o)
{
	unsigned done = 0;
	int e = o == &cl_stdout ? std_err[0] : o == &cl_stderr ? std_err[1] : 0;
	while (done < o->len && !e) {
		long r = SYS3(write, o->fd, o->buf + done, o->len - done);
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			r = wait_writable(o->fd);
		else if (r == 0)
			r = -EIO;	/* a write that takes nothing: never spin on it */
		if (r < 0)
			e = (int)r;
		else
			done += (unsigned)r;
	}
	o->len = 0;	/* after an error, what is pending is dropped: it cannot leave */
	if (o == &cl_stdout || o == &cl_stderr)
		std_err[o == &cl_stderr] = e;	/* kept: the exit status says so */
	return e;
}

int cl_out_status(int status)
{
	cl_flush_all();
	if (std_err[0]) {
		errf("clonelab: writing to stdout failed: %s: %s\n", cl_errno_name(std_err[0]),
		    cl_errno_text(std_err[0]));
		cl_flush(&cl_stderr);
	}
	return status == CL_EXIT_OK && (std_err[0] || std_err[1]) ? CL_EXIT_FAIL : status;
}

void cl_flush_all(void)
{
	cl_flush(&cl_stdout);
	cl_flush(&cl_stderr);
}

/* A hosted program ends through its libc's exit, which runs this after main returns
 * too. Freestanding links discard .fini_array (linker/clonelab.ld): cl_exit flushes there. */
__attribute__((destructor)) static void flush_at_exit(void)
{
	cl_flush_all();
}

void cl_write(struct cl_out *o, const char *s, size_t n)
{
	cl_flush_hook = cl_flush_all;	/* from now on, clones and exit flush first */
	if (!o->buf)
		std_init(o);
	while (n) {
		if (o->len == o->size) {
			if (o->fd < 0)	/* memory: keep the beginning, drop what does not fit */
				return;
			cl_flush(o);
		}
		size_t k = o->size - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += (unsigned)k;
		s += k, n -= k;
	}
}

static const char digits[] = "0123456789abcdef";	/* %x, %p and \u00XX */

static void put(struct cl_out *o, char c) { cl_write(o, &c, 1); }

static void pad(struct cl_out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/* The length of the well-formed multi-byte UTF-8 sequence at s (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF), or 0: an ASCII byte, or not one. A NUL
 * is a bad continuation byte like any other: never reads past the end. */
unsigned cl_utf8_len(const unsigned char *s)
{
	unsigned c = s[0], n = (c >= 0xc0) + (c >= 0xe0) + (c >= 0xf0), cp = c & (0x3f >> n);
	for (unsigned i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* The least code point n continuation bytes may carry: 0x80, 0x800, 0x10000. */
	if (!n || cp >> (5 * n + 1 + (n == 1)) == 0 || cp - 0xd800 < 0x800 || cp > 0x10ffff)
		return 0;
	return n + 1;
}

/* A JSON string literal: quotes, backslash and control characters escaped. Well-formed
 * UTF-8 passes through (n counts the bytes of a sequence still to copy). Any other byte
 * (argv, a hostname, a path are bytes, not text) becomes \u00XX, XX its value: the
 * output stays valid JSON and UTF-8, the raw text shows the byte, and a parser reads it
 * as the character U+00XX. */
static void quoted(struct cl_out *o, const char *s)
{
	put(o, '"');
	for (unsigned n = 0; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (n) {
			n--;
		} else if ((n = cl_utf8_len((const unsigned char *)s)) != 0) {
			n--;
		} else if (c == '"' || c == '\\') {
			put(o, '\\');
		} else if (c == '\n' || c == '\t') {
			c = c == '\n' ? 'n' : 't', put(o, '\\');
		} else if (c < 0x20 || c >= 0x7f) {
			cl_write(o, "\\u00", 4);
			put(o, digits[c >> 4]);
			c = (unsigned char)digits[c & 15];
		}
		put(o, (char)c);
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
		int left = 0, zero = 0, width = 0, lng = 0;
		for (f++; *f == '-' || *f == '0'; f++)
			*f == '-' ? (left = 1) : (zero = 1);
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		if (*f == 'l')
			lng = 1, f++;
		char c = *f, num[24], *s = num + sizeof num - 1;
		*s = 0;
		if (!c)
			break;		/* a lone '%' at the end */
		/* Only a known conversion takes an argument: anything else ("%%" too)
		 * prints as itself and leaves the arguments where they are. */
		const char *k = "qscduxp";
		while (*k && *k != c)
			k++;
		if (!*k) {
			put(o, c);
			continue;
		}
		unsigned long u = next(&args, lng || k - "qscduxp" < 2 || c == 'p', c == 'd');
		if (c == 'q') {
			u ? quoted(o, (const char *)u) : cl_write(o, "null", 4);
			continue;
		}
		if (c == 's') {
			s = u ? (char *)u : "(null)";
		} else if (c == 'c') {
			*--s = (char)u;
		} else {
			int neg = c == 'd' && (long)u < 0;
			unsigned base = c == 'x' || c == 'p' ? 16 : 10;
			if (neg)
				u = 0UL - u;
			do
				*--s = digits[u % base];
			while (u /= base);
			if (c == 'p')
				*--s = 'x', *--s = '0';
			if (neg) {
				if (zero)	/* the sign goes before the zeros: -0042 */
					put(o, '-'), width--;
				else
					*--s = '-';
			}
		}
		int len = (int)cl_strlen(s);
		if (!left)
			pad(o, zero ? '0' : ' ', width - len);
		cl_write(o, s, (size_t)len);
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
