/* file.c: a picture file (--svg FILE, tour --html FILE) is written whole or not at all,
 * and under --json its failure is the one JSON object's (attacks.md findings 4, 12-15).
 *
 * A path that names nothing or a regular file: the document is built in memory, and
 * only once it is complete goes to a temporary file beside the path, which is renamed
 * over it. So a full disk or a kill leaves the old file as it was and no new one, and a
 * tour does not empty an old page before it has run. A symlink at the path is refused,
 * never followed (it may be an attacker's, planted in a shared directory, or /dev/stdout:
 * replacing it is no better); a rename only ever replaces a link, never its target.
 * A FIFO or a character device (a viewer's pipe, /dev/null) is written in place, opened
 * without blocking: a FIFO nobody reads is ENXIO, not a hang. It is opened when the
 * picture starts, and kept: opening and closing it would tell its reader "end of file". */
#include "pic.h"

/* 512 KiB, mapped at the first picture: the tour's page with its pictures is a few
 * hundred KiB. A document that does not fit is an error (EFBIG), never a cut one. */
#define FILEBUF (512 * 1024)
static char *filebuf;
static struct cl_out file;	/* set when a file is opened */
static enum { NONE, STDOUT, IN_PLACE, REPLACE } mode;
static const char *file_path;
static const char *why;		/* plain words for the last error, or NULL */

/* statx's struct (one layout on every architecture): only stx_mode is read. */
struct cl_statx { uint32_t mask, blksize; uint64_t attributes; uint32_t nlink, uid, gid;
	uint16_t mode; uint16_t pad; uint64_t rest[30]; };
#define STATX_TYPE 1
#define S_IFMT 0170000
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFLNK 0120000

/* The type of what path names itself (a final symlink not followed): S_IF*, or -errno. */
static long type_of(const char *path)
{
	struct cl_statx st;
	long r = SYS5(statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st);
	return r < 0 ? r : (long)(st.mode & S_IFMT);
}

/* The directory part of path ("." if none) into buf: 0 or -ENAMETOOLONG. */
static long dir_of(const char *path, char *buf, size_t size)
{
	size_t n = cl_strlen(path), slash = n;
	while (slash && path[slash - 1] != '/')
		slash--;
	if (!slash)
		return cl_stpcpy(buf, "."), 0;
	if (slash >= size)
		return -ENAMETOOLONG;
	memcpy(buf, path, slash);	/* with its '/': "/x" gives "/", "a/x" gives "a/" */
	buf[slash] = 0;
	return 0;
}

/* May path take a new file (a temporary one beside it, renamed over it)? 0 or -errno. */
static long replaceable(const char *path)
{
	long t = type_of(path);
	if (t == S_IFLNK)
		return why = "is a symbolic link: clonelab neither follows one nor replaces it "
			     "(name the file it points to)", -ELOOP;
	if (t == S_IFDIR)
		return -EISDIR;
	if (t >= 0 && t != S_IFREG)
		return why = "is not a regular file, a FIFO or a character device", -EINVAL;
	if (t < 0 && t != -ENOENT)
		return t;
	char dir[4096];
	long r = dir_of(path, dir, sizeof dir);
	if (r < 0)
		return r;
	t = type_of(dir);	/* a missing directory now, not after the run ("dir/":
				 * a link to a directory is followed, as open would) */
	return t < 0 ? t : t != S_IFDIR ? -ENOTDIR : 0;
}

/* A FIFO or character device, opened for writing without waiting for a reader; the
 * writes then block as usual. The fd, or -errno. */
static long open_in_place(const char *path, long type)
{
	long fd = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY |
		       O_CLOEXEC, 0);
	if (fd == -ENXIO && type == S_IFIFO)
		why = "a FIFO that no one reads: open it for reading first (clonelab does not "
		      "wait for a reader)";
	if (fd < 0)
		return fd;
	long fl = SYS3(fcntl, fd, F_GETFL, 0);
	long r = fl < 0 ? fl : SYS3(fcntl, fd, F_SETFL, fl & ~O_NONBLOCK);
	if (r < 0)
		SYS1(close, fd);
	return r < 0 ? r : fd;
}

struct cl_out *pic_file_open(const char *path, long *err)
{
	long fd = -1, t = 0;
	why = 0, file_path = path, mode = NONE;
	if (!filebuf) {
		long m = cl_map(FILEBUF);
		if (cl_is_err(m))
			return *err = m, (struct cl_out *)0;
		filebuf = (char *)m;
	}
	if (cl_streq(path, "-"))
		fd = 1, mode = STDOUT;
	else if ((t = type_of(path)) == S_IFIFO || t == S_IFCHR)
		fd = open_in_place(path, t), mode = IN_PLACE;
	else
		fd = replaceable(path), mode = REPLACE;
	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return mode = NONE, (struct cl_out *)0;
	/* fd -1 (memory) until the document is complete: a full buffer keeps its start */
	file = (struct cl_out){ mode == REPLACE ? -1 : (int)fd, 0, FILEBUF, filebuf };
	return &file;
}

