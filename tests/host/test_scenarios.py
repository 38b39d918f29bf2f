"""The four scenarios (fork, thread, userns, chimera) and tour, from the outside:
their JSON against the truth, their register tables against the kernel's contract,
and their clone arguments against an independent record (strace, qemu -strace)."""
import json
import os
import re

from harness import Skip

# What the kernel's contract changes between parent and child: the return value, the
# stack pointer, the thread pointer; their names come from arch/<arch>/regs.h (bed.reg).


def scenario(bed, name, **kw):
    rc, d = bed.json([name, "--json"], **kw)
    return rc, d


def expect_unsupported(bed, name, **kw):
    rc, d = scenario(bed, name, **kw)
    assert rc == 3, (rc, d)
    assert d["result"] == "unsupported" and d["errno"], d
    r = bed.run([name], **kw)
    assert r.rc == 3 and "not possible here" in r.err, r


def check_regs(bed, d, differ):
    regs = d["regs"]
    order = list(regs["parent"])    # regs.h order, which "differ" keeps
    assert regs["differ"] == sorted(differ, key=order.index), regs["differ"]
    for name in regs["parent"]:
        same = regs["parent"][name] == regs["child"][name]
        assert same == (name not in differ), name
    for name in differ:
        assert regs["why"][name], f"no explanation for {name}"
    assert int(regs["child"][bed.reg("RET")], 16) == 0
    assert int(regs["child"][bed.reg("SP")], 16) % 16 == 0, "child's stack misaligned"


def test_fork(bed):
    rc, d = scenario(bed, "fork")
    assert rc == 0, d
    assert d["returned_in_child"] == 0
    assert d["returned_in_parent"] == d["child_pid"] != d["parent_pid"]
    assert d["child_ppid"] == d["parent_pid"]
    assert d["child_write_seen_by_parent"] is False
    assert d["child_exit_status"] == 7
    assert d["api"] == ("clone" if bed.qemu else "clone3") and d["fallback"] == bed.qemu
    check_regs(bed, d, [bed.reg("RET")])     # no new stack: only the return value


def test_thread(bed):
    rc, d = scenario(bed, "thread")
    assert rc == 0, d
    assert d["getpid_in_thread"] == d["pid"] == d["main_tid"]
    assert d["thread_tid"] not in (0, d["main_tid"])
    assert d["parent_tid_word"] == d["thread_tid"]
    assert d["same_thread_group"] is True
    assert d["thread_write_seen_by_main"] is True and d["joined"] is True
    check_regs(bed, d, [bed.reg("RET"), bed.reg("SP"), bed.reg("TP")])
    assert int(d["regs"]["child"][bed.reg("TP")], 16) == int(d["call"]["tls"], 16)


def test_chimera(bed):
    if bed.qemu:
        return expect_unsupported(bed, "chimera")
    rc, d = scenario(bed, "chimera")
    assert rc == 0, d
    assert d["child_pid"] != d["parent_pid"] and d["child_ppid"] == d["parent_pid"]
    assert d["same_thread_group"] is False
    assert d["child_write_seen_by_parent"] is True
    check_regs(bed, d, [bed.reg("RET"), bed.reg("SP")])


def userns(bed, user):
    rc, env = bed.json(["env", "--json"], user=user)
    if bed.qemu or not env["userns"]:
        return expect_unsupported(bed, "userns", user=user)
    rc, d = scenario(bed, "userns", user=user)
    assert rc == 0, d
    outside = 0 if user is None else user
    assert d["outside_uid"] == outside and d["outside_gid"] == outside
    assert d["uid_before_map"] == 65534
    assert d["inside_uid"] == 0 and d["inside_gid"] == 0 and d["setuid0"] is True
    assert d["uid_map"].split() == ["0", str(outside), "1"]
    check_regs(bed, d, [bed.reg("RET"), bed.reg("SP")])


def test_userns_root(bed):
    userns(bed, None)


def test_userns_unprivileged(bed):
    userns(bed, 65534)


def test_text_output(bed):
    r = bed.run(["thread"])
    assert r.rc == 0, r
    assert re.search(rf"^  {bed.reg('SP')}\s+[0-9a-f]+\s+[0-9a-f]+  <- differs$", r.out, re.M), r.out
    assert f"{bed.reg('TP')}: CLONE_SETTLS" in r.out
    assert "not explained" not in r.out


def test_tour(bed):
    rc, d = bed.json(["tour", "--json"])
    assert set(d) == {"fork", "thread", "userns", "chimera"}, d.keys()
    assert rc == (3 if bed.qemu else 0), rc
    assert d["fork"]["result"] == "ok" and d["thread"]["result"] == "ok"
    r = bed.run(["tour"])
    assert r.rc == rc and "A process is a task" in r.out, r


