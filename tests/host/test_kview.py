"""--kernel: the partial view natively, exit 3 under QEMU user mode and unprivileged, and
clonelab's BTF reader against pahole (dwarves) on the host's BTF and on the BTF found by
its magic inside each guest kernel image."""
import fcntl
import gzip
import json
import lzma
import os
import re
import shutil
import struct
import subprocess

from harness import Skip

CACHE = os.path.expanduser("~/.cache/clonelab/kernels")


def test_kernel_modes(bed):
    rc, obj = bed.json(["thread", "--kernel", "--json", "--cpu", "0"])  # pinned: no migration
    k = obj.get("kernel") or {}
    # The bed matrix's cell (tests/bedtable.py); the system beds print theirs in the guest.
    if bed.qemu:
        print("# matrix kernel view: refused by design (QEMU user mode emulates clone: no kernel to watch)")
    elif k.get("mode") == "full":
        print("# matrix kernel view: pass (full)")
    elif k.get("mode") == "partial":
        print(f"# matrix kernel view: partial ({(k.get('missing') or ['?'])[0].split(':')[0]})")
    else:
        print(f"# matrix kernel view: not possible here (exit {rc})")
    if bed.qemu:
        assert rc == 3 and obj["kernel"]["mode"] == "none", obj
        assert "QEMU" in obj["explanation"], obj
        return
    if os.geteuid() != 0:
        assert rc == 3 and obj["kernel"]["mode"] == "none", obj
        return
    assert rc == 0, obj
    k = obj["kernel"]
    assert k["mode"] in ("partial", "full"), k
    assert k["target_cpu"] == k["first_cpu"] == obj["cpu"], k
    whats = [e["what"] for e in k["events"]]
    assert any("parent enters clone" in w for w in whats), whats
    assert whats[-1].startswith("the child's first user instruction") or k["mode"] == "full", whats
    if k["mode"] == "partial":
        assert k["missing"] and k["task"] is None and k["objects"] == {}, k


def test_kernel_unprivileged(bed):
    if os.geteuid() != 0:
        raise Skip("needs root to switch to an unprivileged user")
    r = bed.run(["fork", "--kernel"], user=65534)
    assert r.rc == 3 and "not possible here: --kernel: " in r.err, r


def test_kernel_output_unchanged(bed):
    """The rest of the output stays as it was: the same keys, flags and verdicts."""
    if bed.qemu or os.geteuid() != 0:
        raise Skip("no tracing here")
    rc1, a = bed.json(["chimera", "--json", "--cpu", "0"])
    rc2, b = bed.json(["chimera", "--json", "--cpu", "0", "--kernel"])
    assert rc1 == rc2 == 0, (a, b)
    b.pop("kernel")
    for key in ("latency_ns", "parent_pid", "child_pid", "child_ppid", "regs", "call"):
        a.pop(key), b.pop(key)
    assert a == b, (a, b)


def find_btf(b):
    for m in re.finditer(rb"\x9f\xeb\x01\x00\x18\x00\x00\x00", b):
        hdr = struct.unpack_from("<HBBIIIII", b, m.start())
        if hdr[5] > 1 << 20:  # the kernel's own BTF, not a module's small one
            return b[m.start():m.start() + hdr[3] + max(hdr[4] + hdr[5], hdr[6] + hdr[7])]
    return None


def extract_btf(image):
    """The raw BTF blob inside a kernel image: as is (arm64 Image), or in its lz4, zstd,
    gzip or xz payload (x86 bzImage)."""
    data = open(image, "rb").read()
    blob = find_btf(data)
    tools = {b"\x02\x21\x4c\x18": ["lz4", "-dc"], b"\x28\xb5\x2f\xfd": ["zstd", "-dc"],
             b"\x1f\x8b\x08": ["gzip", "-dc"], b"\xfd7zXZ\x00": ["xz", "-dc"]}
    for magic, tool in tools.items():
        at = data.find(magic)
        while blob is None and at >= 0:
            p = subprocess.run(tool, input=data[at:], capture_output=True)
            blob = find_btf(p.stdout)
            at = data.find(magic, at + 1)
    return blob


