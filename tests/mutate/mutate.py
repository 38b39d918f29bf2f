#!/usr/bin/env python3
"""mutate.py: mutation testing of the clone trampolines and the syscall stubs (make mutate).

For every architecture under arch/ (each directory with a clone.* file), take each
instruction of arch/ARCH/{clone,snap,syscall}.* in turn and make one mutant of it:
  del    delete the instruction (this also drops an alignment, a frame-pointer clear,
         a store of fn or arg, a syscall, a return)
  swap   exchange the source operands of two adjacent register moves (two argument
         registers swapped), or the two registers of a stp/ldp pair (fn <-> arg)
  sysnr  another syscall number: exit -> exit_group, clone <-> clone3
  align  a weaker alignment: -16 / ~15 becomes -8 / ~7
The log is build/mutate/mutate-PID.log. Each mutant is built in a scratch copy of the tree (build/mutate/ARCH-PID-wN, its own
O=build/ARCH) and run on the beds that can see it, cheapest first:
  stage 1: the unit binary alone, its trampoline tests (tests/unit/trampoline.c), then
           everything and the whole unit binary, natively or under qemu-ARCH (seconds);
  stage 2, for stage-1 survivors only: `tests/check.sh native` (unit + host tests) on
           the host's own architecture, else `tests/check.sh system-ARCH`, then
           `user-ARCH` (a real kernel under qemu-system, then QEMU user mode with the
           host tests).
A mutant is killed when a bed fails (or times out), survived when all pass. A survivor
listed in tests/mutate/equivalent.txt ("ID  reason") is explained. A mutant that does not
assemble is stillborn and not counted. Exit 1 if any survivor is unexplained.

  mutate.py [--arch A]... [-k SUBSTR] [--only REGEX] [-j N] [--fast] [--full] [--list] [--keep]
  mutate.py --rescore LOG...    the table again from logs, with today's equivalent.txt
"""
import argparse
import concurrent.futures as cf
import glob
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from procs import kill_session  # noqa: E402  (tests/procs.py)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "tests", "mutate")
HOST = platform.machine()
FILES = ("clone", "snap", "syscall")
COPY = ("Makefile", "README.md", "arch", "doc", "linker", "src", "tests", "tools")	# what the tests read
UNIT_TIMEOUT = {True: 40, False: 120}	# native, under QEMU: seconds for the whole binary
FIRST_TIMEOUT = {True: 10, False: 30}	# for its trampoline tests alone (well under 1 s)
CHECK_TIMEOUT = 900


# ---- parsing: which lines are instructions ----
class Insn:
    def __init__(self, path, lineno, label, prefix, text, comment):
        self.path, self.lineno, self.label = path, lineno, label
        self.prefix, self.text, self.comment = prefix, text, comment
        parts = text.split(None, 1)
        self.mnem = parts[0].lower()
        self.ops = split_ops(parts[1]) if len(parts) > 1 else []

    def norm(self):
        return (self.mnem + " " + ",".join(o.replace(" ", "") for o in self.ops)).strip()


def split_ops(s):
    """Operands split at top-level commas (not inside [] or ())."""
    ops, depth, cur = [], 0, ""
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            ops.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        ops.append(cur.strip())
    return ops


def strip_comment(line, nasm):
    if nasm:
        i = line.find(";")
        return (line, "") if i < 0 else (line[:i], line[i:])
    i = line.find("//")
    m = re.search(r"\s#\s", line)	# riscv's "# comment"; aarch64's "#0" has no space after
    j = m.start() if m else -1
    cut = min(x for x in (i, j, len(line)) if x >= 0)
    return line[:cut], line[cut:]


LABEL = re.compile(r"^(\s*)([A-Za-z_.$][\w.$]*|\d+)\s*:(?!:)")


def parse(path):
    """The instructions of one source file, each with the label it follows."""
    nasm = path.endswith(".asm")
    lines = open(path).read().split("\n")
    macros, out = set(), []
    for line in lines:	# macro names first, so that their invocations are skipped
        m = re.match(r"\s*(%macro|\.macro)\s+(\w+)", line)
        if m:
            macros.add(m.group(2).lower())
    label, in_comment = "(top)", False
    for n, line in enumerate(lines):
        code, comment = strip_comment(line, nasm)
        if not nasm:
            if in_comment:
                if "*/" not in code:
                    continue
                code, in_comment = code.split("*/", 1)[1], False
            if "/*" in code:
                code, rest = code.split("/*", 1)
                in_comment = "*/" not in rest
            if code.lstrip().startswith("#"):
                continue	# a preprocessor line
        m = re.match(r"\s*(%macro|\.macro)\s+(\w+)", code)
        if m:
            label = m.group(2)
            continue
        prefix = ""
        m = LABEL.match(code)
        if m:
            if not m.group(2).isdigit():
                label = m.group(2)
            prefix = code[:m.end()]
            code = code[m.end():]
        text = code.strip()
        if not text or text.startswith((".", "%")) or prefix == "" and not code[:1].isspace():
            continue	# a directive, or a NASM "NAME equ N" at column 0
        first = text.split()[0].lower()
        if first in macros or first in ("section", "global", "extern", "align", "default", "bits"):
            continue
        out.append(Insn(path, n, label, prefix, text, comment))
    return out


