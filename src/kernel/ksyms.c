/* ksyms.c: code addresses and their names on the running kernel, from /proc/kallsyms
 * (root reads the addresses; kptr_restrict=2, or a reader without CAP_SYSLOG, sees
 * zeros). CLONELAB_KALLSYMS names a file in the same format instead: the tests hide a
 * name with it, to see that an absent function is said to be absent. */
#include "kview_int.h"

/* The file to read: CLONELAB_KALLSYMS, else /proc/kallsyms. */
static const char *kallsyms_path(void)
{
	for (char **e = cl_environ; e && *e; e++)
		if (cl_startswith(*e, "CLONELAB_KALLSYMS=") && (*e)[18])
			return *e + 18;
	return "/proc/kallsyms";
}

/* One line, "ffffffff81002a40 T ret_from_fork_asm" (a module's symbols end in
 * "\t[module]"): into *addr, *type and the name (NUL-terminated in place). 0 if the
 * line is not one. */
static int kline(char *s, char *end, uint64_t *addr, char *type, char **name)
{
	uint64_t a = 0;
	char *p = s;
	for (; p < end; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : (*p | 32) >= 'a' && (*p | 32) <= 'f' ? (*p | 32) - 'a' + 10 : -1;
		if (d < 0)
			break;
		a = a << 4 | (uint64_t)d;
	}
	if (p == s || p + 3 >= end || p[0] != ' ' || p[2] != ' ')
		return 0;
	*addr = a, *type = p[1], *name = p + 3;
	for (p += 3; p < end && *p != '\t' && *p != ' '; p++)
		;
	*p = 0;
	return 1;
}

#define KBUF 65536	/* kallsyms is read in pieces this big */

static int is_text(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

long ksyms_resolve(struct ksym *names, int n, uint64_t pc, struct ksym_at *at, const char **why)
{
	static char *buf;	/* mapped once: 64 KiB of .bss is out of aarch64's ADR reach */
	if (!buf) {
		long m = cl_map(KBUF + 1);
		if (cl_is_err(m))
			return *why = "no memory to read kallsyms with", m;
		buf = (char *)m;
	}
	const char *path = kallsyms_path();
	at->addr = 0, at->name[0] = 0;
	for (int i = 0; i < n; i++)
		names[i].addr = 0;
	long fd = SYS4(openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		static char w[200];
		struct cl_out o = { -1, 0, sizeof w - 1, w };
		cl_printf(&o, "cannot read %s (%s)", path, cl_errno_name(fd));
		w[o.len] = 0;
		return *why = w, fd;
	}
	size_t have = 0, cap = KBUF;
	long r, lines = 0, nonzero = 0;
	int past = 0;	/* a text symbol above pc seen */
	int found = 0, wanted = 0;	/* names found, names asked ("" is none) */
	for (int i = 0; i < n; i++)
		wanted += *names[i].name != 0;
	do {
		if ((r = SYS3(read, fd, buf + have, cap - have)) < 0)
			break;
		have += (size_t)r;
		char *s = buf, *end = buf + have, *nl;
		for (;; s = nl + (nl < end)) {
			for (nl = s; nl < end && *nl != '\n'; nl++)
				;
			if (s == end || (nl == end && r > 0 && !(s == buf && have == cap)))
				break;	/* the rest of this line comes with the next read */
			uint64_t a;
			char type, *name;
			if (!kline(s, nl, &a, &type, &name))
				continue;
			lines++, nonzero += a != 0;
			if (!is_text(type) || !a)
				continue;
			for (int i = 0; i < n; i++)
				if (!names[i].addr && name[0] == names[i].name[0] && cl_streq(name, names[i].name))
					names[i].addr = a, found++;
			/* the symbol at or below pc: the nearest; of two at one address, the
			 * first listed */
			if (pc && a <= pc && a > at->addr) {
				size_t k = cl_strlen(name);
				k = k < sizeof at->name - 1 ? k : sizeof at->name - 1;
				memcpy(at->name, name, k), at->name[k] = 0;
				at->addr = a;
			}
			past |= a > pc;
			/* The kernel's own symbols come first, by address: once past pc with
			 * every name found, the rest cannot change the answer (reading all of
			 * kallsyms takes seconds under QEMU's TCG). */
			if (found == wanted && (!pc || past))
				goto done;
		}
		have = (size_t)(end - s);
		memmove(buf, s, have);
	} while (r > 0);
done:
	SYS1(close, fd);
	if (r < 0)
		return *why = "a read of kallsyms failed", r;
	if (lines && !nonzero) {
		for (int i = 0; i < n; i++)
			names[i].addr = 0;
		return *why = "kallsyms shows every address as 0 (kernel.kptr_restrict, or no "
			      "CAP_SYSLOG): no address can be named", -EPERM;
	}
	return 0;
}