def pahole_offset(btf, struct_name, path):
    """(offset, size) of path in struct_name by pahole's own layout, hop by hop. Members
    of an inline anonymous struct or union are printed inside their named container,
    with offsets from its start: those are looked up there."""
    base, name = 0, struct_name
    parts = path.split(".")
    for i, part in enumerate(parts):
        idx = None
        mm = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if mm:
            part, idx = mm.group(1), int(mm.group(2))
        out = subprocess.run(["pahole", "-F", "btf", "-C", name, btf], capture_output=True,
                             text=True, check=True).stdout
        m = re.search(rf"^\s+(.*?)\b{part}(\[(\d+)\])?(:\d+)?(?:\s+__attribute__[^;]*)?;"
                      rf"\s*/\*\s*(\d+)\s+(\d+)\s*\*/", out, re.M)
        assert m, f"pahole: no {part} in struct {name}"
        off, size = int(m.group(5)), int(m.group(6))
        if idx is not None:
            size //= int(m.group(3))
            off += idx * size
        kind = re.sub(r"^(struct|union)\s+", "", m.group(1).strip())
        if i + 1 < len(parts) and not re.fullmatch(r"\w+", kind):
            continue  # "} uw;": its members are in this same listing
        if i + 1 == len(parts):
            return base + off, size
        base, name = base + off, kind
    raise AssertionError(f"pahole: {path} not resolved in {struct_name}")


def pahole_sizeof(btf, name):
    out = subprocess.run(["pahole", "-F", "btf", "-C", name, btf], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"/\*\s*size:\s*(\d+)", out).group(1))


def compare(bed, btf):
    test = os.path.join(str(bed.build), "tests", "clonelab-test")
    cmd = ([f"qemu-{bed.arch}"] if bed.qemu else []) + [test, "kview_btf_offsets"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, CLONELAB_BTF=btf),
                       timeout=120)
    lines = re.findall(r"^# btf (\S+) (-?\d+)(?: (-?\d+))?$", p.stdout, re.M)
    assert p.returncode == 0 and lines, p.stdout + p.stderr
    for what, off, size in lines:
        strct, path = what.split(".", 1)
        if strct == "sizeof":
            assert int(off) == pahole_sizeof(btf, path), (btf, what, off)
            continue
        if int(off) < 0:
            continue  # absent in this kernel (time or cgroup namespaces)
        want = pahole_offset(btf, strct, path)
        assert (int(off), int(size)) == want, (btf, what, off, size, want)
    return len(lines)


def test_btf_vs_pahole(bed):
    """On the host's BTF (native bed) and on every cached guest kernel of the bed's
    architecture (its BTF found in the image by its magic)."""
    if not shutil.which("pahole"):
        raise Skip("no pahole (Debian package dwarves)")
    if bed.arch != os.uname().machine and not bed.qemu:
        raise Skip("another architecture")
    checked = 0
    if not bed.qemu and os.access("/sys/kernel/btf/vmlinux", os.R_OK):
        checked += compare(bed, "/sys/kernel/btf/vmlinux")
    tmp = bed.tmpdir()
    for d in sorted(os.listdir(CACHE)) if os.path.isdir(CACHE) else []:
        image = os.path.join(CACHE, d, "vmlinuz")
        if (d == bed.arch or d.startswith(bed.arch + "-")) and os.path.exists(image):
            blob = extract_btf(image)
            assert blob, f"no BTF found in {image}"
            path = os.path.join(tmp, d + ".btf")
            open(path, "wb").write(blob)
            checked += compare(bed, path)
    if not checked:
        raise Skip("no BTF to compare")


