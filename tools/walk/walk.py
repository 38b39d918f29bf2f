#!/usr/bin/env python3
"""walk.py: the new task's way back to user space, instruction by instruction, on a
Debian kernel in qemu-system (make walk).

usage: walk.py ARCH [--kernel LABEL] [--scenario thread] [--json] [--raw DIR]

Boots the bed's kernel (arch/<arch>/bed.tab; LABEL picks a kernel of its kernels column,
default the first) under qemu-system with QEMU's gdb stub, runs `clonelab SCENARIO --json`
inside, and with gdb-multiarch (tools/walk/gdbwalk.py) records every instruction the
child executes on its CPU, from its first kernel instruction to its first user one; calls
are stepped through and summarized; the return instruction with what it consumed; the user
registers right after it, held against the trampoline's own snapshot of the same clone.
Where arch/<arch>/tools.txt names the parent's way (walk_parent), the parent's return from
the same clone too.

The guest: nokaslr, busybox; its /init prints the kallsyms entries the walk needs, waits
for a "go" line on its console (written by gdb once its breakpoints are in), runs the
scenario, then names the addresses the walk went through (the host sends them back over
the console) and powers off. QEMU always runs under timeout.
The architecture's facts, from arch/<arch>/tools.txt:
  walk_gdb_arch     gdb's name for the architecture
  walk_entry        the first code a new task runs: the first of these names the guest's
                    kallsyms has (x86_64 6.5 on: ret_from_fork_asm; before: ret_from_fork)
  walk_into         calls the walk steps into, as part of the way (the C ret_from_fork
                    that ret_from_fork_asm calls); every other call is stepped through,
                    counted and summarized
  walk_pt_regs_pc   at walk_entry's first instruction, the user pc in pt_regs is at
                    sp + this (the stack pointer points at the child's pt_regs there)
  walk_pt_regs_ret  and the syscall's return value at sp + this
  walk_calls        the call mnemonics, as gdb disassembles them
  walk_regs         the registers shown when they change (gdb's names)
  walk_user         the snapshot's registers (regs.h), as GDBNAME[=SNAPNAME][/MASK]
  walk_return       the instructions that leave for user mode
  walk_consumed_I   what instruction I takes: reg:R or mem:R+OFF, each =what it becomes
  walk_restore      what marks an instruction that loads registers from the stack (pt_regs),
                    as text in its disassembly ("pop ", "[sp", "(sp)")
  walk_bits         NAME SHIFT WIDTH TEXT: a field of a consumed value worth naming
  walk_step         packet: step with the stub's own vCont;s (a raw packet), not gdb's
                    stepi, where gdb would step in software (riscv: it cannot follow sret)
  walk_parent       CALLEE HOLDER: the parent's way back starts after `call CALLEE` in
                    HOLDER, with its pt_regs at sp (x86_64: do_syscall_64 in
                    entry_SYSCALL_64); none: the child's way only

Exit status: 0 the walk ends at the child's entry with the snapshot's registers;
1 it does not (or the guest or gdb failed); 2 usage; 3 a tool is missing.
"""
import argparse
import atexit
import bisect
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import arches  # noqa: E402

SCENARIOS = ("thread", "fork", "userns", "chimera")
CHILD_ENTRIES = ("cl_snap3_child", "cl_snap_child", "cl_clone_child")