# ---- mutants ----
def sysnrs(arch):
    nr = {}
    for line in open(os.path.join(ROOT, "arch", arch, "sysnr.h")):
        m = re.match(r"#define CL_NR_(\w+)\s+(\d+)", line)
        if m:
            nr[m.group(1)] = int(m.group(2))
    return nr


# Routines in these files that are not trampolines: the cycle counter readers time
# things, and no pass/fail test may judge a time.
NOT_TRAMPOLINES = {"cl_counter", "cl_counter_hz"}


def is_reg_move(i):
    return i.mnem in ("mov", "mv", "movq") and len(i.ops) == 2 and not is_imm(i.ops[1])


def is_imm(op):
    return re.match(r"^(#|-?\d|[A-Z_])", op) is not None


def is_mem(op):
    return op.startswith("[") or "(" in op


def can_swap(i, j):
    """Two adjacent moves whose sources can trade places: no move from memory to memory."""
    a, b = i.ops[1], j.ops[1]
    return a != b and not (is_mem(b) and is_mem(i.ops[0])) and not (is_mem(a) and is_mem(j.ops[0]))


def mutants(arch):
    """[(id, path, lineno, new_line, description)] for one architecture."""
    nr = sysnrs(arch)
    alt = {"exit": "exit_group", "exit_group": "exit", "clone": "clone3", "clone3": "clone"}
    res = []
    for name in FILES:
        for path in sorted(glob.glob(os.path.join(ROOT, "arch", arch, name + ".*"))):
            insns = parse(path)
            rel = os.path.relpath(path, os.path.join(ROOT, "arch"))
            seen = {}
            for k, i in enumerate(insns):
                key = f"{rel}:{i.label}:{i.norm()}"
                seen[key] = seen.get(key, 0) + 1
                if seen[key] > 1:
                    key += f"#{seen[key]}"

                def add(op, text, what):
                    res.append((f"{key}:{op}", path, i.lineno, i.prefix + "\t" + text + " " + i.comment,
                                what))
                nxt = insns[k + 1] if k + 1 < len(insns) else None
                if i.label in NOT_TRAMPOLINES:
                    continue
                add("del", "", f"delete `{i.text}`")
                if is_reg_move(i) and nxt and is_reg_move(nxt) and nxt.lineno == i.lineno + 1 \
                        and can_swap(i, nxt):
                    a, b = i.ops[1], nxt.ops[1]
                    res.append((f"{key}:swap", path, i.lineno, None, (nxt.lineno, a, b)))
                if i.mnem in ("stp", "ldp") and len(i.ops) >= 3:
                    ops = [i.ops[1], i.ops[0]] + i.ops[2:]
                    add("swap", f"{i.mnem}\t{', '.join(ops)}", f"swap the pair in `{i.text}`")
                m = re.search(r"\bSYS_(\w+)\b", i.text)
                if m and m.group(1) in alt and alt[m.group(1)] in nr:
                    new = i.text[:m.start()] + str(nr[alt[m.group(1)]]) + i.text[m.end():]
                    add("sysnr", new, f"SYS_{m.group(1)} -> {alt[m.group(1)]} in `{i.text}`")
                if i.mnem in ("and", "andi") and i.ops and i.ops[-1] in ("-16", "#~15", "#-16", "~15"):
                    weak = {"-16": "-8", "#~15": "#~7", "#-16": "#-8", "~15": "~7"}[i.ops[-1]]
                    new = f"{i.mnem}\t{', '.join(i.ops[:-1] + [weak])}"
                    add("align", new, f"align to 8, not 16, in `{i.text}`")
    return res


def apply(text_lines, mutant):
    _id, path, lineno, new, what = mutant
    lines = list(text_lines)
    if new is None:	# swap: the sources of two adjacent moves
        other, a, b = what
        nasm = path.endswith(".asm")
        lines[lineno] = swap_src(lines[lineno], a, b, nasm)
        lines[other] = swap_src(lines[other], b, a, nasm)
    else:
        lines[lineno] = new
    return lines


def swap_src(line, old, new, nasm):
    code, comment = strip_comment(line, nasm)
    i = code.rfind(old)
    return code[:i] + new + code[i + len(old):] + comment


def describe(m):
    if m[3] is None:
        return f"swap the sources {m[4][1]} and {m[4][2]} of two moves"
    return m[4]


