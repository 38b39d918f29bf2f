"""`clonelab run`, side by side with util-linux unshare as the peer:

    unshare --user --map-root-user --pid --fork --mount-proc --uts --ipc --net CMD

run with the same commands, as root and as an unprivileged user (65534). Where the two
differ on purpose (clonelab's init is PID 1, so COMMAND is pid 2 and gets ordinary
signal semantics), the test says so; --no-init gives unshare's behaviour back.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

from harness import ROOT, Result, Skip

sys.path.insert(0, os.path.join(ROOT, "tests", "hostile"))
import hostile  # noqa: E402

PEER = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc",
        "--uts", "--ipc", "--net"]
USERS = (None, 65534)


def native(bed):
    if bed.qemu:
        raise Skip("QEMU user mode: clone cannot make namespaces (test_run_qemu_refuses)")


def run(bed, args, user=None, **kw):
    """clonelab run ARGS; Skip where the environment forbids what it needs."""
    r = bed.run(["run"] + list(args), user=user, **kw)
    if r.rc == 3:
        raise Skip(f"not possible here: {r.err.strip()}")
    return r


def peer(bed, cmd, user=None, extra=(), timeout=30, env=None):
    """The same command under util-linux unshare."""
    if shutil.which("unshare") is None:
        raise AssertionError("unshare (util-linux) is not installed")
    full = PEER + list(extra) + list(cmd)
    if user is not None:
        full = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + full
    p = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                       cwd=bed.tmpdir() if user is not None else None,
                       env=dict(os.environ, **(env or {})))
    return p


def both(bed, cmd, user=None, args=(), peer_extra=(), env=None):
    r = run(bed, list(args) + ["--"] + list(cmd), user=user, env=env)
    p = peer(bed, cmd, user=user, extra=peer_extra, env=env)
    return r, p


def test_run_help(bed):
    r = bed.run(["run", "--help"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert r.out.startswith("usage: clonelab run"), r
    assert len(lines) <= 24, f"--help is {len(lines)} lines, more than one screen"
    assert max(len(line) for line in lines) <= 80, "a --help line is wider than 80 columns"
    r = bed.run(["--help"])
    assert re.search(r"^\s+run\s+\S", r.out, re.M), r


def test_run_qemu_refuses(bed):
    if not bed.qemu:
        raise Skip("only under QEMU user mode")
    r = bed.run(["run", "--", "/bin/sh", "-c", "echo hi"])
    assert r.rc == 3, r
    assert r.out == "", r
    assert "not possible here" in r.err and "QEMU" in r.err, r
    rc, obj = bed.json(["run", "--json", "--", "/bin/sh", "-c", "echo hi"])
    assert rc == 3 and obj["result"] == "unsupported" and "QEMU" in obj["explanation"], obj


def test_run_usage_errors(bed):
    for args in (["--no-such-option"], ["--env", "NOEQUALS"], ["--map-user", "x"],
                 ["--report-fd", "97"]):
        r = bed.run(["run"] + args + ["--", "true"])
        assert r.rc == 2, r
        assert r.out == "" and r.err, r


def test_run_ids(bed):
    native(bed)
    for user in USERS:
        r, p = both(bed, ["sh", "-c", "id -u; id -g"], user=user)
        assert r.rc == 0 and r.out == "0\n0\n", r
        assert p.returncode == 0 and p.stdout == r.out, (p, r)
    # --map-user / --map-group choose the inside ids.
    r = run(bed, ["--map-user", "1000", "--map-group", "100", "--", "sh", "-c", "id -u; id -g"],
            user=65534)
    assert r.rc == 0 and r.out == "1000\n100\n", r


def test_run_hostname(bed):
    native(bed)
    for user in USERS:
        r = run(bed, ["--hostname", "elf", "--", "hostname"], user=user)
        p = peer(bed, ["sh", "-c", "hostname elf && hostname"], user=user)
        assert r.rc == 0 and r.out == "elf\n", r
        assert p.stdout == r.out, p
    r = run(bed, ["--", "hostname"])
    assert r.out == "clonelab\n", r
    assert os.uname().nodename != "elf"


def test_run_pid1(bed):
    native(bed)
    for user in USERS:
        r, p = both(bed, ["sh", "-c", "echo $$"], user=user)
        assert p.stdout == "1\n", p
        # Under clonelab's init COMMAND is pid 2; with --no-init it is PID 1 as with unshare.
        assert r.rc == 0 and r.out == "2\n", r
        r = run(bed, ["--no-init", "--", "sh", "-c", "echo $$"], user=user)
        assert r.rc == 0 and r.out == p.stdout, r
    r = run(bed, ["--", "cat", "/proc/1/comm"])
    assert r.out == "clonelab\n", r


def test_run_proc_pids(bed):
    native(bed)
    script = "cd /proc && echo [0-9]*"
    for user in USERS:
        r, p = both(bed, ["sh", "-c", script], user=user)
        assert r.rc == 0, r
        pids = [int(x) for x in r.out.split()]
        peer_pids = [int(x) for x in p.stdout.split()]
        # A fresh pid namespace: only its own few processes, numbered from 1.
        assert pids == [1, 2], r        # init and sh (the glob runs in sh itself)
        assert peer_pids == [1], p


def test_run_net(bed):
    native(bed)
    if shutil.which("ip") is None:
        raise Skip("no ip (iproute2)")
    for user in USERS:
        r, p = both(bed, ["ip", "-o", "link"], user=user)
        assert r.rc == 0, r
        assert r.out == p.stdout, (r, p)
        lines = r.out.splitlines()
        assert len(lines) == 1 and ": lo: " in lines[0] and "state DOWN" in lines[0], r


def test_run_exit_status(bed):
    native(bed)
    tmp = bed.tmpdir()
    noexec = os.path.join(tmp, "not-executable.sh")
    with open(noexec, "w") as f:
        f.write("echo hi\n")
    os.chmod(noexec, 0o644)
    for user in USERS:
        cases = [
            (["sh", "-c", "exit 7"], 7, 7),
            # unshare: sh is PID 1 and ignores a signal it has no handler for.
            (["sh", "-c", "kill -TERM $$"], 143, 0),
            (["no-such-command-clonelab"], 127, 127),
            ([noexec], 126, 126),
        ]
        for cmd, want, want_peer in cases:
            # A PATH that user 65534 can search: a directory it may not enter is EACCES
            # (126), for execvp as for clonelab.
            r, p = both(bed, cmd, user=user, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
            assert r.rc == want, r
            assert p.returncode == want_peer, (cmd, p)
        r = run(bed, ["--no-init", "--", "sh", "-c", "kill -TERM $$"], user=user)
        assert r.rc == 0, r
    r = run(bed, ["--", "no-such-command-clonelab"])
    assert "not found" in r.err and r.out == "", r
    r = run(bed, ["--", noexec])
    assert "EACCES" in r.err, r


def test_run_no_fd_leak(bed):
    native(bed)
    # fd 9 is open (not close-on-exec) in the caller: unshare passes it on, clonelab not.
    cmd = ["sh", "-c", "cd /proc/self/fd && echo *"]
    fd = os.open("/", os.O_RDONLY)
    try:
        os.dup2(fd, 9, inheritable=True)
        r = subprocess.run(bed.command(["run", "--"] + cmd), capture_output=True, text=True,
                           pass_fds=(9,), timeout=30)
        p = subprocess.run(PEER + cmd, capture_output=True, text=True, pass_fds=(9,), timeout=30)
    finally:
        os.close(fd)
        os.close(9)
    if r.returncode == 3:
        raise Skip(r.stderr.strip())
    assert r.returncode == 0, r
    # 3 may be the shell's own (the glob reads the directory).
    assert r.stdout in ("0 1 2\n", "0 1 2 3\n"), r
    assert "9" in p.stdout.split(), p
    r = run(bed, ["--", "ls", "/proc/self/fd"], user=65534)
    assert r.out.split() in (["0", "1", "2"], ["0", "1", "2", "3"]), r


def test_run_zombie_reaped(bed):
    native(bed)
    # sh forks a reader in the background and then execs sleep: the reader's own child
    # is orphaned at once and dies 0.1 s later. Under unshare PID 1 is then `sleep`,
    # which never reaps it; under clonelab its init does.
    script = ('sh -c "(sleep 0.1 &); sleep 0.8; cat /proc/[0-9]*/stat" & exec sleep 1.5')
    for user in USERS:
        r, p = both(bed, ["sh", "-c", script], user=user)
        assert r.rc == 0, r
        states = [line.split()[2] for line in r.out.splitlines()]
        peer_states = [line.split()[2] for line in p.stdout.splitlines()]
        assert "Z" not in states, r
        assert "Z" in peer_states, p


def busybox_tree(bed):
    bb = shutil.which("busybox")
    if bb is None or "static" not in subprocess.run(["file", "-L", bb], capture_output=True,
                                                     text=True).stdout:
        raise Skip("no static busybox (Debian package busybox-static)")
    root = os.path.join(bed.tmpdir(), "tree")
    if not os.path.exists(root):
        for d in ("bin", "proc", "tmp"):
            os.makedirs(os.path.join(root, d), mode=0o755)
        shutil.copy(bb, os.path.join(root, "bin", "busybox"))
        os.chmod(os.path.join(root, "bin", "busybox"), 0o755)
        for a in ("sh", "ls", "cat", "echo", "id", "hostname", "pwd"):
            os.symlink("busybox", os.path.join(root, "bin", a))
        os.chmod(root, 0o755)
    return root


def test_run_root(bed):
    native(bed)
    root = busybox_tree(bed)
    for user in USERS:
        r = run(bed, ["--root", root, "--json", "--report-fd", "2", "--",
                      "/bin/sh", "-c", "echo $$; pwd; ls /; id -u; cat /proc/1/comm"], user=user)
        assert r.rc == 0, r
        assert r.out.splitlines() == ["2", "/", "bin", "proc", "tmp", "0", "clonelab"], r
        assert '"root_method":"pivot_root"' in r.err, r
        # PATH search happens inside the new root (busybox's sh is at /bin/sh only there).
        r = run(bed, ["--root", root, "--env", "PATH=/bin", "--", "sh", "-c", "echo in"], user=user)
        assert r.rc == 0 and r.out == "in\n", r
        p = peer(bed, ["/bin/sh", "-c", "echo $$; pwd; ls /"], user=user,
                 extra=["--root", root])
        assert p.returncode == 0 and p.stdout.splitlines() == ["1", "/", "bin", "proc", "tmp"], p


def test_run_root_errors(bed):
    native(bed)
    tmp = bed.tmpdir()
    missing = os.path.join(tmp, "no-such-dir")
    r = bed.run(["run", "--root", missing, "--", "/bin/sh"])
    assert r.rc == 1 and "ENOENT" in r.err and missing in r.err, r
    # Under --json, the error is one JSON object too.
    for args, rc_want, errno in (([missing], 1, "ENOENT"), (["/"], 2, "EINVAL")):
        rc, obj = bed.json(["run", "--json", "--root"] + args + ["--", "/bin/sh"])
        want = {1: "error", 2: "usage"}[rc_want]
        assert rc == rc_want and obj["result"] == want and obj["errno"] == errno, obj
    afile = os.path.join(tmp, "a-file")
    open(afile, "w").close()
    r = bed.run(["run", "--root", afile, "--", "/bin/sh"])
    assert r.rc == 1 and "ENOTDIR" in r.err, r
    empty = os.path.join(tmp, "empty-root")
    os.makedirs(empty, exist_ok=True)
    r = bed.run(["run", "--root", empty, "--", "/bin/sh"])
    assert r.rc == 1 and "proc" in r.err, r       # --mount-proc (default) needs DIR/proc
    r = run(bed, ["--pid", "--mount", "--root", empty, "--", "/bin/sh"])
    assert r.rc == 127 and "not found" in r.err and empty in r.err, r


def test_run_json_report(bed):
    native(bed)
    rfd, wfd = os.pipe()
    try:
        r = subprocess.run(bed.command(["run", "--json", "--report-fd", str(wfd), "--hostname",
                                        "elf", "--", "sh", "-c", "echo out; ls /proc/self/fd"]),
                           capture_output=True, text=True, pass_fds=(wfd,), timeout=30)
        os.close(wfd)
        wfd = -1
        report = os.read(rfd, 65536).decode()
    finally:
        os.close(rfd)
        if wfd >= 0:
            os.close(wfd)
    if r.returncode == 3:
        raise Skip(r.stderr.strip())
    import json
    assert r.returncode == 0, r
    assert r.stdout.split() in (["out", "0", "1", "2"], ["out", "0", "1", "2", "3"]), r
    obj = json.loads(report)
    assert obj["result"] == "ok" and obj["pid_inside"] == 1, obj
    assert obj["namespaces"] == ["user", "pid", "mount", "uts", "ipc", "net", "cgroup", "time"], obj
    assert obj["hostname"] == "elf" and obj["proc"] is True and obj["pid1"] == "clonelab-init", obj
    assert obj["uid_map"] == f"0 {os.geteuid()} 1", obj
    assert obj["syscall"] == "clone3" and obj["command"] == ["sh", "-c", "echo out; ls /proc/self/fd"]
    # Only the namespaces asked for.
    rc, obj = bed.json(["run", "--json", "--uts", "--hostname", "x", "--", "true"])
    assert rc == 0 and obj["namespaces"] == ["uts"] and obj["uid_map"] is None, obj


def test_run_env_cwd(bed):
    native(bed)
    r = run(bed, ["--clear-env", "--env", "A=b", "--env", "C=d", "--env", "A=z", "--",
                  "/usr/bin/env"])
    assert r.rc == 0 and r.out == "A=z\nC=d\n", r
    r = run(bed, ["--cwd", "/usr", "--env", "PATH=/usr/bin:/bin", "--", "sh", "-c",
                  'pwd; echo "$PATH"'])
    assert r.out == "/usr\n/usr/bin:/bin\n", r
    r = run(bed, ["--cwd", "/no/such/dir", "--", "true"])
    assert r.rc == 1 and "--cwd" in r.err and "ENOENT" in r.err, r


def test_run_signal_forwarding(bed):
    native(bed)
    script = ('trap "echo got $SIG; exit 5" $SIG; echo ready; '
              'while :; do sleep 0.05; done')
    for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGHUP):
        name = sig.name[3:]
        p = subprocess.Popen(bed.command(["run", "--", "sh", "-c", script]),
                             env=dict(os.environ, SIG=name), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        if p.poll() == 3:
            raise Skip(p.stderr.read().strip())
        assert line == "ready\n", line
        p.send_signal(sig)           # to clonelab: it forwards to init, init to sh
        out, err = p.communicate(timeout=10)
        assert p.returncode == 5, (name, p.returncode, out, err)
        assert out == f"got {name}\n", (name, out, err)


def test_run_dies_with_clonelab(bed):
    native(bed)
    p = subprocess.Popen(bed.command(["run", "--", "sh", "-c", "echo ready; exec sleep 30"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if p.poll() == 3:
        raise Skip(p.stderr.read().strip())
    assert line == "ready\n", line
    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
        inner = f.read().split()
    # Exactly one child: the init. An empty list would make the check below vacuous.
    assert len(inner) == 1, inner
    init = os.pidfd_open(int(inner[0]))
    try:
        p.kill()
        p.wait()
        # The pidfd turns readable when the init has exited (PR_SET_PDEATHSIG): a
        # bound on the wait, not a timing the test relies on.
        import select
        assert select.select([init], [], [], 20)[0], f"init {inner[0]} outlived clonelab"
    finally:
        os.close(init)


def test_run_unprivileged_needs_user(bed):
    native(bed)
    r = bed.run(["run", "--pid", "--", "true"], user=65534)
    assert r.rc == 1, r
    assert "CAP_SYS_ADMIN" in r.err and "--user" in r.err, r


# ---- issue 14: hostile callers, and what the container must not see of the host ----

def hostile_run(bed, args, user=None, timeout=30, **kw):
    """clonelab run ARGS under tests/hostile's wrapper (noclone3=, ignore=, nofile= ...)."""
    cmd = hostile.command(bed, ["run"] + list(args), user=user, **kw)
    return bed.run(args, _cmd=cmd, user=user, timeout=timeout)


