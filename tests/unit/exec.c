/* exec.c: cl_execvp's PATH search (src/lib/exec.c), which errno it reports. The
 * failures are tested in this process (a failed execve changes nothing); the success
 * in a child, which becomes clonelab. */
#include "test.h"

#define SCRATCH_MODE 0755
#define ENOEXEC 8

/* DIR/name, a file with mode (when it is created) and contents: 0 or -errno. */
static long put_file(const char *dir, const char *name, int mode, const char *text)
{
	char path[128];
	cl_stpcpy(cl_stpcpy(cl_stpcpy(path, dir), "/"), name);
	long fd = SYS4(openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return fd;
	long n = SYS3(write, fd, text, cl_strlen(text));
	SYS1(close, fd);
	return n < 0 ? n : 0;
}

/* A child that cl_execvp's file in path; its exit status, or 100 + errno on failure. */
static int exec_in_child(const char *file, const char *path)
{
	char *argv[] = { (char *)file, "--version", 0 };
	long pid = cl_fork();
	if (pid == 0) {
		SYS3(dup3, SYS4(openat, AT_FDCWD, "/dev/null", O_WRONLY, 0), 1, 0);
		cl_exit(100 + (int)-cl_execvp(file, argv, cl_environ, path));
	}
	int st = 0;
	if (pid < 0 || cl_wait((int)pid, &st, 0) < 0)
		return -1;
	return CL_WIFEXITED(st) ? CL_WEXITSTATUS(st) : -1;
}

int t_execvp(void)
{
	char *argv[] = { "x", 0 }, *envp[] = { 0 };
	char dir[64], path[160];
	t_host_exclusive();
	t_scratch(dir, "execvp");
	long r = SYS3(mkdirat, AT_FDCWD, dir, SCRATCH_MODE);
	if (r < 0 && r != -EEXIST)
		return skip("no writable /tmp");
	ASSERT_OK(put_file(dir, "plain", 0644, "not a program\n"));	/* EACCES */
	ASSERT_OK(put_file(dir, "junk", 0755, "not a program\n"));	/* ENOEXEC */
	/* Found nowhere: ENOENT, also for "" and for a missing path with a '/'. */
	ASSERT_EQ(cl_execvp("no-such-program", argv, envp, "/no/such:/nor/this"), -ENOENT);
	ASSERT_EQ(cl_execvp("", argv, envp, "/bin"), -ENOENT);
	ASSERT_EQ(cl_execvp("/no/such/program", argv, envp, 0), -ENOENT);
	/* Found but not runnable: EACCES wins over a later (or earlier) ENOENT. */
	cl_stpcpy(cl_stpcpy(path, "/no/such:"), dir);
	ASSERT_EQ(cl_execvp("plain", argv, envp, path), -EACCES);
	cl_stpcpy(cl_stpcpy(path, dir), ":/no/such");
	ASSERT_EQ(cl_execvp("plain", argv, envp, path), -EACCES);
	/* Any other error ends the search: ENOEXEC is not hidden by a later directory. */
	ASSERT_EQ(cl_execvp("junk", argv, envp, path), -ENOEXEC);
	/* A name with a '/' is not searched. */
	ASSERT_EQ(cl_execvp("./plain", argv, envp, dir), -ENOENT);
	if (cl_under_qemu())
		return skip("QEMU user mode: the program found would not run under it");
	/* Found: the child becomes clonelab, after a directory without it. */
	const char *cl = CLONELAB_PATH();
	size_t d = cl_strlen(cl);
	while (d && cl[d - 1] != '/')
		d--;
	char *end = cl_stpcpy(path, "/no/such:");
	memcpy(end, cl, d);
	end[d ? d - 1 : 0] = 0;		/* clonelab's directory, without the last '/' */
	ASSERT_EQ(exec_in_child("clonelab", path), 0);
	ASSERT_EQ(exec_in_child("clonelab", "/no/such"), 100 + ENOENT);
	return T_PASS;
}
