"""arches.py: the list of architectures (arch/ARCHES) and their test-bed facts
(each arch/<arch>/bed.tab), for the python test scripts. Same data as arches.sh."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _lines(path):
    with open(os.path.join(ROOT, path)) as f:
        return [s for s in (line.split("#")[0].strip() for line in f) if s]


def arches():
    """Every architecture in arch/ARCHES, in order."""
    return _lines("arch/ARCHES")


def arches_here():
    """Those whose arch/<arch>/ folder exists: what this tree builds."""
    return [a for a in arches() if os.path.isdir(os.path.join(ROOT, "arch", a))]


def table():
    """{arch: {"deb", "qemu", "console", "pkg", "busybox", "kernels": [(label, suite,
    package, file)], "budget", "firmware": [file, package] or [], "append": kernel command
    line or ""}} from the bed.tab files."""
    rows = {}
    lines = [ln for a in arches_here() for ln in _lines(os.path.join("arch", a, "bed.tab"))]
    for line in lines:
        f = [c.strip() for c in line.split("|")]
        rows[f[0]] = {"deb": f[1], "qemu": f[2].split(), "console": f[3], "pkg": f[4],
                      "busybox": f[5].split(), "budget": int(f[7]),
                      "kernels": [tuple(k.split(":", 3)) for k in f[6].split()],
                      "firmware": [] if f[8] == "-" else f[8].split(),
                      "append": "" if len(f) < 10 or f[9] == "-" else f[9]}
    return rows


def qemus(mode):
    """[(label, suite, packages)] of tests/system/qemus.tab for mode "user" or "system",
    the default (the bed names without a -qemuLABEL suffix) first."""
    out = []
    for line in _lines(os.path.join("tests", "system", "qemus.tab")):
        f = [c.strip() for c in line.split("|")]
        if f[0] == mode:
            out.append((f[1], f[2], [] if f[3] == "-" else f[3].split()))
    return out


def user_beds(arch):
    """[(bed, qemu label)]: user-ARCH on the default QEMU, user-ARCH-qemuLABEL on the others."""
    return [(f"user-{arch}" if i == 0 else f"user-{arch}-qemu{q[0]}", q[0])
            for i, q in enumerate(qemus("user"))]


def system_beds(arch):
    """[(bed, label, suite)] on the default QEMU: system-ARCH for the first kernel,
    system-ARCH-LABEL after."""
    ks = table()[arch]["kernels"]
    return [(f"system-{arch}" if i == 0 else f"system-{arch}-{k[0]}", k[0], k[1])
            for i, k in enumerate(ks)]


def system_cells(arch):
    """[(bed, label, suite, qemu label)]: every kernel of bed.tab on every system QEMU:
    the beds of system_beds(), and each also as BED-qemuQ on a QEMU Q other than the
    default."""
    qs = qemus("system")
    return [(bed + ("" if j == 0 else f"-qemu{q[0]}"), label, suite, q[0])
            for bed, label, suite in system_beds(arch) for j, q in enumerate(qs)]
