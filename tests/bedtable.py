#!/usr/bin/env python3
"""bedtable.py [LOG] [--readme README.md]: the test-bed matrix, from a real `make check`.

Reads the "# matrix NAME: RESULT" lines that tests/host/test_scenarios.py::test_matrix
and tests/unit/scenarios.c:t_matrix print in each bed, and writes a markdown table, one
row per bed, one column per scenario. With --readme, replaces the text between
<!-- beds:begin --> and <!-- beds:end --> in that file."""
import re
import sys

BEDS = [("native-x86_64", "native x86_64"), ("user-x86_64", "QEMU user x86_64"),
        ("user-aarch64", "QEMU user aarch64"), ("system-x86_64", "qemu-system x86_64, Debian kernel"),
        ("system-aarch64", "qemu-system aarch64, Debian kernel")]
COLS = ["fork", "thread", "userns", "userns as uid 65534", "chimera", "probe thread set", "run"]


def table(log):
    seen = {}
    for line in open(log, errors="replace"):
        m = re.match(r"\[([\w-]+)(?:/\w+)?\] (?:\| )?# matrix ([^:]+): (.*)$", line.rstrip("\n"))
        if m:
            seen.setdefault((m.group(1), m.group(2)), m.group(3))
    rows = ["| bed | kernel | " + " | ".join(COLS) + " |", "|---" * (len(COLS) + 2) + "|"]
    for bed, label in BEDS:
        if not any(k[0] == bed for k in seen):
            continue
        cells = [seen.get((bed, c), "not run") for c in COLS]
        rows.append(f"| {label} | {seen.get((bed, 'kernel'), '?')} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main():
    args = sys.argv[1:]
    readme = None
    if "--readme" in args:
        i = args.index("--readme")
        readme = args[i + 1]
        del args[i:i + 2]
    t = table(args[0] if args else "build/check.log")
    if not readme:
        sys.stdout.write(t)
        return
    text = open(readme).read()
    new, n = re.subn(r"(<!-- beds:begin -->\n).*?(<!-- beds:end -->)",
                     lambda m: m.group(1) + t + m.group(2), text, flags=re.S)
    if n != 1:
        sys.exit(f"bedtable.py: no <!-- beds:begin/end --> markers in {readme}")
    open(readme, "w").write(new)


if __name__ == "__main__":
    main()