def test_hostile_wrappers_work(bed):
    """The wrappers do what the tests below rely on (else those could pass vacuously)."""
    native(bed)
    rc, obj = bed.json(["env", "--json"])
    if not obj["clone3"]:
        raise Skip("clone3 is ENOSYS here already")
    r = bed.run([], _cmd=hostile.command(bed, ["env", "--json"], noclone3=True))
    assert r.rc == 0 and json.loads(r.out)["clone3_probe"] == "ENOSYS", r
    r = bed.run([], _cmd=hostile.wrap(["grep", "SigIgn", "/proc/self/status"], ignore=["CHLD"]))
    assert int(r.out.split()[1], 16) & (1 << (signal.SIGCHLD - 1)), r
    r = bed.run([], _cmd=hostile.wrap(["echo", "x"], stdout="full"))
    assert r.rc != 0 and "space" in r.err, r
    r = bed.run([], _cmd=hostile.wrap(["sh", "-c", "echo x; echo $? >&2"], stdout="pipe-full"))
    assert r.err.split()[-1] != "0", r       # EAGAIN: the pipe is full and non-blocking


def with_fd8(cmd, **kw):
    """cmd with fd 8 open on the host's / (inheritable, as `exec 8</` leaves it)."""
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.dup2(fd, 8, inheritable=True)
        return subprocess.run(cmd, capture_output=True, text=True, pass_fds=(8,), timeout=30, **kw)
    finally:
        os.close(fd)
        os.close(8)


