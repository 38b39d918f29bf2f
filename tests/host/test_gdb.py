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
    """{role: (child value, parent value or None)} from the report, by the role each
    register's line names ("return register", "stack pointer", "frame pointer", "link
    register", "thread pointer"), so no architecture's register names are needed here."""
    got = {}
    for m in re.finditer(r"\$(\w+)\s+= (0x[0-9a-f]+)(?:  \(parent: (0x[0-9a-f]+)[^)]*\))?\n"
                         r"\s+(\w+ \w+):", out):
        got[m.group(4)] = (int(m.group(2), 16), int(m.group(3), 16) if m.group(3) else None)
    return got


def test_gdb_stops_at_the_thread_child(bed):
    if bed.name == "user-x86_64":
        raise Skip("x86_64 is debugged natively (native-x86_64)")
    r = make_gdb(bed, "thread")
    assert "== stopped in the child" in r.stdout, r.stdout + r.stderr
    g = regs(r.stdout)
    assert g["return register"][0] == 0, g
    sp, fp, tp = g["stack pointer"], g["frame pointer"], g["thread pointer"]
    assert sp[1] is not None and sp[0] != sp[1], f"the child's sp should be new: {g}"
    assert fp[0] == fp[1], f"the frame pointer is inherited: {g}"
    assert tp[0] not in (0, tp[1]), f"CLONE_SETTLS gives the thread its own tp: {g}"
    if "x86_64 has no link register" not in r.stdout:
        assert g["link register"][0] == g["link register"][1] != 0, f"lr is inherited: {g}"
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
    assert g["return register"][0] == 0, g