# ---- running ----
def run(cmd, cwd, timeout, env=None):
    """(ok, why, output). A timeout is a failure. The command runs in a session of its
    own; whatever of it is left when it ends (a hung test, a leaked child) is killed."""
    e = dict(os.environ, **(env or {}))
    with tempfile.TemporaryFile() as out:
        try:
            p = subprocess.Popen(cmd, cwd=cwd, env=e, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as ex:
            return False, f"cannot run {cmd[0]}: {ex.strerror}", ""
        try:
            rc, why = p.wait(timeout=timeout), None
        except subprocess.TimeoutExpired:
            rc, why = None, f"timeout after {timeout}s"
        kill_session(p.pid)
        if rc is None:
            p.wait()
        out.seek(0)
        text = out.read().decode(errors="replace")
    return rc == 0, why or f"exit {rc}", text


class Worker:
    def __init__(self, arch, n, base, explained=()):
        self.explained = explained
        self.arch, self.dir = arch, os.path.join(base, f"{arch}-{os.getpid()}-w{n}")
        self.native = arch == HOST

    def setup(self):
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        for c in COPY:
            src = os.path.join(ROOT, c)
            dst = os.path.join(self.dir, c)
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, dst)
        return self.build()

    def build(self, target="all"):
        ok, why, out = run(["make", "--no-print-directory", f"ARCH={self.arch}", f"O=build/{self.arch}",
                            target], self.dir, 600)
        return ok, out

    def unit(self, only=None, timeout=None):
        """Stage 1: the unit binary, with only the tests named `only` if given. (ok, why)."""
        cmd = [f"build/{self.arch}/tests/clonelab-test"] + ([only] if only else [])
        if not self.native:
            cmd.insert(0, f"qemu-{self.arch}")
        ok, why, out = run(cmd, self.dir, timeout or UNIT_TIMEOUT[self.native],
                           {"CLONELAB_EXPECT_QEMU": "0" if self.native else "1"})
        fails = [ln for ln in out.splitlines() if ln.startswith("not ok")]
        done = re.search(r"^# \S+: \d+ tests, \d+ passed, 0 failed", out, re.M)
        if ok and done and not fails:
            return True, ""
        return False, "unit: " + (", ".join(ln.split(None, 3)[-1] for ln in fails[:4]) or why)

    def beds2(self):
        # The real kernel first: what survives QEMU user mode is mostly what it cannot
        # show (clone3, which it lacks), and the system bed kills that.
        return ["native"] if self.native else [f"system-{self.arch}", f"user-{self.arch}"]

    def stage2(self):
        for bed in self.beds2():
            ok, why, out = run(["tests/check.sh", bed], self.dir, CHECK_TIMEOUT, {"SKIP_MISSING": "0"})
            if not ok:
                fails = re.findall(r"^# FAILED: (.*)$", out, re.M)
                return False, f"{bed}: " + ("; ".join(fails[:3]) or why)
        return True, ""

    def trial(self, m, fast, orig):
        path = os.path.join(self.dir, os.path.relpath(m[1], ROOT))
        try:
            with open(path, "w") as f:
                f.write("\n".join(apply(orig[m[1]], m)))
            # First only the unit binary, and its trampoline tests: a fraction of the
            # build (one link of six) and of a second, and they kill most mutants.
            ok, out = self.build(f"build/{self.arch}/tests/clonelab-test")
            if ok:
                ok, why = self.unit("trampoline", FIRST_TIMEOUT[self.native])
                if not ok:
                    return "killed", why
                ok, out = self.build()
            if not ok:
                return "stillborn", out.strip().splitlines()[-1:] and out.strip().splitlines()[-1]
            ok, why = self.unit()
            if not ok:
                return "killed", why
            if fast:
                return "survived", "stage 1 only (--fast)"
            if m[0] in self.explained:
                return "survived", "explained: stage 2 not run (--full runs it)"
            ok, why = self.stage2()
            return ("survived", "") if ok else ("killed", why)
        finally:
            with open(path, "w") as f:
                f.write("\n".join(orig[m[1]]))


def load_equivalent():
    eq = {}
    path = os.path.join(HERE, "equivalent.txt")
    for line in open(path) if os.path.exists(path) else []:
        line = line.rstrip("\n")
        if line.strip() and not line.startswith("#"):
            mid, _, why = line.partition("  ")
            eq[mid.strip()] = why.strip()
    return eq


def arches():
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "arch", "*", "clone.*")))


