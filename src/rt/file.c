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
	if (fd < 0)
		return fd;
	long r = SYS3(write, fd, s, cl_strlen(s));	/* proc map files take one write */
	SYS1(close, fd);
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
	char *p = cl_stpcpy(buf, "/proc/");
	if (pid)
		p += cl_strlen(cl_utoa((unsigned long)pid, p));
	else
		p = cl_stpcpy(p, "self");
	cl_stpcpy(cl_stpcpy(p, "/"), name);
	return buf;
}

long cl_read_first_line(const char *path, char *out, size_t size)
{
	char buf[256];
	size_t n = 0;
	int gap = 0;
	long r = cl_read_file(path, buf, sizeof buf);
	for (const char *s = r > 0 ? buf : ""; *s && *s != '\n' && n + 2 < size; s++) {
		if (*s == ' ') {
			gap = n > 0;	/* a space counts only between two words */
			continue;
		}
		if (gap)
			out[n++] = ' ', gap = 0;
		out[n++] = *s;
	}
	out[n] = 0;
	return r < 0 ? r : 0;
}
