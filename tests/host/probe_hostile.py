"""probe_hostile.py: hostile callers for the host tests of probe, the scenarios and env
(issue 14): clone3 refused by seccomp, SIGCHLD ignored, stdout that fails, and a
helper to find zombies left under the caller. Not a test file itself."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from harness import ROOT, Result, Skip

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from procs import zombies_of  # noqa: E402,F401  (tests/procs.py; the tests call it from here)

NOCLONE3 = os.path.join(ROOT, "tests", "hostile", "noclone3")


def noclone3():
    """The seccomp wrapper (clone3 answers ENOSYS): tests/hostile's, the one every host
    test uses (hostile.py --noclone3)."""
    return NOCLONE3


def run(bed, args, wrap=(), user=None, sigchld_ignored=False, stdout=None, timeout=30):
    """clonelab ARGS as bed.run does, with hostile extras: wrap (a command put in front,
    e.g. [noclone3()] or ["prlimit", "--nofile=3"]), SIGCHLD ignored across exec, or
    stdout to a given file object (its output is then not captured)."""
    cmd = bed.command(args, user=user)
    if user is not None:  # setpriv first, then the wrapper as the user
        cmd = cmd[:4] + list(wrap) + cmd[4:]
    else:
        cmd = list(wrap) + cmd
    pre = (lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN)) if sigchld_ignored else None
    try:
        p = subprocess.run(cmd, stdout=stdout if stdout is not None else subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, preexec_fn=pre,
                           cwd=bed.tmpdir())
    except subprocess.TimeoutExpired:
        raise AssertionError(f"timed out after {timeout}s (a hang): {' '.join(cmd)}") from None
    dec = lambda b: (b or b"").decode(errors="replace")  # noqa: E731
    return Result(" ".join(cmd), p.returncode, dec(p.stdout), dec(p.stderr))


def need_root(bed, why):
    if os.getuid() != 0:
        raise Skip(f"needs root: {why}")


def native_only(bed, why):
    if bed.qemu:
        raise Skip(why)


def killed_before_ready(bed, args):
    """Run clonelab ARGS under strace, which holds every getuid for 3 s (the child's
    first call), kill the child meanwhile: clonelab must finish, with exit 1."""
    native_only(bed, "strace -e inject is the native tracer's")
    if not shutil.which("strace"):
        raise AssertionError("strace is not installed (tests/deps.sh installs it)")
    cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=getuid",
           "-e", "inject=getuid:delay_enter=3000000"] + bed.command(args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)  # a group of its own: killable as one
    victim = None
    for _ in range(2000):  # find strace's child (clonelab), then its child
        kids = children(p.pid)
        cl = kids[0] if kids else None
        grand = children(cl) if cl else []
        if grand:
            victim = grand[0]
            break
        time.sleep(0.005)
    if victim is None:
        os.killpg(p.pid, 9)
        p.communicate()
        raise AssertionError("clonelab's child never appeared")
    os.kill(victim, 9)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        raise AssertionError(f"clonelab hung after its child was killed: {args}") from None
    j = json.loads(out)
    assert p.returncode == 1 and j["result"] == "error", (p.returncode, out, err)
    assert "exited" in j["explanation"], j


def children(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            kids += [int(x) for x in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        pass
    return kids
