/* file.c: small files, mostly under /proc. */
#include "rt.h"

long cl_read_file(const char *path, char *buf, size_t size)
{
	long fd = SYS4(openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (cl_is_err(fd))
		return fd;
	size_t len = 0;
	long r = 0;
	while (len + 1 < size && (r = SYS3(read, fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)r;
	SYS1(close, fd);
	buf[len] = 0;
	return r < 0 ? r : (long)len;
}

long cl_write_file(const char *path, const char *s)
{
	long fd = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
	if (cl_is_err(fd))
		return fd;
	size_t n = cl_strlen(s);
	long r = SYS3(write, fd, s, n);
	SYS1(close, fd);
	if (r >= 0 && (size_t)r != n)
		r = -EINVAL;	/* proc map files take one write, whole, or nothing */
	return r < 0 ? r : 0;
}

int cl_field(const char *text, const char *key, char *out, size_t size)
{
	size_t k = cl_strlen(key);
	for (const char *l = text; *l;) {
		if (cl_startswith(l, key) && l[k] == ':') {
			l += k + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			size_t n = 0;
			while (l[n] && l[n] != '\n' && n + 1 < size)
				n++;
			memcpy(out, l, n);
			out[n] = 0;
			return 0;
		}
		while (*l && *l++ != '\n')
			;
	}
	return -1;
}

char *cl_proc_path(char *buf, int pid, const char *name)
{
	char num[21];
	const char *parts[] = { "/proc/", pid ? cl_utoa((unsigned long)pid, num) : "self",
				"/", name };
	char *p = buf;
	for (unsigned i = 0; i < 4; i++)
		for (const char *s = parts[i]; *s;)
			*p++ = *s++;
	*p = 0;
	return buf;
}
