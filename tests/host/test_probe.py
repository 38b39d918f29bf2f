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


def test_probe_refusals(bed):
    bad = []
    for flags, extra, e_root, e_user, words in REFUSALS:
        for user, want in ((None, e_root), (65534, e_user)):
            if want is None:
                continue
            rc, j = probe(bed, flags, *extra, user=user)
            if bed.qemu:
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
