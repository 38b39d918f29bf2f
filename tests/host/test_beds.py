"""The test-bed machinery itself: one list of architectures, the README's bed table
after a partial check, and a build directory reused for another architecture. They
test the tree, not a bed, so they run once: on the native bed."""
import os
import subprocess
import tempfile

import harness
from harness import ROOT, Skip


def native_only(bed):
    if bed.qemu:
        raise Skip("tests the tree, not the bed: run on the native bed")


def sh(*cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def test_every_script_knows_every_architecture(bed):
    native_only(bed)
    want = [a.strip() for a in open(os.path.join(ROOT, "arch", "ARCHES")) if a.strip()]
    assert list(harness.ARCHES) == want, (harness.ARCHES, want)
    r = sh("tests/check.sh", "no-such-bed")  # refused before it touches build/check.log
    assert r.returncode == 2, r
    for a in want:
        for b in (f"native-{a}", f"user-{a}", f"system-{a}"):
            assert f" {b} " in r.stderr, f"check.sh does not know bed {b}:\n{r.stderr}"
    r = sh("tests/system/fetch-kernel.sh", "no-such-arch")
    assert r.returncode == 1, r
    for a in want:
        assert f"system-{a} " in r.stderr, f"fetch-kernel.sh does not know {a}:\n{r.stderr}"


TABLE = """<!-- beds:begin -->
| bed | kernel | QEMU | fork | thread | userns | userns as uid 65534 | chimera | probe thread set | run | kernel view |
|---|---|---|---|---|---|---|---|---|---|---|
| native-x86_64 | 6.0 | - | pass | pass | pass | pass | pass | pass | pass | partial |
| system-aarch64 | 6.1.0-1 | 7.2.22 | pass | FAIL | pass | pass | pass | pass | pass | pass |
<!-- beds:end -->
"""


def test_bedtable_after_a_partial_check_keeps_the_other_rows(bed):
    native_only(bed)
    with tempfile.TemporaryDirectory() as d:
        readme, log = os.path.join(d, "README.md"), os.path.join(d, "check.log")
        open(readme, "w").write("intro\n" + TABLE + "after\n")
        open(log, "w").write("[system-aarch64] # matrix kernel: 6.1.0-2-cloud-arm64\n"
                             "[system-aarch64] # matrix qemu: 7.2.22\n"
                             "[system-aarch64] # matrix thread: pass\n")
        r = sh("python3", "tests/bedtable.py", log, "--readme", readme)
        assert r.returncode == 0, r
        text = open(readme).read()
        assert "| native-x86_64 | 6.0 | - | pass |" in text, f"the native row was lost:\n{text}"
        assert "6.1.0-2-cloud-arm64 | 7.2.22 | not run | pass |" in text, f"the aarch64 row was not updated:\n{text}"
        assert "FAIL" not in text and text.startswith("intro\n") and text.endswith("after\n"), text
        assert "kept 1 rows" in r.stderr and "native-x86_64" in r.stderr, r

        open(log, "w").write("[native-x86_64/unit] ok 1 nothing here\n")
        r = sh("python3", "tests/bedtable.py", log, "--readme", readme)
        assert r.returncode == 1 and "no '# matrix' line" in r.stderr, r
        assert open(readme).read() == text, "a log without a matrix changed the README"


def elf_machine(path):
    with open(path, "rb") as f:
        return int.from_bytes(f.read(20)[18:20], "little")


def test_make_o_dir_rebuilds_for_another_arch(bed):
    native_only(bed)
    import arches  # tests/system, on harness's path
    other = [a for a in arches.arches_here() if a != bed.arch]
    if not other:
        raise Skip("needs a second architecture in arch/")
    machine = {}
    with tempfile.TemporaryDirectory() as o:
        crt0 = os.path.join(o, "lib", "crt0.o")
        for arch in (bed.arch, other[0]):
            r = sh("make", f"O={o}", f"ARCH={arch}", crt0, timeout=300)
            assert r.returncode == 0, r
            assert "Nothing to be done" not in r.stdout + r.stderr and "up to date" not in r.stdout, r
            machine[arch] = elf_machine(crt0)
        assert machine[bed.arch] != machine[other[0]], \
            f"O={o}: crt0.o is still the {bed.arch} one after ARCH={other[0]}: {machine}"
        assert open(os.path.join(o, ".arch")).read().strip() == other[0]
