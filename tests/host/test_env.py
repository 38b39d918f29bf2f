"""clonelab's global options and `clonelab env`, checked against the host's own tools."""
import os
import re

from harness import Skip, host_cmd

ENV_KEYS = {
    "arch": str, "kernel": str, "page_size": int, "cpus": int, "clone3": bool,
    "clone3_probe": (str, type(None)), "userns": bool, "userns_errno": (str, type(None)),
    "userns_why": (str, type(None)), "qemu_user": bool,
}


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
    if bed.qemu:
        assert j["clone3"] is False and j["clone3_probe"] == "ENOSYS", j
        assert j["userns"] is False and j["userns_errno"] == "EINVAL", j
        assert "QEMU" in j["userns_why"], j
    else:
        assert j["clone3"] is True and j["clone3_probe"] == "EINVAL", j
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