INIT = r"""#!/bin/sh
# /init of make walk's guest (tools/walk/walk.py).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
export PATH=/bin
echo "walk: kernel $(uname -r)"
echo "walk: cmdline $(cat /proc/cmdline)"
grep -E ' (@SYMS@)$' /proc/kallsyms | sed 's/^/walk: sym /'
echo "walk: ready"
read -r go
echo "walk: go"
/clonelab @SCENARIO@ --json >/tmp/out 2>/tmp/err
echo "walk: status $?"
sed 's/^/walk: json /' /tmp/out
sed 's/^/walk: stderr /' /tmp/err
echo "walk: names?"
: >/tmp/q
while read -r a; do [ "$a" = end ] && break; echo "$a" >>/tmp/q; done
# Each address after the last text symbol at or below it (all its names, TYPE:NAME), in one
# pass: the queries come sorted, and so is kallsyms (the kernel's own symbols, by address).
awk 'BEGIN { n = 0; i = 0 }
     NR == FNR { if ($1 != "") q[n++] = $1; next }
     $2 ~ /^[tTwW]$/ { while (i < n && q[i] < $1) { print "walk: name " q[i] " " s " " f; i++ }
                       if ($1 == s) f = f "," $2 ":" $3; else { s = $1; f = $2 ":" $3 } }
     END { while (i < n) { print "walk: name " q[i] " " s " " f; i++ } }' /tmp/q /proc/kallsyms
echo "walk: done"
poweroff -f
"""


def facts(arch):
    """arch/<arch>/tools.txt: {name: [words]}."""
    f = {}
    for line in open(os.path.join(ROOT, "arch", arch, "tools.txt")):
        line = line.split("#")[0].split()
        if line and line[0] == "walk_bits":
            f.setdefault("walk_bits", []).append(line[1:])
        elif line:
            f[line[0]] = line[1:]
    return f


class WalkError(Exception):
    """The walk could not be made (exit status 1; 2 usage; 3 a tool missing)."""

    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


def die(msg, code=1):
    raise WalkError(msg, code)


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw).stdout


def fetch(arch, label):
    row = arches.table()[arch]
    beds = arches.system_beds(arch)
    if label is not None and os.sep in label:
        # A kernel file, not a label (kernels not in bed.tab, e.g. for a try).
        if not os.path.exists(label):
            die(f"no kernel file {label}", 2)
        kernel, bed = os.path.abspath(label), f"file:{label}"
        bb = row["busybox"]
        try:
            busybox = run(["tests/system/fetch-deb.sh", "--suite", bb[0], arch, bb[1], bb[2]]).splitlines()[-1]
        except subprocess.CalledProcessError as e:
            die(f"fetching busybox failed:\n{e.stderr}")
        return bed, kernel, busybox, None
    if label is None:
        bed = beds[0][0]
    else:
        match = [b for b, lab, _ in beds if lab == label]
        if not match:
            die(f"{arch} has no kernel '{label}' (bed.tab: {' '.join(l for _, l, _ in beds)})", 2)
        bed = match[0]
    try:
        kernel = run(["tests/system/fetch-kernel.sh", bed]).splitlines()[-1]
        bb = row["busybox"]
        busybox = run(["tests/system/fetch-deb.sh", "--suite", bb[0], arch, bb[1], bb[2]]).splitlines()[-1]
    except subprocess.CalledProcessError as e:
        die(f"fetching the kernel or busybox failed:\n{e.stderr}")
    return bed, kernel, busybox, None


def symbols_of(elf, names):
    """{name: address} of the debug copy's symbols."""
    nm = shutil.which(os.environ.get("NM", "nm"))
    got = {}
    for line in run([nm, elf]).splitlines():
        p = line.split()
        if len(p) == 3 and p[2] in names:
            got[p[2]] = int(p[0], 16)
    return got