def test_run_init_holds_no_host_fd(bed):
    """Item 1: `exec 8</; clonelab run -- ls /proc/1/fd/8/` listed the host's /."""
    native(bed)
    look = "ls /proc/1/fd/8/ >/dev/null 2>&1 && echo LEAK; cd /proc/1/fd 2>/dev/null && echo *"
    # Root without a user namespace is root inside too, and may look into the init: it
    # holds 0, 1 and 2 only.
    p = with_fd8(bed.command(["run", "--pid", "--mount-proc", "--", "sh", "-c", look]))
    assert p.returncode == 0 and p.stdout == "0 1 2\n", p
    # In a user namespace (as root and as 65534) root inside may at most list the init's
    # descriptors (as the owner of /proc/1/fd, when that is root outside), but not
    # follow one: the init is not dumpable, so ptrace access to it is denied.
    follow = "readlink /proc/1/fd/0 >/dev/null 2>&1 && echo FOLLOWED; "
    for user in USERS:
        p = with_fd8(bed.command(["run", "--", "sh", "-c", follow + look + "; echo end"],
                                 user=user), cwd=bed.tmpdir())
        if p.returncode == 3:
            raise Skip(p.stderr.strip())
        assert p.returncode == 0 and p.stdout in ("end\n", "0 1 2\nend\n"), (user, p)


