/* runtime.c: tests of src/rt (printf, JSON, getopt, numbers, files, errno). */
#include "test.h"

/* cl_printf into memory; returns the text (a static buffer, valid until the next call). */
__attribute__((format(printf, 1, 2))) static const char *fmt(const char *f, ...)
{
	static char buf[512];
	struct cl_out o;
	va_list ap;
	t_mem_out(&o, buf, sizeof buf);
	va_start(ap, f);
	cl_vprintf(&o, f, ap);
	va_end(ap);
	return t_mem_str(&o);
}
/* %q is clonelab's own: not in gcc's printf format checking. */
static const char *fmtq(const char *s)
{
	static char buf[512];
	struct cl_out o;
	t_mem_out(&o, buf, sizeof buf);
	cl_printf(&o, "%q", s);
	return t_mem_str(&o);
}

int t_printf_int(void)
{
	ASSERT_STREQ(fmt("%d", 0), "0");
	ASSERT_STREQ(fmt("%d", 42), "42");
	ASSERT_STREQ(fmt("%d", -42), "-42");
	ASSERT_STREQ(fmt("%d", 2147483647), "2147483647");
	ASSERT_STREQ(fmt("%d", -2147483647 - 1), "-2147483648");
	ASSERT_STREQ(fmt("a%db%dc", 1, -2), "a1b-2c");
	ASSERT_STREQ(fmt("100%%"), "100%");
	return T_PASS;
}

int t_printf_unsigned_hex(void)
{
	ASSERT_STREQ(fmt("%u", 0u), "0");
	ASSERT_STREQ(fmt("%u", 4294967295u), "4294967295");
	ASSERT_STREQ(fmt("%x", 0u), "0");
	ASSERT_STREQ(fmt("%x", 0xdeadbeefu), "deadbeef");
	ASSERT_STREQ(fmt("%x", (unsigned)-1), "ffffffff");
	ASSERT_STREQ(fmt("%lx", 0xfedcba9876543210UL), "fedcba9876543210");
	ASSERT_STREQ(fmt("%lu", 18446744073709551615UL), "18446744073709551615");
	return T_PASS;
}

int t_printf_long(void)
{
	ASSERT_STREQ(fmt("%ld", 0L), "0");
	ASSERT_STREQ(fmt("%ld", 9223372036854775807L), "9223372036854775807");
	ASSERT_STREQ(fmt("%ld", -9223372036854775807L - 1), "-9223372036854775808");
	ASSERT_STREQ(fmt("%ld", -1L), "-1");
	ASSERT_STREQ(fmt("%ld %d", 5000000000L, 7), "5000000000 7");
	return T_PASS;
}

int t_printf_str_char_ptr(void)
{
	ASSERT_STREQ(fmt("%s", "abc"), "abc");
	ASSERT_STREQ(fmt("%s", ""), "");
	char *volatile null = 0;	/* volatile: gcc would warn of the NULL %s */
	ASSERT_STREQ(fmt("[%s]", null), "[(null)]");
	ASSERT_STREQ(fmt("%c%c%c", 'x', 'y', 'z'), "xyz");
	ASSERT_STREQ(fmt("%p", (void *)0x1234), "0x1234");
	ASSERT_STREQ(fmt("%p", (void *)0xffff800012345678UL), "0xffff800012345678");
	return T_PASS;
}

int t_printf_width_flags(void)
{
	ASSERT_STREQ(fmt("%5d|", 42), "   42|");
	ASSERT_STREQ(fmt("%-5d|", 42), "42   |");
	ASSERT_STREQ(fmt("%05d|", 42), "00042|");
	ASSERT_STREQ(fmt("%5d|", -42), "  -42|");
	ASSERT_STREQ(fmt("%-5d|", -42), "-42  |");
	ASSERT_STREQ(fmt("%05d|", -42), "-0042|");
	ASSERT_STREQ(fmt("%2d|", 12345), "12345|");	/* width is a minimum */
	ASSERT_STREQ(fmt("%08x", 0xbeefu), "0000beef");
	ASSERT_STREQ(fmt("%016lx", 0x1UL), "0000000000000001");
	ASSERT_STREQ(fmt("%-9s|", "env"), "env      |");
	ASSERT_STREQ(fmt("%9s|", "env"), "      env|");
	ASSERT_STREQ(fmt("%-3c|", 'q'), "q  |");
	ASSERT_STREQ(fmt("%20ld|", -9223372036854775807L - 1), "-9223372036854775808|");
	ASSERT_STREQ(fmt("%21ld|", -9223372036854775807L - 1), " -9223372036854775808|");
	return T_PASS;
}

