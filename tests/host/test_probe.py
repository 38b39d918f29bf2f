"""`clonelab probe`: sharing tables, refusals (root, uid 65534, QEMU user mode),
clone vs clone3, and strace's record of the call against what probe says it passed."""
import json
import os
import re

from harness import Skip

NS = ("user", "pid", "uts", "ipc", "mnt", "net", "cgroup", "time")
ROWS = ("vm", "fs", "files", "sighand", "io", "sysvsem", "thread_group")
NPTL = "vm,fs,files,sighand,thread,sysvsem,settls,parent_settid,child_cleartid"
ALLNS = "newuser,newpid,newns,newuts,newipc,newnet,newcgroup,newtime"

# flags -> (resources shared, namespaces new)
TABLES = {
    "none": ((), ()),
    "vm": (("vm",), ()),
    "vm,sighand": (("vm", "sighand"), ()),
    NPTL: (("vm", "fs", "files", "sighand", "sysvsem", "thread_group"), ()),
    "fs": (("fs",), ()),
    "files": (("files",), ()),
    "io": (("io",), ()),
    "sysvsem": (("sysvsem",), ()),
    "newuser": ((), ("user",)),
    ALLNS: ((), NS),
    "vm,vfork": (("vm",), ()),
}

THREAD_SET = {"vm", "fs", "files", "sighand", "thread", "sysvsem"}


def qemu_accepts(flags, signal="SIGCHLD"):
    """QEMU 7.2's do_fork: VFORK drops VM; then the thread shape or the fork shape."""
    f = set(flags.split(",")) - {"none", "detached", "io"}
    if "vfork" in f:
        f -= {"vfork", "vm"}
    tid = {"settls", "parent_settid", "child_settid", "child_cleartid"}
    if "vm" in f:
        return THREAD_SET <= f and not f - THREAD_SET - tid - {"parent"}
    return not f - tid and signal == "SIGCHLD"


def probe(bed, flags, *extra, user=None):
    rc, j = bed.json(["probe", "--flags", flags, "--json", *extra], user=user)
    return rc, j


def check_table(j, flags):
    shared, new_ns = TABLES[flags]
    for row in ROWS:
        assert j["shared"][row] == (row in shared), f"--flags {flags}: {row}: {j['shared']}"
    for ns in NS:
        assert j["shared"]["ns"][ns] == (ns not in new_ns), f"--flags {flags}: ns {ns}: {j['shared']}"
    # the effects never contradict kcmp where both exist
    for row in ("vm", "fs", "files", "sighand"):
        k = j["how"]["kcmp"][row]
        if k in ("same", "different"):
            assert (k == "same") == j["how"]["effect"][row], f"{row}: kcmp {k}, effect {j['how']}"


