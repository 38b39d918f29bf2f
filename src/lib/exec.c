/* exec.c: cl_execvp, execvp's PATH search without a libc.
 *
 * The kernel's execve takes a path; a name without a '/' is the C library's business:
 * it tries each directory of PATH in turn. Which failure to report is the subtle part:
 *  - ENOENT and ENOTDIR ("not in this directory") move on to the next directory;
 *  - EACCES moves on too, but is remembered: if no directory had the program, the
 *    caller hears EACCES (found, not runnable) rather than ENOENT (found nowhere);
 *  - any other error (ENOEXEC, E2BIG, ENOMEM, ...) means the program was found and the
 *    kernel refused it: the search stops there.
 * Unlike glibc and musl, there is no retry with /bin/sh on ENOEXEC. */
#include "rt.h"

#define PATH_MAX 4096

/* dir (dir_len bytes, possibly empty) + "/" + file into buf; 0 if too long. */
static int join(char *buf, const char *dir, size_t dir_len, const char *file, size_t file_len)
{
	if (dir_len + file_len + 2 > PATH_MAX)
		return 0;
	memcpy(buf, dir, dir_len);
	if (dir_len)		/* an empty element is the working directory */
		buf[dir_len++] = '/';
	memcpy(buf + dir_len, file, file_len + 1);
	return 1;
}

long cl_execvp(const char *file, char *const argv[], char *const envp[], const char *path)
{
	char buf[PATH_MAX];
	size_t file_len = cl_strlen(file);
	int eacces = 0;
	for (const char *s = file; *s; s++)
		if (*s == '/')
			return SYS3(execve, file, argv, envp);
	if (!file_len)
		return -ENOENT;
	if (!path)
		path = CL_EXEC_DEFAULT_PATH;
	for (const char *dir = path;;) {
		const char *end = dir;
		while (*end && *end != ':')
			end++;
		if (join(buf, dir, (size_t)(end - dir), file, file_len)) {
			long e = SYS3(execve, buf, argv, envp);
			if (e == -EACCES)
				eacces = 1;
			else if (e != -ENOENT && e != -ENOTDIR)
				return e;
		}
		if (!*end)
			break;
		dir = end + 1;
	}
	return eacces ? -EACCES : -ENOENT;
}