def test_kernel_tour(bed):
    """tour --kernel: each scenario's object has its own "kernel" view of its own clone."""
    if bed.qemu or os.geteuid() != 0:
        raise Skip("no tracing here")
    rc, obj = bed.json(["tour", "--kernel", "--json", "--cpu", "0"])  # pinned: no migration
    assert rc == 0, obj
    pids = set()
    for name in ("fork", "thread", "userns", "chimera"):
        k = obj[name]["kernel"]
        assert k["mode"] in ("partial", "full") and k["target_cpu"] == k["first_cpu"], (name, k)
        first = [e for e in k["events"] if e["kind"] == "first_user_instruction"]
        assert len(first) == 1, (name, k["events"])
        pids.add(first[0]["task"])
    assert len(pids) == 4, pids  # four clones, four children


# ---- issue 19 D: the kernel view never presents what it did not see ----

def native_root(bed):
    if bed.qemu or os.geteuid() != 0:
        raise Skip("no tracing here")


def locked(cmd):
    """cmd under `flock /sys/kernel`: tracing is global, one user at a time (as the unit
    tests do)."""
    return ["flock", "/sys/kernel"] + cmd


def sh(script, timeout=60, **kw):
    p = subprocess.run(locked(["unshare", "-m", "sh", "-c", script]), capture_output=True,
                       text=True, timeout=timeout, **kw)
    return p


def instances(prefix=""):
    """The tracefs instances now (through a private mount: none is needed here)."""
    p = sh("mount -t tracefs t /sys/kernel/tracing && ls /sys/kernel/tracing/instances")
    assert p.returncode == 0, p.stderr
    return [n for n in p.stdout.split() if n.startswith(prefix)]


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_kernel_stale_clone_not_shown(bed):
    """When a clone's tracing cannot be set up (its instance's mkdir fails), its section
    shows nothing of the clone before it: mode none, no events, no target CPU, exit 3.
    The instance's mkdir is a forked child's (tfs_instance: a SIGKILL of ours must not
    reach it); strace fails the second such fork (the thread's: the scenarios use
    clone3, those forks legacy clone), clonelab makes the instance itself instead, and
    strace fails that mkdirat with EEXIST."""
    native_root(bed)
    if not shutil.which("strace"):
        raise Skip("no strace")
    cmd = ["strace", "-qq", "-o", "/dev/null", "-e", "trace=clone,mkdirat",
           "-e", "inject=clone:error=ENOMEM:when=2", "-e", "inject=mkdirat:error=EEXIST:when=1",
           bed.clonelab, "tour", "--kernel", "--json", "--cpu", "0"]
    p = subprocess.run(locked(cmd), capture_output=True, text=True, timeout=120)
    obj = json.loads(p.stdout)
    fork, thread = obj["fork"]["kernel"], obj["thread"]["kernel"]
    assert fork["mode"] in ("partial", "full") and fork["events"], fork
    assert thread["mode"] == "none", thread
    assert thread["events"] == [] and thread["target_cpu"] is None and thread["task"] is None, thread
    assert any("EEXIST" in m for m in thread["missing"]), thread
    assert p.returncode == 3, (p.returncode, p.stderr)
    for name in ("userns", "chimera"):  # traced again, each its own clone
        k = obj[name]["kernel"]
        first = [e["task"] for e in k["events"] if e["kind"] == "first_user_instruction"]
        assert k["mode"] != "none" and first == [obj[name]["child_pid"]] or k["mode"] == "none", k


def test_kernel_tracefs_readonly(bed):
    """No instance can be made (a read-only tracefs mount): nothing was traced, so mode
    none, exit 3, the mkdir's errno, and no target CPU (finding 8)."""
    native_root(bed)
    p = sh("mount -t tracefs t /sys/kernel/tracing && mount -o remount,bind,ro /sys/kernel/tracing"
           f" && {bed.clonelab} fork --kernel --json --cpu 0")
    obj = json.loads(p.stdout)
    k = obj["kernel"]
    assert p.returncode == 3, (p.returncode, k)
    assert k["mode"] == "none" and any("EROFS" in m for m in k["missing"]), k
    assert k["target_cpu"] is None and k["events"] == [] and k["return_path"] == [], k


