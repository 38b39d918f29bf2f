#!/usr/bin/env python3
"""check_uapi.py [ARCH...]: compare clonelab's hand-written kernel numbers with the
kernel's own UAPI headers, and print TAP.

- every CL_NR_* in arch/<arch>/sysnr.h against __NR_* of that architecture's
  <asm/unistd.h> (gcc -E -dM; aarch64-linux-gnu-gcc for aarch64, whose generic table
  is followed through its __NR3264_* aliases), and for x86_64 also <asm/unistd_64.h>;
- arch/<arch>/abi.h: every O_* against <asm/fcntl.h>; struct cl_ksigaction has a
  restorer field exactly when <asm/signal.h> defines SA_RESTORER; the seccomp facts
  (CL_AUDIT_ARCH*, CL_TIOC*, and on x86_64 the i386 and x32 ioctl numbers) against
  <linux/audit.h>, <asm/ioctls.h>, <asm/unistd_32.h>, <asm/unistd_x32.h>;
- every CL_CLONE_* and CL_CSIGNAL in src/include/clonelab.h against CLONE_* / CSIGNAL
  in <linux/sched.h>, and those newer than it (Linux 7.2's) against sid's, fetched.
ARCH defaults to every architecture in arch/ARCHES. The compiler is gcc for the host's
own architecture, <arch>-linux-gnu-gcc for the others (its linux-libc-dev-*-cross
headers). Exits 1 on any mismatch or missing tool.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "arch", "ARCHES")) as f:
    ARCHES = f.read().split()
COMPILERS = {a: "gcc" if os.uname().machine == a else f"{a}-linux-gnu-gcc" for a in ARCHES}
DEFINE = re.compile(r"^#define\s+(\w+)\s+(.*?)\s*$")


def macros(cc, header):
    """Every macro that `#include <header>` defines, resolved to an int where possible."""
    headers = [header] if isinstance(header, str) else list(header)
    r = subprocess.run([cc, "-E", "-dM"] + [a for h in headers for a in ("-include", h)]
                       + ["-x", "c", "/dev/null"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{cc} -include {header}: {r.stderr.strip()[:300]}")
    raw = {}
    for line in r.stdout.splitlines():
        m = DEFINE.match(line)
        if m and "(" not in m.group(1):
            raw[m.group(1)] = m.group(2)
    return resolve_all(raw)


def resolve_all(raw):
    out, busy = {}, set()

    def value(name):
        if name in out:
            return out[name]
        if name not in raw or name in busy:
            return None
        busy.add(name)
        expr = raw[name]
        ok = True

        def sub(m):
            nonlocal ok
            word = m.group(0)
            if re.fullmatch(r"0[0-7]+[uUlL]*", word):    # C octal, as fcntl.h writes flags
                return str(int(re.sub(r"[uUlL]+$", "", word), 8))
            if re.fullmatch(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*", word):
                return re.sub(r"[uUlL]+$", "", word)
            v = value(word)
            if v is None:
                ok = False
                return "0"
            return str(v)

        text = re.sub(r"\b\w+\b", sub, expr)
        v = None
        if ok and re.fullmatch(r"[\s0-9a-fA-FxX()+\-*/|&<>~]*", text) and text.strip():
            try:
                v = int(eval(text, {"__builtins__": {}}))  # digits and operators only
            except Exception:
                v = None
        busy.discard(name)
        out[name] = v
        return v

    for n in raw:
        value(n)
    return {k: v for k, v in out.items() if v is not None}


def ours(path, prefix):
    """The CL_* numbers of one of our headers (after the preprocessor, so they are ours)."""
    raw = {}
    with open(path) as f:
        for line in f:
            m = DEFINE.match(line.split("/*")[0].rstrip())
            if m and m.group(1).startswith(prefix):
                raw[m.group(1)] = m.group(2)
    vals = resolve_all(raw)
    missing = sorted(set(raw) - set(vals))
    return vals, missing


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def ok(self, good, name, *diag):
        self.n += 1
        self.failed += not good
        self.lines.append(f"{'ok' if good else 'not ok'} {self.n} {name}")
        if not good:
            self.lines += [f"# {d}" for d in diag if d]

    def emit(self):
        print("TAP version 13")
        print(f"1..{self.n}")
        print("\n".join(self.lines))


def check_arch(tap, arch):
    cc = COMPILERS[arch]
    sysnr = os.path.join(ROOT, "arch", arch, "sysnr.h")
    try:
        kernel = macros(cc, "asm/unistd.h")
    except (OSError, RuntimeError) as e:
        tap.ok(False, f"uapi {arch}: {cc} reads <asm/unistd.h>", str(e),
               f"install {cc} and its linux-libc-dev(-*-cross) headers: tests/deps.sh")
        return
    nr = {k[5:]: v for k, v in kernel.items() if k.startswith("__NR_")}
    tap.ok(len(nr) > 250, f"uapi {arch}: <asm/unistd.h> defines the syscall table",
           f"{len(nr)} __NR_* macros")
    if arch == "x86_64":
        try:
            k64 = macros(cc, "asm/unistd_64.h")
            nr64 = {k[5:]: v for k, v in k64.items() if k.startswith("__NR_")}
            diff = sorted(n for n in set(nr) | set(nr64) if nr.get(n) != nr64.get(n))
            tap.ok(len(nr64) > 250 and not diff,
                   "uapi x86_64: <asm/unistd_64.h> is the table <asm/unistd.h> gives",
                   f"differ: {', '.join(diff[:10])}" if diff else "")
            # A few fixed points of the x86_64 ABI, in case the headers themselves are off.
            fixed = {"read": 0, "write": 1, "clone": 56, "fork": 57, "execve": 59, "exit": 60,
                     "exit_group": 231, "clone3": 435}
            bad = [f"{k}={nr64.get(k)} (want {v})" for k, v in fixed.items() if nr64.get(k) != v]
            tap.ok(not bad, "uapi x86_64: <asm/unistd_64.h> has the ABI's fixed numbers", *bad)
        except (OSError, RuntimeError) as e:
            tap.ok(False, "uapi x86_64: <asm/unistd_64.h> readable", str(e))
    ourvals, unparsed = ours(sysnr, "CL_NR_")
    tap.ok(bool(ourvals) and not unparsed, f"uapi {arch}: {os.path.relpath(sysnr, ROOT)} parses",
           f"{len(ourvals)} CL_NR_* numbers", f"not numbers: {unparsed}" if unparsed else "")
    for name in sorted(ourvals, key=lambda n: ourvals[n]):
        sc = name[len("CL_NR_"):]
        want = nr.get(sc)
        tap.ok(want == ourvals[name], f"uapi {arch}: {name} == __NR_{sc}",
               f"clonelab says {ourvals[name]}, the kernel's header says "
               f"{'nothing (no such syscall on ' + arch + ')' if want is None else want}"
               if want != ourvals[name] else "")


def check_abi(tap, arch):
    """arch/<arch>/abi.h against the kernel's headers for that architecture."""
    cc = COMPILERS[arch]
    path = os.path.join(ROOT, "arch", arch, "abi.h")
    rel = os.path.relpath(path, ROOT)
    try:
        fcntl = macros(cc, "asm/fcntl.h")
        signal = macros(cc, "asm/signal.h")
        with open(path) as f:
            text = f.read()
    except (OSError, RuntimeError) as e:
        tap.ok(False, f"uapi {arch}: {rel} and <asm/fcntl.h>, <asm/signal.h> readable", str(e))
        return
    ourvals, _ = ours(path, "O_")
    for name in sorted(ourvals):
        tap.ok(ourvals[name] == fcntl.get(name) is not None,
               f"uapi {arch}: {rel}'s {name} == <asm/fcntl.h>'s",
               f"clonelab says {ourvals[name]}, the kernel {fcntl.get(name)}")
    check_seccomp_facts(tap, arch, cc, path, rel)
    struct = re.search(r"struct cl_ksigaction \{(.*?)\};", text, re.S)
    has_field = bool(struct and re.search(r"\brestorer;", struct.group(1)))
    kernel_has = "SA_RESTORER" in signal
    tap.ok(struct is not None and has_field == kernel_has,
           f"uapi {arch}: struct cl_ksigaction has a restorer field "
           f"{'(SA_RESTORER exists)' if kernel_has else '(no SA_RESTORER here)'}",
           f"abi.h {'has' if has_field else 'has no'} restorer field; <asm/signal.h> "
           f"{'defines' if kernel_has else 'does not define'} SA_RESTORER")