def test_run_root_init_holds_no_host_fd(bed):
    """Item 1 as reported: with --root DIR, the init's fd 8 led back to the host's /."""
    native(bed)
    root = busybox_tree(bed)
    look = "ls /proc/1/fd/8/ >/dev/null 2>&1 && echo LEAK; cd /proc/1/fd && echo *"
    p = with_fd8(bed.command(["run", "--root", root, "--pid", "--mount-proc", "--",
                              "/bin/sh", "-c", look]))
    assert p.returncode == 0 and p.stdout == "0 1 2\n", p


def test_run_init_hides_caller_env(bed):
    """Item 2: SECRET=x clonelab run --clear-env -- cat /proc/1/environ showed SECRET=x."""
    native(bed)
    show = "tr '\\0' ' ' </proc/1/cmdline; echo; tr '\\0' ' ' </proc/1/environ; echo"
    env = {"SECRET": "s3cret-env"}
    r = run(bed, ["--pid", "--mount-proc", "--clear-env", "--env", "K=s3cret-arg", "--",
                  "/bin/sh", "-c", show], env=env)
    assert r.rc == 0 and "s3cret" not in r.out, r
    assert r.out.startswith("clonelab"), r      # the init names itself, nothing more
    for user in USERS:
        r = run(bed, ["--clear-env", "--env", "K=s3cret-arg", "--", "/bin/sh", "-c", show],
                user=user, env=env)
        assert "s3cret" not in r.out and "s3cret" not in r.err, r


