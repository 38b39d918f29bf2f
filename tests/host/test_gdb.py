"""make gdb: the scenario under gdb (natively) or under qemu-<arch> -g with
gdb-multiarch, stopped at the child's first instruction, in batch mode. The report
must show what the README says the kernel hands the child."""
import glob
import os
import re
import subprocess

from harness import Skip, ROOT


def make_gdb(bed, scenario):
    before = set(glob.glob(os.path.join(ROOT, "**", "*core*"), recursive=True))
    r = subprocess.run(["make", "-s", "gdb", f"ARCH={bed.arch}", f"O=build/{bed.arch}",
                        f"SCENARIO={scenario}", "BATCH=1"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    after = set(glob.glob(os.path.join(ROOT, "**", "*core*"), recursive=True))
    assert after == before, f"core files left in the tree: {sorted(after - before)}"
    return r


def regs(out):
    """{name: (child value, parent value or None)} from the report."""
    got = {}
    for m in re.finditer(r"\$(\w+)\s+= (0x[0-9a-f]+)(?:  \(parent: (0x[0-9a-f]+))?", out):
        got[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16) if m.group(3) else None)
    return got


def test_gdb_stops_at_the_thread_child(bed):
    if bed.name == "user-x86_64":
        raise Skip("x86_64 is debugged natively (native-x86_64)")
    r = make_gdb(bed, "thread")
    assert "== stopped in the child" in r.stdout, r.stdout + r.stderr
    g = regs(r.stdout)
    ret, sp, fp = {"x86_64": ("rax", "rsp", "rbp"), "aarch64": ("x0", "sp", "x29")}[bed.arch]
    assert g[ret][0] == 0, g
    assert g[sp][1] is not None and g[sp][0] != g[sp][1], f"the child's sp should be new: {g}"
    assert g[fp][0] == g[fp][1], f"the frame pointer is inherited: {g}"
    if bed.arch == "aarch64":
        assert g["x30"][0] == g["x30"][1] != 0, f"x30 is inherited: {g}"
        assert g["TPIDR_EL0"][0] not in (0, g["TPIDR_EL0"][1]), g
    else:
        assert g["fs_base"][0] != g["fs_base"][1], g
    assert re.search(r"(Line \d+ of|at) \"?arch/%s/" % bed.arch, r.stdout), \
        "no file:line: the debug copy lacks DWARF\n" + r.stdout


def test_gdb_follows_a_fork_child_natively(bed):
    if bed.name == "user-x86_64":
        raise Skip("x86_64 is debugged natively (native-x86_64)")
    if bed.qemu:
        r = make_gdb(bed, "fork")  # QEMU's gdbstub cannot: said plainly, exit 3
        assert r.returncode != 0 and "cannot follow a fork child" in r.stderr, r.stderr
        return
    r = make_gdb(bed, "fork")
    g = regs(r.stdout)
    assert "== stopped in the child" in r.stdout, r.stdout + r.stderr
    assert g["rax" if bed.arch == "x86_64" else "x0"][0] == 0, g