class Console:
    """The guest's serial console, read as it comes (a thread), one clean line a list."""

    def __init__(self, proc, log):
        self.lines, self.cv, self.proc = [], threading.Condition(), proc
        self.log = open(log, "w")
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        buf = b""
        for chunk in iter(lambda: self.proc.stdout.read1(4096), b""):
            self.log.write(chunk.decode("utf-8", "replace"))
            self.log.flush()
            buf += chunk
            *done, buf = re.split(rb"\r?\n|\r|\x1bc", buf)
            with self.cv:
                for d in done:
                    self.lines.append(re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", d.decode("utf-8", "replace")))
                self.cv.notify_all()
        with self.cv:
            self.lines.append(None)  # the end
            self.cv.notify_all()

    def wait(self, pred, seconds):
        """The first line (from the start) for which pred is true, or None at the end/timeout."""
        end = time.monotonic() + seconds
        i = 0
        with self.cv:
            while True:
                while i < len(self.lines):
                    if self.lines[i] is None:
                        return None
                    if pred(self.lines[i]):
                        return self.lines[i]
                    i += 1
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def tagged(self, tag):
        with self.cv:
            p = f"walk: {tag} "
            return [ln[len(p):] for ln in self.lines if ln and ln.startswith(p)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def walk(a):
    t_start = time.monotonic()
    arch = a.arch
    for tool in ("gdb-multiarch", "timeout"):
        if not shutil.which(tool):
            die(f"{tool} is missing (tests/deps.sh installs it)", 3)
    row = arches.table()[arch]
    if not shutil.which(row["qemu"][0]):
        die(f"{row['qemu'][0]} is missing (package {row['pkg']}; tests/deps.sh)", 3)
    f = facts(arch)
    prog = os.path.join(ROOT, "build", arch, "clonelab")
    debug = os.path.join(ROOT, "build", arch, "debug", "clonelab")
    for p in (prog, debug):
        if not os.path.exists(p):
            die(f"{p} is missing: make ARCH={arch}", 2)
    if arch != os.uname().machine and not os.environ.get("NM"):
        os.environ["NM"] = f"{arch}-linux-gnu-nm"
    child_syms = symbols_of(debug, CHILD_ENTRIES)
    bed, kernel, busybox, _ = fetch(arch, a.kernel)

    tmp = tempfile.mkdtemp(prefix="clonelab-walk.")  # the initramfs, gdb's config, the fifo
    raw = a.raw or tmp
    if a.raw:  # the results go to --raw: the scratch never outlives us, whatever happens
        atexit.register(shutil.rmtree, tmp, True)
    os.makedirs(raw, exist_ok=True)
    for old in ("gdb.json", "meta.json", "gdb.log"):  # never judge a previous walk's files
        if os.path.exists(os.path.join(raw, old)):
            os.remove(os.path.join(raw, old))
    want = f["walk_entry"] + f.get("walk_into", []) + f.get("walk_parent", [])
    with open(os.path.join(tmp, "init"), "w") as fh:
        fh.write(INIT.replace("@SYMS@", "|".join(sorted(set(want)))).replace("@SCENARIO@", a.scenario))
    os.chmod(os.path.join(tmp, "init"), 0o755)
    cpio = os.path.join(tmp, "walk.cpio")
    run([sys.executable, "tests/system/mkinitramfs.py", cpio, "--init", os.path.join(tmp, "init"),
         "--add", f"{prog}:/clonelab", "--busybox", busybox])
    fifo = os.path.join(tmp, "console.in")
    os.mkfifo(fifo)
    port = free_port()
    qemu = (["timeout", "-k", "5", str(a.timeout)] + row["qemu"] +
            ["-accel", "tcg,thread=single", "-smp", "2", "-m", "512", "-nic", "none",
             "-nographic", "-no-reboot", "-gdb", f"tcp:127.0.0.1:{port}",
             "-kernel", kernel, "-initrd", cpio,
             "-append", f"console={row['console']} panic=-1 quiet nokaslr"])
    fin = os.open(fifo, os.O_RDWR)  # read-write: opening never blocks, and QEMU never sees EOF
    proc = subprocess.Popen(qemu, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    con = Console(proc, os.path.join(raw, "console.log"))
    try:
        if con.wait(lambda ln: ln == "walk: ready", a.timeout) is None:
            die(f"the guest never became ready; console: {os.path.join(raw, 'console.log')}")
        t_ready = time.monotonic()
        ksyms = {}
        for ln in con.tagged("sym"):
            p = ln.split()
            if len(p) >= 3:
                ksyms.setdefault(p[2], int(p[0], 16))
        entry = next((n for n in f["walk_entry"] if n in ksyms), None)
        if entry is None:
            die(f"none of {' '.join(f['walk_entry'])} in the guest's kallsyms")
        cfg = {
            "port": port, "fifo": fifo, "gdb_arch": f["walk_gdb_arch"][0],
            "entry": hex(ksyms[entry]), "entry_name": entry,
            "into": [hex(ksyms[n]) for n in f.get("walk_into", []) if n in ksyms and n != entry],
            "child_entries": {hex(v): k for k, v in child_syms.items()},
            "pt_regs_pc": int(f["walk_pt_regs_pc"][0], 0),
            "pt_regs_ret": int(f["walk_pt_regs_ret"][0], 0) if "walk_pt_regs_ret" in f else None,
            "calls": f["walk_calls"], "returns": f["walk_return"], "regs": f["walk_regs"],
            "user_regs": [u.split("=")[0].split("/")[0] for u in f["walk_user"]],
            "consumed": {k[len("walk_consumed_"):]: v for k, v in f.items() if k.startswith("walk_consumed_")},
            "seconds": max(10, a.timeout - 30),
            "step": (f.get("walk_step") or ["stepi"])[0],
        }
        if "walk_parent" in f and not a.no_parent:
            cfg["parent_at"] = parent_site(f, ksyms, arch, kernel)
        cfgf = os.path.join(tmp, "cfg.json")
        json.dump(cfg, open(cfgf, "w"))
        gout = os.path.join(raw, "gdb.json")
        env = dict(os.environ, WALK_CFG=cfgf, WALK_OUT=gout)
        t_gdb = time.monotonic()
        g = subprocess.run(["timeout", "-k", "5", str(a.timeout), "gdb-multiarch", "-q", "-nx", "-batch",
                            "-ex", "set debuginfod enabled off", "-x", os.path.join(HERE, "gdbwalk.py")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        open(os.path.join(raw, "gdb.log"), "w").write(g.stdout)
        t_walk = time.monotonic() - t_gdb
        if not os.path.exists(gout):
            die(f"gdb wrote no result (exit {g.returncode}):\n{g.stdout[-2000:]}")
        w = json.load(open(gout))
        # Name the addresses: ask the guest, over its console, once it runs again.
        if con.wait(lambda ln: ln == "walk: names?", 60) is None:
            w["error"] = (w.get("error") or "") + " the guest did not finish the scenario"
        else:
            addrs = sorted(collect_addrs(w))
            with open(fifo, "w") as fh:
                fh.write("".join(f"{x:016x}\n" for x in addrs) + "end\n")
            if con.wait(lambda ln: ln == "walk: done", 120) is None:
                w["error"] = (w.get("error") or "") + " the guest did not name the addresses"
        meta = {"arch": arch, "bed": bed, "scenario": a.scenario, "entry": entry,
                "child_entries": {k: hex(v) for k, v in child_syms.items()},
                "seconds": {"walk": w.get("walk_seconds"), "parent_walk": w.get("parent_seconds"),
                            "gdb": round(t_walk, 3), "boot": round(t_ready - t_start, 3)}}
        with open(os.path.join(raw, "meta.json"), "w") as fh:
            json.dump(meta, fh)
        with open(gout, "w") as fh:
            json.dump(w, fh)
    finally:
        try:  # the guest powers off by itself after "walk: done"
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(fin)
        con.log.close()
    result = judge(raw)
    result["seconds"]["total"] = round(time.monotonic() - t_start, 3)
    if not a.raw:  # the results were in it; with --raw, atexit removes the scratch
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def best_name(aliases):
    """One name among those at an address (TYPE:NAME,...): not a linker marker (__...), a
    global one (T) before a local one, else the first. 6.1's
    swapgs_restore_regs_and_return_to_usermode shares its address with
    common_interrupt_return and __irqentry_text_end."""
    got = [a.split(":", 1) for a in aliases.split(",") if ":" in a]
    if not got:
        return aliases
    order = sorted(range(len(got)), key=lambda i: (got[i][1].startswith("__"), got[i][0] not in "TW", i))
    return got[order[0]][1]


def judge(raw):
    """The result, from a walk's raw files (meta.json, gdb.json, console.log): what
    walk.py --from DIR shows again, and what the tests alter to see the verdict fail."""
    meta = json.load(open(os.path.join(raw, "meta.json")))
    w = json.load(open(os.path.join(raw, "gdb.json")))
    text_ = open(os.path.join(raw, "console.log"), errors="replace").read()
    lines = [re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", ln) for ln in re.split(r"\r?\n|\r|\x1bc", text_)]

    def tagged(tag):
        p = f"walk: {tag} "
        return [ln[len(p):] for ln in lines if ln.startswith(p)]

    ksyms = {}
    for ln in tagged("sym"):
        p = ln.split()
        if len(p) >= 3:
            ksyms.setdefault(p[2], int(p[0], 16))
    names = {}
    for ln in tagged("name"):
        p = ln.split()
        if len(p) == 3:
            names[int(p[0], 16)] = (best_name(p[2]), int(p[0], 16) - int(p[1], 16))
    try:
        snap = json.loads("".join(tagged("json")))
    except ValueError:
        snap = None
    kv = tagged("kernel")
    child_syms = {k: int(v, 16) for k, v in meta["child_entries"].items()}
    result = {"arch": meta["arch"], "bed": meta["bed"], "kernel": kv[0] if kv else None,
              "scenario": meta["scenario"]}
    result.update(build_result(meta["arch"], facts(meta["arch"]), w, names, snap, child_syms,
                               tagged("status"), ksyms, meta["entry"]))
    result["seconds"] = dict(meta["seconds"])
    return result


def parent_site(f, ksyms, arch, kernel):
    """"HOLDER:CALLEE": the gdb script finds the instruction after `call CALLEE` in
    HOLDER's code, read from the guest."""
    callee, holder = f["walk_parent"]
    if callee not in ksyms or holder not in ksyms:
        return None
    return f"{ksyms[holder]:#x}:{ksyms[callee]:#x}"


def collect_addrs(w):
    s = {t[0] for t in w.get("trace_tail", []) if t[0]}
    for part in (w, w.get("parent") or {}):
        for st in part.get("steps", []):
            s.add(st["pc"])
        for c in part.get("calls", []):
            s.add(c["target"])
            s.update(int(k) for k in c["callees"])
    return s


def hx(v):
    return None if v is None else f"{v:#x}"


def build_result(arch, f, w, names, snap, child_syms, status, ksyms, entry):
    def name(a):
        if a is None:
            return None
        if a < 2**63:
            n = next((k for k, v in child_syms.items() if v == a), None)
            return n or "user"
        if a not in names:
            return None
        n, off = names[a]
        return f"{n}+{off:#x}" if off else n

    def steps_of(part):
        out = []
        for st in part.get("steps", []):
            s = {"pc": hx(st["pc"]), "symbol": name(st["pc"]), "cpu": st["cpu"], "insn": st["asm"],
                 "sp": hx(st.get("sp")),
                 "changed": {r: hx(v) for r, v in st["changed"].items()}}
            if "call" in st:
                s["call"] = st["call"]
            out.append(s)
        return out

    def calls_of(part):
        out = []
        for c in part.get("calls", []):
            callees = [(int(k), v) for k, v in c["callees"].items()]  # in the order first called
            out.append({"name": name(c["target"]), "address": hx(c["target"]), "at": hx(c["at"]),
                        "instructions": c["instructions"], "cpu": c["cpu"],
                        "switched_out": c.get("switched_out") or [],
                        "calls": [{"name": name(k), "times": v} for k, v in callees]})
        return out

    def ret_of(r):
        if not r:
            return None, None
        cons = {k: {"from": v["from"], "value": hx(v["value"])} for k, v in (r["consumed"] or {}).items()}
        for name_, shift, width, *words in f.get("walk_bits", []):
            v = (r["consumed"] or {}).get(name_, {}).get("value")
            if v is not None:
                cons[name_]["field"] = {"bits": f"{int(shift) + int(width) - 1}:{shift}",
                                        "value": (v >> int(shift)) & ((1 << int(width)) - 1),
                                        "meaning": " ".join(words)}
        return {"pc": hx(r["pc"]), "symbol": name(r["pc"]), "insn": r["asm"]}, cons

    def restored(steps, base):
        """The registers the exit path loads from pt_regs: each instruction that reads the
        stack (walk_restore) while sp is within pt_regs (from where sp was when the walk
        began: a C function's own pops are below it), and what it set (the stack pointer
        only when it is the user's)."""
        marks = f.get("walk_restore", [])
        got = []
        for i, st in enumerate(steps):
            if base is None or st.get("sp") is None or not base <= st["sp"] < base + 512:
                continue
            if any(m in st["asm"] for m in marks):
                for r, v in st["changed"].items():
                    if r not in ("rsp", "sp") or v < 2**63:
                        got.append({"register": r, "value": hx(v), "step": i + 1})
        return got

    ret, cons = ret_of(w.get("return"))
    ur = w.get("user_regs") or {}
    user_regs = {g: hx(ur.get(g)) for g in ur}
    # The trampoline's snapshot of the same clone, register by register.
    snapregs = ((snap or {}).get("regs") or {}).get("child")
    compare, matches = [], None
    if snapregs is not None and ur:
        matches = True
        for spec in f["walk_user"]:
            m = re.match(r"([^=/]+)(?:=([^/]+))?(?:/(.+))?$", spec)
            g, sn, mask = m.group(1), m.group(2) or m.group(1), int(m.group(3) or "-1", 0) & (2**64 - 1)
            sv = snapregs.get(sn)
            gv = ur.get(g)
            sv = None if sv is None else int(sv, 16)
            eq = sv is not None and gv is not None and (sv & mask) == (gv & mask)
            matches = matches and eq
            compare.append({"register": sn, "walk": hx(gv), "snapshot": hx(sv),
                            "mask": hx(mask) if mask != 2**64 - 1 else None, "equal": eq})
    end_pc = w.get("end_pc")
    ends_at = name(end_pc) if end_pc is not None and end_pc < 2**63 else None
    res = {
        "kernel_entry": entry, "child_cpu": w.get("child_cpu"),
        "steps": steps_of(w), "calls": calls_of(w),
        "restored": restored(w.get("steps", []), w.get("child_pt_regs_at")),
        "return_instruction": ret, "consumed": cons,
        "user_regs": user_regs, "user_cpu": w.get("user_cpu"),
        "ends_at": {"pc": hx(end_pc), "symbol": ends_at},
        "snapshot": compare, "matches_snapshot": matches,
        "scenario_status": int(status[0]) if status else None,
        "error": w.get("error"),
        "trace_tail": [{"pc": hx(t[0]), "symbol": name(t[0]), "sp": hx(t[1]), "insn": t[2]}
                       for t in w.get("trace_tail", [])],
        "hits": [{"pc": hx(h["pc"]), "cpu": h["cpu"], "user_pc": hx(h["user_pc"]),
                  "ours": h.get("ours")} for h in w.get("hits", [])],
    }
    p = w.get("parent")
    if p:
        pret, pcons = ret_of(p.get("return"))
        res["parent"] = {"steps": steps_of(p), "calls": calls_of(p), "restored": restored(p.get("steps", []), p.get("pt_regs_at")),
                         "return_instruction": pret,
                         "consumed": pcons, "cpu": p.get("cpu"),
                         "ends_at": {"pc": hx(p.get("end_pc")), "symbol": name(p.get("end_pc"))},
                         "user_regs": {g: hx(v) for g, v in (p.get("user_regs") or {}).items()},
                         "error": p.get("error")}
    else:
        res["parent"] = None
    res["ok"] = bool(ends_at in CHILD_ENTRIES and matches and not res["error"])
    return res


def text(r):
    L = []
    L.append(f"the child's way back to user space ({r['arch']}, {r['kernel'] or 'kernel not seen'}, "
             f"clonelab {r['scenario']}; make walk)")
    L.append("")
    others = sum(1 for h in r["hits"] if not h["ours"])
    L.append(f"  caught at {r['kernel_entry']} on CPU {r['child_cpu']}, the first kernel instruction of the new task;")
    L.append(f"  {others} earlier stop(s) were other tasks or other syscalls (their pt_regs' user pc is not the trampoline's child entry)")
    L.append("")
    L.append("  step  address             symbol                                       instruction                              registers it changed")
    L += steps_text(r["steps"], r["calls"])
    L.append("")
    L += ret_text(r)
    if r.get("parent"):
        p = r["parent"]
        L.append("")
        L.append(f"the parent's way back from the same clone (CPU {p['cpu']}), for contrast:")
        L += steps_text(p["steps"], p["calls"])
        L += restored_text(p.get("restored"))
        if p["return_instruction"]:
            L.append(f"  left with {p['return_instruction']['insn']}, which consumed:")
            for k, v in (p["consumed"] or {}).items():
                L.append(f"    {k:<8} {v['value'] or 'not seen':>18}  from {v['from']}")
                if "field" in v:
                    L.append(f"{'':14}bits {v['field']['bits']} = {v['field']['value']}: {v['field']['meaning']}")
        L.append(f"  first user instruction: {p['ends_at']['pc']} {p['ends_at']['symbol'] or ''}")
    L.append("")
    L.append(f"  walk {r['seconds']['walk']} s in gdb; boot {r['seconds']['boot']} s; "
             + (f"total {r['seconds']['total']} s" if "total" in r["seconds"] else "total not timed (--from)"))
    if r["error"]:
        L.append(f"  error: {r['error']}")
    L.append(f"  verdict: {'ok' if r['ok'] else 'FAILED'}: the walk ends at "
             f"{r['ends_at']['symbol'] or r['ends_at']['pc']}, registers "
             f"{'equal to' if r['matches_snapshot'] else 'NOT equal to' if r['matches_snapshot'] is False else 'not compared with'}"
             f" the snapshot")
    return "\n".join(L)


def steps_text(steps, calls):
    L = []
    for i, s in enumerate(steps):
        ch = " ".join(f"{k}={v}" for k, v in s["changed"].items())
        L.append(f"  {i + 1:3} {s['pc']:>18}  {s['symbol'] or '?':<44} {s['insn']:<40} {ch}".rstrip())
        if "call" in s:
            c = calls[s["call"]]
            inner = ", ".join(f"{x['name']}" + (f" x{x['times']}" if x["times"] > 1 else "") for x in c["calls"][:8])
            more = f", ... ({len(c['calls'])} in all)" if len(c["calls"]) > 8 else ""
            L.append(f"{'':26}-> {c['name']}: {c['instructions']} instructions on CPU {c['cpu']}"
                     + (f"; it calls {inner}{more}" if inner else ""))
            for sw in c["switched_out"]:
                L.append(f"{'':26}   switched out after {sw['after']} of them (CPU {sw['cpu']} ran other tasks,"
                         f" not stepped); back on CPU {sw.get('back_on_cpu')}")
    return L


def restored_text(rest):
    if not rest:
        return ["  registers restored from pt_regs: not seen"]
    L, line = ["  registers loaded from pt_regs on the way out, in order (those it changed):"], "   "
    for x in rest:
        item = f" {x['register']}={x['value']}"
        if len(line) + len(item) > 100:
            L.append(line)
            line = "   "
        line += item
    return L + [line]


def ret_text(r):
    L = restored_text(r.get("restored")) + [""]
    ri = r["return_instruction"]
    if ri:
        L.append(f"  the return: {ri['insn']} at {ri['pc']} ({ri['symbol']}), which consumed:")
        for k, v in (r["consumed"] or {}).items():
            L.append(f"    {k:<8} {v['value'] or 'not seen':>18}  from {v['from']}")
            if "field" in v:
                L.append(f"{'':14}bits {v['field']['bits']} = {v['field']['value']}: {v['field']['meaning']}")
    else:
        L.append("  the return instruction: not seen")
    L.append("")
    L.append(f"  first user instruction: {r['ends_at']['pc']} {r['ends_at']['symbol'] or ''} on CPU {r['user_cpu']}")
    L.append("  user registers right after it, against the trampoline's snapshot (clonelab --json):")
    for c in r["snapshot"]:
        mark = "equal" if c["equal"] else "DIFFERENT"
        mask = f" (bits {c['mask']})" if c["mask"] else ""
        L.append(f"    {c['register']:<10} {c['walk'] or 'not seen':>18} {c['snapshot'] or 'not seen':>18}  {mark}{mask}")
    if not r["snapshot"]:
        L.append("    not compared: no snapshot seen")
    return L


def main():
    # Killed politely (timeout, Ctrl-C): the finally clauses end the guest, never left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("arch", nargs="?", choices=arches.arches_here())
    ap.add_argument("--all", action="store_true",
                    help="every kernel of every architecture (bed.tab's kernels column), one after the other")
    ap.add_argument("--kernel", help="a LABEL of bed.tab's kernels column (default: the first), "
                    "or the path of a kernel file")
    ap.add_argument("--scenario", default="thread", choices=SCENARIOS)
    ap.add_argument("--json", action="store_true", help="one JSON object")
    ap.add_argument("--raw", help="keep the console log, gdb's log and its raw result in this folder")
    ap.add_argument("--timeout", type=int, default=240, help="seconds for the whole guest (default 240)")
    ap.add_argument("--no-parent", action="store_true", help="the child's way only")
    ap.add_argument("--from", dest="from_", metavar="DIR",
                    help="no guest: judge and show again the walk kept in DIR by --raw")
    a = ap.parse_args()
    if a.from_:
        r = judge(a.from_)
        print(json.dumps(r) if a.json else text(r))
        sys.exit(0 if r["ok"] else 1)
    if a.all == bool(a.arch):
        ap.error("name one ARCH, or --all")
    if not a.all:
        try:
            r = walk(a)
        except WalkError as e:
            print(f"walk: {e}", file=sys.stderr)
            sys.exit(e.code)
        print(json.dumps(r) if a.json else text(r))
        sys.exit(0 if r["ok"] else 1)
    results = []
    for arch in arches.arches_here():
        for bed, label, _ in arches.system_beds(arch):
            a.arch, a.kernel = arch, label
            try:
                r = walk(a)
            except WalkError as e:
                r = {"arch": arch, "bed": bed, "kernel": None, "ok": False, "error": str(e), "steps": [],
                     "return_instruction": None, "seconds": {"walk": None}}
                print(f"walk: {bed}: {e}", file=sys.stderr)
                results.append(r)
                continue
            results.append(r)
            if not a.json:
                print(text(r) + "\n", flush=True)
    bad = [f"{r['bed']}" for r in results if not r["ok"]]
    if a.json:
        print(json.dumps({"walks": results, "failed": bad}))
    else:
        for r in results:
            print(f"{r['bed']:<22} {r['kernel'] or '?':<28} {len(r['steps']):4} instructions, "
                  f"{r['return_instruction']['insn'] if r['return_instruction'] else 'no return seen':<8} "
                  f"{r['seconds']['walk']} s  {'ok' if r['ok'] else 'FAILED'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
