/* rt.h: clonelab's freestanding runtime, for its own sources (not installed).
 * Everything a command needs: system calls by name, strings, output, JSON, arguments,
 * /proc files. The public API is ../include/clonelab.h. */
#ifndef CL_RT_H
#define CL_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "clonelab.h"
#include "sysnr.h"	/* arch/<arch>/: CL_NR_*, CL_ARCH_NAME */
#include "regs.h"	/* arch/<arch>/: CL_NREGS, CL_REG_NAMES */
#include "abi.h"	/* arch/<arch>/: O_DIRECTORY, struct cl_ksigaction, CL_TLS_INIT */

#define CLONELAB_VERSION "0.1.0"

#define CL_EXIT_OK 0
#define CL_EXIT_FAIL 1
#define CL_EXIT_USAGE 2
#define CL_EXIT_UNSUPPORTED 3

/* ---- system calls by name: thin inline wrappers over the arch stubs ---- */
#define SYS0(n) cl_syscall0(CL_NR_##n)
#define SYS1(n, a) cl_syscall1(CL_NR_##n, (long)(a))
#define SYS2(n, a, b) cl_syscall2(CL_NR_##n, (long)(a), (long)(b))
#define SYS3(n, a, b, c) cl_syscall3(CL_NR_##n, (long)(a), (long)(b), (long)(c))
#define SYS4(n, a, b, c, d) cl_syscall4(CL_NR_##n, (long)(a), (long)(b), (long)(c), (long)(d))
#define SYS5(n, a, b, c, d, e) \
	cl_syscall5(CL_NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))
#define SYS6(n, a, b, c, d, e, f) cl_syscall6(CL_NR_##n, (long)(a), (long)(b), (long)(c), \
	(long)(d), (long)(e), (long)(f))

#define AT_FDCWD -100
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_CLOEXEC 02000000
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_NONBLOCK 04000
#define F_GETFL 3
#define F_SETFL 4
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_STACK 0x20000
#define MAP_FAILED_MAX (-4096UL)	/* mmap returned -errno if above this */
#define SIG_BLOCK 0
#define SIG_SETMASK 2
/* Every signal, as a mask: rt_sigprocmask's set, not its `how`. */
#define ALL_SIGNALS (~0ULL)
#define SIGKILL 9
#define SIGTERM 15
#define SIGCHLD 17
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define ENOENT 2
#define ENXIO 6
#define EISDIR 21
#define EFBIG 27
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP 40
#define ESRCH 3
#define EINTR 4
#define E2BIG 7
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define EIO 5
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENOTDIR 20
#define EINVAL 22
#define ENOSPC 28
#define ENOSYS 38
#define EUSERS 87
#define ETIMEDOUT 110
#define EPERM 1

static inline int cl_is_err(long r) { return (unsigned long)r > -4096UL; }
/* A getdents64 buffer is a run of linux_dirent64 records: u64 inode, s64 offset, u16
 * the record's length, u8 type, then the NUL-terminated name. */
static inline const char *cl_dirent_name(const char *rec) { return rec + 19; }
static inline unsigned cl_dirent_len(const char *rec) { return *(const uint16_t *)(const void *)(rec + 16); }
/* Private zeroed memory from the kernel: its address, or -errno. Big buffers are mapped
 * where they are first needed, not put in .bss: aarch64's tiny code model reaches only
 * 1 MiB around the code, and a page never touched costs nothing either way. */