def test_run_noclone3_no_silent_downgrade(bed):
    """Item 3: under a seccomp filter without clone3, --time reported ok with no namespace."""
    native(bed)
    for user in USERS:
        r = hostile_run(bed, ["--time", "--json", "--", "readlink", "/proc/self/ns/time"],
                        user=user, noclone3=True)
        assert r.rc == 3, r
        obj = json.loads(r.out)
        assert obj["result"] == "unsupported" and obj["errno"] == "ENOSYS", obj
        assert "not possible here" in r.err and "CLONE_NEWTIME" in r.err, r
        r = hostile_run(bed, ["--time", "--user", "--", "true"], user=user, noclone3=True)
        assert r.rc == 3 and "time" in r.err, r
        # The default set may go without time, and says so, in text and in JSON.
        r = hostile_run(bed, ["--json", "--", "readlink", "/proc/self/ns/time"], user=user,
                        noclone3=True)
        if r.rc == 3:
            raise Skip(r.err.strip())
        assert r.rc == 0, r
        report, ns = r.out.splitlines()
        obj = json.loads(report)
        assert obj["dropped"] == ["time"] and "CLONE_NEWTIME" in obj["dropped_why"], obj
        assert "time" not in obj["namespaces"] and obj["syscall"] == "clone", obj
        assert "note: no time namespace" in r.err, r
        assert ns == os.readlink("/proc/self/ns/time"), r
    rc, obj = bed.json(["run", "--json", "--uts", "--", "true"])
    assert rc == 0 and obj["dropped"] == [] and obj["dropped_why"] is None, obj


