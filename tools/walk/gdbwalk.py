# gdbwalk.py: the gdb-multiarch side of `make walk` (tools/walk/walk.py starts it).
# Attached to QEMU's gdb stub, it catches the new task at its first kernel instruction and
# steps it, one instruction at a time, to its first user instruction; then, where the
# architecture names a way (walk_parent), the parent's return from the same clone.
#
# Input: WALK_CFG, a JSON file written by walk.py (the port, the go FIFO, the addresses
# from the guest's kallsyms, the architecture's facts from arch/<arch>/tools.txt).
# Output: WALK_OUT, a JSON file: the raw walk (addresses only; walk.py names them).
#
# How the child is told apart: every new task, kernel threads and the shell's forks
# included, starts at walk_entry with sp pointing at its pt_regs. Only ours has, in
# pt_regs, the user pc of our trampoline's child entry. The other vCPU is kept stopped
# while one is stepped (scheduler-locking on), so nothing else moves under the walk;
# QEMU's stub also masks interrupts and timers while single-stepping.
import json
import os
import time

import gdb

cfg = json.load(open(os.environ["WALK_CFG"]))
entries = {int(a, 16): n for a, n in cfg["child_entries"].items()}
into = {int(a, 16) for a in cfg["into"]}
calls = set(cfg["calls"])
returns = set(cfg["returns"])
regnames = cfg["regs"]
MAX_STEPS = cfg.get("max_steps", 20000)
out = {"steps": [], "calls": [], "return": None, "user_regs": None, "parent": None,
       "error": None, "hits": [], "seconds": None}


def reg(name):
    try:
        v = gdb.selected_frame().read_register(name)
        return int(v) & (2 ** (8 * v.type.sizeof) - 1)  # a 32-bit cpsr is not sign-extended
    except (gdb.error, ValueError):
        return None


def regs():
    return {r: reg(r) for r in regnames}


def mem64(addr):
    if cfg.get("step") == "packet":
        gdb.execute("maint flush dcache", to_string=True)  # gdb does not know the target ran
    try:
        v = gdb.selected_inferior().read_memory(addr, 8)
    except gdb.MemoryError:
        return None
    return int.from_bytes(bytes(v), "little")


code = {}  # pc -> (text, length): kernel code does not change under the walk


def insn(pc):
    if pc not in code:
        d = gdb.selected_inferior().architecture().disassemble(pc, count=1)[0]
        code[pc] = (d["asm"], d["length"])
    return code[pc]


def mnemonic(asm):
    return asm.split()[0] if asm.split() else ""


def user(pc):
    return pc is not None and pc < 2**63  # user space is the lower half on all three


def cpu():
    return gdb.selected_thread().num - 1  # QEMU's stub: one thread per vCPU, in order


trace = []  # the last instructions stepped (pc, sp), for the report when a walk fails


def stepi():
    trace.append((reg("pc"), reg("sp"), insn(reg("pc"))[0]))
    del trace[:-48]
    if cfg.get("step") == "packet":
        # gdb steps some architectures (riscv) in software: a breakpoint after the
        # instruction, then continue. That cannot follow sret (its target is in sepc), and
        # it lets interrupts in. So ask the stub for its own single step, on this vCPU only.
        pid, lwp, _ = gdb.selected_thread().ptid
        got = gdb.execute(f"maint packet vCont;s:p{pid:x}.{lwp:x}", to_string=True)
        gdb.execute("maint flush register-cache", to_string=True)
        if 'received: "T' not in got:
            raise gdb.GdbError(f"the stub's single step answered {got.strip()!r}")
    else:
        gdb.execute("stepi", to_string=True)
    if reg("pc") is None:
        raise gdb.GdbError("the stub no longer answers (QEMU reported the target exited)")


STACK = 16384  # THREAD_SIZE of Debian's kernels on all three architectures
task_stack = None  # (low, high): the walked task's kernel stack, from sp at its entry


def ours():
    sp = reg("sp")
    return sp is not None and task_stack[0] <= sp < task_stack[1]


