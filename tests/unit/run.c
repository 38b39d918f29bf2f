/* run.c: `clonelab run` from the test binary. Meant for the qemu-system guest (the
 * real kernels, with busybox's /bin/sh), and valid on a host; where namespaces are
 * forbidden they skip. Under QEMU user mode they skip too: the clonelab they would
 * exec does not run under QEMU (tests/host/test_run.py checks its refusal there). */
#include "test.h"

/* clonelab run ARGS...: stdout into out; the exit status (or 128+N) returned.
 * Skips the calling test's point where the environment forbids namespaces. */
static int crun(char *out, size_t size, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *a5, const char *a6)
{
	char *argv[] = { (char *)CLONELAB_PATH(), "run", (char *)a1, (char *)a2, (char *)a3,
			 (char *)a4, (char *)a5, (char *)a6, 0 };
	return t_run_status(argv, out, size);
}

#define SH "/bin/sh"

static int usable(int rc, const char *out)
{
	(void)out;
	if (rc == CL_EXIT_UNSUPPORTED)
		diag("not possible here: %s", t_last_stderr);
	return rc != CL_EXIT_UNSUPPORTED;
}

int t_run_pid1(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode: clone cannot make namespaces");
	/* COMMAND is pid 2 under clonelab's init ... */
	int rc = crun(out, sizeof out, "--", SH, "-c", "echo $$; cat /proc/1/comm", 0, 0);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "2\nclonelab\n");
	/* ... and pid 1 itself with --no-init, as under unshare --fork. */
	rc = crun(out, sizeof out, "--no-init", "--", SH, "-c", "echo $$", 0);
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "1\n");
	return T_PASS;
}

int t_run_id_hostname(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	int rc = crun(out, sizeof out, "--hostname", "elf", "--", SH, "-c",
		      "id -u; id -g; hostname");
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "0\n0\nelf\n");
	return T_PASS;
}

int t_run_exit_status(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	int rc = crun(out, sizeof out, "--", SH, "-c", "exit 7", 0, 0);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 7);
	ASSERT_EQ(crun(out, sizeof out, "--", SH, "-c", "kill -TERM $$", 0, 0), 128 + SIGTERM);
	ASSERT_EQ(crun(out, sizeof out, "--", "/no/such/command", 0, 0, 0, 0), 127);
	ASSERT_HAS(t_last_stderr, "not found");
	ASSERT_EQ(crun(out, sizeof out, "--", "no-such-command-anywhere", 0, 0, 0, 0), 127);
	/* /proc/self/status: found, but not executable. */
	ASSERT_EQ(crun(out, sizeof out, "--", "/proc/self/status", 0, 0, 0, 0), 126);
	ASSERT_HAS(t_last_stderr, "EACCES");
	return T_PASS;
}

int t_run_no_fd_leak(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	/* An inherited descriptor (4, not close-on-exec) must not reach COMMAND. */
	long fd = SYS4(openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0);
	ASSERT_OK(fd);
	long d = SYS3(dup3, fd, 9, 0);
	SYS1(close, fd);
	ASSERT_OK(d);
	int rc = crun(out, sizeof out, "--", SH, "-c", "cd /proc/self/fd && echo *", 0, 0);
	SYS1(close, 9);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	/* 3 may be the shell's own, reading the directory for the glob. */
	if (!cl_streq(out, "0 1 2\n"))
		ASSERT_STREQ(out, "0 1 2 3\n");
	return T_PASS;
}

int t_run_zombie_reaped(void)
{
	char out[1024];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	/* The grandchild is orphaned at once, dies 0.1 s later, and must not stay a zombie.
	 * Each line is "pid state"; 1 (init) and 2 (sh) must be listed: an empty listing
	 * (no /proc, a broken glob) proves nothing. */
	int rc = crun(out, sizeof out, "--", SH, "-c",
		      "(sleep 0.1 &); sleep 0.6; for f in /proc/[0-9]*/stat; do read -r a b c r < $f; "
		      "echo $a $c; done", 0, 0);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT(cl_startswith(out, "1 "));
	ASSERT_HAS(out, "\n2 ");
	for (const char *s = out; *s; s++)
		if (*s == 'Z') {
			diag("a zombie is left: %s", out);
			return T_FAIL;
		}
	return T_PASS;
}

/* A small tree for --root: DIR/bin/sh (a copy of /bin/busybox) and DIR/proc. */
static int make_tree(const char *dir)
{
	char path[128];
	const char *parts[] = { "", "/bin", "/proc" };
	for (unsigned i = 0; i < 3; i++) {
		cl_stpcpy(cl_stpcpy(path, dir), parts[i]);
		long r = SYS3(mkdirat, AT_FDCWD, path, 0755);
		if (r < 0 && r != -EEXIST)
			return (int)r;
	}
	long in = SYS4(openat, AT_FDCWD, "/bin/busybox", O_RDONLY | O_CLOEXEC, 0);
	if (in < 0)
		return (int)in;
	cl_stpcpy(cl_stpcpy(path, dir), "/bin/sh");
	long o = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (o < 0) {
		SYS1(close, in);
		return (int)o;
	}
	static char (*buf_p)[65536];
	char *buf = T_MAPPED(buf_p);
	long n, r = 0;
	while ((n = SYS3(read, in, buf, sizeof *buf_p)) > 0 && r >= 0)
		r = SYS3(write, o, buf, n);
	SYS1(close, in);
	SYS1(close, o);
	return n < 0 ? (int)n : r < 0 ? (int)r : 0;
}

