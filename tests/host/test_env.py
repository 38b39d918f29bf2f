"""clonelab's global options and `clonelab env`, checked against the host's own tools."""
import os
import re

from harness import Skip, host_cmd

ENV_KEYS = {
    "arch": str, "kernel": str, "page_size": int, "cpus": int, "clone3": bool,
    "clone3_probe": (str, type(None)), "userns": bool, "userns_errno": (str, type(None)),
    "userns_why": (str, type(None)), "qemu_user": bool, "clone3_flags": dict,
}
CLONE3_FLAGS = ("clear_sighand", "into_cgroup", "newtime", "autoreap", "nnp", "pidfd_autokill",
                "empty_mntns")


def test_help(bed):
    r = bed.run(["--help"])
    assert r.rc == 0, r
    assert r.out.startswith("usage: clonelab"), r
    assert re.search(r"^\s+env\s+\S", r.out, re.M), f"--help does not list env:\n{r!r}"
    assert r.err == "", r
    for alias in ("-h", "help"):
        r2 = bed.run([alias])
        assert r2.rc == 0 and r2.out == r.out, r2


def test_no_command(bed):
    r = bed.run([])
    assert r.rc == 2, r
    assert r.out == "" and "usage: clonelab" in r.err, r


def test_version(bed):
    r = bed.run(["--version"])
    assert r.rc == 0, r
    assert re.fullmatch(rf"clonelab \d+\.\d+\.\d+\S* \({bed.arch}\)\n", r.out), r


def test_unknown_command(bed):
    r = bed.run(["no-such-command"])
    assert r.rc == 2, r
    assert r.out == "", r
    assert "unknown command 'no-such-command'" in r.err, r


def test_env_json_keys_and_types(bed):
    rc, j = bed.json(["env", "--json"])
    assert rc == 0
    assert isinstance(j, dict), j
    missing = sorted(set(ENV_KEYS) - set(j))
    assert not missing, f"env --json lacks {missing}: {j}"
    for k, t in ENV_KEYS.items():
        assert isinstance(j[k], t), f"{k} is {type(j[k]).__name__} ({j[k]!r}), want {t}"
    assert j["page_size"] > 0 and j["cpus"] > 0, j
    assert (j["userns_errno"] is None) == j["userns"], j
    assert (j["userns_why"] is None) == j["userns"], j


def test_env_json_truth(bed):
    rc, j = bed.json(["env", "--json"])
    assert rc == 0
    assert j["arch"] == bed.arch, j
    assert j["qemu_user"] is bed.qemu, f"qemu_user={j['qemu_user']} on {bed.name}"
    # QEMU passes uname, sysconf's page size and the affinity mask through to the host.
    assert j["kernel"] == host_cmd("uname", "-r"), j
    assert j["page_size"] == int(host_cmd("getconf", "PAGESIZE")), j
    assert j["cpus"] == int(host_cmd("nproc")), j
    assert tuple(j["clone3_flags"]) == CLONE3_FLAGS, j
    if bed.qemu:
        assert j["clone3"] is False and j["clone3_probe"] == "ENOSYS", j
        assert j["userns"] is False and j["userns_errno"] == "EINVAL", j
        assert "QEMU" in j["userns_why"], j
        assert set(j["clone3_flags"].values()) == {None}, j    # not learned: no clone3
    else:
        assert j["clone3"] is True and j["clone3_probe"] == "EINVAL", j
        # 5.5-5.7's three, known to every kernel of the beds; 7.2's four, not to 6.18's
        assert all(j["clone3_flags"][f] is True for f in CLONE3_FLAGS[:3]), j
        if os.getuid() == 0:
            assert j["userns"] is True, f"root could not make a user namespace: {j}"


def test_env_text(bed):
    r = bed.run(["env"])
    assert r.rc == 0, r
    for label in ("arch", "kernel", "page size", "cpus", "clone3", "user ns", "qemu user"):
        assert re.search(rf"^{label}\s", r.out, re.M), f"no '{label}' line:\n{r!r}"
    assert re.search(rf"^arch\s+{bed.arch}$", r.out, re.M), r
    assert re.search(r"^qemu user\s+" + ("yes" if bed.qemu else "no"), r.out, re.M), r


def test_env_help(bed):
    r = bed.run(["env", "--help"])
    assert r.rc == 0 and r.out.startswith("usage: clonelab env"), r


def test_env_bogus_option(bed):
    r = bed.run(["env", "--bogus"])
    assert r.rc == 2, r
    assert r.out == "", r
    assert "unknown option '--bogus'" in r.err, r


def test_env_unexpected_argument(bed):
    r = bed.run(["env", "extra"])
    assert r.rc == 2, r
    assert "unexpected argument 'extra'" in r.err, r


