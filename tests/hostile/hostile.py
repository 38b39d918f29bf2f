#!/usr/bin/env python3
"""hostile.py: run a command the way a hostile (or just unusual) caller would.

    tests/hostile/hostile.py [OPTIONS] -- COMMAND [ARGS...]

Sets up what is asked, then execs COMMAND (it is not a parent: COMMAND gets its pid).

  --noclone3          a seccomp filter makes clone3 (435 on every architecture) fail with
                      ENOSYS, as Docker's default profile and kernels before 5.3 do.
                      PR_SET_NO_NEW_PRIVS is set first (seccomp needs it when not root).
  --ignore SIG        SIG's disposition is SIG_IGN across exec (repeatable; CHLD, PIPE,
                      TERM or a number): a parent that ignored SIGCHLD, then exec'd us.
  --block SIG         SIG is blocked in the inherited signal mask (repeatable).
  --stdout full|closed|null|pipe-full, --stderr (the same)
                      fd 1 (2) on /dev/full (every write ENOSPC), closed (EBADF), /dev/null,
                      or a non-blocking pipe already full (every write EAGAIN) whose
                      reader never reads (a grandchild that leaves once the pipe has no
                      writer: never COMMAND's child, so it cannot confuse its waits).
  --nofile N          RLIMIT_NOFILE soft and hard limit N (3: nothing beyond 0, 1, 2).
  --nproc N           RLIMIT_NPROC soft and hard limit N (counts the uid's processes).

Python's own SIGPIPE and SIGXFSZ ignoring is undone before exec, so COMMAND sees only
what was asked for. Works on any host architecture (ctypes, no compiler). Under QEMU user
mode put it in front of qemu-<arch>: the filter and limits then apply to QEMU, which is
what makes the guest's system calls (QEMU 7.2 already answers a guest's clone3 with
ENOSYS by itself, so --noclone3 changes nothing there). A dynamically linked program
after --nofile 3 cannot even load its libraries: put setpriv (or anything dynamic)
before this wrapper, and only the program under test after it.

From a host test: `hostile.command(bed, args, user=65534, noclone3=True, ignore=["CHLD"])`
gives the argv to pass as bed.run(args, _cmd=...) or to subprocess.
"""
import ctypes
import os
import resource
import shutil
import signal
import struct
import sys

HERE = os.path.abspath(__file__)
NR_CLONE3 = 435                    # the same number on x86_64, aarch64, riscv64 (and i386)
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7fff0000
SECCOMP_RET_ERRNO = 0x00050000
ENOSYS = 38
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _filter(nr, errno):
    """A classic-BPF program: A = seccomp_data.nr; nr -> ERRNO(errno); else ALLOW."""
    insns = [(BPF_LD_W_ABS, 0, 0, 0),            # A = nr (offset 0 of seccomp_data)
             (BPF_JEQ_K, 0, 1, nr),              # A == nr ? next : skip one
             (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno),
             (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)]
    return b"".join(struct.pack("=HBBI", *i) for i in insns), len(insns)


def deny_clone3(errno=ENOSYS):
    libc = ctypes.CDLL(None, use_errno=True)
    code, n = _filter(NR_CLONE3, errno)
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _Fprog(n, ctypes.cast(buf, ctypes.c_void_p))
    for args in ((PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                 (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0)):
        if libc.prctl(*[ctypes.c_ulong(a) for a in args]) != 0:
            e = ctypes.get_errno()
            sys.exit(f"hostile: prctl({args[0]}): {os.strerror(e)}")


def _signum(name):
    return int(name) if name.isdigit() else getattr(signal, "SIG" + name.upper().removeprefix("SIG"))


def _full_pipe():
    """The write end of a pipe that is full, non-blocking, and never read."""
    import fcntl
    import select
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                    # an intermediate that exits at once: the holder is
        os.close(w)                 # then no child of ours (nor of COMMAND)
        if os.fork() == 0:
            p = select.poll()
            p.register(r, select.POLLHUP)
            while not any(ev & select.POLLHUP for _, ev in p.poll()):
                pass
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(r)
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 65536)
    except BlockingIOError:
        pass
    try:
        while True:
            os.write(w, b"x")
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFD, 0)
    return w


def _redirect(fd, how):
    if how == "pipe-full":
        w = _full_pipe()
        os.dup2(w, fd)
        os.close(w)
    elif how == "closed":
        os.close(fd)
    elif how in ("full", "null"):
        f = os.open("/dev/" + how, os.O_WRONLY)
        os.dup2(f, fd)
        os.close(f)
    else:
        sys.exit(f"hostile: --stdout/--stderr takes full, closed, null or pipe-full, not {how!r}")


def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    cut = argv.index("--")
    opts, cmd = argv[:cut], argv[cut + 1:]
    if not cmd:
        sys.exit("hostile: no COMMAND after --")
    for s in (signal.SIGPIPE, signal.SIGXFSZ):     # Python's own: not the caller's
        signal.signal(s, signal.SIG_DFL)
    block, noclone3, i = set(), False, 0
    while i < len(opts):
        o = opts[i]
        val = opts[i + 1] if i + 1 < len(opts) else None
        i += 2
        if o == "--noclone3":
            noclone3, i = True, i - 1
        elif o == "--ignore":
            signal.signal(_signum(val), signal.SIG_IGN)
        elif o == "--block":
            block.add(_signum(val))
        elif o in ("--stdout", "--stderr"):
            _redirect(1 if o == "--stdout" else 2, val)
        elif o in ("--nofile", "--nproc"):
            res = resource.RLIMIT_NOFILE if o == "--nofile" else resource.RLIMIT_NPROC
            resource.setrlimit(res, (int(val), int(val)))
        else:
            sys.exit(f"hostile: unknown option {o!r}\n\n{__doc__}")
    if noclone3:
        deny_clone3()
    if block:
        signal.pthread_sigmask(signal.SIG_BLOCK, block)
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        os.write(2, f"hostile: exec {cmd[0]}: {e}\n".encode())
        os._exit(127)


def options(noclone3=False, ignore=(), block=(), stdout=None, stderr=None, nofile=None,
            nproc=None):
    o = ["--noclone3"] if noclone3 else []
    o += [x for s in ignore for x in ("--ignore", str(s))]
    o += [x for s in block for x in ("--block", str(s))]
    for name, v in (("--stdout", stdout), ("--stderr", stderr), ("--nofile", nofile),
                    ("--nproc", nproc)):
        if v is not None:
            o += [name, str(v)]
    return o


def wrap(cmd, **kw):
    """[python3 hostile.py OPTIONS --] + cmd."""
    return [sys.executable or shutil.which("python3"), HERE] + options(**kw) + ["--"] + list(cmd)


def command(bed, args, user=None, prog=None, **kw):
    """bed.command(args, user=user), with this wrapper right in front of the program (or
    of qemu-<arch>), after setpriv: setpriv stays unfiltered and unlimited."""
    cmd = bed.command(args, user=user, prog=prog)
    at = 4 if user is not None else 0       # setpriv --reuid --regid --clear-groups
    return cmd[:at] + wrap(cmd[at:], **kw)


if __name__ == "__main__":
    main(sys.argv[1:])
