#!/usr/bin/env python3
"""walk_check.py ARCH...: the walk bed (tests/check.sh walk), as TAP.

For each ARCH, one walk (tools/walk/walk.py ARCH: the bed's first kernel, clonelab thread;
the walks side by side, WALK_JOBS at a time, default 3):
ok if it ends at the trampoline's child entry with every register equal to the snapshot
that the trampoline took of the same clone, and the return instruction was seen. Then,
on the first walk that passed, the verdict itself is held to failing: walk.py --from judges
the kept walk again, unaltered (must pass), with its last instruction's address moved
(the walk ends elsewhere: must fail) and with one user register changed (must fail).
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WALK = os.path.join(ROOT, "tools", "walk", "walk.py")
n = 0


def tap(ok, name, diag=()):
    global n
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} {name}")
    for d in diag:
        for line in str(d).splitlines():
            print(f"# {line}")
    sys.stdout.flush()


def judge(raw):
    p = subprocess.run([sys.executable, WALK, "--from", raw, "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        return p.returncode, {"error": p.stderr[-500:]}


def main():
    arches = sys.argv[1:]
    print(f"1..{len(arches) + 3}")
    tmp = tempfile.mkdtemp(prefix="clonelab-walk-check.")
    kept = None
    try:
        # The walks run side by side (WALK_JOBS, default 3): each guest is one TCG thread,
        # and most of a walk is its guest booting.
        def one(arch):
            cmd = [sys.executable, WALK, arch, "--json", "--raw", os.path.join(tmp, arch)]
            try:
                return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
            except subprocess.TimeoutExpired:  # walk.py's own guest timeout should come first
                return subprocess.CompletedProcess(cmd, 124, "", "walk.py did not end within 600 s")
        with concurrent.futures.ThreadPoolExecutor(int(os.environ.get("WALK_JOBS", "3"))) as pool:
            done = list(pool.map(one, arches))
        for arch, p in zip(arches, done):
            raw = os.path.join(tmp, arch)
            try:
                r = json.loads(p.stdout)
            except ValueError:
                tap(False, f"walk {arch}: no result (exit {p.returncode})", [p.stderr[-1500:]])
                continue
            ret = (r.get("return_instruction") or {}).get("insn")
            regs = [c for c in r.get("snapshot", [])]
            same = sum(1 for c in regs if c["equal"])
            ok = (p.returncode == 0 and r["ok"] and r["ends_at"]["symbol"] in
                  ("cl_snap3_child", "cl_snap_child", "cl_clone_child") and ret and regs and same == len(regs))
            name = (f"walk {arch} ({r['bed']}, {r['kernel']}): {len(r['steps'])} instructions from "
                    f"{r['kernel_entry']} to {r['ends_at']['symbol'] or r['ends_at']['pc']} by {ret or 'no return seen'}; "
                    f"{same} of {len(regs)} registers equal to the snapshot")
            diag = [f"walk {r['seconds'].get('walk')} s in gdb, boot {r['seconds'].get('boot')} s, "
                    f"total {r['seconds'].get('total')} s"]
            if not ok:
                diag += [f"error: {r.get('error')}"]
                diag += [f"{c['register']}: walk {c['walk']} snapshot {c['snapshot']}" for c in regs if not c["equal"]]
                diag += [f"last: {t['pc']} {t['symbol']} {t['insn']}" for t in r.get("trace_tail", [])[-8:]]
                diag += [p.stderr[-1000:]]
            tap(ok, name, diag)
            if ok and kept is None:
                kept = raw
        # The verdict can fail: the same walk, judged again with one fact changed.
        if kept is None:
            for what in ("unaltered", "ends elsewhere", "a register differs"):
                tap(False, f"walk --from ({what}): no walk passed to judge again")
            return
        rc, r = judge(kept)
        tap(rc == 0 and r.get("ok"), "walk --from: the kept walk, judged again unaltered, passes",
            [] if rc == 0 else [json.dumps(r)[:800]])

        def altered(change):
            d = tempfile.mkdtemp(dir=tmp)
            for f in ("meta.json", "gdb.json", "console.log"):
                shutil.copy(os.path.join(kept, f), d)
            w = json.load(open(os.path.join(d, "gdb.json")))
            change(w)
            json.dump(w, open(os.path.join(d, "gdb.json"), "w"))
            return judge(d)

        def elsewhere(w):
            w["end_pc"] += 4
        rc, r = altered(elsewhere)
        tap(rc == 1 and r.get("ok") is False and r["ends_at"]["symbol"] not in ("cl_snap3_child", "cl_snap_child"),
            "walk --from: a walk that ends 4 bytes past the child's entry fails",
            [f"exit {rc}, ends at {r.get('ends_at')}"])

        def register(w):
            first = next(iter(w["user_regs"]))
            w["user_regs"][first] ^= 1
        rc, r = altered(register)
        bad = [c["register"] for c in r.get("snapshot", []) if not c["equal"]]
        tap(rc == 1 and r.get("matches_snapshot") is False and len(bad) == 1,
            "walk --from: a walk whose first user register differs from the snapshot by one bit fails",
            [f"exit {rc}, registers that differ: {bad}"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