def test_kernel_pid_namespace(bed):
    """Inside a pid namespace the trace is filtered by the kernel's pid of our task, not
    by our namespace's (which is another task's on the host): the clone is seen, or exit
    3 with the reason (finding 7)."""
    native_root(bed)
    p = subprocess.run(locked(["unshare", "--pid", "--fork", "--mount-proc", bed.clonelab, "thread",
                               "--kernel", "--json", "--cpu", "0"]), capture_output=True, text=True,
                       timeout=60)
    obj = json.loads(p.stdout)
    k = obj["kernel"]
    if p.returncode == 3:
        assert k["mode"] == "none" and k["missing"], k
        return
    assert p.returncode == 0, (p.returncode, k)
    kinds = [e["kind"] for e in k["events"]]
    assert "syscall_enter" in kinds and "process_fork" in kinds and "switch_in" in kinds, k["events"]
    assert k["target_cpu"] == k["first_cpu"] == 0, k
    first = [e["task"] for e in k["events"] if e["kind"] == "first_user_instruction"]
    fork = [e for e in k["events"] if e["kind"] == "process_fork"]
    assert first and fork[0]["what"].endswith(f"pid {first[0]}"), k["events"]


def test_kernel_stale_names(bed):
    """The stale cleanup removes only exact names of clonelab's own pattern,
    clonelab_<pid>_<pidns>, of our pid namespace, whose owner is dead; never another
    tool's name, a wrapped pid, or a name without a namespace (a run in a pid namespace
    without /proc) (findings 5 and 6)."""
    native_root(bed)
    ns = int(re.search(r"\d+", os.readlink("/proc/self/ns/pid")).group())
    d = dead_pid()
    ours = f"clonelab_{d}_{ns}"
    foreign = [f"clonelab_{d}foo", f"clonelab_{d}", f"clonelab_{d + (1 << 32)}_{ns}",
               f"clonelab_{d}_{ns}x", f"clonelab_{d}_{ns + 1}", f"clonelab_0{d}_{ns}",
               f"clonelab_{d}_{ns}_{ns}"]
    made = " ".join(f"/sys/kernel/tracing/instances/{n}" for n in [ours] + foreign)
    p = sh(f"mount -t tracefs t /sys/kernel/tracing && mkdir {made} && "
           f"{bed.clonelab} fork --kernel >/dev/null; echo rc=$?; ls /sys/kernel/tracing/instances;"
           f" rmdir {made} 2>/dev/null; true")
    left = p.stdout.split()
    assert "rc=0" in left, p.stdout + p.stderr
    assert ours not in left, left
    assert [n for n in foreign if n not in left] == [], left


def test_kernel_no_proc(bed):
    """Without /proc our pid namespace is unknown, and so is which tracing is ours:
    --kernel is refused (exit 3), not run with names nobody can tell apart."""
    native_root(bed)
    p = sh(f"umount -l /proc && {bed.clonelab} fork --kernel --json")
    obj = json.loads(p.stdout)
    assert p.returncode == 3 and obj["kernel"]["mode"] == "none", obj
    assert "/proc" in obj["kernel"]["missing"][0], obj


