#!/usr/bin/env python3
"""bedtable.py [LOG] [--readme README.md]: the test-bed matrix, from a real `make check`
or `make matrix`.

Reads the "# matrix NAME: RESULT" lines that tests/host/test_scenarios.py::test_matrix,
tests/unit/scenarios.c:t_matrix and tests/unit/kview.c (the kernel view) print in each
bed, and the "# matrix qemu: VERSION" line of tests/check.sh, and writes a markdown
table: one row per bed (architecture x kernel x QEMU), one column per scenario. The beds
are those of every architecture in arch/ARCHES and every QEMU of tests/system/qemus.tab
(tests/system/arches.py).

With --readme, replaces the text between <!-- beds:begin --> and <!-- beds:end --> in
that file. A partial check (say `tests/check.sh system-aarch64`) updates only its own
rows: the README's rows of beds the log does not have are kept, and named on stderr.
A log without any matrix line changes nothing and exits 1."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "system"))
import arches  # noqa: E402

COLS = ["fork", "thread", "userns", "userns as uid 65534", "chimera", "probe thread set", "run",
        "kernel view"]
HEADER = ["| bed | kernel | QEMU | " + " | ".join(COLS) + " |", "|---" * (len(COLS) + 3) + "|"]


def _v(s):
    return [int(x) if x.isdigit() else 0 for x in s.split(".")]


def beds():
    """[(bed, row label)] in table order: native, QEMU user, then qemu-system beds by
    architecture, kernel version and QEMU version. The label is the bed's name."""
    out = [f"native-{a}" for a in arches.arches()]
    out += [b for a in arches.arches() for b, _q in arches.user_beds(a)]
    for a in arches.arches():
        sb = sorted(arches.system_cells(a), key=lambda t: (_v(t[1]), _v(t[3])))
        out += [bed for bed, _label, _suite, _q in sb]
    return [(b, b) for b in out]


def observed(log):
    """{(bed, matrix name): result} from a check log."""
    seen = {}
    for line in open(log, errors="replace"):
        m = re.match(r"\[([\w.-]+)(?:/\w+)?\] (?:\| )?# matrix ([^:]+): (.*)$", line.rstrip("\n"))
        if m:
            seen.setdefault((m.group(1), m.group(2)), m.group(3))
    return seen


def rows(seen, old):
    """The table's rows: fresh ones for the beds in the log, old ones (by label) for the
    others. Returns (rows, labels kept from old)."""
    out, kept = [], []
    for bed, label in beds():
        if any(k[0] == bed for k in seen):
            cells = [seen.get((bed, c), "not run") for c in COLS]
            out.append(f"| {label} | {seen.get((bed, 'kernel'), '?')} | {seen.get((bed, 'qemu'), '-')} | "
                       + " | ".join(cells) + " |")
        elif label in old:
            out.append(old[label])
            kept.append(label)
    return out, kept


def old_rows(section):
    """{label: row line} of a table already in the README."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| ([^|]+?) \|.*\|$", section, re.M)
            if m.group(1) != "bed" and not m.group(1).startswith("---")}


def main():
    args = sys.argv[1:]
    readme = None
    if "--readme" in args:
        i = args.index("--readme")
        readme = args[i + 1]
        del args[i:i + 2]
    log = args[0] if args else "build/check.log"
    seen = observed(log)
    if not seen:
        sys.exit(f"bedtable.py: no '# matrix' line in {log}: nothing written (run make check first)")
    if not readme:
        sys.stdout.write("\n".join(HEADER + rows(seen, {})[0]) + "\n")
        return
    text = open(readme).read()
    m = re.search(r"(<!-- beds:begin -->\n)(.*?)(<!-- beds:end -->)", text, flags=re.S)
    if not m:
        sys.exit(f"bedtable.py: no <!-- beds:begin/end --> markers in {readme}")
    old = old_rows(m.group(2))
    new, kept = rows(seen, old)
    table = "\n".join(HEADER + new) + "\n"
    open(readme, "w").write(text[:m.start(2)] + table + text[m.end(2):])
    print(f"bedtable.py: {len(new) - len(kept)} rows from {log}", file=sys.stderr)
    if kept:
        print(f"bedtable.py: kept {len(kept)} rows not in {log} as they were: {'; '.join(kept)}",
              file=sys.stderr)
    dropped = sorted(set(old) - {label for _, label in beds()})
    if dropped:
        print(f"bedtable.py: dropped rows of beds that no longer exist: {'; '.join(dropped)}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
