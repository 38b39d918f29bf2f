#!/usr/bin/env python3
"""bench.py: clonelab's benchmarks (issue 7), run side by side in interleaved rounds.

    bench.py --bin build/bench/progs --out build/bench [--quick]
    bench.py --bin build/bench/progs --check-output
    bench.py --bin build/bench/progs --out build/bench --exec-cost [--quick] [--also NAME=PATH[,ARG]]
    bench.py --validate build/bench/results.md
    bench.py --readme doc/performance.md --section build/bench/readme-section.md
             [--exec-cost-section build/bench/exec-cost.md]

Every comparison runs its candidates in rounds, A B C .. then C A B .. and so on (the
order shuffled anew each round, the same shuffles every run), so that whatever else
the machine does hits all of them alike. Shuffled, not rotated: a rotation keeps each
candidate's neighbours, and one that leaves the kernel work behind would always slow
down the same next one. A ratio is taken inside each round (candidate / reference of that same round);
the table gives the median of those per-round ratios and their interquartile range
(the middle half of the rounds: min-max over a hundred rounds on a shared machine only
records its worst moment). Absolute times are printed for orientation only: only the
ratios travel. Page faults (minor, from wait4's rusage) are counts, the same on a busy
machine as on an idle one.

--check-output runs each example and its libc peers (tests/bench/ex_<example>.c) once
and fails unless they print the same lines (pids and tids aside) and exit alike: the
comparison of section 2 is only fair between programs that do the same thing. It also
fails if clonelab --version takes more than one page fault beyond the asm minimum's
(a count, never a time: check_faults).
--exec-cost runs the exec-cost experiment (tests/bench/pad.asm) alone, into exec-cost.md.

Writes results.md (the full table), readme-section.md (for doc/performance.md's benchmark
section), raw.txt (every per-round figure) into --out.
"""
import argparse
import os
import platform
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCHES = tuple(open(os.path.join(ROOT, "arch", "ARCHES")).read().split())
HOST = os.uname().machine


def arch_fact(arch, name):
    """A line of arch/<arch>/tools.txt ("name word..."): its words, or None."""
    for line in open(os.path.join(ROOT, "arch", arch, "tools.txt")):
        w = line.split()
        if w and w[0] == name:
            return w[1:]
    return None


def insns(arch):
    """What the trampoline counts look for in arch's disassembly (arch/<arch>/tools.txt):
    the syscall instruction, the counter read that is the child's first timestamp (a
    mnemonic, and a word its operands hold), and the call of fn."""
    sc, ctr, call = (arch_fact(arch, k) for k in ("syscall_insn", "counter_insn", "call_insn"))
    if not (sc and ctr and call):
        return None
    return (sc[0], lambda mn, ops: mn == ctr[0] and all(w in ops for w in ctr[1:]),
            lambda mn, ops: mn == call[0])


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def shuffles(items, rounds):
    """Round r runs items in an order of its own (seeded: the same every run)."""
    rng = random.Random(20)
    for r in range(rounds):
        order = list(items)
        rng.shuffle(order)
        yield r, order


def quartiles(xs):
    """(25th, 75th) percentile, by nearest rank."""
    return pct(xs, 25), pct(xs, 75)