AUDIT = {"x86_64": ("AUDIT_ARCH_X86_64", "AUDIT_ARCH_I386"),
         "aarch64": ("AUDIT_ARCH_AARCH64", "AUDIT_ARCH_ARM"),
         "riscv64": ("AUDIT_ARCH_RISCV64", "AUDIT_ARCH_RISCV32")}


def check_seccomp_facts(tap, arch, cc, path, rel):
    """abi.h's facts for run's seccomp filter: the audit arches, the terminal requests,
    and (x86_64, whose headers have the other tables) the compat and x32 ioctl numbers."""
    ourvals, _ = ours(path, "CL_")
    try:
        kernel = macros(cc, "linux/audit.h")
        kernel.update(macros(cc, "asm/ioctls.h"))
    except (OSError, RuntimeError) as e:
        tap.ok(False, f"uapi {arch}: <linux/audit.h>, <asm/ioctls.h> readable", str(e))
        return
    pairs = [("CL_TIOCSTI", "TIOCSTI"), ("CL_TIOCLINUX", "TIOCLINUX")]
    if arch in AUDIT:
        pairs += [("CL_AUDIT_ARCH", AUDIT[arch][0]), ("CL_AUDIT_ARCH_COMPAT", AUDIT[arch][1])]
    if arch == "x86_64":
        try:
            i386 = macros(cc, "asm/unistd_32.h")
            x32 = macros(cc, ("asm/unistd.h", "asm/unistd_x32.h"))
            kernel["__NR_ioctl_32"] = i386.get("__NR_ioctl")
            kernel["__NR_ioctl_x32"] = x32.get("__NR_ioctl", 0) - x32.get("__X32_SYSCALL_BIT", 0)
            kernel["__X32_SYSCALL_BIT"] = x32.get("__X32_SYSCALL_BIT")
            pairs += [("CL_COMPAT_NR_IOCTL", "__NR_ioctl_32"), ("CL_X32_NR_IOCTL", "__NR_ioctl_x32"),
                      ("CL_X32_SYSCALL_BIT", "__X32_SYSCALL_BIT")]
        except (OSError, RuntimeError) as e:
            tap.ok(False, "uapi x86_64: <asm/unistd_32.h>, <asm/unistd_x32.h> readable", str(e))
    for ours_name, k in pairs:
        tap.ok(ourvals.get(ours_name) == kernel.get(k) is not None,
               f"uapi {arch}: {rel}'s {ours_name} == {k}",
               f"clonelab says {ourvals.get(ours_name)}, the kernel's headers {kernel.get(k)}")