static inline long cl_map(size_t size)
{
	return SYS6(mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* ---- environment, auxv and exit (src/rt/auxv.c, src/rt/exit.c; cl_environ, cl_auxv,
 * cl_getauxval and cl_exit are in clonelab.h; crt0's start.c sets them, NULL when hosted) ---- */
#define AT_PAGESZ 6
#define AT_RANDOM 25
/* type's value in the auxiliary vector a (NULL: none), or 0: cl_getauxval, and crt0's
 * __getauxval for libgcc, which must not pull cl_getauxval out of a link-time inlining. */
static inline unsigned long cl_auxv_find(const unsigned long *a, unsigned long type)
{
	for (; a && a[0]; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}
/* Flush the buffered writer if the program has used it: cl_write sets cl_flush_hook. */
extern void (*cl_flush_hook)(void);
void cl_flush_if_linked(void);

/* ---- memory and strings (src/rt/mem.c, src/rt/str.c) ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int cl_streq(const char *a, const char *b);
int cl_strcaseeq(const char *a, const char *b);
int cl_startswith(const char *s, const char *prefix);
/* Parse a decimal or 0x-hex number that fills all of s. 0 or -1. */
int cl_parse_ulong(const char *s, unsigned long *v);
/* Copy s to d with its NUL; returns the end of d (where the NUL went). */
char *cl_stpcpy(char *d, const char *s);

/* ---- files (src/rt/file.c) ---- */
/* Read a small file into buf (NUL-terminated). Returns its length or -errno. */
long cl_read_file(const char *path, char *buf, size_t size);
/* The first line of a small file with its runs of spaces folded to one and none at
 * either end ("         0       1000          1" -> "0 1000 1"), as /proc's id maps
 * align theirs. Returns 0, or -errno with out empty. */
long cl_read_first_line(const char *path, char *out, size_t size);
/* Write s to path (O_WRONLY, no create). Returns 0 or -errno. */
long cl_write_file(const char *path, const char *s);
/* In "Key:\tvalue\n" text, the value of key (up to the newline, in out). 0 or -1. */
int cl_field(const char *text, const char *key, char *out, size_t size);
/* /proc/<pid>/<name> (pid 0: self) into buf. */
char *cl_proc_path(char *buf, int pid, const char *name);

/* ---- output (src/rt/out.c): see clonelab.h for cl_printf ---- */
/* Flush everything; the status to exit with: 1 instead of 0 if stdout or stderr lost
 * output (said on stderr when only stdout failed). */
int cl_out_status(int status);
/* The length of the well-formed multi-byte UTF-8 sequence at s, or 0: an ASCII byte,
 * or a byte that is not UTF-8 (RFC 3629: no overlong form, no surrogate). */
unsigned cl_utf8_len(const unsigned char *s);
#define outf(...) cl_printf(&cl_stdout, __VA_ARGS__)
#define errf(...) cl_printf(&cl_stderr, __VA_ARGS__)

/* ---- JSON writer (src/rt/json.c): commas and nesting are tracked for you ---- */
struct cl_json { struct cl_out *o; int depth; uint32_t need_comma; };
void cl_json_open(struct cl_json *j, const char *key, char brace);	/* '{' or '[' */
void cl_json_close(struct cl_json *j, char brace);			/* '}' or ']' */
void cl_json_str(struct cl_json *j, const char *key, const char *v);	/* NULL: null */
void cl_json_int(struct cl_json *j, const char *key, long v);
void cl_json_bool(struct cl_json *j, const char *key, int v);
void cl_json_hex(struct cl_json *j, const char *key, unsigned long v);	/* "0x..." */
void cl_json_null(struct cl_json *j, const char *key);
/* Open a command's error object: "result" ("unsupported" for exit status 3, "usage"
 * for 2, else "error"), "step" (if not NULL), "errno" (its name, or null) and
 * "explanation" (why, or the errno's own text). The caller may add members; it
 * closes the object with cl_json_close(j, '}'). */
void cl_json_error(struct cl_json *j, int status, const char *step, long err, const char *why);

/* ---- arguments (src/rt/args.c) ---- */
struct cl_opt { const char *name; int has_arg; };	/* has_arg: 0 no, 1 yes, 2 only as --name=value */
struct cl_args { int argc; char **argv; int i; const char *val; int stop; };
#define CL_ARG_END -1		/* no more arguments */
#define CL_ARG_POSITIONAL -2	/* a non-option; its text is in val */
#define CL_ARG_BAD -3		/* unknown option or missing value; already reported */
/* The next argument: the index of the option in opts (its value, if any, in val),
 * or one of the CL_ARG_ codes. Takes "--name value", "--name=value" and "--". */
int cl_getopt(struct cl_args *a, const struct cl_opt *opts, const char *cmd);

/* ---- errors (src/rt/errno.c) ---- */
/* Print "cmd: what: ENAME: text" (or with why instead of text; what may be NULL). */
void cl_perror(const char *cmd, const char *what, long err, const char *why);

/* ---- signals and time: inline, over the syscall stubs ---- */
/* Block every signal; the mask before goes to *old, for cl_set_sigmask. Around a
 * clone: no handler may run in the child before it has set itself up. */
static inline void cl_block_all(uint64_t *old)
{
	uint64_t all = ALL_SIGNALS;
	SYS4(rt_sigprocmask, SIG_SETMASK, &all, old, 8);
}
static inline void cl_set_sigmask(const uint64_t *mask)
{
	SYS4(rt_sigprocmask, SIG_SETMASK, mask, 0, 8);
}
/* The kernel's struct __kernel_timespec (nanosleep, futex, clock_gettime). */
struct cl_timespec { long tv_sec, tv_nsec; };

/* ---- the kernel (src/rt/kernel.c) ---- */
/* Its release ("6.1.0-18-amd64") as uname(2) gives it, or NULL. */
const char *cl_kernel_release(void);
/* Its version as major * 1000 + minor (6.9: 6009), or 0 if unknown. */
long cl_kernel_version(void);

/* ---- environment facts (src/rt/qemu.c) ---- */
/* cl_under_qemu (clonelab.h): /proc/self/status shows 2+ threads while we have 1. */

#endif