def test_usage_errors(bed):
    for args in (["fork", "--bogus"], ["thread", "extra"], ["fork", "--cpu"],
                 ["fork", "--cpu", "x"], ["fork", "--cpu", "5000"], ["fork", "--json=1"]):
        r = bed.run(args)
        assert r.rc == 2 and r.out == "" and f"clonelab {args[0]}: " in r.err, r
    r = bed.run(["chimera", "--help"])
    assert r.rc == 0 and r.out.startswith("usage: clonelab chimera"), r


def test_cpu_pinning(bed):
    n = bed.json(["env", "--json"])[1]["cpus"]
    for cpu in range(min(n, 2)):
        rc, d = bed.json(["fork", "--json", "--cpu", str(cpu)])
        assert rc == 0 and d["cpu"] == cpu, d
    r = bed.run(["fork", "--cpu", "1000"])     # a CPU this machine does not have
    assert r.rc == 3 and "not possible here" in r.err and "sched_setaffinity" in r.err, r
    assert "EINVAL" in r.err and "CPU does not exist" in r.err, r
    rc, d = bed.json(["fork", "--cpu", "1000", "--json"])
    assert rc == 3 and d["result"] == "unsupported", d


def test_examples(bed):
    out = {}
    for name in ("fork", "thread", "userns", "chimera"):
        out[name] = bed.run([], prog=bed.example(name))
    f = out["fork"]
    assert f.rc == 0 and "value, after the child wrote 2: 1" in f.out, f
    pids = re.findall(r"my pid is (\d+)", f.out)
    assert len(pids) == 2 and pids[0] != pids[1], f
    t = out["thread"]
    g = re.findall(r"getpid\(\) = (\d+)", t.out)
    tids = re.findall(r"gettid\(\) = (\d+)", t.out)
    assert t.rc == 0 and g[0] == g[1] and tids[0] != tids[1], t
    assert "value, after the thread wrote 2: 2" in t.out, t
    if bed.qemu:
        assert out["chimera"].rc == 3 and out["userns"].rc == 3, out
    else:
        assert "value, after the child wrote 2: 2" in out["chimera"].out, out["chimera"]
        assert "uid after map: 0" in out["userns"].out, out["userns"]


# ---- the independent record: what reached the kernel ----
def clone_calls(bed, log):
    """[(syscall, {field: value})] from strace -f or qemu -strace output."""
    calls = []
    for line in open(log):
        # Up to the first ")": under QEMU the child's first syscall may be logged on
        # the same line, right after the parent's clone.
        m = re.search(r"\b(clone3?)\(([^)]*)\)", line)
        if not m:
            continue
        name, args = m.group(1), m.group(2)
        fields = dict(re.findall(r"(\w+)=(\{[^}]*\}|\[[^]]*\]|0x[0-9a-fA-F]+|[\w|]+)", args))
        if name == "clone" and not args.startswith("child_stack"):
            fields["flags"] = args.split(",")[0]
        calls.append((name, fields))
    return calls


def flag_names(v):
    return {f for f in v.split("|") if f.startswith("CLONE_")}


NAMES = {0x100: "CLONE_VM", 0x200: "CLONE_FS", 0x400: "CLONE_FILES", 0x800: "CLONE_SIGHAND",
         0x10000: "CLONE_THREAD", 0x40000: "CLONE_SYSVSEM", 0x80000: "CLONE_SETTLS",
         0x100000: "CLONE_PARENT_SETTID", 0x200000: "CLONE_CHILD_CLEARTID"}


def test_strace_agrees(bed):
    for name in ("fork", "thread") + (() if bed.qemu else ("chimera",)):
        log = os.path.join(bed.tmpdir(), f"strace-{name}.log")
        r = bed.strace([name, "--json"], log)
        assert r.rc == 0, r

        call = json.loads(r.out)["call"]
        calls = clone_calls(bed, log)
        # env-like probes may come first; the scenario's own clone is the last one.
        assert calls, open(log).read()
        syscall, f = calls[-1]
        assert syscall == call["syscall"], (syscall, call)
        want = {n for bit, n in NAMES.items() if int(call["flags"], 16) & bit}
        assert flag_names(f.get("flags", "")) == want, (f, call)
        stack = f.get("stack") or f.get("child_stack")
        if int(call["stack"], 16):
            assert int(stack, 16) == int(call["stack"], 16), (f, call)
        if "stack_size" in f:
            assert int(f["stack_size"], 16) == int(call["stack_size"], 16), (f, call)
        if int(call["tls"], 16):
            assert int(f["tls"], 16) == int(call["tls"], 16), (f, call)
        if "CLONE_CHILD_CLEARTID" in want:
            tidp = f.get("child_tid") or f.get("child_tidptr")
            assert int(tidp, 16) == int(call["child_tid"], 16), (f, call)