int t_printf_quoted(void)
{
	ASSERT_STREQ(fmtq("plain"), "\"plain\"");
	ASSERT_STREQ(fmtq(""), "\"\"");
	ASSERT_STREQ(fmtq("say \"hi\""), "\"say \\\"hi\\\"\"");
	ASSERT_STREQ(fmtq("a\\b"), "\"a\\\\b\"");
	ASSERT_STREQ(fmtq("l1\nl2\tx"), "\"l1\\nl2\\tx\"");
	ASSERT_STREQ(fmtq("\x01\x1f\r\b\x7f"), "\"\\u0001\\u001f\\u000d\\u0008\\u007f\"");
	ASSERT_STREQ(fmtq("caf\xc3\xa9"), "\"caf\xc3\xa9\"");	/* UTF-8 passes through */
	return T_PASS;
}

/* Bytes that are not well-formed UTF-8 become \u00XX (issue 14, item 11): the JSON
 * stays valid whatever argv, hostname or path held. */
int t_json_not_utf8(void)
{
	ASSERT_STREQ(fmtq("\xff"), "\"\\u00ff\"");
	ASSERT_STREQ(fmtq("\x80x"), "\"\\u0080x\"");			/* a lone continuation */
	ASSERT_STREQ(fmtq("a\xc3"), "\"a\\u00c3\"");			/* cut short by the end */
	ASSERT_STREQ(fmtq("\xe2\x82x"), "\"\\u00e2\\u0082x\"");	/* cut short by 'x' */
	ASSERT_STREQ(fmtq("\xc0\xaf"), "\"\\u00c0\\u00af\"");		/* overlong '/' */
	ASSERT_STREQ(fmtq("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");	/* a surrogate */
	ASSERT_STREQ(fmtq("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");	/* > U+10FFFF */
	ASSERT_STREQ(fmtq("\xf0\x9f\x98\x80 \xe2\x82\xac \xf4\x8f\xbf\xbf"),
		     "\"\xf0\x9f\x98\x80 \xe2\x82\xac \xf4\x8f\xbf\xbf\"");	/* well-formed */
	return T_PASS;
}

int t_json_writer(void)
{
	char buf[512];
	struct cl_out o;
	t_mem_out(&o, buf, sizeof buf);
	struct cl_json j = { &o, 0, 0 };
	cl_json_open(&j, 0, '{');
	cl_json_str(&j, "s", "v");
	cl_json_int(&j, "i", -5);
	cl_json_int(&j, "big", -9223372036854775807L - 1);
	cl_json_bool(&j, "t", 1);
	cl_json_bool(&j, "f", 0);
	cl_json_null(&j, "n");
	cl_json_str(&j, "ns", 0);
	cl_json_hex(&j, "h", 0xff);
	cl_json_open(&j, "a", '[');
	cl_json_int(&j, 0, 1);
	cl_json_open(&j, 0, '{');
	cl_json_close(&j, '}');
	cl_json_open(&j, 0, '[');
	cl_json_close(&j, ']');
	cl_json_int(&j, 0, 2);
	cl_json_close(&j, ']');
	cl_json_open(&j, "o", '{');
	cl_json_str(&j, "k", "x");
	cl_json_close(&j, '}');
	cl_json_close(&j, '}');
	ASSERT_STREQ(t_mem_str(&o),
		     "{\"s\":\"v\",\"i\":-5,\"big\":-9223372036854775808,\"t\":true,\"f\":false,"
		     "\"n\":null,\"ns\":null,\"h\":\"0xff\",\"a\":[1,{},[],2],\"o\":{\"k\":\"x\"}}\n");
	ASSERT_EQ(j.depth, 0);
	return T_PASS;
}

int t_json_escapes(void)
{
	char buf[512];
	struct cl_out o;
	t_mem_out(&o, buf, sizeof buf);
	struct cl_json j = { &o, 0, 0 };
	cl_json_open(&j, 0, '{');
	cl_json_str(&j, "q\"k", "a\"b\\c\nd\te\x01" "f\x1b");
	cl_json_close(&j, '}');
	ASSERT_STREQ(t_mem_str(&o),
		     "{\"q\\\"k\":\"a\\\"b\\\\c\\nd\\te\\u0001f\\u001b\"}\n");
	return T_PASS;
}

/* ---- cl_getopt ---- */
static const struct cl_opt opts[] = { { "--a", 0 }, { "--b", 1 }, { "--json", 0 }, { 0, 0 } };

/* cl_getopt reports to stderr: catch that in memory. */
static char errcap[512];
static struct cl_out saved_err;
static void catch_stderr(void)
{
	cl_flush(&cl_stderr);
	saved_err = cl_stderr;
	t_mem_out(&cl_stderr, errcap, sizeof errcap);
}
static const char *release_stderr(void)
{
	const char *s = t_mem_str(&cl_stderr);
	cl_stderr = saved_err;
	return s;
}

int t_getopt_flags_values(void)
{
	char *argv[] = { "cmd", "--a", "--b=v1", "--b", "v2", "--json", "--b=", 0 };
	struct cl_args a = { 7, argv, 1, 0, 0 };
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 0);
	ASSERT(a.val == 0);
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 1);
	ASSERT_STREQ(a.val, "v1");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 1);
	ASSERT_STREQ(a.val, "v2");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 2);
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 1);
	ASSERT_STREQ(a.val, "");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_END);
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_END);
	return T_PASS;
}