def test_kernel_sigpipe(bed):
    """A reader gone (`--kernel | head`): SIGPIPE removes our instance like SIGTERM does
    (finding 10). Here the pipe's reader is closed before clonelab writes at all."""
    native_root(bed)
    r, w = os.pipe()
    os.close(r)
    lock = os.open("/sys/kernel", os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as `flock /sys/kernel`, with clonelab our own child
    try:
        p = subprocess.Popen([bed.clonelab, "tour", "--kernel"], stdout=w, stderr=subprocess.PIPE)
        os.close(w)
        p.communicate(timeout=120)
    finally:
        os.close(lock)
    left = instances(f"clonelab_{p.pid}_")
    for n in left:  # never leave it behind, whatever happened
        sh(f"mount -t tracefs t /sys/kernel/tracing && echo 0 > /sys/kernel/tracing/instances/{n}/tracing_on;"
           f" rmdir /sys/kernel/tracing/instances/{n}")
    assert p.returncode != 0, p.returncode
    assert left == [], left


def test_kernel_emfile(bed):
    """EMFILE is said as EMFILE, not as a missing tracefs (finding 9)."""
    native_root(bed)
    for n in (3, 5):
        p = subprocess.run(locked(["prlimit", f"--nofile={n}", bed.clonelab, "fork", "--kernel"]),
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 3 and "EMFILE" in p.stderr, (n, p.returncode, p.stderr)


DENY = r"""
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int c, char **v) {
  struct sock_filter f[] = { BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 0),
    BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, atoi(v[1]), 0, 1),
    BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ERRNO | atoi(v[2])), BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_fprog p = { 4, f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p)) return 126;
  execv(v[3], v + 3); return 127; }
"""


def test_kernel_no_fsopen_killed(bed):
    """Without fsopen (a kernel before 5.2: here ENOSYS from seccomp) tracefs must be
    mounted somewhere; a SIGKILL at any moment must leave no mount in anyone's tree
    (finding 11). strace holds every umount2 for 2 s, which a mount-and-detach needs."""
    native_root(bed)
    if bed.arch != "x86_64" or not (shutil.which("gcc") and shutil.which("strace")):
        raise Skip("needs x86_64 (fsopen is 430 here), gcc and strace")
    tmp = bed.tmpdir()
    src, deny = os.path.join(tmp, "denyc.c"), os.path.join(tmp, "denyc")
    open(src, "w").write(DENY)
    subprocess.run(["gcc", "-o", deny, src], check=True)
    script = (f"{deny} 430 38 {shutil.which('strace')} -qq -o /dev/null -e inject=umount2:delay_enter=2000000"
              f" {bed.clonelab} fork --kernel >/dev/null 2>&1 & sleep 1; "
              "kill -KILL $(pgrep -P $!); wait; "
              "grep -c ' /sys/kernel/tracing ' /proc/self/mountinfo; true")
    p = sh(script)
    assert p.stdout.split() == ["0"], p.stdout + p.stderr


def test_kernel_no_fsopen_works(bed):
    """Without fsopen the helper's tracefs mount works (the clone is traced) and leaves
    nothing in the fd table it shares with us: the fd it opened is closed once its copy
    is in place (strace -f: the helper's openat of tracefs, then its close)."""
    native_root(bed)
    if bed.arch != "x86_64" or not (shutil.which("gcc") and shutil.which("strace")):
        raise Skip("needs x86_64 (fsopen is 430 here), gcc and strace")
    tmp = bed.tmpdir()
    src, deny, log = (os.path.join(tmp, n) for n in ("denyc.c", "denyc", "strace.txt"))
    open(src, "w").write(DENY)
    subprocess.run(["gcc", "-o", deny, src], check=True)
    p = sh(f"{shutil.which('strace')} -f -qq -o {log} -e trace=openat,close,dup3 {deny} 430 38 "
           f"{bed.clonelab} fork --kernel --json --cpu 0")
    k = json.loads(p.stdout)["kernel"]
    assert p.returncode == 0 and k["mode"] in ("partial", "full") and k["events"], (p.returncode, k)
    text = open(log).read()
    opened = re.findall(r'^(\d+) +openat\(AT_FDCWD, "/sys/kernel/tracing", [^)]*\) = (\d+)$', text, re.M)
    helpers = [(pid, fd) for pid, fd in opened if re.search(rf"^{pid} +dup3\({fd}, ", text, re.M)]
    assert helpers, text[-3000:]
    for pid, fd in helpers:
        assert re.search(rf"^{pid} +close\({fd}\) += 0", text, re.M), (pid, fd, text[-3000:])