# ---- the test-bed matrix (README): what each scenario did here, observed ----
MATRIX = [
    ("fork", ["fork", "--json"], None),
    ("thread", ["thread", "--json"], None),
    ("userns", ["userns", "--json"], None),
    ("userns as uid 65534", ["userns", "--json"], 65534),
    ("chimera", ["chimera", "--json"], None),
    ("probe thread set", ["probe", "--flags", "vm,fs,files,sighand,thread,sysvsem", "--json"], None),
    ("run", ["run", "--report-fd", "2", "--json", "--", "/bin/true"], None),
]
# Under QEMU user mode these are refused by design (exit 3): QEMU emulates clone.
QEMU_REFUSED = {"userns", "userns as uid 65534", "chimera", "run"}


def refusal(r):
    """Why a run was refused, in a few words: its errno and the explanation's first clause
    (from its JSON on stdout, or run's report on stderr)."""
    for text in (r.out, r.err):
        for line in text.splitlines():
            try:
                d = json.loads(line[line.index("{"):])
            except ValueError:
                continue
            why = d.get("explanation") or d.get("error") or ""
            why = why.split(" itself")[0].split(" (")[0].split(":")[0]
            return f"{d.get('errno') or 'exit 3'}: {why}" if why else d.get("errno") or "exit 3"
    return "exit 3"


def test_matrix(bed):
    kernel = bed.json(["env", "--json"])[1]["kernel"]
    print(f"# matrix kernel: {kernel}")
    for name, args, user in MATRIX:
        r = bed.run(args, user=user)
        if r.rc == 0:
            res = "pass"
        elif r.rc == 3:
            res = ("refused by design" if bed.qemu else "not possible here") + f" ({refusal(r)})"
        else:
            res = f"FAIL (exit {r.rc})"
        print(f"# matrix {name}: {res}")
        want = 3 if bed.qemu and name in QEMU_REFUSED else 0
        assert r.rc == want, r


def test_api_choice(bed):
    """--api clone takes the legacy path (arm64, riscv64: CLONE_BACKWARDS argument order) with
    the same contract; --api clone3 where there is none is "not possible here"."""
    for name, differ in (("fork", [bed.reg("RET")]),
                         ("thread", [bed.reg("RET"), bed.reg("SP"), bed.reg("TP")])):
        rc, d = bed.json([name, "--json", "--api", "clone"])
        assert rc == 0 and d["api"] == "clone" and d["fallback"] is False, d
        check_regs(bed, d, differ)
    rc, d = bed.json(["thread", "--json", "--api", "clone3"])
    if bed.qemu:
        assert rc == 3 and d["errno"] == "ENOSYS", d
    else:
        assert rc == 0 and d["api"] == "clone3", d
    r = bed.run(["thread", "--api", "vfork"])
    assert r.rc == 2 and "--api takes clone, clone3 or auto" in r.err, r


# ---- hostile callers (issue 14) ----
import probe_hostile as H  # noqa: E402


def test_sigchld_ignored(bed):
    """Issue 14.9: a caller that ignores SIGCHLD (inherited across exec) must not turn
    wait4's ECHILD into "child's exit status 255"."""
    for name, key, want in (("fork", "child_exit_status", 7), ("chimera", "child_exit_status", 0),
                            ("thread", "joined", True)):
        r = H.run(bed, [name, "--json"], sigchld_ignored=True)
        d = json.loads(r.out)
        if bed.qemu and name == "chimera":
            assert r.rc == 3, r
            continue
        assert r.rc == 0 and d[key] == want, r
    r = H.run(bed, ["tour", "--json"], sigchld_ignored=True)
    d = json.loads(r.out)
    assert r.rc == (3 if bed.qemu else 0) and d["fork"]["child_exit_status"] == 7, r
    r = H.run(bed, ["fork"], sigchld_ignored=True)
    assert r.rc == 0 and "status 7, collected" in r.out, r


def test_userns_child_killed_before_ready(bed):
    """Issue 14.7: the userns child dies before it posts; the parent must not wait
    forever."""
    H.killed_before_ready(bed, ["userns", "--json"])


def test_userns_in_pidns_without_proc(bed):
    """Issue 14.12: `unshare --pid --fork clonelab userns`: we are pid 1 and the child
    pid 2 there, but /proc is the host's. The maps go to the child, not to host pid 2."""
    H.native_only(bed, "QEMU user mode cannot clone into a new user namespace")
    if os.getuid() == 0:
        wrap = ("unshare", "--pid", "--fork")
    else:
        wrap = ("unshare", "--user", "--map-root-user", "--pid", "--fork")
    r = H.run(bed, ["userns", "--json"], wrap=wrap)
    d = json.loads(r.out)
    assert r.rc == 0 and d["child_pid"] == 2, r
    assert d["inside_uid"] == 0 and d["setuid0"] is True, d
    assert d["uid_map"].split() == ["0", "0", "1"], d