def run_out(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("bench: %s failed (exit %d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    if p.stderr.strip():	# a warning (bench-exec -R where personality is refused)
        print(p.stderr.strip(), file=sys.stderr)
    return p.stdout


class Section:
    """One comparison: per-round values per candidate, and the ratios asked for."""

    def __init__(self, key, title):
        self.key, self.title = key, title
        self.values = {}    # name -> [per-round value]
        self.faults = {}    # name -> [per-round minor faults per run], where counted
        self.cpu = None     # a Section of the same runs' CPU times, where measured
        self.order = []

    def add(self, name, rnd, value):
        if name not in self.values:
            self.values[name] = {}
            self.order.append(name)
        self.values[name][rnd] = value

    def ratios(self, a, b):
        """Per-round a/b over the rounds where both ran."""
        va, vb = self.values.get(a, {}), self.values.get(b, {})
        return [va[r] / vb[r] for r in sorted(va) if r in vb and vb[r] > 0]


def fmt_us(ns):
    return "%.1f µs" % (ns / 1000.0)


def fmt_ratio(rs):
    """The median ratio, and its spread: the interquartile range over the rounds."""
    if not rs:
        return "n/a", "n/a"
    lo, hi = quartiles(rs)
    return "%.3fx" % median(rs), "%.3f-%.3f" % (lo, hi)


def fmt_cell(rs):
    """A ratio and its spread in one cell: 0.912x (0.874-0.951)."""
    r, sp = fmt_ratio(rs)
    return r if not rs else "%s (%s)" % (r, sp)


def fmt_faults(xs):
    return "%g" % median(xs) if xs else "n/a"


def verdict(rs, goal):
    if goal is None or not rs:
        return "-"
    m = median(rs)
    return ("met (goal ≤ %.2fx)" % goal) if m <= goal else ("**MISSED** (goal ≤ %.2fx)" % goal)


# ---------------------------------------------------------------- 1. start-up

def run_execs(a, raw, key, title, cands, rounds, batch, same_start=False):
    """cands: [(name, "PATH[,ARG...]")], timed by bench-exec (vfork + execve + wait4),
    side by side in shuffled rounds; per-round ns and minor faults per run, and in
    s.cpu the child's CPU time per run (user + system, its waited-for children's
    included). same_start: every child starts with no environment and no address
    randomisation (bench-exec -R), so that its stack is laid out alike every run."""
    args = [os.path.join(a.bin, "bench-exec")] + (["-R"] if same_start else []) + \
        [str(rounds), str(batch)]
    names = {}
    for i, (name, spec) in enumerate(cands):
        names["c%d" % i] = name
        args.append("c%d=%s" % (i, spec))
    s = Section(key, title)
    s.cpu = Section(key + "-cpu", title + " (CPU time)")
    for line in run_out(args).splitlines():
        raw.write(key + " " + line + "\n")
        f = line.split()
        s.add(names[f[1]], int(f[2]), float(f[3]))
        s.faults.setdefault(names[f[1]], []).append(int(f[4]))
        s.cpu.add(names[f[1]], int(f[2]), float(f[5]))
    s.order = s.cpu.order = [n for n, _ in cands if n in s.values]     # as given, not as run
    return s


CLONELAB = os.path.join(ROOT, "build", "x86_64", "clonelab")


def clonelab_bin():
    return CLONELAB


def bench_startup(a, raw):
    b = a.bin
    cands = [("asm minimum", os.path.join(b, "min")),
             ("asm + R+W segment (.data, .bss)", os.path.join(b, "min-data")),
             ("asm + R+W segment (.bss only)", os.path.join(b, "min-bss")),
             ("clonelab --version", clonelab_bin()),
             ("musl static hello", os.path.join(b, "musl-static", "hello")),
             ("glibc static hello", os.path.join(b, "glibc-static", "hello")),
             ("glibc dynamic hello", os.path.join(b, "glibc-dyn", "hello"))]
    cands = [(n, p + SAME_ARGV) for n, p in cands]
    return run_execs(a, raw, "startup", "1. Start-up: execve + exit", cands, a.rounds, a.batch)


# ------------------------------------------- 2. the examples against libc peers

LIBCS = (("musl static", "musl-static"), ("glibc static", "glibc-static"),
         ("glibc dynamic", "glibc-dyn"))
# Where the examples print a pid or a tid: the values differ from run to run, the
# pattern (which of them are equal) must not.
IDS = re.compile(r"(pid is |child's pid |getpid\(\) = |gettid\(\) = )(-?\d+)")


def canon(text):
    """text with each pid or tid replaced by <id1>, <id2>... in order of first sight."""
    seen = {}
    return IDS.sub(lambda m: m.group(1) + seen.setdefault(m.group(2), "<id%d>" % (len(seen) + 1)),
                   text)


def examples_dir():
    return os.path.join(ROOT, "build", "x86_64", "examples")


def example_names():
    d = examples_dir()
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def peer_path(a, libc_dir, e):
    return os.path.join(a.bin, libc_dir, "ex_" + e)


def check_output(a):
    """Run each example and its libc peers once; return {example: exit status} when
    every peer printed the same (canonical) lines and exited alike, else stop with
    what differed. Exit 3 (not possible here) is a status like another: such an
    example is then left out of the timing, and said so."""
    errs, status = [], {}
    names = example_names()
    if not names:
        sys.exit("bench: no examples in %s: build them first" % examples_dir())

    def run(path):
        try:
            p = subprocess.run([path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, str(e), ""
        return p.returncode, canon(p.stdout.decode(errors="replace")), \
            p.stderr.decode(errors="replace")

    for e in names:
        ref = run(os.path.join(examples_dir(), e))
        if ref[0] not in (0, 3):
            errs.append("example %s: exit %s, stderr %r" % (e, ref[0], ref[2]))
            continue
        for label, d in LIBCS:
            p = peer_path(a, d, e)
            if not os.path.exists(p):
                errs.append("example %s has no %s peer: %s (write tests/bench/ex_%s.c)"
                            % (e, label, p, e))
                continue
            got = run(p)
            if got != ref:
                errs.append("%s differs from example %s:\n  example: exit %s, stdout %r, "
                            "stderr %r\n  peer:    exit %s, stdout %r, stderr %r"
                            % (p, e, ref[0], ref[1], ref[2], got[0], got[1], got[2]))
        status[e] = ref[0]
    for x in errs:
        print("bench: " + x, file=sys.stderr)
    if errs:
        sys.exit(1)
    print("bench: %d examples and their %d libc peers print the same lines and exit alike"
          % (len(names), len(names) * len(LIBCS)), file=sys.stderr)
    return status


def check_faults(a):
    """clonelab --version may take one page fault more than the asm minimum: .bss's
    first page, where linker/clonelab.ld puts everything start-up and the first write
    touch (and its strings are in the text's first 64 KiB, which the first fault maps).
    A count, not a time. Both run with no environment and no address randomisation
    (bench-exec -R): otherwise how many stack pages a run touches depends on the
    caller's environment and the random stack offset (CI, with a larger environment,
    saw 4 against 2 where this machine saw 3 against 2); where a sandbox refuses
    ADDR_NO_RANDOMIZE, the least of the runs stands in. It was 5 more before the
    layout was fixed; each is about 4 µs (doc/performance.md)."""
    cands = [("asm minimum", os.path.join(a.bin, "min") + SAME_ARGV),
             ("clonelab --version", clonelab_bin() + SAME_ARGV)]
    with open(os.devnull, "w") as raw:
        # 30 runs: where the sandbox refuses ADDR_NO_RANDOMIZE, the least of 30 runs
        # with no environment found the asm minimum's 2 and clonelab's 3 (seen: in 9
        # and 11 of 30 runs; each run alike under -R).
        s = run_execs(a, raw, "faults", "page faults", cands, 30, 1, same_start=True)
    for n, _ in cands:
        if len(set(s.faults[n])) > 1:
            print("bench: %s took %s page faults from run to run; the least counts"
                  % (n, sorted(set(s.faults[n]))), file=sys.stderr)
    least = {n: min(s.faults[n]) for n, _ in cands}
    extra = least["clonelab --version"] - least["asm minimum"]
    if extra > 1:
        sys.exit("bench: clonelab --version takes %d page faults, %d more than the asm minimum "
                 "(allowed: 1, .bss's first page): start-up or its first write touches a page "
                 "that linker/clonelab.ld does not put first (see perf record -e page-faults -d)"
                 % (least["clonelab --version"], extra))
    print("bench: clonelab --version takes %d page faults, the asm minimum %d"
          % (least["clonelab --version"], least["asm minimum"]), file=sys.stderr)


def bench_examples(a, raw, status):
    cands = []
    for e in sorted(x for x in status if status[x] == 0):
        cands.append(("%s: clonelab example" % e, os.path.join(examples_dir(), e)))
        cands += [("%s: %s" % (e, label), peer_path(a, d, e)) for label, d in LIBCS]
    s = run_execs(a, raw, "examples", "2. Examples against the same program with a libc",
                  cands, a.rounds, a.ex_batch) if cands else \
        Section("examples", "2. Examples against the same program with a libc")
    s.status = status
    return s


# ---------------------------------------------------- in-process loops (2 and 3)

def bench_loops(a, raw, key, title, cands):
    """cands: [(name, argv)]; each program prints ns per operation."""
    s = Section(key, title)
    for rnd, order in shuffles(cands, a.rounds):
        for name, argv in order:
            v = float(run_out(argv).split()[0])
            raw.write("%s %s %d %.0f\n" % (key, name.replace(" ", "_"), rnd, v))
            s.add(name, rnd, v)
    s.order = [n for n, _ in cands]     # as given, not as run
    return s


def bench_threads(a, raw):
    b, n = a.bin, str(a.thread_n)
    return bench_loops(a, raw, "thread", "3. Thread create + join", [
        ("clonelab cl_thread_spawn/join", [os.path.join(b, "free", "thr_cl"), n]),
        ("floor: raw clone, one stack", [os.path.join(b, "free", "thr_floor"), n]),
        ("glibc pthread, default attr", [os.path.join(b, "glibc-dyn", "thr_pthread"), n]),
        ("glibc pthread, 64 KiB stack", [os.path.join(b, "glibc-dyn", "thr_pthread"), n, "65536"]),
        ("musl pthread", [os.path.join(b, "musl-static", "thr_pthread"), n]),
    ])


def bench_procs(a, raw):
    b, n, m = a.bin, str(a.fork_n), str(a.spawn_n)
    target = os.path.join(b, "min")
    return bench_loops(a, raw, "process", "4. Process create + wait", [
        ("clonelab cl_fork (tiny binary)", [os.path.join(b, "free", "proc_cl"), n]),
        ("glibc fork+waitpid (dynamic)", [os.path.join(b, "glibc-dyn", "proc_fork"), n]),
        ("musl fork+waitpid (static)", [os.path.join(b, "musl-static", "proc_fork"), n]),
        ("clonelab cl_spawn + execve", [os.path.join(b, "free", "spawn_cl"), target, m]),
        ("glibc posix_spawn (dynamic)", [os.path.join(b, "glibc-dyn", "spawn_posix"), target, m]),
    ])


# ------------------------------------------------------ 4. clone to first instruction

def bench_clat(a, raw):
    exe = os.path.join(a.bin, "free", "clat")
    cfgs = [("thread", "same"), ("thread", "any"), ("process", "same"), ("process", "any")]
    samples = {}
    for rnd, order in shuffles(cfgs, a.clat_rounds):
        for kind, where in order:
            for line in run_out([exe, kind, where, str(a.clat_n)]).splitlines():
                pc, cc, ns = (int(x) for x in line.split())
                raw.write("clat %s %s %d %d %d %d\n" % (kind, where, rnd, pc, cc, ns))
                if where == "same":
                    label = "same CPU"
                elif pc != cc and pc >= 0 and cc >= 0:
                    label = "another CPU"
                else:
                    continue        # unpinned but landed on the same CPU: not this row
                samples.setdefault((kind, label), []).append(ns)
    return samples


def count_path(lines, start, stops):
    """Walk the child's path from the instruction after the syscall at index start:
    branches on a zero result (jz/je/cbz: the child's rax/x0 is 0) are taken, other
    conditional branches not (the aligned-stack case), unconditional ones followed.
    Returns (count of instructions before the first stop, the stop's text)."""
    addr_idx = {ad: i for i, (ad, _, _) in enumerate(lines)}
    i, n = start + 1, 0
    for _ in range(200):
        if i >= len(lines):
            return None, None
        ad, mn, ops = lines[i]
        if any(stop(mn, ops) for stop in stops):
            return n, (mn + " " + ops).strip()
        n += 1
        m = re.search(r"\b([0-9a-f]+) <", ops)
        tgt = int(m.group(1), 16) if m else None
        if mn in ("jz", "je", "cbz", "beqz") and tgt in addr_idx:
            i = addr_idx[tgt]
        elif mn in ("jmp", "b", "j") and tgt in addr_idx:
            i = addr_idx[tgt]
        else:
            i += 1
    return None, None


def disasm(objs, arch, out_dir):
    """Link the trampoline objects into one throwaway executable (each routine has
    its own section, so branches between them are only resolved by a link), then
    disassemble it: {function: [(address, mnemonic, operands)]}."""
    pre = "" if arch == HOST else arch + "-linux-gnu-"
    tool, ld = pre + "objdump", pre + "ld"
    if not shutil.which(tool) or not shutil.which(ld) or not all(map(os.path.exists, objs)):
        return {}
    obj = os.path.join(out_dir, "trampolines-%s" % arch)
    r = subprocess.run([ld, "-e", "0", "--unresolved-symbols=ignore-all", "-z", "noexecstack",
                        "-o", obj] + objs, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        return {}
    flags = ["-d", "--no-show-raw-insn"] + (["-M", "intel"] if arch == "x86_64" else [])
    out = subprocess.run([tool] + flags + [obj], stdout=subprocess.PIPE, text=True).stdout
    funcs, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and cur is not None:
            cur.append((int(m.group(1), 16), m.group(2), m.group(3).split("//")[0].strip()))
    return funcs


def trampoline_counts(out_dir):
    """Instructions the child executes between the clone syscall's return and (a) its
    first timestamp in cl_clone_snap, (b) the call of fn in the lean cl_clone/cl_clone3."""
    rows = []
    for arch in ARCHES:
        if not insns(arch):
            rows.append((arch, "-", "-", "n/a", "arch/%s/tools.txt lacks an *_insn line" % arch))
            continue
        sc, is_ts, is_call = insns(arch)
        objdir = os.path.join(ROOT, "build", arch, "obj", "arch")
        for obj, fns, stop, what in (
                ("snap.o", ("cl_clone_snap", "cl_clone3_snap"), is_ts, "first timestamp"),
                ("clone.o", ("cl_clone", "cl_clone3"), is_call, "call of fn")):
            funcs = disasm([os.path.join(objdir, o) for o in ("clone.o", "snap.o")], arch, out_dir)
            # the functions' code in address order, as one stream (labels fall through)
            allins = sorted((x for f in funcs.values() for x in f), key=lambda x: x[0])
            for fn in fns:
                # NASM's local labels (cl_clone_snap.go) show up as symbols of their own
                body = sorted((x for f, ins in funcs.items() if f == fn or f.startswith(fn + ".")
                               for x in ins), key=lambda x: x[0])
                sys_at = [ad for ad, mn, _ in body if mn == sc]
                if not sys_at:
                    rows.append((arch, fn, what, "n/a", "not found"))
                    continue
                start = next(i for i, x in enumerate(allins) if x[0] == sys_at[0])
                n, stop_text = count_path(allins, start, [stop])
                rows.append((arch, fn, what, "n/a" if n is None else str(n), stop_text or "not found"))
    return rows


# ------------------------------------------------------------- the exec's cost

def elf_nobits(path):
    """Bytes of a 64-bit ELF's PT_LOAD segments that are memory but not file (.bss)."""
    with open(path, "rb") as f:
        h = f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            return None
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    total = 0
    for i in range(phnum):
        typ, _, _, _, _, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
        if typ == 1:
            total += memsz - filesz
    return total


PAD = (("two segments, no padding", "text0k"),
       ("+ 10 KiB of text, untouched", "text10k"), ("+ 10 KiB of text, touched", "text10k-touched"),
       ("+ 100 KiB of text, untouched", "text100k"),
       ("+ 100 KiB of text, touched", "text100k-touched"),
       ("+ 1000 KiB of text, untouched", "text1000k"),
       ("+ 1000 KiB of text, touched", "text1000k-touched"),
       ("+ 568 KiB of .bss, untouched", "bss568k"), ("+ 568 KiB of .bss, touched", "bss568k-touched"),
       ("+ 4 MiB of .bss, untouched", "bss4096k"), ("+ 4 MiB of .bss, touched", "bss4096k-touched"),
       ("asm twin of clonelab --version", "twin"))
# Every candidate gets this one argument (the asm programs ignore it): the kernel's
# copy of argv onto the new stack then costs each of them the same (one more stack
# page touched, or not, depends on how much it writes there).
SAME_ARGV = ",--version"


def exec_cost(a):
    """The exec-cost experiment: what makes one static program's execve + exit dearer
    than another's. The asm minimum, then the same code in clonelab's two-segment
    layout padded with text (file size) or .bss, untouched or touched a byte a page,
    side by side with clonelab --version (and --also candidates)."""
    b = a.bin
    # The control: the same file twice. Its ratio, 1 but for noise, says how far
    # apart two candidates must be to differ.
    cands = [("asm minimum", os.path.join(b, "min") + SAME_ARGV),
             ("asm minimum again (control)", os.path.join(b, "min") + SAME_ARGV)]
    cands += [(name, os.path.join(b, "pad", f) + SAME_ARGV) for name, f in PAD]
    cands.append(("clonelab --version", clonelab_bin() + SAME_ARGV))
    for x in a.also:
        name, spec = x.split("=", 1)
        cands.append((name, spec))
    rounds, batch = (3, 2) if a.quick else (301, 10)
    t0 = time.time()
    with open(os.path.join(a.out, "exec-cost-raw.txt"), "w") as raw:
        s = run_execs(a, raw, "exec-cost", "exec cost", cands, rounds, batch)
    base, ref = "two segments, no padding", "asm minimum"
    rows = []
    for name, spec in cands:
        path = spec.split(",")[0]
        extra = median(s.faults[name]) - median(s.faults[base])
        rows.append((name, "{:,}".format(os.path.getsize(path)), "{:,}".format(elf_nobits(path)),
                     fmt_faults(s.faults[name]), "%+g" % extra,
                     fmt_us(median(list(s.cpu.values[name].values()))),
                     "1" if name == ref else fmt_cell(s.cpu.ratios(name, ref)),
                     "1" if name == base else fmt_cell(s.cpu.ratios(name, base)),
                     fmt_us(median(list(s.values[name].values()))),
                     "1" if name == ref else fmt_cell(s.ratios(name, ref))))
    L = ["### The experiment's table" + (" (QUICK run)" if a.quick else ""), "",
         "Generated by `make bench-exec-cost` on %s: %d rounds of %d runs of each "
         "candidate, in an order shuffled every round; took %.0f s. Page faults: minor "
         "faults per run (wait4's rusage; the asm minimum's two are the kernel's, writing "
         "the new stack), Δ: against the unpadded two-segment program. CPU: the child's "
         "CPU time (user + system) per run; wall: the driver's vfork to wait4, "
         "waiting for a busy CPU included. Ratios: medians of the per-round ratios, "
         "their interquartile range in brackets. Absolute times are this machine's, for "
         "orientation." % (machine(), rounds, batch, time.time() - t0), ""]
    L += table(rows, ["candidate", "file bytes", ".bss bytes", "page faults", "Δ faults",
                      "CPU", "CPU / asm minimum", "CPU / unpadded", "wall",
                      "wall / asm minimum"])
    L.append("")
    md = "\n".join(L)
    open(os.path.join(a.out, "exec-cost.md"), "w").write(md)
    print(md)
    print("bench: wrote %s/exec-cost.md" % a.out, file=sys.stderr)


# ------------------------------------------------------------------- 6. sizes

def sizes(a):
    rows = []
    for arch in ARCHES:
        o = os.path.join(ROOT, "build", arch)
        files = [("clonelab", os.path.join(o, "clonelab"))]
        ex = os.path.join(o, "examples")
        if os.path.isdir(ex):
            files += [("examples/" + e, os.path.join(ex, e)) for e in sorted(os.listdir(ex))]
        files += [("lib/libclonelab.a", os.path.join(o, "lib", "libclonelab.a")),
                  ("lib/crt0.o", os.path.join(o, "lib", "crt0.o"))]
        for name, path in files:
            rows.append((arch, name, os.path.getsize(path) if os.path.exists(path) else None))
    host = platform.machine()
    for name, rel in (("asm minimum (bench)", "min"), ("musl static hello", "musl-static/hello"),
                      ("glibc static hello", "glibc-static/hello"),
                      ("glibc dynamic hello (+ libc.so)", "glibc-dyn/hello")):
        p = os.path.join(a.bin, rel)
        rows.append((host + " peer", name, os.path.getsize(p) if os.path.exists(p) else None))
    return rows


# ------------------------------------------------------------------- report

def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s (%s)" % (cpu, os.cpu_count() or 0, platform.release(),
                                            platform.node())


def table(rows, head):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def report(a, st, ex, th, pr, clat, tramp, sz, elapsed):
    L, goals = [], []
    kind = "QUICK run (smoke test: too short for the figures to mean anything)" if a.quick \
        else "full run"
    L += ["# clonelab benchmarks", "",
          "Machine: %s. %s; %d rounds per comparison, candidates interleaved with the "
          "order shuffled every round. Ratio = candidate / reference inside one round; "
          "median of the per-round ratios, spread = their interquartile range (the "
          "middle half of the rounds). Absolute times are this machine's medians and do "
          "not travel: only the ratios do. Page faults: minor faults per run, from "
          "wait4's rusage (a count, not a time). Where a whole program is timed "
          "(sections 1 and 2), CPU is its CPU time (user + system, from wait4's rusage, "
          "its own children's included) and wall the driver's vfork to wait4: CPU time "
          "leaves out the waits for a CPU that another job holds, so on a shared machine "
          "it is the steadier figure, and the one the goals of those sections judge. "
          "Took %.0f s." % (machine(), kind, a.rounds, elapsed), ""]

    def comp(sec, ref, rows, goal_for):
        out = []
        for name in sec.order:
            vals = list(sec.values[name].values())
            rs = sec.ratios(name, ref)
            r, sp = fmt_ratio(rs)
            g = goal_for(name)
            if sec.cpu:     # a whole program: CPU time judges, wall time is shown
                crs = sec.cpu.ratios(name, ref)
                v = verdict(crs, g)
                if g is not None:
                    goals.append((sec.title.split(":")[0], name + " (CPU)", ref,
                                  fmt_ratio(crs)[0], g, v))
                out.append((name, fmt_faults(sec.faults.get(name)),
                            fmt_us(median(list(sec.cpu.values[name].values()))),
                            "1 (reference)" if name == ref else fmt_cell(crs),
                            fmt_us(median(vals)),
                            "1 (reference)" if name == ref else fmt_cell(rs), v))
                continue
            v = verdict(rs, g)
            if g is not None:
                goals.append((sec.title.split(":")[0], name, ref, r, g, v))
            out.append((name, fmt_us(median(vals)), r if name != ref else "1 (reference)",
                        sp if name != ref else "-", v))
        return out

    L += ["## " + st.title, "", "Each figure: vfork + execve + exit + wait4 from a small "
          "glibc driver (tests/bench/exec.c), %d per candidate per round, each given "
          "the same argument (--version) so that the kernel's copy of argv costs them "
          "alike. Reference: a hand-written one-segment assembly program that only calls "
          "exit_group (tests/bench/min.asm)." % a.batch, ""]
    L += table(comp(st, "asm minimum", None,
                    lambda n: VERSION_GOAL if n == "clonelab --version" else None),
               ["candidate", "page faults", "CPU", "CPU / minimum", "wall", "wall / minimum",
                "goal"])
    L += ["", "The two \"asm +\" rows are the minimum linked with "
          "clonelab's own linker script, with a written word in .data and 8 KiB of .bss, "
          "or with both in .bss: what a second, writable segment costs by itself, and how "
          "much of that is its file-backed part (a segment with no file contents is mapped "
          "anonymous, with no copy-on-write page and no zeroing of a partial file page). "
          "`clonelab --version` makes three system calls (arch_prctl, write, exit_group): "
          "the rest of its cost is the exec, mostly its page faults (doc/performance.md, "
          "\"What an exec costs\").", ""]

    L += ["## " + ex.title, "",
          "Each example (src/examples/) against the same program written with a libc "
          "(tests/bench/ex_<example>.c, built with musl-gcc -static, gcc -static and gcc): "
          "the same clone with the same flags, the same wait, the same lines (checked "
          "before timing: `make bench-check`). Each figure is a whole run: vfork + execve "
          "+ the program's clone, its child, the wait and the output + exit + wait4, %d "
          "per candidate per round, all %d candidates shuffled together. Ratio = the "
          "example's time / this program's, inside each round; CPU judges the goal."
          % (a.ex_batch, len(ex.order)), ""]
    rows = []
    for name in ex.order:
        e, who = name.split(": ", 1)
        path = os.path.join(examples_dir(), e) if who == "clonelab example" else \
            peer_path(a, dict(LIBCS)[who], e)
        mine = "%s: clonelab example" % e
        rs, crs = ex.ratios(mine, name), ex.cpu.ratios(mine, name)
        g = EXAMPLE_GOAL if who == "musl static" else None
        v = verdict(crs, g)
        if g is not None:
            goals.append(("2. Examples", "example %s (CPU)" % e, "%s (same program)" % who,
                          fmt_ratio(crs)[0], g, v))
        rows.append((e, who, "{:,}".format(os.path.getsize(path)),
                     fmt_faults(ex.faults.get(name)),
                     fmt_us(median(list(ex.cpu.values[name].values()))),
                     "-" if name == mine else fmt_cell(crs),
                     fmt_us(median(list(ex.values[name].values()))),
                     "-" if name == mine else fmt_cell(rs), v))
    for e, st_ in sorted(ex.status.items()):
        if st_ != 0:
            rows.append((e, "not timed", "-", "-", "-", "-", "-", "-",
                         "not possible here (the example exits %d)" % st_))
    L += table(rows, ["example", "program", "bytes", "page faults", "CPU",
                      "example / this, CPU", "wall", "example / this, wall", "goal"])
    L += [""]

    floor = "floor: raw clone, one stack"
    glibc_t = "glibc pthread, default attr"
    L += ["## " + th.title, "", "Each program times %d create+join pairs itself (after a "
          "warm-up) and prints ns per pair." % a.thread_n, ""]
    L += table(comp(th, floor, None, lambda n: 1.05 if n.startswith("clonelab") else None),
               ["candidate", "median", "ratio to floor", "spread", "goal"])
    rs = th.ratios("clonelab cl_thread_spawn/join", glibc_t)
    r, sp = fmt_ratio(rs)
    v = verdict(rs, 0.9)
    goals.append((th.title.split(":")[0], "clonelab cl_thread_spawn/join", glibc_t, r, 0.9, v))
    L += ["", "clonelab / glibc pthread (default attr): %s (spread %s): %s" % (r, sp, v), ""]

    L += ["## " + pr.title, "", "Each program times its own loop: fork %d times (the child "
          "exits at once) or spawn %d times a target that only exits (the asm minimum), "
          "waiting for each." % (a.fork_n, a.spawn_n), ""]
    rows = []
    for name, ref, goal in (("clonelab cl_fork (tiny binary)", "glibc fork+waitpid (dynamic)", 0.7),
                            ("musl fork+waitpid (static)", "glibc fork+waitpid (dynamic)", None),
                            ("clonelab cl_spawn + execve", "glibc posix_spawn (dynamic)", 0.7)):
        rs = pr.ratios(name, ref)
        r, sp = fmt_ratio(rs)
        v = verdict(rs, goal)
        if goal is not None:
            goals.append((pr.title.split(":")[0], name, ref, r, goal, v))
        rows.append((name, fmt_us(median(list(pr.values[name].values()))), ref,
                     fmt_us(median(list(pr.values[ref].values()))), r, sp, v))
    L += table(rows, ["candidate", "median", "against", "its median", "ratio", "spread", "goal"])

    L += ["", "## 5. Clone to first instruction", "",
          "Cycle counter read by the parent just before the clone syscall and by the child "
          "as its first act (cl_clone_snap), converted to ns. \"same CPU\": the program is "
          "pinned to one CPU; \"another CPU\": unpinned, the parent spinning (not sleeping) "
          "until the child has run, keeping the samples where the child started on a "
          "different CPU than the parent. On a shared machine the other CPU is often busy "
          "with someone else's work, which the 90th percentile shows. No goal ratio.", ""]
    rows = []
    for kind in ("thread", "process"):
        for where in ("same CPU", "another CPU"):
            xs = clat.get((kind, where), [])
            rows.append((kind, where, len(xs), fmt_us(median(xs)) if xs else "n/a",
                         fmt_us(pct(xs, 90)) if xs else "n/a"))
    L += table(rows, ["clone of a", "child starts on", "samples", "median", "90th percentile"])
    L += ["", "Instructions the child executes after the syscall returns, before its first "
          "timestamp (recording trampolines) or before calling fn (lean trampolines), "
          "counted on the disassembly of the built objects:", ""]
    L += table(tramp, ["arch", "trampoline", "until", "instructions", "stops at"])
    L += ["", "In cl_clone_snap the instructions before the timestamp are the stores of "
          "the registers the counter read overwrites (rax, rdx on x86_64; x1 on aarch64; "
          "t0 on riscv64), so the snapshot still shows the child's registers as the kernel left "
          "them: they add no work between the syscall and the timestamp.", ""]

    L += ["## 6. Size", "", "Bytes on disk, as built (`make bench` builds every "
          "architecture in arch/ARCHES). Peers are host (%s) only: timing under QEMU would "
          "mean little, so no other architecture's libc peers are built. glibc's dynamic hello also needs libc.so "
          "(~2 MB) at run time." % platform.machine(), ""]
    L += table([(arch, name, "{:,}".format(s) if s is not None else "missing")
                for arch, name, s in sz], ["arch", "file", "bytes"])

    L += ["", "## Goals", ""]
    L += table([(sec, name, "/ " + ref, r, "≤ %.2fx" % g, v) for sec, name, ref, r, g, v in goals],
               ["section", "candidate", "against", "median ratio", "goal", "verdict"])
    L.append("")
    return "\n".join(L), goals


VERSION_GOAL = 1.10     # clonelab --version / the asm minimum
EXAMPLE_GOAL = 0.95     # each example / the same program with musl, static


def readme_section(a, results_md, goals, ex):
    L = ["## Benchmarks", "",
         "Generated by `make bench` (tests/bench/) on %s. Only the ratios travel: the "
         "absolute times are this shared, noisy machine's. Ratios are medians of "
         "side-by-side rounds (%d of them); the full table with spreads (interquartile "
         "ranges) is build/bench/results.md." % (machine(), a.rounds),
         ""]
    rows = []
    for e in sorted(ex.status):
        mine = "%s: clonelab example" % e
        if ex.status[e] != 0 or mine not in ex.values:
            rows.append((e, "not possible here", "", ""))
            continue
        rows.append([e] + [fmt_ratio(ex.cpu.ratios(mine, "%s: %s" % (e, who)))[0]
                           for who, _ in LIBCS])
    L += ["Each example (src/examples/, a whole run: exec, clone, wait, output, exit) "
          "against the same program written with a libc (tests/bench/ex_<example>.c), "
          "CPU time of the example / CPU time of the libc program:", ""]
    L += table(rows, ["example"] + ["/ %s" % who for who, _ in LIBCS])
    L += ["", "Goals:", ""]
    L += table([(sec, name, "/ " + ref, r, "≤ %.2fx" % g, v) for sec, name, ref, r, g, v in goals],
               ["section", "candidate", "against", "median ratio", "goal", "verdict"])
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------- validation, README

HEADINGS = ("## 1. Start-up", "## 2. Examples against", "## 3. Thread create",
            "## 4. Process create", "## 5. Clone to first instruction", "## 6. Size", "## Goals")


def validate(path):
    text = open(path).read()
    errs = [h for h in HEADINGS if h not in text]
    errs = ["missing section '%s'" % h for h in errs]
    blocks, cur = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    if len(blocks) < 8:
        errs.append("expected at least 8 tables, found %d" % len(blocks))
    for b in blocks:
        n = b[0].count("|")
        if len(b) < 3:
            errs.append("table with no rows: %s" % b[0])
        if not re.match(r"^\|(---\|)+$", b[1]):
            errs.append("bad separator row under %s" % b[0])
        for row in b:
            if row.count("|") != n:
                errs.append("row with %d cells under a %d-column table: %s" % (row.count("|") - 1, n - 1, row))
    for arch in ARCHES:
        if not re.search(r"^\| %s \| clonelab \| [0-9,]+ \|$" % arch, text, re.M):
            errs.append("no size for %s clonelab" % arch)
    if not re.search(r"^\| x86_64 \| cl_clone_snap \| first timestamp \| \d+ \|", text, re.M):
        errs.append("no instruction count for x86_64 cl_clone_snap")
    for e in example_names():
        if not re.search(r"^\| %s \| (musl static|not timed) \|" % re.escape(e), text, re.M):
            errs.append("section 2 has no row for example %s against musl" % e)
    if re.search(r"\bnan\b", text):
        errs.append("a figure is nan")
    for e in errs:
        print("bench: %s: %s" % (path, e), file=sys.stderr)
    if errs:
        sys.exit(1)
    print("bench: %s is well formed (%d tables)" % (path, len(blocks)))


def readme(readme_path, section_path, exec_cost_path=None):
    text = open(readme_path).read()
    for path, marker in ((section_path, "bench"), (exec_cost_path, "exec-cost")):
        if not path:
            continue
        sec = open(path).read()
        if "QUICK run" in sec:
            sys.exit("bench: %s comes from a QUICK run: run a full one first" % path)
        b, e = "<!-- %s:begin -->" % marker, "<!-- %s:end -->" % marker
        if b not in text or e not in text:
            sys.exit("bench: %s has no %s ... %s markers" % (readme_path, b, e))
        head, rest = text.split(b, 1)
        _, tail = rest.split(e, 1)
        text = head + b + "\n" + sec.rstrip("\n") + "\n" + e + tail
        print("bench: %s updated from %s" % (readme_path, path))
    open(readme_path, "w").write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bench", "bin"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--validate")
    ap.add_argument("--readme")
    ap.add_argument("--section")
    ap.add_argument("--exec-cost-section")
    ap.add_argument("--check-output", action="store_true")
    ap.add_argument("--clonelab", help="the clonelab binary to time (default: build/x86_64's)")
    ap.add_argument("--exec-cost", action="store_true")
    ap.add_argument("--also", action="append", default=[],
                    help="NAME=PATH[,ARG...]: one more candidate for --exec-cost")
    a = ap.parse_args()
    if a.validate:
        return validate(a.validate)
    if a.readme:
        return readme(a.readme, a.section, a.exec_cost_section)
    a.bin = os.path.abspath(a.bin)
    if a.clonelab:
        global CLONELAB
        CLONELAB = os.path.abspath(a.clonelab)
    if a.check_output:
        check_output(a)
        check_faults(a)
        return
    if a.quick:
        a.rounds, a.batch, a.ex_batch, a.thread_n, a.fork_n, a.spawn_n = 3, 5, 2, 200, 50, 30
        a.clat_rounds, a.clat_n = 2, 30
    else:
        # Many short rounds rather than a few long ones: the load that other jobs put
        # on a shared machine changes within a second, and a ratio is only fair when
        # both of its sides ran under the same load, a few milliseconds apart.
        a.rounds, a.batch, a.ex_batch, a.thread_n, a.fork_n, a.spawn_n = 151, 20, 5, 200, 40, 40
        a.clat_rounds, a.clat_n = 20, 200
    os.makedirs(a.out, exist_ok=True)
    if a.exec_cost:
        return exec_cost(a)
    t0 = time.time()
    with open(os.path.join(a.out, "raw.txt"), "w") as raw:
        print("bench: 1/6 start-up", file=sys.stderr)
        st = bench_startup(a, raw)
        print("bench: 2/6 examples against libc peers", file=sys.stderr)
        ex = bench_examples(a, raw, check_output(a))
        print("bench: 3/6 threads", file=sys.stderr)
        th = bench_threads(a, raw)
        print("bench: 4/6 processes", file=sys.stderr)
        pr = bench_procs(a, raw)
        print("bench: 5/6 clone to first instruction", file=sys.stderr)
        clat = bench_clat(a, raw)
    print("bench: 6/6 sizes", file=sys.stderr)
    tramp = trampoline_counts(a.out)
    sz = sizes(a)
    md, goals = report(a, st, ex, th, pr, clat, tramp, sz, time.time() - t0)
    if a.quick:
        md = md.replace("# clonelab benchmarks", "# clonelab benchmarks (QUICK run)", 1)
    open(os.path.join(a.out, "results.md"), "w").write(md)
    sec = readme_section(a, md, goals, ex)
    if a.quick:
        sec = "QUICK run: not for the README.\n\n" + sec
    open(os.path.join(a.out, "readme-section.md"), "w").write(sec)
    print(md)
    print("bench: wrote %s/results.md and readme-section.md" % a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