int t_getopt_stop_positionals(void)
{
	char *argv[] = { "cmd", "p1", "-", "--a", "--", "--a", "--b", "x", 0 };
	struct cl_args a = { 8, argv, 1, 0, 0 };
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_POSITIONAL);
	ASSERT_STREQ(a.val, "p1");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_POSITIONAL);	/* "-" is stdin, not an option */
	ASSERT_STREQ(a.val, "-");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), 0);
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_POSITIONAL);	/* "--" stops options */
	ASSERT_STREQ(a.val, "--a");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_POSITIONAL);
	ASSERT_STREQ(a.val, "--b");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_POSITIONAL);
	ASSERT_STREQ(a.val, "x");
	ASSERT_EQ(cl_getopt(&a, opts, "t"), CL_ARG_END);
	return T_PASS;
}

int t_getopt_unknown(void)
{
	char *argv[] = { "cmd", "--zz", "--ab", "--a=1", "-a", 0 };
	struct cl_args a = { 5, argv, 1, 0, 0 };
	int k[4];
	catch_stderr();
	for (int i = 0; i < 4; i++)
		k[i] = cl_getopt(&a, opts, "tcmd");
	const char *e = release_stderr();
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(k[i], CL_ARG_BAD);
	ASSERT_HAS(e, "tcmd: unknown option '--zz'");
	ASSERT_HAS(e, "'--ab'");	/* a prefix of an option name is not that option */
	ASSERT_HAS(e, "option --a takes no value");	/* --a=1: a flag takes no value */
	ASSERT_HAS(e, "'-a'");
	return T_PASS;
}

int t_getopt_missing_value(void)
{
	char *argv[] = { "cmd", "--b", 0 };
	struct cl_args a = { 2, argv, 1, 0, 0 };
	catch_stderr();
	int k = cl_getopt(&a, opts, "tcmd");
	const char *e = release_stderr();
	ASSERT_EQ(k, CL_ARG_BAD);
	ASSERT_HAS(e, "tcmd: option --b needs a value");
	return T_PASS;
}