def run_call(ret_addr, sp0):
    """Step through a call until it returns to ret_addr with the stack unwound to sp0 or
    above. Count the instructions; note the functions it calls (their addresses). Should
    the task be switched out inside (preempted: sp leaves its kernel stack), stop stepping
    the CPU, which now runs other tasks: let the guest run, both CPUs, until the task
    comes back to ret_addr, and say so."""
    n, callees, prev_call, away = 0, {}, False, []
    while n < MAX_STEPS:
        pc = reg("pc")
        if prev_call:
            callees[pc] = callees.get(pc, 0) + 1
        if pc == ret_addr and reg("sp") >= sp0:
            return n, callees, away, None
        if not ours():
            # Switched out: catch the task where the call returns, on whichever CPU.
            leave = {"after": n, "cpu": cpu(), "pc": pc}
            gdb.execute("set scheduler-locking off")
            gdb.execute(f"hbreak *{ret_addr:#x}", to_string=True)
            bp = gdb.breakpoints()[-1]
            for _ in range(1000):
                gdb.execute("continue", to_string=True)
                if reg("pc") == ret_addr and ours():
                    break
            bp.delete()
            gdb.execute("set scheduler-locking on")
            leave["back_on_cpu"] = cpu()
            away.append(leave)
            return n, callees, away, None if ours() else "the task did not come back"
        asm, _ = insn(pc)
        prev_call = mnemonic(asm) in calls
        stepi()
        n += 1
    return n, callees, away, f"no return within {MAX_STEPS} instructions"


def consumed(asm):
    """What the return instruction takes, read just before it runs."""
    spec = cfg["consumed"].get(mnemonic(asm))
    if not spec:
        return None
    got = {}
    for item in spec:
        src, _, what = item.partition("=")
        kind, _, where = src.partition(":")
        if kind == "reg":
            got[what] = {"from": where, "value": reg(where)}
        else:
            base, _, off = where.partition("+")
            b = reg(base)
            got[what] = {"from": f"[{base}+{off}]",
                         "value": None if b is None else mem64(b + int(off, 0))}
    return got


def walk():
    """From here to the first user instruction: every instruction, its changes; calls
    stepped through and summarized."""
    global task_stack
    sp = reg("sp")
    task_stack = (sp - STACK, sp + 1024)
    out["pt_regs_at"] = sp  # where both ways start, sp points at pt_regs
    steps, summaries = [], []
    before = regs()
    while len(steps) < MAX_STEPS:
        pc = reg("pc")
        if user(pc):
            return steps, summaries, None
        asm, length = insn(pc)
        step = {"pc": pc, "asm": asm, "cpu": cpu()}
        m = mnemonic(asm)
        if m in returns:
            step["consumed"] = consumed(asm)
            out["return"] = {"pc": pc, "asm": asm, "insn": m, "consumed": step["consumed"]}
        sp0 = reg("sp")
        step["sp"] = sp0
        stepi()
        if m in calls and reg("pc") not in into and not user(reg("pc")):
            target = reg("pc")
            call_cpu = cpu()
            n, callees, away, err = run_call(pc + length, sp0)
            summaries.append({"at": pc, "target": target, "instructions": n + 1,
                              "cpu": call_cpu, "callees": callees, "switched_out": away})
            step["call"] = len(summaries) - 1
            if err:
                return steps, summaries, err
        after = regs()
        step["changed"] = {r: after[r] for r in regnames
                           if after[r] != before[r] and r not in ("pc", "rip")}
        steps.append(step)
        before = after
    return steps, summaries, f"not in user space after {MAX_STEPS} instructions"


def after_call(spec):
    """The address after the first `call CALLEE` in HOLDER's first 200 instructions."""
    holder, callee = (int(x, 16) for x in spec.split(":"))
    arch = gdb.selected_inferior().architecture()
    for d in arch.disassemble(holder, count=200):
        p = d["asm"].split()
        if len(p) >= 2 and p[0] in calls and p[1].startswith("0x") and int(p[1], 16) == callee:
            return d["addr"] + d["length"]
    out["parent_error"] = "no call to the parent's syscall handler found"
    return None


def pt_pc():
    sp = reg("sp")
    return None if sp is None else mem64(sp + cfg["pt_regs_pc"])