static long write_all(int fd, const char *s, size_t n)
{
	for (size_t done = 0; done < n;) {
		long r = SYS3(write, fd, s + done, n - done);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r ? r : -ENOSPC;
		done += (size_t)r;
	}
	return 0;
}

/* The document into a new file beside the path, renamed over it; 0 or -errno, and no
 * temporary file left. Signals wait meanwhile: a kill here would leave one. */
static long replace(const char *path, const char *s, size_t n)
{
	char tmp[4096 + 64];
	long r = replaceable(path), fd = -EEXIST;	/* again: the run may have taken long */
	if (r < 0)
		return r;
	if (dir_of(path, tmp, 4096) < 0)
		return -ENAMETOOLONG;
	char *end = tmp + cl_strlen(tmp);
	if (end[-1] != '/')
		*end++ = '/';
	uint64_t mask;
	cl_block_all(&mask);
	for (unsigned k = 0; k < 100 && fd == -EEXIST; k++) {	/* a stale one: another name */
		char num[24];
		char *p = cl_stpcpy(end, ".clonelab-");	/* hidden, ours by pid */
		p = cl_stpcpy(cl_stpcpy(p, cl_utoa((unsigned long)SYS0(getpid), num)), "-");
		cl_stpcpy(p, cl_utoa(k, num));
		fd = SYS4(openat, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0644);
	}
	if (fd >= 0) {
		r = write_all((int)fd, s, n);
		long c = SYS1(close, fd);
		if (r >= 0)
			r = c;
		if (r >= 0)
			r = SYS5(renameat2, AT_FDCWD, tmp, AT_FDCWD, path, 0);
		if (r < 0)
			SYS3(unlinkat, AT_FDCWD, tmp, 0);
	}
	cl_set_sigmask(&mask);
	return fd < 0 ? fd : r;
}

long pic_file_close(void)
{
	long r = 0;
	if (mode == REPLACE)
		r = file.len == file.size ? (why = "larger than the 512 KiB clonelab holds for a "
					     "picture", -EFBIG) : replace(file_path, file.buf, file.len);
	else if (mode != NONE)
		r = write_all(file.fd, file.buf, file.len);
	if (mode == IN_PLACE) {
		long c = SYS1(close, file.fd);
		if (r >= 0)
			r = c;
	}
	file.len = 0, file.fd = -1, mode = NONE;
	return r < 0 ? r : 0;
}

/* ---- --json with a picture file ---- */
/* The JSON waits here (memory: it keeps its start) while a picture is made. */
#define HELDBUF (256 * 1024)
static struct cl_out held;	/* memory (fd -1), mapped at the first use; .data stays empty */
static int holding;

struct cl_out *pic_json_hold(const char *path)
{
	if (!path || cl_streq(path, "-"))
		return &cl_stdout;
	if (!held.buf) {
		long m = cl_map(HELDBUF);
		if (cl_is_err(m))	/* no memory for it: the JSON goes straight out, as without a picture */
			return &cl_stdout;
		held.fd = -1, held.buf = (char *)m, held.size = HELDBUF;
	}
	holding = 1, held.len = 0;
	return &held;
}

int pic_json_done(int status)
{
	if (!holding)
		return status;
	holding = 0;
	if (held.len == held.size) {	/* it did not fit: one error object instead */
		struct cl_json j = { &cl_stdout, 0, 0 };
		cl_json_error(&j, CL_EXIT_FAIL, "--json", -EFBIG, "the JSON report is larger than "
			      "the 256 KiB clonelab holds while a picture is written");
		cl_json_close(&j, '}');
		return CL_EXIT_FAIL;
	}
	cl_write(&cl_stdout, held.buf, held.len);
	return status;
}

int pic_file_report(int status, long err, const char *cmd, const char *opt, const char *path)
{
	if (err >= 0)
		return pic_json_done(status);
	char what[80];
	pic_fmt(what, sizeof what, "%s %s", opt, path);
	if (holding) {	/* the one object is this error, whatever was held */
		struct cl_json j = { &cl_stdout, 0, 0 };
		holding = 0;
		cl_json_error(&j, CL_EXIT_FAIL, what, err, why);
		cl_json_close(&j, '}');
	} else {
		cl_perror(cmd, what, err, why);
	}
	return CL_EXIT_FAIL;
}
