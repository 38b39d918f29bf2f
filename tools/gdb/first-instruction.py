# first-instruction.py: stop at a clone child's first instruction and show what the
# kernel handed it. Loaded by tools/gdb/run.sh (make gdb SCENARIO=...), or by hand:
#   gdb -x tools/gdb/first-instruction.py --args build/x86_64/debug/clonelab thread
#
# How: after the clone syscall both sides resume at the same instruction, the one just
# after `syscall`/`svc`/`ecall` (the child on its new stack). A breakpoint there that
# stops only where the return register is 0 stops in the child alone, at its very first
# instruction. A second breakpoint just before the syscall notes the parent's
# registers (it does not stop), so that the child's can be compared with them.
# Where the trampolines name that instruction (cl_snap_child, cl_clone_child), the
# names are used; otherwise it is found by disassembling the trampolines.
import os

import gdb

# From arch/<arch>/tools.txt, through run.sh: return, stack pointer, frame pointer, link
# register ("-": none), thread pointer; and the syscall instruction.
REGS = tuple(None if r == "-" else r for r in os.environ.get("CL_GDB_REGS", "").split())
if len(REGS) != 5:
    raise gdb.GdbError("CL_GDB_REGS must name 5 registers (tools/gdb/run.sh sets it)")
TRAMPOLINES = ("cl_clone_snap", "cl_clone3_snap", "cl_clone", "cl_clone3")
NAMED = ("cl_snap_child", "cl_snap3_child", "cl_clone_child")
SYSCALL_INSNS = tuple(os.environ.get("CL_GDB_SYSCALL", "").split())
parent_regs = {}


def reg(name):
    for n in (name, name.lower()):
        try:
            return int(gdb.parse_and_eval("$" + n)) & (2**64 - 1)
        except gdb.error:
            pass
    return None


def disassembly(fn):
    """fn's code and what follows it, as text; None if there is no fn. A range, not the
    function: NASM's local labels (.go, .back) are symbols too, and would end "the
    function" before its syscall. Before the program runs only the file's bytes can be
    read, so a range past the end of .text (riscv64's snap_tail ends it) falls back to
    the function alone."""
    for what in (f"{fn},+256", fn):
        try:
            return gdb.execute(f"disassemble {what}", to_string=True)
        except gdb.MemoryError:
            continue
        except gdb.error:
            return None
    return None


def syscall_sites():
    """(address of the instruction before the syscall, of the one after) per trampoline.
    Before, not on: gdb 13 stepping over a breakpoint on a clone syscall asserts
    (infrun.c finish_step_over), and nothing the report shows changes in between."""
    sites = []
    for fn in TRAMPOLINES:
        text = disassembly(fn)
        if text is None:
            continue
        lines = [ln for ln in text.splitlines() if ln.strip().startswith(("0x", "=>"))]
        for i, ln in enumerate(lines[:-1]):
            parts = ln.replace("=>", "").split()
            if any(p in SYSCALL_INSNS for p in parts[1:4]):
                sites.append((int(lines[i - 1].replace("=>", "").split()[0], 16),
                              int(lines[i + 1].replace("=>", "").split()[0], 16)))
                break  # the first syscall in each: the clone itself
    return sites


ZERO_BRANCHES = (("cbz", "x0"), ("beqz", "a0"))  # "if the return register is 0, go"


def child_only_sites():
    """Where the child alone goes. The lean trampolines (cl_clone, cl_clone3) branch to
    cl_clone_child only when clone returned 0 (on riscv64 the linker turns that
    conditional branch into bnez + j, so the name is used, not the branch). The
    recording ones reach snap_tail's first branch-if-zero on the return register
    after a snapshot that changes neither sp, the frame pointer, the link register nor
    the thread pointer: its target."""
    sites = []
    try:
        sites.append(int(gdb.parse_and_eval("(long)&cl_clone_child")))
    except gdb.error:
        pass
    for ln in (disassembly("snap_tail") or "").splitlines():
        parts = ln.replace("=>", "").replace(",", " ").split()
        if len(parts) >= 5 and parts[0].startswith("0x") and (parts[2], parts[3]) in ZERO_BRANCHES:
            sites.append(int(parts[4], 16))
            break
    return sites


class AtSyscall(gdb.Breakpoint):
    """The parent, one instruction from the call: remember its registers, do not stop."""

    def stop(self):
        for r in REGS:
            if r:
                parent_regs[r] = reg(r)
        return False


class ChildFirst(gdb.Breakpoint):
    """After the call: stop only where the return register is 0, the child."""

    def stop(self):
        return reg(REGS[0]) == 0


def report(event):
    if not isinstance(event, gdb.BreakpointEvent) or not any(isinstance(b, ChildFirst) for b in event.breakpoints):
        return
    ret, sp, fp, lr, tp = REGS
    t = gdb.selected_thread()
    where = ("where it alone goes (QEMU)" if int(gdb.parse_and_eval("$cl_qemu"))
             else "at its first instruction")
    print(f"\n== stopped in the child, {where}: thread {t.num} (tid {t.ptid[1] or t.ptid[0]}), pc {reg('pc'):#x}")
    rows = [(ret, "return register: clone returns 0 in the child"),
            (sp, "stack pointer: the new stack the parent passed (fork shape: a copy of the parent's)"),
            (fp, "frame pointer: inherited from the parent, still pointing into its frames"),
            (lr, "link register: inherited, the parent's return address"),
            (tp, "thread pointer: CLONE_SETTLS's tls, else inherited")]
    for name, why in rows:
        if name is None:
            print(f"   (x86_64 has no link register: the return address is on the stack)")
            continue
        v, p = reg(name), parent_regs.get(name)
        same = "" if p is None or name == ret else "  (parent: %#x, %s)" % (p, "same" if p == v else "differs")
        print(f"   ${name:<10} = {v:#x}{same}\n      {why}")
    gdb.execute("x/3i $pc")
    gdb.execute("info line *$pc")


def setup():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set print thread-events off")
    # gdb 13 steps over a breakpoint by running a copy of the instruction in a scratch
    # pad at the program's entry; a clone syscall stepped there starts the child in
    # the scratch pad, which then dies at _start. In place, the child starts right.
    gdb.execute("set displaced-stepping off")
    named = []
    for n in NAMED:
        try:
            named.append(int(gdb.parse_and_eval(f"(long)&{n}")))
        except gdb.error:
            pass
    sites = syscall_sites()
    if not sites and not named:
        raise gdb.GdbError("no clone trampoline found: is this build/<arch>/debug/clonelab?")
    for call, after in sites:
        AtSyscall(f"*{call:#x}", internal=True)
    if int(gdb.parse_and_eval("$cl_qemu")):
        # gdb 13 with QEMU 7.2's gdbstub mishandles a breakpoint that both threads hit
        # (the child is missed, or dies of SIGTRAP): stop where the child alone goes.
        print("(under QEMU: stopping where the child alone goes, a few instructions after its "
              "first; sp, frame pointer, link register and thread pointer are unchanged since)")
        named = child_only_sites()
    elif not named:
        named = [after for _, after in sites]
    for a in named:
        ChildFirst(f"*{a:#x}")
    gdb.events.stop.connect(report)


setup()