def main():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set print thread-events off")
    gdb.execute(f"set architecture {cfg['gdb_arch']}", to_string=True)
    # A loaded host can keep QEMU from answering a packet within gdb's default 2 s.
    gdb.execute("set remotetimeout 60")
    if os.environ.get("WALK_REMOTE_LOG"):  # every packet, for when the stub misbehaves
        gdb.execute(f"set remotelogfile {os.environ['WALK_REMOTE_LOG']}")
    gdb.execute(f"target remote 127.0.0.1:{cfg['port']}", to_string=True)
    gdb.execute("set scheduler-locking off")
    child_bp = int(cfg["entry"], 16)
    gdb.execute(f"hbreak *{child_bp:#x}", to_string=True)
    parent_bp = after_call(cfg["parent_at"]) if cfg.get("parent_at") else None
    if parent_bp:
        gdb.execute(f"hbreak *{parent_bp:#x}", to_string=True)
    with open(cfg["fifo"], "w") as f:  # the guest waits for this line to run the scenario
        f.write("go\n")
    want = {"child"} | ({"parent"} if parent_bp else set())
    deadline = time.monotonic() + cfg.get("seconds", 60)
    t_start = time.monotonic()
    while want and time.monotonic() < deadline:
        gdb.execute("continue", to_string=True)
        pc, upc = reg("pc"), pt_pc()
        hit = {"pc": pc, "cpu": cpu(), "user_pc": upc}
        out["hits"].append(hit)
        if upc not in entries:
            continue  # another task (a kernel thread, the shell's fork) or another syscall
        if pc == child_bp and "child" in want:
            # A parent sitting at the entry is impossible: the entry is a new task's.
            gdb.execute("set scheduler-locking on")
            hit["ours"] = "child"
            out["child_cpu"] = cpu()
            t0 = time.monotonic()
            steps, summaries, err = walk()
            out["walk_seconds"] = round(time.monotonic() - t0, 3)
            out["steps"], out["calls"], out["error"] = steps, summaries, err
            out["child_pt_regs_at"] = out["pt_regs_at"]
            out["user_regs"] = {r: reg(r) for r in cfg["user_regs"]}
            out["user_cpu"] = cpu()
            out["end_pc"] = reg("pc")
            want.discard("child")
            gdb.execute("set scheduler-locking off")
            gdb.execute("delete", to_string=True)
            if parent_bp and "parent" in want:
                gdb.execute(f"hbreak *{parent_bp:#x}", to_string=True)
        elif pc == parent_bp and "parent" in want:
            rax = mem64(reg("sp") + cfg["pt_regs_ret"]) if cfg.get("pt_regs_ret") is not None else None
            if rax == 0:
                continue  # a child would not come this way, but be sure
            gdb.execute("set scheduler-locking on")
            hit["ours"] = "parent"
            saved_return = out["return"]
            out["return"] = None
            t0 = time.monotonic()
            steps, summaries, err = walk()
            out["parent_seconds"] = round(time.monotonic() - t0, 3)
            out["parent"] = {"steps": steps, "calls": summaries, "error": err,
                             "pt_regs_at": out.pop("pt_regs_at"),
                             "return": out["return"], "cpu": cpu(), "end_pc": reg("pc"),
                             "user_regs": {r: reg(r) for r in cfg["user_regs"]}}
            out["return"] = saved_return
            want.discard("parent")
            gdb.execute("set scheduler-locking off")
            gdb.execute("delete", to_string=True)
            if "child" in want:
                gdb.execute(f"hbreak *{child_bp:#x}", to_string=True)
    if want:
        out["error"] = (out["error"] or "") + f" not caught: {', '.join(sorted(want))}"
    out["seconds"] = round(time.monotonic() - t_start, 3)


try:
    main()
except Exception as e:  # reported, never a hang: walk.py ends the guest either way
    import traceback
    out["error"] = f"{type(e).__name__}: {e}"
    out["trace_tail"] = trace
    out["traceback"] = traceback.format_exc()
finally:
    with open(os.environ["WALK_OUT"], "w") as f:
        json.dump(out, f)
    try:
        gdb.execute("delete", to_string=True)
        gdb.execute("detach", to_string=True)
    except gdb.error:
        pass