def test_run_sigchld_ignored(bed):
    """Item 6: with SIGCHLD ignored by the caller, `clonelab run -- true` hung forever."""
    native(bed)
    for user in USERS:
        for args in ([], ["--no-init"], ["--user"], ["--user", "--pid"]):
            r = hostile_run(bed, args + ["--", "sh", "-c", "exit 7"], user=user,
                            ignore=["CHLD"], timeout=20)
            assert r.rc == 7, (args, r)
    # COMMAND gets the caller's disposition back, as if clonelab were not there.
    r = hostile_run(bed, ["--", "grep", "SigIgn", "/proc/self/status"], ignore=["CHLD"])
    assert r.rc == 0 and int(r.out.split()[1], 16) & (1 << (signal.SIGCHLD - 1)), r
    # And SIGTERM still reaches COMMAND through clonelab and its init.
    p = subprocess.Popen(hostile.command(bed, ["run", "--", "sh", "-c", "echo ready; exec sleep 30"],
                                         ignore=["CHLD"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n", p.stderr.read()
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 128 + signal.SIGTERM
    finally:
        p.kill()
        p.communicate()


def test_run_json_not_utf8(bed):
    """Item 11: a byte that is not UTF-8 (argv, hostname, cwd) made the report invalid JSON.
    Such a byte is written \\u00XX; a long cwd was null."""
    native(bed)
    tmp = bed.tmpdir()
    odd = os.path.join(tmp, "d\udcfe")          # the byte 0xfe, through os.fsencode
    os.makedirs(odd, exist_ok=True)
    deep = os.path.join(tmp, *["a" * 100] * 8)  # more than the 512 bytes once allowed
    os.makedirs(deep, exist_ok=True)
    for cwd, want in ((odd, tmp + "/d\xfe"), (deep, deep)):
        cmd = bed.command(["run", "--json", "--uts", "--hostname", "h\udcff", "--cwd", cwd,
                           "--", "true", "\udcff", "caf\u00e9"])
        p = subprocess.run(cmd, capture_output=True, timeout=30)
        assert p.returncode == 0, p
        obj = json.loads(p.stdout.decode("utf-8"))     # strict: valid UTF-8, valid JSON
        assert obj["command"] == ["true", "\xff", "caf\u00e9"], obj
        assert obj["hostname"] == "h\xff" and obj["cwd"] == want, obj


def test_run_pid_unshared(bed):
    """Item 13: under `unshare --pid` (no --fork) clonelab blamed time namespaces."""
    native(bed)
    for user, pre in ((None, ["unshare", "--pid"]),
                      (65534, ["unshare", "--user", "--map-root-user", "--pid"])):
        cmd = bed.command(["run", "--", "true"], user=user)
        at = 4 if user is not None else 0
        r = bed.run([], _cmd=cmd[:at] + pre + cmd[at:], user=user)
        if r.rc != 3 and r.err.startswith("unshare:"):
            raise Skip(f"unshare itself failed: {r.err.strip()}")
        assert r.rc == 3, r
        assert "CLONE_NEWPID" in r.err and "unshare --pid" in r.err and "time" not in r.err, r


def test_run_messages(bed):
    """Item 17: messages that named the wrong cause."""
    native(bed)
    r = bed.run(["run", "--root", "/", "--", "true"])
    assert r.rc == 2 and "already the root" in r.err and "initramfs" not in r.err, r
    locked = os.path.join(bed.tmpdir(), "locked")
    os.makedirs(os.path.join(locked, "in"), exist_ok=True)
    os.chmod(locked, 0o700)
    r = run(bed, ["--cwd", os.path.join(locked, "in"), "--", "true"], user=65534)
    assert r.rc == 1 and "EACCES" in r.err and "not searchable" in r.err, r
    assert "no such directory" not in r.err, r
    r = run(bed, ["--cwd", "/etc/passwd", "--", "true"])
    assert r.rc == 1 and "ENOTDIR" in r.err and "no such directory" not in r.err, r
    # DIR is fd 3, DIR/proc would be fd 4: EMFILE is not "create DIR/proc".
    root = busybox_tree(bed)
    r = hostile_run(bed, ["--root", root, "--", "/bin/sh", "-c", "true"], nofile=4)
    assert r.rc == 1 and "EMFILE" in r.err and "create DIR/proc" not in r.err, r
    # RLIMIT_NPROC 1: clonelab is the uid's one process (root is exempt from the limit).
    r = hostile_run(bed, ["--", "true"], user=65534, nproc=1)
    assert r.rc == 1 and "EAGAIN" in r.err and "RLIMIT_NPROC" in r.err, r
    for user in USERS:
        r = run(bed, ["--user", "--map-root", "--mount-proc", "--", "true"], user=user)
        assert r.rc == 1 and "EPERM" in r.err and "add --pid" in r.err, r
        r = run(bed, ["--user", "--map-root", "--pid", "--mount-proc", "--", "true"], user=user)
        assert r.rc == 0, r


# ---- issue 19 part A: what the container can reach of the caller (attacks.md 1-4, 18) ----

def try_syscall(bed):
    """tests/host/try_syscall.c, built static (gcc -static, else musl-gcc -static) into
    the bed's scratch directory, world-readable (for user=65534 and --root trees)."""
    native(bed)
    out = os.path.join(bed.tmpdir(), "try_syscall")
    if os.path.exists(out):
        return out
    src = os.path.join(ROOT, "tests", "host", "try_syscall.c")
    errs = []
    for cc in ("gcc", "musl-gcc"):
        if shutil.which(cc) is None:
            errs.append(f"{cc}: not installed")
            continue
        p = subprocess.run([cc, "-static", "-O1", "-o", out, src], capture_output=True, text=True)
        if p.returncode == 0:
            os.chmod(out, 0o755)
            return out
        errs.append(f"{cc}: {p.stderr.strip()[:300]}")
    raise AssertionError("cannot build try_syscall.c static: " + "; ".join(errs))


def parse_try(out):
    """try_syscall's "CHECK RESULT" lines as a dict."""
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def on_terminal(bed, args, user=None, timeout=30):
    """clonelab run ARGS with a new pty as the caller's controlling terminal (the caller
    a session leader on it, as a login shell is) and as COMMAND's stdin; stdout and
    stderr are pipes. Returns (Result, the bytes queued for the host side to read)."""
    import fcntl
    import pty
    import termios
    import tty
    master, slave = pty.openpty()
    try:
        tty.setraw(slave)       # raw: FIONREAD counts every queued byte, not whole lines

        def as_session_leader():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        cmd = bed.command(["run"] + list(args), user=user)
        p = subprocess.run(cmd, stdin=slave, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=as_session_leader,
                           cwd=bed.tmpdir() if user is not None else None)
        import array
        n = array.array("i", [0])
        fcntl.ioctl(slave, termios.FIONREAD, n)
        return Result(shlex.join(cmd), p.returncode, p.stdout, p.stderr), n[0]
    finally:
        os.close(master)
        os.close(slave)


# Each shape of container: (what it is, options, the users it runs as). Root without a
# user namespace keeps CAP_SYS_ADMIN in the initial one: the kernel then allows TIOCSTI
# on any terminal, and only the seccomp filter stops it.
SHAPES = (("default: every namespace", [], USERS),
          ("--pid --mount-proc: no user namespace", ["--pid", "--mount-proc"], (None,)),
          ("--no-init", ["--no-init"], USERS),
          ("--user --map-root: no pid namespace", ["--user", "--map-root"], USERS))


def test_run_no_terminal_injection(bed):
    """Finding 1 (CVE-2017-5226's pattern): COMMAND typed into the caller's terminal with
    TIOCSTI, and the host shell ran the text after the container ended."""
    exe = try_syscall(bed)
    for what, args, users in SHAPES:
        for user in users:
            r, queued = on_terminal(bed, args + ["--", exe, "tiocsti0", "ctty", "session"], user=user)
            if r.rc == 3:
                raise Skip(r.err.strip())
            assert r.rc == 0, (what, user, r)
            got = parse_try(r.out)
            assert got["tiocsti0"] in ("EPERM", "EIO"), (what, user, r)
            assert queued == 0, f"{what}, user {user}: {queued} bytes reached the host's terminal"
            # Its own session, and the caller's terminal is not its controlling one.
            assert got["ctty"] == "none", (what, user, r)
            assert got["session"] == "leader" or "--no-init" not in args, (what, user, r)


def test_run_seccomp_blocks_tiocsti(bed):
    """TIOCSTI and TIOCLINUX answer EPERM before the descriptor is looked at (a seccomp
    filter), also with a high bit set in the request; TCGETS is still EBADF."""
    exe = try_syscall(bed)
    for what, args, users in SHAPES:
        for user in users:
            r = run(bed, args + ["--", exe, "tiocsti", "tiocsti-high", "tioclinux", "tcgets", "nnp"],
                    user=user)
            assert r.rc == 0, (what, user, r)
            assert parse_try(r.out) == {"tiocsti": "EPERM", "tiocsti-high": "EPERM",
                                        "tioclinux": "EPERM", "tcgets": "EBADF", "nnp": "1"}, \
                (what, user, r)
    if bed.arch == "x86_64":
        # The other ABIs' ioctl: i386 (int $0x80, number 54) and x32 (0x40000000 | 514).
        outside = parse_try(subprocess.run([exe, "tiocsti-i386", "tiocsti-x32"], capture_output=True,
                                           text=True, timeout=30).stdout)
        r = run(bed, ["--", exe, "tiocsti-i386", "tiocsti-x32"])
        want = {"tiocsti-i386": "EPERM" if outside["tiocsti-i386"] == "EBADF" else "no-ia32",
                "tiocsti-x32": "EPERM"}
        assert parse_try(r.out) == want, (outside, r)


def test_run_kill0_stays_inside(bed):
    """Finding 2: kill(0, sig) from inside reached every process of the caller's group."""
    native(bed)
    cl = bed._reachable(bed.clonelab, 65534)
    for user in USERS:
        # A host process in the caller's group: TERM reaches it (exit 143) or it is
        # still alive when the host kills it (137). The host bash ignores TERM.
        script = ('sleep 30 & S=$!; trap "" TERM; "$CL" run -- sh -c "kill -TERM 0"; echo run $?; '
                  'kill -KILL $S; wait $S; echo sleep $?')
        cmd = ["bash", "-c", script]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, start_new_session=True,
                           env=dict(os.environ, CL=cl), cwd=bed.tmpdir())
        if "run 3" in p.stdout:
            raise Skip(p.stderr.strip())
        assert p.stdout.splitlines()[-1] == "sleep 137", (user, p)
        # The reproducer's second line: USR1 to group 0 killed the host shell of the pipe.
        p = subprocess.run(cmd[:-1] + ['"$CL" run -- sh -c "kill -USR1 0" | cat; echo alive'],
                           capture_output=True, text=True, timeout=60, start_new_session=True,
                           env=dict(os.environ, CL=cl), cwd=bed.tmpdir())
        assert p.returncode == 0 and p.stdout == "alive\n", (user, p)


def test_run_no_session_keyring(bed):
    """Finding 3: a secret in the caller's session keyring was readable inside."""
    exe = try_syscall(bed)
    for user in USERS:
        pre = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
        base = pre + [exe, "key-host", bed._reachable(bed.clonelab, user), "run"]
        # The helper itself must see its key (else the check below proves nothing).
        p = subprocess.run(pre + [exe, "key-host", exe, "key-read"], capture_output=True,
                           text=True, timeout=30, cwd=bed.tmpdir())
        assert p.returncode == 0 and p.stdout == "key-read found 7: 'hunter2'\n", p
        for args in ([], ["--no-init"], ["--pid", "--mount-proc"] if user is None else ["--user"]):
            p = subprocess.run(base + args + ["--", exe, "key-read"], capture_output=True,
                               text=True, timeout=30, cwd=bed.tmpdir())
            if p.returncode == 3:
                raise Skip(p.stderr.strip())
            assert p.returncode == 0, (user, args, p)
            assert "hunter2" not in p.stdout and p.stdout == "key-read ENOKEY\n", (user, args, p)


def test_run_trusted_runner(bed):
    """What runc and bubblewrap also do: no_new_privs (by default), setgroups denied
    in a user namespace, no inherited descriptor, COMMAND a session leader with
    --no-init, and the death signal kept by COMMAND when it is the clone's child."""
    exe = try_syscall(bed)
    for user in USERS:
        r = run(bed, ["--no-init", "--", exe, "nnp", "setgroups", "fds", "session", "pdeathsig"],
                user=user)
        assert r.rc == 0, r
        assert parse_try(r.out) == {"nnp": "1", "setgroups": "deny", "fds": "none",
                                    "session": "leader", "pdeathsig": str(int(signal.SIGKILL))}, r
    r = run(bed, ["--pid", "--mount-proc", "--", exe, "nnp", "setgroups"])
    # Without a user namespace the host's setgroups file is seen: "allow" there.
    assert parse_try(r.out)["nnp"] == "1", r


def test_run_cwd_not_an_inherited_fd(bed):
    """runc's CVE-2024-21626 pattern: --cwd /proc/self/fd/N, N a descriptor the caller
    left open on a host directory, put COMMAND's working directory outside --root."""
    native(bed)
    root = busybox_tree(bed)
    host_dir = os.path.join(bed.tmpdir(), "host-only")
    os.makedirs(host_dir, exist_ok=True)
    open(os.path.join(host_dir, "HOST-MARKER"), "w").close()
    fd = os.open(host_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.dup2(fd, 8, inheritable=True)
        for args in ([], ["--no-init"]):
            p = subprocess.run(bed.command(["run", "--root", root, "--cwd", "/proc/self/fd/8"] + args
                                           + ["--", "/bin/ls"]),
                               capture_output=True, text=True, pass_fds=(8,), timeout=30)
            if p.returncode == 3:
                raise Skip(p.stderr.strip())
            assert "HOST-MARKER" not in p.stdout, (args, p)
            assert p.returncode == 1 and "--cwd" in p.stderr and "ENOENT" in p.stderr, (args, p)
    finally:
        os.close(fd)
        os.close(8)


def test_run_never_reexecs_itself(bed):
    """runc's CVE-2019-5736 came from re-executing /proc/self/exe inside: clonelab run
    execs exactly once, COMMAND, and the init is the clone's child, not a new program."""
    native(bed)
    if shutil.which("strace") is None:
        raise AssertionError("strace is not installed (tests/deps.sh installs it)")
    log = os.path.join(bed.tmpdir(), "execve.log")
    for args in ([], ["--no-init"]):
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve,execveat", "-o", log]
                           + bed.command(["run"] + args + ["--", "/bin/true"]),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p
        with open(log) as f:
            execs = [line for line in f if "exec" in line and "= 0" in line]
        assert len(execs) == 2 and bed.clonelab in execs[0] and "/bin/true" in execs[1], execs


def test_run_dies_if_parent_died_before_pdeathsig(bed):
    """PR_SET_PDEATHSIG's race: clonelab killed after it released the child but before
    the child set the death signal. The child must notice and never run COMMAND.
    strace holds the child's first prctl for 2 s; the parent is killed meanwhile."""
    native(bed)
    if os.geteuid() != 0:
        raise Skip("needs root (strace of a process that makes a user namespace)")
    if shutil.which("strace") is None:
        raise AssertionError("strace is not installed (tests/deps.sh installs it)")
    nr = None
    with open(os.path.join(ROOT, "arch", bed.arch, "sysnr.h")) as f:
        for line in f:
            m = re.match(r"#define CL_NR_rt_sigtimedwait (\d+)", line)
            if m:
                nr = m.group(1)
    for args in ([], ["--no-init"], ["--user", "--map-root"]):
        marker = os.path.join(bed.tmpdir(), "ran")
        if os.path.exists(marker):
            os.unlink(marker)
        s = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=prctl",
                              "-e", "inject=prctl:delay_enter=2000000:when=1"]
                             + bed.command(["run"] + args + ["--", "/bin/sh", "-c", f"echo ran > {marker}"]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # clonelab is strace's child; once it waits in rt_sigtimedwait it has written
            # the maps and the release (a bound on the wait, not a timing).
            deadline = time.monotonic() + 20
            cl = None
            while time.monotonic() < deadline:
                with open(f"/proc/{s.pid}/task/{s.pid}/children") as f:
                    kids = f.read().split()
                if kids:
                    cl = int(kids[0])
                    try:
                        with open(f"/proc/{cl}/syscall") as f:
                            if f.read().split()[0] == nr:
                                break
                    except (OSError, IndexError):
                        pass
                time.sleep(0.01)
            else:
                raise AssertionError("clonelab never reached its wait")
            os.kill(cl, signal.SIGKILL)
            out, err = s.communicate(timeout=30)
        finally:
            s.kill()
            s.wait()
        assert not os.path.exists(marker), (args, "COMMAND ran after clonelab had died", err)


def test_run_root_proc_symlink(bed):
    """Finding 18: DIR/proc a symlink to an absolute host path reported "proc": true
    while the container had no /proc. It is refused now."""
    native(bed)
    root = busybox_tree(bed)
    evil = os.path.join(bed.tmpdir(), "evil-tree")
    if not os.path.exists(evil):
        shutil.copytree(root, evil, symlinks=True)
        os.rmdir(os.path.join(evil, "proc"))
        os.symlink(bed.tmpdir(), os.path.join(evil, "proc"))
    check = "ls /proc/self >/dev/null 2>&1 && echo has-proc || echo NO-proc"
    for user in USERS:
        r = bed.run(["run", "--json", "--root", evil, "--", "/bin/sh", "-c", check], user=user)
        if r.rc == 3:
            raise Skip(r.err.strip())
        lines = r.out.splitlines()
        obj = json.loads(lines[0])
        if obj["result"] == "ok":     # the truth, at least
            assert obj["proc"] is (lines[1:] == ["has-proc"]), r
        else:
            assert r.rc == 1 and obj["result"] == "error" and "symbolic link" in obj["explanation"], r
            assert lines[1:] == [], r


def test_run_terminal_ctrl_c_reaches_command(bed):
    """In its own session COMMAND no longer gets the terminal's signals from the kernel:
    Ctrl-C (SIGINT from the tty, si_code SI_KERNEL) reaches the outer clonelab only,
    which must forward it like any other."""
    native(bed)
    import fcntl
    import pty
    import termios
    master, slave = pty.openpty()
    try:
        def as_session_leader():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        script = 'trap "echo got INT; exit 5" INT; echo ready; while :; do sleep 0.05; done'
        p = subprocess.Popen(bed.command(["run", "--", "sh", "-c", script]), stdin=slave,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=as_session_leader)
        try:
            line = p.stdout.readline()
            if p.poll() == 3:
                raise Skip(p.stderr.read().strip())
            assert line == "ready\n", (line, p.stderr.read())
            os.write(master, b"\x03")        # ^C: the line discipline signals the group
            out, err = p.communicate(timeout=20)
        finally:
            p.kill()
            p.wait()
        assert p.returncode == 5 and out == "got INT\n", (p.returncode, out, err)
    finally:
        os.close(master)
        os.close(slave)
