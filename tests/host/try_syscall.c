/* try_syscall.c: what a process inside `clonelab run` may do, asked of the kernel
 * (after bubblewrap's tests/try-syscall.c). Built by tests/host/test_run.py with
 * gcc -static (or musl-gcc -static), so that it also runs inside a --root tree.
 *
 *   try_syscall CHECK...   one line per CHECK, "CHECK RESULT":
 *     tiocsti tiocsti-high tioclinux tcgets   ioctl(-1, REQUEST): the errno's name.
 *         A bad descriptor answers EBADF where the request is allowed, and EPERM
 *         where a seccomp filter refuses it before the kernel looks at the descriptor.
 *         tiocsti-high is TIOCSTI with bit 32 set (CVE-2019-10063's bypass of an
 *         exact compare: the tty layer reads the request as 32 bits).
 *     tiocsti-i386 tiocsti-x32   (x86_64) the same through the other ABIs: int $0x80
 *         (ioctl is 54 there; "no-ia32" if the kernel has no ia32 emulation) and an
 *         x32 call (0x40000000 | 514; ENOSYS where x32 is off).
 *     tiocsti0       ioctl(0, TIOCSTI, "X"): "ok" (the byte was queued) or the errno.
 *     nnp            prctl(PR_GET_NO_NEW_PRIVS)
 *     pdeathsig      prctl(PR_GET_PDEATHSIG)
 *     setgroups      the first word of /proc/self/setgroups, or the open's errno
 *     fds            the descriptors above 2 that are open, or "none"
 *     session        "leader" if getsid(0) == getpid(), else "sid=S pid=P"
 *     ctty           the controlling tty's open: "none" (ENXIO) or "yes"
 *   try_syscall key-host PROG ARGS...   join a new session keyring, add the user key
 *         clonelab-test-secret to it, then exec PROG (finding 3's reproducer)
 *   try_syscall key-read   whether that key is found in the session keyring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case EIO: return "EIO";
	case ENOTTY: return "ENOTTY";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENXIO: return "ENXIO";
	case ENOSYS: return "ENOSYS";
	case ENOKEY: return "ENOKEY";
	default: return "E?";
	}
}

static void try_nr(const char *name, long nr, int fd, unsigned long req)
{
	char c = 'X';
	/* syscall(), not ioctl(): a C library may truncate the request to 32 bits. */
	long r = syscall(nr, fd, req, &c);
	printf("%s %s\n", name, ename(r < 0 ? errno : 0));
}

static void try_ioctl(const char *name, int fd, unsigned long req)
{
	try_nr(name, SYS_ioctl, fd, req);
}

#ifdef __x86_64__
/* ioctl(-1, TIOCSTI) through int $0x80, the i386 ABI, in a child: a kernel without ia32
 * emulation answers with SIGSEGV. */
static void try_i386(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		long r;
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(54L), "b"(-1L), "c"((long)TIOCSTI), "d"(0L)
				 : "memory");
		_exit(r < 0 && r > -4096 ? (int)-r : 0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("tiocsti-i386 no-ia32\n");
	else
		printf("tiocsti-i386 %s\n", ename(WEXITSTATUS(st)));
}
#endif

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "key-host")) {
		if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0) < 0 ||
		    syscall(SYS_add_key, "user", "clonelab-test-secret", "hunter2", 7,
			    -3 /* KEY_SPEC_SESSION_KEYRING */) < 0) {
			perror("try_syscall key-host");
			return 125;
		}
		execv(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	setvbuf(stdout, 0, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (!strcmp(w, "tiocsti"))
			try_ioctl(w, -1, TIOCSTI);
		else if (!strcmp(w, "tiocsti-high"))
			try_ioctl(w, -1, (1UL << 32) | TIOCSTI);
#ifdef __x86_64__
		else if (!strcmp(w, "tiocsti-i386"))
			try_i386();
		else if (!strcmp(w, "tiocsti-x32"))
			try_nr(w, 0x40000000L | 514, -1, TIOCSTI);
#endif
		else if (!strcmp(w, "tioclinux"))
			try_ioctl(w, -1, TIOCLINUX);
		else if (!strcmp(w, "tcgets"))
			try_ioctl(w, -1, TCGETS);
		else if (!strcmp(w, "tiocsti0"))
			try_ioctl(w, 0, TIOCSTI);
		else if (!strcmp(w, "nnp"))
			printf("nnp %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		else if (!strcmp(w, "pdeathsig")) {
			int sig = -1;
			prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
			printf("pdeathsig %d\n", sig);
		} else if (!strcmp(w, "setgroups")) {
			char b[16] = { 0 };
			int fd = open("/proc/self/setgroups", O_RDONLY);
			if (fd < 0 || read(fd, b, sizeof b - 1) < 0)
				printf("setgroups %s\n", ename(errno));
			else
				printf("setgroups %s", b);
			if (fd >= 0)
				close(fd);
		} else if (!strcmp(w, "fds")) {
			int any = 0;
			printf("fds");
			for (int fd = 3; fd < 4096; fd++)
				if (fcntl(fd, F_GETFD) >= 0)
					printf(" %d", fd), any = 1;
			printf(any ? "\n" : " none\n");
		} else if (!strcmp(w, "session")) {
			pid_t s = getsid(0), p = getpid();
			if (s == p)
				printf("session leader\n");
			else
				printf("session sid=%d pid=%d\n", (int)s, (int)p);
		} else if (!strcmp(w, "ctty")) {
			int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
			printf("ctty %s\n", fd >= 0 ? "yes" : errno == ENXIO ? "none" : ename(errno));
			if (fd >= 0)
				close(fd);
		} else if (!strcmp(w, "key-read")) {
			char b[64] = { 0 };
			long id = syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -3, "user",
					  "clonelab-test-secret", 0);
			if (id < 0) {
				printf("key-read %s\n", ename(errno));
				continue;
			}
			long n = syscall(SYS_keyctl, 11 /* KEYCTL_READ */, id, b, sizeof b - 1);
			printf("key-read found %ld: '%s'\n", n, n > 0 ? b : "");
		} else {
			fprintf(stderr, "try_syscall: unknown check %s\n", w);
			return 2;
		}
	}
	return 0;
}