/* ---- numbers and strings ---- */
int t_parse_ulong(void)
{
	unsigned long v = 77;
	ASSERT_EQ(cl_parse_ulong("0", &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(cl_parse_ulong("12345", &v), 0);
	ASSERT_EQ(v, 12345);
	ASSERT_EQ(cl_parse_ulong("0x1F", &v), 0);
	ASSERT_EQ(v, 31);
	ASSERT_EQ(cl_parse_ulong("0Xabc", &v), 0);
	ASSERT_EQ(v, 0xabc);
	ASSERT_EQ(cl_parse_ulong("18446744073709551615", &v), 0);
	ASSERT(v == ~0UL);
	ASSERT_EQ(cl_parse_ulong("0xffffffffffffffff", &v), 0);
	ASSERT(v == ~0UL);
	v = 77;
	ASSERT_EQ(cl_parse_ulong("18446744073709551616", &v), -1);	/* overflow */
	ASSERT_EQ(cl_parse_ulong("99999999999999999999", &v), -1);
	ASSERT_EQ(cl_parse_ulong("0x10000000000000000", &v), -1);
	ASSERT_EQ(cl_parse_ulong("", &v), -1);
	ASSERT_EQ(cl_parse_ulong("0x", &v), -1);
	ASSERT_EQ(cl_parse_ulong("12a", &v), -1);	/* junk */
	ASSERT_EQ(cl_parse_ulong("ff", &v), -1);	/* hex needs 0x */
	ASSERT_EQ(cl_parse_ulong("-1", &v), -1);
	ASSERT_EQ(cl_parse_ulong(" 1", &v), -1);
	ASSERT_EQ(cl_parse_ulong("1 ", &v), -1);
	ASSERT_EQ(cl_parse_ulong("0xg", &v), -1);
	ASSERT_EQ(v, 77);	/* untouched on failure */
	return T_PASS;
}

int t_utoa(void)
{
	char b[21];
	ASSERT_STREQ(cl_utoa(0, b), "0");
	ASSERT_STREQ(cl_utoa(10, b), "10");
	ASSERT_STREQ(cl_utoa(~0UL, b), "18446744073709551615");
	return T_PASS;
}

int t_strings(void)
{
	ASSERT_EQ(cl_strlen(""), 0);
	ASSERT_EQ(cl_strlen("abc"), 3);
	ASSERT(cl_streq("abc", "abc"));
	ASSERT(!cl_streq("abc", "abd"));
	ASSERT(!cl_streq("abc", "ab"));
	ASSERT(!cl_streq("ab", "abc"));
	ASSERT(cl_strcaseeq("EnV", "env"));
	ASSERT(!cl_strcaseeq("env", "envs"));
	ASSERT(cl_startswith("--json", "--"));
	ASSERT(cl_startswith("x", ""));
	ASSERT(!cl_startswith("-", "--"));
	char m[8] = "abcdefg";
	memmove(m + 1, m, 4);
	ASSERT_STREQ(m, "aabcdfg");
	memmove(m, m + 1, 4);
	ASSERT_STREQ(m, "abcddfg");
	ASSERT(memcmp("ab", "ac", 2) < 0);
	ASSERT(memcmp("\xff", "\x01", 1) > 0);	/* unsigned bytes */
	return T_PASS;
}

/* cl_say and cl_puts, read back through a pipe on fd 1: the text whole however long
 * (it was cut at 127 bytes when it was copied into a line buffer), the number in
 * decimal with its sign, LONG_MIN included, and one newline. */
static long said(char *out, size_t size, const char *text, long number, int puts)
{
	int p[2];
	cl_flush_all();	/* our own buffered TAP output, before fd 1 changes */
	long saved = SYS3(fcntl, 1, 1030 /* F_DUPFD_CLOEXEC */, 3);
	if (saved < 0 || SYS2(pipe2, p, O_CLOEXEC) < 0)
		return -1;
	SYS3(dup3, p[1], 1, 0);
	if (puts)
		cl_puts(text);
	else
		cl_say(text, number);
	SYS3(dup3, saved, 1, 0);
	SYS1(close, saved);
	SYS1(close, p[1]);
	long n = 0, r;
	while (n < (long)size - 1 && (r = SYS3(read, p[0], out + n, size - 1 - n)) > 0)
		n += r;
	SYS1(close, p[0]);
	out[n > 0 ? n : 0] = 0;
	return n;
}

int t_say(void)
{
	static char out[1024], text[301], want[320];
	ASSERT_EQ(said(out, sizeof out, "count: ", 2000, 0), 12);
	ASSERT_STREQ(out, "count: 2000\n");
	said(out, sizeof out, "x", -5, 0);
	ASSERT_STREQ(out, "x-5\n");
	said(out, sizeof out, "", 0, 0);
	ASSERT_STREQ(out, "0\n");
	said(out, sizeof out, "min ", (long)(~0UL >> 1) * -1 - 1, 0);
	ASSERT_STREQ(out, "min -9223372036854775808\n");
	for (int i = 0; i < 300; i++)
		text[i] = (char)('a' + i % 26);
	cl_stpcpy(cl_stpcpy(want, text), "7\n");
	ASSERT_EQ(said(out, sizeof out, text, 7, 0), 302);
	ASSERT_STREQ(out, want);
	cl_stpcpy(cl_stpcpy(want, text), "\n");
	ASSERT_EQ(said(out, sizeof out, text, 0, 1), 301);
	ASSERT_STREQ(out, want);
	said(out, sizeof out, "", 0, 1);
	ASSERT_STREQ(out, "\n");
	return T_PASS;
}

/* ---- files ---- */
int t_read_file_status(void)
{
	char buf[4096], v[64];
	long n = cl_read_file("/proc/self/status", buf, sizeof buf);
	ASSERT_OK(n);
	ASSERT(n > 0);
	ASSERT_EQ(cl_strlen(buf), n);
	ASSERT_EQ(cl_field(buf, "Pid", v, sizeof v), 0);
	unsigned long pid;
	ASSERT_EQ(cl_parse_ulong(v, &pid), 0);
	ASSERT_EQ(pid, SYS0(getpid));
	ASSERT_EQ(cl_field(buf, "Tgid", v, sizeof v), 0);
	ASSERT_EQ(cl_parse_ulong(v, &pid), 0);
	ASSERT_EQ(pid, SYS0(getpid));
	ASSERT_EQ(cl_field(buf, "Name", v, sizeof v), 0);
	ASSERT(v[0] != 0);
	ASSERT_EQ(cl_field(buf, "Threads", v, sizeof v), 0);
	ASSERT_EQ(cl_field(buf, "NoSuchField", v, sizeof v), -1);
	return T_PASS;
}

int t_read_file_errors(void)
{
	char buf[16];
	ASSERT_EQ(cl_read_file("/proc/self/no-such-file", buf, sizeof buf), -ENOENT);
	/* A small buffer: truncated to size-1 bytes, NUL-terminated. */
	long n = cl_read_file("/proc/self/status", buf, sizeof buf);
	ASSERT_EQ(n, sizeof buf - 1);
	ASSERT_EQ(cl_strlen(buf), sizeof buf - 1);
	ASSERT(cl_startswith(buf, "Name:"));
	ASSERT_EQ(cl_write_file("/proc/self/no-such-file", "x"), -ENOENT);
	return T_PASS;
}

int t_field(void)
{
	const char *text = "Name:\tfoo\nPPid:\t7\nPid:  42\nUid:\t0\t0\t0\t0\nLast:\tend";
	char v[32];
	ASSERT_EQ(cl_field(text, "Pid", v, sizeof v), 0);
	ASSERT_STREQ(v, "42");	/* not PPid's */
	ASSERT_EQ(cl_field(text, "PPid", v, sizeof v), 0);
	ASSERT_STREQ(v, "7");
	ASSERT_EQ(cl_field(text, "Uid", v, sizeof v), 0);
	ASSERT_STREQ(v, "0\t0\t0\t0");
	ASSERT_EQ(cl_field(text, "Last", v, sizeof v), 0);
	ASSERT_STREQ(v, "end");
	ASSERT_EQ(cl_field(text, "Name", v, 3), 0);
	ASSERT_STREQ(v, "fo");	/* truncated to size-1 */
	ASSERT_EQ(cl_field(text, "Nam", v, sizeof v), -1);
	ASSERT_EQ(cl_field(text, "id", v, sizeof v), -1);
	return T_PASS;
}

int t_proc_path(void)
{
	char b[48];
	ASSERT_STREQ(cl_proc_path(b, 0, "uid_map"), "/proc/self/uid_map");
	ASSERT_STREQ(cl_proc_path(b, 12345, "setgroups"), "/proc/12345/setgroups");
	return T_PASS;
}

/* Every argument of the syscall stub reaches the kernel in its own register: mmap uses
 * all six, and a file mapping at an offset shows the fifth (fd) and the sixth (offset):
 * one slipped register maps another descriptor, or another page, or fails. */
int t_syscall_six_args(void)
{
	static char (*want_p)[2][65536];	/* two pages of the largest size Linux uses */
	char (*want)[65536] = T_MAPPED(want_p);
	unsigned long page = cl_getauxval(AT_PAGESZ);
	if (!page || page > sizeof (*want_p)[0])
		return skip("no page size in the auxiliary vector, or pages over 64 KiB");
	long fd = SYS4(openat, AT_FDCWD, "/proc/self/exe", O_RDONLY, 0);
	ASSERT_OK(fd);
	long got = 0, n;
	while (got < (long)(2 * page) && (n = SYS3(read, fd, (char *)want + got, 2 * page - got)) > 0)
		got += n;
	ASSERT_EQ(got, 2 * page);
	const char *second = (const char *)want + page;
	const unsigned char *m = (void *)SYS6(mmap, 0, page, PROT_READ, MAP_PRIVATE, fd, page);
	SYS1(close, fd);
	ASSERT((unsigned long)m < MAP_FAILED_MAX);
	long same = 1;
	for (unsigned long i = 0; i < page; i++)
		same &= m[i] == (unsigned char)second[i];
	SYS2(munmap, m, page);
	ASSERT(same);	/* the file's second page, at offset `page` */
	return T_PASS;
}

int t_errno_names(void)
{
	ASSERT_STREQ(cl_errno_name(-EINVAL), "EINVAL");
	ASSERT_STREQ(cl_errno_name(EINVAL), "EINVAL");
	ASSERT_STREQ(cl_errno_name(-EPERM), "EPERM");
	ASSERT_STREQ(cl_errno_name(-ENOSYS), "ENOSYS");
	ASSERT_STREQ(cl_errno_name(-EUSERS), "EUSERS");
	ASSERT_STREQ(cl_errno_name(-ENOSPC), "ENOSPC");
	ASSERT_STREQ(cl_errno_name(-110), "ETIMEDOUT");
	ASSERT_STREQ(cl_errno_name(-95), "EOPNOTSUPP");
	ASSERT_STREQ(cl_errno_text(-ENOENT), "no such file or directory");
	ASSERT_STREQ(cl_errno_name(0), 0);
	ASSERT_STREQ(cl_errno_name(-4000), 0);
	ASSERT_STREQ(cl_errno_name(-25), 0);	/* ENOTTY: not in the table */
	ASSERT_STREQ(cl_errno_text(-4000), 0);
	/* Every name in the table: an E, upper case, with a text. */
	for (long e = 1; e < 134; e++) {
		const char *n = cl_errno_name(-e);
		if (!n)
			continue;
		ASSERT(n[0] == 'E');
		ASSERT(cl_errno_text(-e) && cl_errno_text(-e)[0]);
	}
	return T_PASS;
}
