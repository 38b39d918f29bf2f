/* errno.c: names and plain meanings for the errors that clone, unshare, mount, exec
 * and the namespace files return. The numbers are asm-generic's, which x86_64 and
 * aarch64 share. */
#include "rt.h"

/* One string: for each error, a byte with its number, its name, NUL, its meaning, NUL.
 * Packed this way it costs no pointers and no padding. */
static const char table[] =
	"\001" "EPERM\0" "operation not permitted\0"
	"\002" "ENOENT\0" "no such file or directory\0"
	"\003" "ESRCH\0" "no such process\0"
	"\004" "EINTR\0" "interrupted system call\0"
	"\005" "EIO\0" "input/output error\0"
	"\006" "ENXIO\0" "no such device or address\0"
	"\007" "E2BIG\0" "argument list too long\0"
	"\010" "ENOEXEC\0" "exec format error\0"
	"\011" "EBADF\0" "bad file descriptor\0"
	"\012" "ECHILD\0" "no child processes\0"
	"\013" "EAGAIN\0" "resource temporarily unavailable\0"
	"\014" "ENOMEM\0" "out of memory\0"
	"\015" "EACCES\0" "permission denied\0"
	"\016" "EFAULT\0" "bad address\0"
	"\017" "ENOTBLK\0" "block device required\0"
	"\020" "EBUSY\0" "device or resource busy\0"
	"\021" "EEXIST\0" "file exists\0"
	"\022" "EXDEV\0" "invalid cross-device link\0"
	"\023" "ENODEV\0" "no such device\0"
	"\024" "ENOTDIR\0" "not a directory\0"
	"\025" "EISDIR\0" "is a directory\0"
	"\026" "EINVAL\0" "invalid argument\0"
	"\027" "ENFILE\0" "too many open files in system\0"
	"\030" "EMFILE\0" "too many open files\0"
	"\032" "ETXTBSY\0" "text file busy\0"
	"\033" "EFBIG\0" "file too large\0"
	"\034" "ENOSPC\0" "no space left (or a namespace limit reached)\0"
	"\036" "EROFS\0" "read-only file system\0"
	"\037" "EMLINK\0" "too many links\0"
	"\040" "EPIPE\0" "broken pipe\0"
	"\042" "ERANGE\0" "result out of range\0"
	"\044" "ENAMETOOLONG\0" "file name too long\0"
	"\046" "ENOSYS\0" "function not implemented\0"
	"\047" "ENOTEMPTY\0" "directory not empty\0"
	"\050" "ELOOP\0" "too many levels of symbolic links\0"
	"\127" "EUSERS\0" "too many users (user namespace nesting limit)\0"
	"\137" "EOPNOTSUPP\0" "operation not supported\0"
	"\156" "ETIMEDOUT\0" "timed out\0";

/* The entry for err (negative or positive), or NULL. */
static const char *find(long err)
{
	if (err < 0)
		err = -err;
	for (const char *p = table; *p; ) {
		if ((unsigned char)*p == err)
			return p + 1;
		p += 1 + cl_strlen(p + 1) + 1;	/* skip the number and the name */
		p += cl_strlen(p) + 1;		/* and the meaning */
	}
	return 0;
}

const char *cl_errno_name(long err)
{
	return find(err);
}

const char *cl_errno_text(long err)
{
	const char *p = find(err);
	return p ? p + cl_strlen(p) + 1 : 0;
}

void cl_perror(const char *cmd, const char *what, long err, const char *why)
{
	const char *name = cl_errno_name(err);
	errf(what ? "%s: %s: " : "%s: ", cmd, what);
	if (name)
		errf("%s: %s\n", name, why ? why : cl_errno_text(err));
	else
		errf("error %ld%s%s\n", err < 0 ? -err : err, why ? ": " : "", why ? why : "");
}