def test_env_as_nobody(bed):
    if os.getuid() != 0:
        raise Skip("needs root to switch to uid 65534")
    rc, j = bed.json(["env", "--json"], user=65534)
    assert rc == 0
    assert j["arch"] == bed.arch and j["qemu_user"] is bed.qemu, j
    if not bed.qemu:    # a rule of privilege (EPERM: newtime) still says the flag is known
        assert all(j["clone3_flags"][f] is True for f in CLONE3_FLAGS[:3]), j
    if not bed.qemu and not j["userns"]:
        # Allowed to fail unprivileged (a sysctl, AppArmor), but then it must say why.
        assert j["userns_errno"] in ("EPERM", "ENOSPC", "EUSERS", "EACCES"), j
        assert j["userns_why"], j


def test_env_strace(bed):
    log = os.path.join(bed.tmpdir(), "env.strace")
    r = bed.strace(["env", "--json"], log)
    assert r.rc == 0, r
    text = open(log).read()
    if bed.qemu:
        # QEMU's log: the guest's calls as QEMU saw them.
        assert re.search(r"clone\(CLONE_NEWUSER\|0x11,.*= -1 errno=22", text), text
    else:
        assert re.search(r"clone3\(NULL, 0\)\s+= -1 EINVAL", text), text
        assert re.search(r"clone\(child_stack=NULL, flags=CLONE_NEWUSER\|SIGCHLD\)", text), text


# ---- hostile callers (issue 14) ----
import fcntl  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import termios  # noqa: E402

import probe_hostile as H  # noqa: E402

# Commands whose output goes through the shared writer, and their exit status here.
OUTPUTS = [(["env"], 0), (["env", "--json"], 0), (["--version"], 0), (["--help"], 0),
           (["probe", "--json"], 0), (["fork"], 0), (["thread", "--json"], 0)]


def test_output_to_dev_full(bed):
    """Issue 14.10: stdout on /dev/full: exit 1 and ENOSPC on stderr, never a quiet 0."""
    for args, _ in OUTPUTS + [(["tour", "--json"], None)]:
        with open("/dev/full", "w") as full:
            r = H.run(bed, args, stdout=full)
        assert "writing to stdout failed: ENOSPC" in r.err, (args, r)
        assert r.rc == 1 or (args[0] == "tour" and bed.qemu and r.rc == 3), (args, r)


def test_output_to_closed_stdout(bed):
    """Issue 14.10: stdout closed (>&-): exit 1 and EBADF on stderr."""
    for args, _ in OUTPUTS:
        cmd = bed.command(args)
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=30, preexec_fn=lambda: __import__("os").close(1))
        assert p.returncode == 1 and "writing to stdout failed: EBADF" in p.stderr, (args, p)


def test_output_full_nonblocking_pipe(bed):
    """Issue 14.10: a non-blocking pipe that fills up (EAGAIN) must cost no byte: the
    writer waits (ppoll). The pipe holds one page, most of it filled by us; nobody reads
    until clonelab waits for room or has exited: without the wait, its output is cut."""
    args = ["tour", "--json"]
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: one page
    os.write(w, b"x" * 3500)  # most of it taken already: clonelab's output overflows it
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    p = subprocess.Popen(bed.command(args), stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    ppoll = {"x86_64": 271, "aarch64": 73}[os.uname().machine]  # the host's number
    buf = bytearray(4)
    while p.poll() is None:  # until clonelab is done, or waits in ppoll for room
        fcntl.ioctl(r, termios.FIONREAD, buf)
        try:
            nr = open(f"/proc/{p.pid}/syscall").read().split()[0]
        except (OSError, IndexError):
            continue
        if int.from_bytes(buf, "little") and nr == str(ppoll):
            break
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    rc = p.wait(timeout=60)
    err = p.stderr.read().decode()
    p.stderr.close()
    assert data.startswith(b"x" * 3500), data[:100]
    data = data[3500:]
    try:
        d = json.loads(data)
    except ValueError:
        raise AssertionError(f"the output was cut: {len(data)} bytes, not valid JSON; "
                             f"exit {p.returncode}, stderr {err!r}") from None
    assert len(data) > 596, f"the test needs more output than the pipe has room: {len(data)}"
    assert set(d) == {"fork", "thread", "userns", "chimera"}, d.keys()
    assert rc == (3 if bed.qemu else 0) and "writing to stdout failed" not in err, (rc, err)


def test_env_nproc_limit(bed):
    """Issue 14.17: RLIMIT_NPROC=1 makes the probe's clone fail with EAGAIN; that says
    nothing about user namespaces, so env must not call them impossible."""
    H.native_only(bed, "QEMU user mode cannot start its own thread under RLIMIT_NPROC=1")
    if os.getuid() != 0:
        raise Skip("needs root to switch to uid 65534 (root ignores RLIMIT_NPROC)")
    rc, free = bed.json(["env", "--json"], user=65534)
    r = H.run(bed, ["env", "--json"], wrap=("prlimit", "--nproc=1"), user=65534)
    j = json.loads(r.out)
    assert r.rc == 0 and j["userns"] == free["userns"], (r, free)
    if j["userns"]:
        assert j["userns_probe"] == "unshare", j
    else:
        assert j["userns_errno"] != "EAGAIN", j
