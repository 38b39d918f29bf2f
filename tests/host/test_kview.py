"""--kernel: the partial view natively, exit 3 under QEMU user mode and unprivileged, and
clonelab's BTF reader against pahole (dwarves) on the host's BTF and on the BTF found by
its magic inside each guest kernel image."""
import gzip
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