def run_arch(arch, ms, a, eq, base, log):
    orig = {p: open(p).read().split("\n") for p in {m[1] for m in ms}}
    workers = [Worker(arch, n, base, () if a.full else eq) for n in range(max(1, min(a.jobs, len(ms))))]
    for w in workers:
        ok, out = w.setup()
        if not ok:
            log(f"{arch}: the unmutated tree does not build here; skipped\n{out[-2000:]}")
            return None
    ok, why = workers[0].unit()
    if ok and not a.fast:
        ok, why = workers[0].stage2()
    if not ok:
        log(f"{arch}: the unmutated tree fails its beds ({why}); skipped")
        return None
    free, lock, results = list(workers), threading.Lock(), []

    def one(m):
        with lock:
            w = free.pop()
        try:
            t0 = time.time()
            verdict, why = w.trial(m, a.fast, orig)
        finally:
            with lock:
                free.append(w)
        if verdict == "survived" and m[0] in eq:
            verdict, why = "explained", eq[m[0]]
        log(f"{verdict:9} {m[0]}  ({describe(m)}; {time.time() - t0:.1f}s) {why}")
        return m, verdict, why

    with cf.ThreadPoolExecutor(len(workers)) as ex:
        results = list(ex.map(one, ms))
    if not a.keep:
        for w in workers:
            shutil.rmtree(w.dir, ignore_errors=True)
    return results


def rescore(logs, eq):
    """The table again from earlier logs (a later log's verdict wins), with today's
    equivalent.txt: after explaining survivors, or re-running some with -k."""
    verdicts = {}
    for path in logs:
        for line in open(path):
            m = re.match(r"^(killed|survived|explained|stillborn) +(.+?)  \(", line)
            if m:
                verdicts[m.group(2)] = m.group(1)
    rows, bad = {}, 0
    for mid, v in sorted(verdicts.items()):
        if v in ("survived", "explained"):
            v = "explained" if mid in eq else "survived"
            if v == "survived":
                print(f"survived  {mid}")
                bad += 1
        row = rows.setdefault(mid.split("/", 1)[0], dict.fromkeys(("killed", "survived", "explained",
                                                                     "stillborn"), 0))
        row[v] += 1
    print("| arch | killed | survived | explained | stillborn |\n|---|---|---|---|---|")
    for arch, r in sorted(rows.items()):
        print(f"| {arch} | {r['killed']} | {r['survived']} | {r['explained']} | {r['stillborn']} |")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", help="only this architecture (repeatable)")
    ap.add_argument("-k", help="only mutants whose id contains this")
    ap.add_argument("--only", metavar="REGEX", help="only mutants whose id this regular expression finds")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", os.cpu_count() or 1)))
    ap.add_argument("--fast", action="store_true", help="stage 1 only")
    ap.add_argument("--full", action="store_true", help="stage 2 for explained survivors too")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--keep", action="store_true", help="keep the scratch trees")
    ap.add_argument("--rescore", nargs="+", metavar="LOG", help="recount earlier logs, run nothing")
    a = ap.parse_args()
    if a.rescore:
        return rescore(a.rescore, load_equivalent())
    base = os.path.join(ROOT, "build", "mutate")
    os.makedirs(base, exist_ok=True)
    eq = load_equivalent()
    logf = open(os.path.join(base, f"mutate-{os.getpid()}.log"), "w")
    lock = threading.Lock()

    def log(s):
        with lock:
            print(s, flush=True)
            logf.write(s + "\n")
            logf.flush()

    table, bad, t0 = [], 0, time.time()
    all_ids = set()
    for arch in a.arch or arches():
        ms = [m for m in mutants(arch) if (not a.k or a.k in m[0]) and (not a.only or re.search(a.only, m[0]))]
        all_ids.update(m[0] for m in ms)
        if a.list:
            for m in ms:
                print(f"{m[0]}  {describe(m)}")
            continue
        t1 = time.time()
        log(f"# {arch}: {len(ms)} mutants, {a.jobs} jobs")
        res = run_arch(arch, ms, a, eq, base, log)
        if res is None:
            table.append((arch, "not run", "", "", "", ""))
            bad += 1
            continue
        count = {v: sum(1 for r in res if r[1] == v) for v in ("killed", "survived", "explained", "stillborn")}
        bad += count["survived"]
        table.append((arch, count["killed"], count["survived"], count["explained"], count["stillborn"],
                      f"{time.time() - t1:.0f}s"))
    if a.list:
        return 0
    stale = [k for k in eq if k not in all_ids and not a.k and not a.only and not a.arch]
    log("\n| arch | killed | survived | explained | stillborn | time |\n|---|---|---|---|---|---|")
    for row in table:
        log("| " + " | ".join(str(c) for c in row) + " |")
    log(f"# total {time.time() - t0:.0f}s; log: {os.path.relpath(logf.name, ROOT)}")
    for k in stale:
        log(f"# note: equivalent.txt names {k}, which is no longer a mutant")
    if bad:
        log(f"mutate: {bad} unexplained survivor(s) or arch(es) not run")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