def test_probe_help(bed):
    r = bed.run(["probe", "--help"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert len(lines) <= 32 and max(map(len, lines)) <= 80, f"not one screen:\n{r.out}"
    for name in ("vm", "newuser", "clear_sighand", "into_cgroup", "newtime", "--signal", "--api"):
        assert name in r.out, name


def test_probe_sharing_tables(bed):
    for flags in TABLES:
        rc, j = probe(bed, flags)
        if bed.qemu and not qemu_accepts(flags):
            assert rc == 3 and j["result"] == "unsupported", (flags, j)
            # QEMU's own rule, or (newtime) no clone3 and no room in legacy clone
            assert "QEMU" in j["explanation"] or (j["errno"] == "ENOSYS" and j["fallback"]), j
            continue
        if bed.qemu and flags == "io":  # QEMU ignores CLONE_IO: the kernel never sees it
            assert rc == 0 and j["shared"]["io"] is False and j["how"]["qemu_ignored"] == ["io"], j
            continue
        if bed.qemu and flags == "vm,vfork":  # QEMU runs vfork as fork, CLONE_VM dropped
            assert rc == 0 and j["shared"]["vm"] is False, j
            assert j["how"]["vfork_suspended_parent"] is False, j
            assert j["how"]["qemu_ignored"] == ["vfork", "vm"], j
            continue
        assert rc == 0, (flags, j)
        assert j["result"] == "ok"
        assert sorted(j["flags"]) == sorted(f for f in flags.split(",") if f != "none"), j["flags"]
        check_table(j, flags)
        if "newpid" in flags:
            assert j["child"]["pid"] == 1 and j["child"]["pid_inside"] == 1, j["child"]
            assert j["child"]["pid_outside"] == j["tids"]["tid"], j
        if "thread" in flags:
            assert j["child"]["tgid"] == j["parent"]["pid"], j
        diff = j["regs"]["differ"]
        assert bed.reg("RET") in diff, diff
        assert all(j["regs"]["why"][r] for r in diff), j["regs"]["why"]
        assert j["cpu"] >= 0 and j["latency_ns"] > 0, j


def test_probe_nptl_tid_words(bed):
    rc, j = probe(bed, NPTL)
    assert rc == 0, j
    t = j["tids"]
    assert t["parent_settid"]["after_exit"] == t["tid"], t
    assert t["child_cleartid"]["after_exit"] == 0, t
    rc, j = probe(bed, "child_settid,child_cleartid")
    assert rc == 0, j
    t = j["tids"]
    assert t["child_settid"]["at_child_start"] == t["tid"], t
    # no CLONE_VM: the kernel does not clear the word at exit
    assert t["child_cleartid"]["after_exit"] == t["tid"], t
    assert "CLONE_VM" in t["child_cleartid"]["when"], t


def test_probe_newuser_unprivileged(bed):
    if bed.qemu:
        raise Skip("QEMU user mode cannot clone into a new user namespace")
    rc, j = probe(bed, "newuser", user=65534)
    if rc == 3:
        raise Skip(f"no unprivileged user namespaces here: {j.get('explanation')}")
    assert rc == 0, j
    assert j["parent"]["uid"] == 65534 and j["child"]["uid"] == 0, j
    assert j["child"]["uid_outside"] == 65534 and j["child"]["uid_map"] == "0 65534 1", j["child"]
    assert j["child"]["uid_before_map"] == 65534
    rc, j = probe(bed, ALLNS, user=65534)
    assert rc == 0, j
    check_table(j, ALLNS)


# flags, extra args, errno as root, errno as uid 65534, words of the rule
REFUSALS = [
    ("thread", (), "EINVAL", "EINVAL", "CLONE_THREAD requires CLONE_SIGHAND"),
    ("sighand", (), "EINVAL", "EINVAL", "CLONE_SIGHAND requires CLONE_VM"),
    ("newuser,fs", (), "EINVAL", "EINVAL", "CLONE_NEWUSER cannot be combined with CLONE_FS"),
    ("newns,fs", (), "EINVAL", "EINVAL", "CLONE_NEWNS cannot be combined with CLONE_FS"),
    ("vm,sighand,thread,newuser", (), "EINVAL", "EINVAL", "CLONE_THREAD cannot be combined"),
    ("vm,sighand,thread,newpid", (), "EINVAL", "EINVAL", "CLONE_THREAD cannot be combined"),
    ("newipc,sysvsem", (), "EINVAL", "EPERM", None),
    ("newpid", (), None, "EPERM", "CLONE_NEWPID needs CAP_SYS_ADMIN; add newuser"),
    ("newnet,newuts", (), None, "EPERM", "CLONE_NEWUTS|CLONE_NEWNET need CAP_SYS_ADMIN"),
    ("vm,sighand,clear_sighand", ("--api", "clone3"), "EINVAL", "EINVAL",
     "CLONE_CLEAR_SIGHAND cannot be combined with CLONE_SIGHAND"),
    ("vm,sighand,thread", ("--signal", "SIGCHLD"), "EINVAL", "EINVAL",
     "clone3 wants exit_signal 0 with CLONE_THREAD or CLONE_PARENT"),
    ("detached", ("--api", "clone3"), "EINVAL", "EINVAL", "clone3 refuses CLONE_DETACHED"),
    ("pidfd,parent_settid", ("--api", "clone"), "EINVAL", "EINVAL",
     "CLONE_PIDFD excludes CLONE_PARENT_SETTID"),
    ("pidfd,detached", ("--api", "clone"), "EINVAL", "EINVAL",
     "CLONE_PIDFD cannot be combined with CLONE_DETACHED"),
    ("vm", ("--signal", "100"), "EINVAL", "EINVAL", "exit_signal must be a signal number"),
]


# QEMU's refusals are facts of a version: flags -> (the last version seen refusing it,
# the first seen accepting it). QEMU 7.2 refuses every CLONE_PIDFD; 11.1 takes it in a
# fork and, as it ignores CLONE_DETACHED, pidfd,detached too (the kernel would say EINVAL).
QEMU_ACCEPTS = {"pidfd,detached": ((7, 2), (11, 1))}


def test_probe_refusals(bed):
    bad = []
    for flags, extra, e_root, e_user, words in REFUSALS:
        for user, want in ((None, e_root), (65534, e_user)):
            if want is None:
                continue
            rc, j = probe(bed, flags, *extra, user=user)
            if bed.qemu and flags in QEMU_ACCEPTS:
                refused_on, accepted_on = QEMU_ACCEPTS[flags]
                v = bed.qemu_version
                if v is not None and v >= accepted_on:
                    ok = rc == 0 and j["result"] == "ok" and j["tids"]["pidfd"] >= 0
                elif v is not None and v <= refused_on:
                    ok = rc == 3 and j["result"] == "unsupported" and "QEMU" in j["explanation"]
                else:
                    print(f"# --flags {flags}: not seen on QEMU {v}: either way")
                    ok = rc in (0, 3)
            elif bed.qemu:
                ok = rc == 3 and j["result"] == "unsupported" and "QEMU" in j["explanation"]
            else:
                w = words or ("CLONE_NEWIPC cannot be combined with CLONE_SYSVSEM" if want == "EINVAL"
                              else "CLONE_NEWIPC needs CAP_SYS_ADMIN")
                ok = rc == 1 and j["result"] == "error" and j["errno"] == want and \
                    w in j["explanation"] and j["rule"] == "kernel"
            if not ok:
                bad.append(f"--flags {flags} {' '.join(extra)} as {user or 'root'}: exit {rc} {j}")
    assert not bad, "\n".join(bad)


def test_probe_text_refusal(bed):
    r = bed.run(["probe", "--flags", "vm,sighand,thread", "--signal", "none", "--api", "clone"])
    assert r.rc == (3 if bed.qemu else 0), r
    r = bed.run(["probe", "--flags", "sighand"])
    assert r.rc == (3 if bed.qemu else 1), r
    if not bed.qemu:
        assert r.err == "clonelab probe: EINVAL: CLONE_SIGHAND requires CLONE_VM\n", r


def test_probe_usage_errors(bed):
    r = bed.run(["probe", "--flags", "vm,nosuch"])
    assert r.rc == 2 and "unknown flag 'nosuch'" in r.err and "into_cgroup" in r.err, r
    r = bed.run(["probe", "--flags", "newtime", "--api", "clone"])
    assert r.rc == 2 and "clone3 only" in r.err, r
    r = bed.run(["probe", "--signal", "SIGNOPE"])
    assert r.rc == 2, r
    rc, j = probe(bed, "0x100")  # a number
    assert j["flags"] == ["vm"] or rc == 3, j
    rc, j = probe(bed, "CLONE_VM,Sighand")  # any case, prefix tolerated
    assert rc == 3 if bed.qemu else j["flags"] == ["vm", "sighand"], j


def test_probe_clone3_only_flags(bed):
    for flags in ("newtime", "clear_sighand", "into_cgroup"):
        rc, j = probe(bed, flags)
        if bed.qemu:
            assert rc == 3 and j["fallback"] and j["errno"] == "ENOSYS", j
        elif flags == "into_cgroup" and rc == 1:  # no cgroup2 here: the kernel's EBADF
            assert j["errno"] == "EBADF" and "not a cgroup2 directory" in j["explanation"], j
        else:
            assert rc == 0 and j["api"] == "clone3", j


def test_probe_clone_vs_clone3(bed):
    if bed.qemu:
        raise Skip("QEMU user mode has no clone3")
    for flags in TABLES:
        flags = flags.replace(",newtime", "")  # clone3 only
        rc3, j3 = probe(bed, flags, "--api", "clone3")
        rc, j = probe(bed, flags, "--api", "clone")
        assert rc3 == rc == 0, (flags, j3, j)
        assert j3["api"] == "clone3" and j["api"] == "clone", (j3["api"], j["api"])
        assert j3["shared"] == j["shared"], (flags, j3["shared"], j["shared"])


def _names(s):
    return sorted(x for x in s.split("|") if x.startswith("CLONE_"))


def _want_names(j):
    return sorted("CLONE_" + f.upper() for f in j["flags"])


def test_probe_strace_agrees(bed):
    sets = [NPTL, "vm,vfork,child_settid", "newuser,newpid", "pidfd", "settls,child_settid"]
    if bed.qemu:
        sets = [NPTL, "settls,child_settid,child_cleartid", "parent_settid"]
    for flags in sets:
        for api in (("clone3", "clone") if not bed.qemu else ("auto",)):
            log = os.path.join(bed.tmpdir(), "strace.log")
            r = bed.strace(["probe", "--flags", flags, "--json", "--api", api], log)
            assert r.rc == 0, r
            j = json.loads(r.out)
            c = j["call"]
            text = open(log, errors="replace").read()
            if bed.qemu:
                m = re.search(r"clone\(([A-Z_|0-9x]+),child_stack=(0x[0-9a-f]+),parent_tidptr="
                              r"(0x[0-9a-f]+),tls=(0x[0-9a-f]+),child_tidptr=(0x[0-9a-f]+)\)", text)
                assert m, text
                names = m.group(1).split("|")
                assert _names(m.group(1)) == _want_names(j), (m.group(1), j["flags"])
                sig = [n for n in names if not n.startswith("CLONE_")]
                assert (int(sig[0], 16) if sig else 0) == j["exit_signal"], (names, j)
                assert int(m.group(2), 16) == int(c["stack"], 16), (m.group(2), c)
                assert int(m.group(3), 16) == int(c["parent_tid"], 16), (m.group(3), c)
                assert int(m.group(5), 16) == int(c["child_tid"], 16), (m.group(5), c)
                if "settls" in flags:
                    assert int(m.group(4), 16) == int(c["tls"], 16), (m.group(4), c)
                continue
            if api == "clone3":
                m = re.search(r"clone3\(\{flags=([^,]+), (.*?)\}(?: => \{(.*?)\})?, 88\) = (\d+)", text)
                assert m, text
                assert _names(m.group(1)) == _want_names(j), (m.group(1), j["flags"])
                fields = dict(kv.split("=", 1) for kv in m.group(2).split(", "))
                sig = fields.get("exit_signal")
                assert (sig == "0" and j["exit_signal"] == 0) or sig == "SIGCHLD", fields
                stack = fields.get("stack", "NULL")
                assert (stack == "NULL" and c["stack"] == "0x0") or stack == c["stack"], (fields, c)
                if "child_tid" in fields:
                    assert fields["child_tid"] == c["child_tid"], (fields, c)
                if "parent_tid" in fields:
                    assert fields["parent_tid"] == c["parent_tid"], (fields, c)
                if "tls" in fields:
                    assert fields["tls"] == c["tls"], (fields, c)
                if "pidfd" in fields:
                    assert fields["pidfd"] == j["pidfd_slot"], (fields, j["pidfd_slot"])
                    assert m.group(3) == f"pidfd=[{j['tids']['pidfd']}]", (m.group(3), j["tids"])
                assert int(m.group(4)) == j["tids"]["tid"], (m.group(4), j["tids"])
            else:
                m = re.search(r"clone\(child_stack=([^,]+), flags=([^,)]+)(.*?)\) = (\d+)", text)
                assert m, text
                assert _names(m.group(2)) == _want_names(j), (m.group(2), j["flags"])
                sig = [n for n in m.group(2).split("|") if not n.startswith("CLONE_")]
                assert sig == (["SIGCHLD"] if j["exit_signal"] == 17 else []), (sig, j)
                stack = m.group(1)
                assert (stack == "NULL" and c["stack"] == "0x0") or stack == c["stack"], (stack, c)
                rest = m.group(3)
                if "child_tidptr=" in rest:
                    assert f"child_tidptr={c['child_tid']}" in rest, (rest, c)
                if "tls=" in rest:
                    assert f"tls={c['tls']}" in rest, (rest, c)
                if "parent_settid" in flags:
                    assert f"parent_tid=[{j['tids']['tid']}]" in rest, (rest, j["tids"])
                if "pidfd" in flags:
                    assert f"parent_tid=[{j['tids']['pidfd']}]" in rest, (rest, j["tids"])
                assert int(m.group(4)) == j["tids"]["tid"], (m.group(4), j["tids"])


def test_probe_strace_refusal(bed):
    """A refused call: strace shows the same flags and the same errno."""
    if bed.qemu:
        raise Skip("QEMU's -strace log of a refused clone is checked by test_probe_refusals' exit 3")
    log = os.path.join(bed.tmpdir(), "strace-refusal.log")
    r = bed.strace(["probe", "--flags", "newns,fs", "--json"], log)
    assert r.rc == 1, r
    text = open(log).read()
    assert re.search(r"clone3\(\{flags=CLONE_FS\|CLONE_NEWNS, .*\) = -1 EINVAL", text), text


# ---- hostile callers (issue 14) ----
import json as _json  # noqa: E402
import os as _os  # noqa: E402

import probe_hostile as H  # noqa: E402


def test_probe_exit_signal_kill_stop_refused(bed):
    """Issue 14.4: SIGKILL or SIGSTOP as the exit signal would kill or stop clonelab."""
    for sig in ("KILL", "9", "SIGSTOP", "19"):
        r = bed.run(["probe", "--signal", sig])
        assert r.rc == 2 and "cannot be caught or ignored" in r.err, r
        assert ("kill clonelab" in r.err) == (sig in ("KILL", "9")), r


def test_probe_exit_signal_realtime(bed):
    """Issue 14.4: real-time exit signals (32-64) and stopping ones (TSTP) must not
    kill or stop us; the child is reaped, and the signal used is reported."""
    for sig, num in (("40", 40), ("64", 64), ("32", 32), ("TSTP", 20), ("USR1", 10)):
        rc, j = probe(bed, "none", "--signal", sig)
        if bed.qemu:  # QEMU's fork shape wants SIGCHLD
            assert rc == 3 and "QEMU" in j["explanation"], (sig, j)
            continue
        assert rc == 0 and j["exit_signal"] == num and j["exit_signal_used"] == num, (sig, rc, j)
        r = bed.run(["probe", "--signal", sig])
        said = f"exit signal {num}, a real-time signal)" if num >= 32 else f"exit signal SIG{sig})"
        assert r.rc == 0 and said in r.out, r


def test_probe_noclone3_low_byte_flags(bed):
    """Issue 14.5: under a seccomp filter without clone3, a numeric flag value's low
    byte must not become legacy clone's exit signal (SIGSYS: rc 159; 0x2e: rc 191)."""
    for flags in ("0xf", "0x2e", "0x111"):
        for wrap in ((), (H.noclone3(),)):
            r = H.run(bed, ["probe", "--flags", flags], wrap=wrap)
            assert r.rc == 2 and "bits 0-6" in r.err and "--signal" in r.err, r
    # the wrapper really takes clone3 away: auto falls back to legacy clone
    r = H.run(bed, ["probe", "--flags", "0x100", "--json"], wrap=(H.noclone3(),))
    j = _json.loads(r.out)
    if bed.qemu:
        assert r.rc == 3, r
    else:
        assert r.rc == 0 and j["api"] == "clone" and j["fallback"] is True, r


def test_probe_noclone3_api_clone3(bed):
    """Issue 14.13: --api clone3 where clone3 is ENOSYS is "not possible here" (3)."""
    r = H.run(bed, ["probe", "--api", "clone3", "--json"], wrap=(H.noclone3(),))
    j = _json.loads(r.out)
    assert r.rc == 3 and j["result"] == "unsupported" and j["errno"] == "ENOSYS", r
    assert j["rule"] in ("environment", "qemu"), j
    r = H.run(bed, ["probe", "--api", "clone3"], wrap=(H.noclone3(),))
    assert r.rc == 3 and "not possible here" in r.err, r


def test_probe_rules_after_unshare_pid(bed):
    """Issue 14.13: after unshare(CLONE_NEWPID) (no init there yet), newpid and the
    thread shape are refused by named rules, not "cannot tell which rule fired"."""
    H.native_only(bed, "unshare --pid under QEMU: the guest cannot clone there at all")
    H.need_root(bed, "unshare --pid")
    for flags, words in (("newpid", "CLONE_NEWPID after unshare(CLONE_NEWPID)"),
                         ("vm,sighand,thread", "CLONE_THREAD after unshare(CLONE_NEWPID)")):
        r = H.run(bed, ["probe", "--flags", flags, "--json"], wrap=("unshare", "--pid"))
        j = _json.loads(r.out)
        assert r.rc == 1 and j["rule"] == "kernel" and words in j["explanation"], r


def test_probe_parent_leaves_no_zombie(bed):
    """Issue 14.8: a CLONE_PARENT child is reaped (by clonelab, not left to us), and
    the exit signal the kernel really used (the creator's own) is reported."""
    for _ in range(5):
        rc, j = probe(bed, "parent")
        if bed.qemu:
            assert rc == 3, j
            continue
        assert rc == 0 and j["exit_signal"] == 0 and j["exit_signal_used"] == 17, j
        assert j["child"]["ppid"] == j["parent"]["ppid"], j
    z = H.zombies_of(_os.getpid())
    assert not z, f"zombies left under the test runner: {z}"
    if not bed.qemu:
        r = bed.run(["probe", "--flags", "parent"])
        assert r.rc == 0 and "the kernel sends SIGCHLD at its exit instead" in r.out, r


def test_probe_vfork_pidfd_newpid(bed):
    """Issue 14.14: with vfork and pidfd, the child's descriptor can get our pidfd's
    number; it is not a shared table. And the vfork child in a new pid namespace
    cannot name us for kcmp: it says so."""
    for flags, user in (("vfork,pidfd,newpid", None), ("vfork,pidfd,newpid,newuser", 65534)):
        if user is not None and _os.getuid() != 0:
            continue
        _vfork_pidfd(bed, flags, user)


def _vfork_pidfd(bed, flags, user):
    rc, j = probe(bed, flags, user=user)
    if bed.qemu:
        assert rc == 3, j
        return
    if rc == 3 and user is not None:
        raise Skip(f"no unprivileged user namespaces here: {j.get('explanation')}")
    assert rc == 0, j
    assert j["shared"]["files"] is False and j["how"]["effect"]["files"] is False, j
    assert j["tids"]["pidfd"] >= 3, j
    r = bed.run(["probe", "--flags", flags], user=user)
    assert r.rc == 0 and "outside its pid namespace" in r.out, r
    assert "its new descriptor is in our table" not in r.out, r


def test_probe_nofile_limit(bed):
    """Issue 14.16: with no descriptor left, observing fails, and that is a failure
    (exit 1, EMFILE), never a table of zeros."""
    H.native_only(bed, "QEMU user mode itself cannot start with 3 descriptors")
    for flags, user in (("none", None), ("newuser", 65534)):
        if user is not None and (bed.qemu or _os.getuid() != 0):
            continue
        r = H.run(bed, ["probe", "--flags", flags, "--json"], wrap=("prlimit", "--nofile=3"),
                  user=user)
        j = _json.loads(r.out)
        assert r.rc == 1 and j["result"] == "error" and j["errno"] == "EMFILE", r
        assert "observing it failed" in j["explanation"], j


def test_probe_newuser_in_pidns_without_proc(bed):
    """Issue 14.12: in a pid namespace without its own /proc, the maps are written for
    the child (under the pid /proc knows), not for whatever has its pid there."""
    H.native_only(bed, "QEMU user mode cannot clone into a new user namespace")
    H.need_root(bed, "unshare --pid")
    r = H.run(bed, ["probe", "--flags", "newuser", "--json"], wrap=("unshare", "--pid", "--fork"))
    j = _json.loads(r.out)
    assert r.rc == 0 and j["parent"]["pid"] == 1, r
    assert j["child"]["uid"] == 0 and j["child"]["uid_map"] == "0 0 1", j["child"]
    assert j["child"]["gid_map"] == "0 0 1", j["child"]


def test_probe_child_killed_before_ready(bed):
    """Issue 14.7: the child dies before its hand-off; the parent must notice."""
    H.killed_before_ready(bed, ["probe", "--flags", "newuser", "--json"])


def test_probe_cpu_that_does_not_exist(bed):
    """Issue 14.17: --cpu N beyond this machine: not possible here (3), and no api is
    reported, for no clone was made."""
    rc, j = bed.json(["probe", "--cpu", "1023", "--json"])
    assert rc == 3 and j["result"] == "unsupported" and j["api"] is None, j
    assert j["fallback"] is None and "call" not in j, j
    r = bed.run(["probe", "--cpu", "1023"])
    assert r.rc == 3 and "not possible here" in r.err, r
    r = bed.run(["probe", "--cpu", "1024"])
    assert r.rc == 2, r


def test_probe_qemu_decided_once(bed):
    """Issue 14.15: a joined thread still counted in Threads: must never make a native
    run claim QEMU ignored CLONE_IO (it raced in about 4% of runs)."""
    flags = "vm,sighand,thread,io,child_cleartid"
    if bed.qemu:  # QEMU's thread shape wants the whole set: refused, exit 3
        flags = NPTL + ",io"
    bad = []
    for _ in range(40):
        rc, j = probe(bed, flags)
        assert rc == 0, j
        want = ["io"] if bed.qemu else []
        if j["how"]["qemu_ignored"] != want:
            bad.append(j["how"]["qemu_ignored"])
    assert not bad, bad
