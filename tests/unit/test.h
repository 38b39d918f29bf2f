/* test.h: the freestanding TAP test binary's helpers (build/<arch>/tests/clonelab-test).
 *
 * Adding a test: write `int t_NAME(void)` in any tests/unit/ file (listed in the
 * Makefile's TEST_SRC), then add one line T(NAME) to tests/unit/tests.def, where it
 * runs in that order. A test returns T_PASS (0) or T_FAIL (1), or
 * `return skip("why")`. The ASSERT* macros print a "# file:line: ..." diagnostic
 * and return T_FAIL; diag() prints any other "# ..." line. Output goes to stdout
 * (cl_stdout), which is the TAP stream: print only "# " lines from a test.
 *
 * The same binary is /init in the qemu-system guest (t_is_guest()): there
 * t_path("clonelab") is /clonelab and t_path("examples/fork") /examples/fork; on a
 * host they are next to the test binary's directory (build/<arch>/clonelab ...). */
#ifndef CL_TEST_H
#define CL_TEST_H
#include "rt.h"


#define T_PASS 0
#define T_FAIL 1
#define T_SKIP 2

/* Mark the running test skipped; returns T_SKIP, so `return skip("no userns here");`. */
int skip(const char *reason);
/* A "# ..." diagnostic line (printf-like, newline added). */
void diag(const char *fmt, ...);

#define T_STR_(x) #x
#define T_STR(x) T_STR_(x)
#define T_WHERE __FILE__ ":" T_STR(__LINE__)

#define ASSERT(c) do { if (!(c)) { \
	diag("%s: failed: %s", T_WHERE, #c); return T_FAIL; } } while (0)
/* Integers (compared as long). */
#define ASSERT_EQ(a, b) do { long a_ = (long)(a), b_ = (long)(b); if (a_ != b_) { \
	diag("%s: %s == %s: got %ld, want %ld", T_WHERE, #a, #b, a_, b_); \
	return T_FAIL; } } while (0)
/* Strings (NULL allowed: shown as (null), equal only to NULL). */
#define ASSERT_STREQ(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!(a_ == b_ || (a_ && b_ && cl_streq(a_, b_)))) { \
	diag("%s: %s == %s: got %q, want %q", T_WHERE, #a, #b, a_ ? a_ : "(null)", \
	     b_ ? b_ : "(null)"); return T_FAIL; } } while (0)
/* A string that contains a substring. */
#define ASSERT_HAS(s, needle) do { const char *s_ = (s), *n_ = (needle); \
	if (!json_has(s_, n_)) { diag("%s: %s has %q: got %q", T_WHERE, #s, n_, s_); \
	return T_FAIL; } } while (0)
/* A system call result that must not be -errno. */
#define ASSERT_OK(r) do { long r_ = (long)(r); if (cl_is_err(r_)) { \
	diag("%s: %s: %s (%ld)", T_WHERE, #r, cl_errno_name(r_) ? cl_errno_name(r_) : "?", r_); \
	return T_FAIL; } } while (0)

/* Where we run. */
int t_is_guest(void);		/* /init of the qemu-system guest: pid 1, or CLONELAB_GUEST=1 */
const char *t_getenv(const char *name);
/* The path of a shipped file, relative to the build directory / the guest's root:
 * t_path("clonelab"), t_path("examples/fork"). Returns a static buffer per call slot
 * (4 slots, reused round-robin). */
const char *t_path(const char *rel);
#define CLONELAB_PATH() t_path("clonelab")

/* `"differ":["<a>","<b>","<c>"]` with this architecture's register names, for
 * register indexes a, b, c from arch/<arch>/regs.h (CL_REG_RET, ...; -1 ends the
 * list early). A static buffer, valid until the next call. */
const char *t_differ(int a, int b, int c);

/* Run argv[0] (a path) with argv and our environment; its stdout goes into out
 * (NUL-terminated, truncated to size-1), its stderr into t_last_stderr. *status gets
 * the raw wait status (CL_WIFEXITED ...). Returns the length of out, or -errno if the
 * pipe or the fork failed. An execve failure is exit status 127 in the child, with
 * "run_capture: execve PATH: ENAME" in t_last_stderr. */
int run_capture(char *const argv[], char *out, size_t size, int *status);
extern char t_last_stderr[4096];
/* If >= 0, run_capture runs its command as this uid and gid (no groups). */
extern int t_run_as;
/* run_capture, summed up: the exit status, 128+N if signal N killed it (with a
 * diagnostic), or -1 if argv[0] could not be executed at all (a missing binfmt). */
int t_run_status(char *const argv[], char *out, size_t size);
/* Whether the clonelab we exec runs under QEMU user mode, by its own `env --json`.
 * Not the same as ours: under qemu-x86_64 on an x86_64 host the exec'd binary runs
 * natively. Asked once. */
int t_clonelab_under_qemu(void);
void t_host_exclusive(void);	/* before a test using tracefs or /tmp: one binary at a time */
/* A path in /tmp that is this run's alone, "/tmp/clonelab-test-<runner's pid>-NAME",
 * in buf (64 bytes). The runner removes it, file or tree, after each test, however the
 * test ended: nothing of a run stays in /tmp, and no run uses a name another made. */
char *t_scratch(char *buf, const char *name);
/* 1 if needle occurs in json (a plain substring search: "\"userns\":true"). */
int json_has(const char *json, const char *needle);

/* A cl_out that writes into memory: t_mem_out(&o, buf, size); cl_printf(&o, ...);
 * t_mem_str(&o) NUL-terminates and returns buf. */
void t_mem_out(struct cl_out *o, char *buf, size_t size);
/* A test's big buffer, mapped at its first use instead of sitting in .bss: aarch64's
 * tiny code model reaches only 1 MiB around the code, and the buffers came to more.
 * Declare `static char (*p)[N];` and use T_MAPPED(p) as the array (sizeof works). */
#define T_MAPPED(p) (*({ if (!(p)) (p) = t_map(sizeof *(p)); (p); }))
void *t_map(size_t size);	/* zeroed memory, or the test binary exits saying why */
const char *t_mem_str(struct cl_out *o);
#endif