/* 1 if / is a mount that is its own parent in /proc/self/mountinfo: an initramfs'
 * rootfs up to Linux 6.12 (seen on 5.10, 6.1, 6.12), which pivot_root refuses. On 7.2
 * the initramfs is mounted on another root (mount 2 on 1), and pivot_root works from it.
 * 0 if / has a parent, -1 if mountinfo cannot be read. */
static int root_is_own_parent(void)
{
	static char buf[8192];
	long n = cl_read_file("/proc/self/mountinfo", buf, sizeof buf - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (char *l = buf; *l; ) {
		char *e = l;
		while (*e && *e != '\n')
			e++;
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the line whose mount point is "/" */
		unsigned long id = 0, parent = 0;
		char *p = l;
		for (; *p >= '0' && *p <= '9'; p++)
			id = id * 10 + (unsigned long)(*p - '0');
		for (p++; *p >= '0' && *p <= '9'; p++)
			parent = parent * 10 + (unsigned long)(*p - '0');
		int field = 2;
		for (; p < e && field < 5; p++)
			field += *p == ' ';
		if (field == 5 && p + 1 < e && p[0] == '/' && p[1] == ' ')
			return id == parent;
		l = *e ? e + 1 : e;
	}
	return -1;
}

int t_run_root(void)
{
	char out[256];
	t_host_exclusive();
	char dir[64];
	t_scratch(dir, "run-tree");
	if (cl_under_qemu())
		return skip("QEMU user mode");
	/* A missing DIR is refused before any clone: its status cannot tell whether
	 * namespaces are possible here. The run in the tree can. */
	int rc = crun(out, sizeof out, "--root", "/no/such/dir", "--", SH, 0, 0);
	ASSERT_EQ(rc, CL_EXIT_FAIL);
	ASSERT_HAS(t_last_stderr, "ENOENT");
	int r = make_tree(dir);
	if (r == -ENOENT)
		return skip("no /bin/busybox to build a tree with");
	ASSERT_OK(r);
	rc = crun(out, sizeof out, "--root", dir, "--", "/bin/sh", "-c", "echo $$; pwd; echo /*");
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "2\n/\n/bin /proc\n");
	/* Where / is its own parent (an initramfs' rootfs before Linux 7), pivot_root cannot
	 * work, and clonelab must say that it used chroot. Elsewhere (a host; a 7.x guest,
	 * whose initramfs sits on another mount) pivot_root works, silently. */
	int own = root_is_own_parent();
	diag("/ is %s in /proc/self/mountinfo", own == 1 ? "its own parent" : own == 0 ? "mounted on another" : "not found");
	ASSERT(own >= 0);
	if (own)
		ASSERT_HAS(t_last_stderr, "used chroot instead");
	else
		ASSERT_STREQ(t_last_stderr, "");
	return T_PASS;
}

/* The init (PID 1) keeps no descriptor it inherited, and no trace of the caller's argv
 * and environment in the memory /proc/1/cmdline and /proc/1/environ show. Without a
 * user namespace, root inside is root and may look (issue 14, items 1 and 2). */
int t_run_init_hides_host(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	if (SYS0(geteuid) != 0)
		return skip("needs root: without a user namespace");
	long fd = SYS4(openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0);
	ASSERT_OK(fd);
	long d = SYS3(dup3, fd, 9, 0);	/* inherited: not close-on-exec */
	SYS1(close, fd);
	ASSERT_OK(d);
	int rc = crun(out, sizeof out, "--pid", "--mount-proc", "--env=K=s3cret", SH, "-c",
		      "cd /proc/1/fd && echo *; case \"$(tr '\\0' ' ' </proc/1/cmdline; "
		      "tr '\\0' ' ' </proc/1/environ)\" in *s3cret*) echo LEAK;; *) echo clean;; esac");
	SYS1(close, 9);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "0 1 2\nclean\n");
	return T_PASS;
}

/* COMMAND is in a session of its own (attacks.md findings 1 and 2): the caller's
 * terminal is not its controlling one (tty_nr 0) and kill(0) stays in its group. In
 * /proc/self/stat: pid (comm) state ppid pgrp session tty_nr. */
int t_run_own_session(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	static const char show[] = "read a b c d e f g rest < /proc/self/stat; echo $e $f $g";
	int rc = crun(out, sizeof out, "--", SH, "-c", show, 0, 0);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "1 1 0\n");	/* the init's group and session */
	rc = crun(out, sizeof out, "--no-init", "--", SH, "-c", show, 0);
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "1 1 0\n");	/* COMMAND is PID 1 and leads them */
	return T_PASS;
}

/* no_new_privs and the seccomp filter (TIOCSTI, TIOCLINUX) are on for COMMAND, on
 * every kernel the beds boot. */
int t_run_confined(void)
{
	char out[256];
	if (cl_under_qemu())
		return skip("QEMU user mode");
	int rc = crun(out, sizeof out, "--", SH, "-c", "while read k v; do case $k in "
		      "NoNewPrivs:|Seccomp:) echo $k $v;; esac; done < /proc/self/status", 0, 0);
	if (!usable(rc, out))
		return skip("namespaces not possible here");
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(out, "NoNewPrivs: 1\nSeccomp: 2\n");
	return T_PASS;
}