def newest_sched_h(tap, cc):
    """<linux/sched.h> of sid's linux-libc-dev (the newest kernel's uapi, 7.2 when written),
    fetched once into the cache, never installed: the flags newer than this machine's
    headers (CLONE_AUTOREAP and the rest of 7.2's) are checked against it."""
    fetch = os.path.join(ROOT, "tests", "system", "fetch-deb.sh")
    r = subprocess.run([fetch, "--suite", "sid", os.uname().machine, "linux-libc-dev",
                        "usr/include/linux/sched.h"], capture_output=True, text=True)
    path = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    tap.ok(bool(path), "uapi: sid's <linux/sched.h> fetched (tests/system/fetch-deb.sh)",
           r.stderr.strip()[-300:])
    if not path:
        return {}, "sid's <linux/sched.h>"
    version = "?"
    try:
        with open(os.path.join(os.path.dirname(path), "VERSION")) as f:
            version = f.read().split()[1]
    except (OSError, IndexError):
        pass
    return macros(cc, path), f"sid's <linux/sched.h> (linux-libc-dev {version})"


def check_clone_flags(tap):
    cc = COMPILERS[os.uname().machine] if os.uname().machine in COMPILERS else "gcc"
    try:
        kernel = macros(cc, "linux/sched.h")
    except (OSError, RuntimeError) as e:
        tap.ok(False, "uapi: <linux/sched.h> readable", str(e))
        return
    newest, newest_name = newest_sched_h(tap, cc)
    path = os.path.join(ROOT, "src", "include", "clonelab.h")
    ourvals, unparsed = ours(path, "CL_C")
    ourvals = {k: v for k, v in ourvals.items() if k.startswith("CL_CLONE_") or k == "CL_CSIGNAL"}
    tap.ok(len(ourvals) > 20 and not unparsed, "uapi: clonelab.h's CL_CLONE_* parse",
           f"{len(ourvals)} flags", f"not numbers: {unparsed}" if unparsed else "")
    for name in sorted(ourvals, key=lambda n: ourvals[n]):
        k = name[3:]
        want, where = kernel.get(k), "<linux/sched.h>"
        if want is None and k in newest:	# newer than this machine's headers
            want, where = newest[k], newest_name
        tap.ok(want == ourvals[name], f"uapi: {name} == {k} ({where})",
               f"clonelab says {ourvals[name]:#x}, {where} says "
               f"{'nothing' if want is None else hex(want)}" if want != ourvals[name] else "")
    extra = sorted(k for k in set(kernel) | set(newest) if k.startswith("CLONE_")
                   and "CL_" + k not in ourvals
                   and k not in ("CLONE_ARGS_SIZE_VER0", "CLONE_ARGS_SIZE_VER1",
                                 "CLONE_ARGS_SIZE_VER2"))
    if extra:
        tap.lines.append(f"# uapi flags clonelab.h does not name: {', '.join(extra)}")
    sizes = {k: kernel.get(k) for k in ("CLONE_ARGS_SIZE_VER0", "CLONE_ARGS_SIZE_VER1",
                                        "CLONE_ARGS_SIZE_VER2")}
    tap.ok(sizes["CLONE_ARGS_SIZE_VER2"] in (None, 88) and sizes["CLONE_ARGS_SIZE_VER0"] == 64,
           "uapi: struct clone_args sizes are 64/80/88 (struct cl_clone_args is 88)",
           f"{sizes}")


def main():
    arches = sys.argv[1:] or ARCHES
    tap = Tap()
    for a in arches:
        if a not in COMPILERS:
            sys.exit(f"check_uapi: unknown arch {a!r} (want one of arch/ARCHES: {' '.join(ARCHES)})")
        check_arch(tap, a)
        check_abi(tap, a)
    check_clone_flags(tap)
    tap.emit()
    print(f"# uapi: {tap.n} checks, {tap.failed} failed")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
