"""harness.py: the host-side test harness (run by tests/host/run.py).

A test is `def test_NAME(bed):` in tests/host/test_*.py. It fails by raising
(AssertionError's message is shown as `# ` lines), skips with `raise Skip("why")`.

bed: where clonelab runs.
  bed.name       "native-<arch>" or "user-<arch>", for an arch in arch/ARCHES
  bed.arch       "x86_64" | "aarch64" | "riscv64" ... (arch/ARCHES)
  bed.reg(W)     the name of register W ("RET", "SP", "TP", "PC") on bed.arch, from
                 arch/<arch>/regs.h (CL_REG_W indexes CL_REG_NAMES)
  bed.qemu       True under QEMU user mode (clone is emulated there)
  bed.qemu_version  (major, minor) of that QEMU (the first qemu-<arch> on PATH), else None
  bed.build      build/<arch> (absolute)
  bed.clonelab   build/<arch>/clonelab (absolute)
  bed.example(N) build/<arch>/examples/N
  bed.run(args, user=None, timeout=30, input=None, env=None, prog=None) -> Result
                 runs `clonelab ARGS` (or prog ARGS) with qemu-<arch> in front when
                 needed; user=65534 runs it through setpriv --reuid/--regid/--clear-groups.
                 env: extra variables (added to ours). Result: .rc .out .err .cmd
  bed.json(args, **kw) -> (rc, obj): the same, stdout parsed as JSON (fails clearly if not)
  bed.strace(args, out_file, **kw) -> Result: natively `strace -f -qq -e
                 trace=clone,clone3,unshare -o out_file`, under QEMU `qemu-<arch> -strace`
                 with its log in out_file (QEMU's own format: see /work/shared/notes).
"""
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import arches  # noqa: E402  (the one list of architectures: arch/ARCHES)

ARCHES = tuple(arches.arches())
BEDS = tuple(f"{kind}-{a}" for kind in ("native", "user") for a in ARCHES)


class Skip(Exception):
    """raise Skip("reason"): the test is reported as ok ... # SKIP reason."""


class Result:
    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err

    def __repr__(self):
        return (f"$ {self.cmd}\n  exit {self.rc}\n  stdout: {self.out[:2000]!r}\n"
                f"  stderr: {self.err[:2000]!r}")


class Bed:
    def __init__(self, name, root=ROOT):
        kind, _, arch = name.partition("-")
        if name not in BEDS:
            raise ValueError(f"unknown bed {name!r} (want native-<arch> or user-<arch>,"
                             f" <arch> one of {', '.join(ARCHES)})")
        host = platform.machine()
        if kind == "native" and arch != host:
            raise ValueError(f"bed {name} needs an {arch} host, this one is {host}")
        self.name, self.arch, self.qemu = name, arch, kind == "user"
        self.build = os.path.join(root, "build", arch)
        self.clonelab = os.path.join(self.build, "clonelab")
        self.prefix = ["qemu-" + arch] if self.qemu else []
        self._tmp = None

    def reg(self, which):
        """The name of register CL_REG_<which> in arch/<arch>/regs.h."""
        with open(os.path.join(ROOT, "arch", self.arch, "regs.h")) as f:
            text = f.read().replace("\\\n", " ")
        names = re.findall(r'"([^"]+)"', re.search(r"#define CL_REG_NAMES (.*)", text).group(1))
        return names[int(re.search(rf"#define CL_REG_{which} (\d+)", text).group(1))]

    def example(self, name):
        return os.path.join(self.build, "examples", name)

    def tmpdir(self):
        """A scratch directory for this run (world-readable: for user= runs too)."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix=f"clonelab-{self.name}-")
            os.chmod(self._tmp, 0o755)
        return self._tmp

    def _reachable(self, prog, user):
        """prog itself, or a world-readable copy when another user may not reach it
        (a checkout under /root, say)."""
        if user is None:
            return prog
        copy = os.path.join(self.tmpdir(), "bin", os.path.relpath(prog, self.build).replace("/", "_"))
        if not os.path.exists(copy):
            os.makedirs(os.path.dirname(copy), mode=0o755, exist_ok=True)
            shutil.copy(prog, copy)
            os.chmod(copy, 0o755)
        return copy

    def command(self, args, user=None, prog=None, qemu_opts=()):
        prog = self._reachable(prog or self.clonelab, user)
        cmd = []
        if user is not None:
            cmd += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        if self.qemu:
            cmd += [self._reachable_qemu(user)] + self.prefix[1:] + list(qemu_opts)
        return cmd + [prog] + [str(a) for a in args]

    def _reachable_qemu(self, user):
        """qemu-<arch> as found on PATH (tests/check.sh puts another QEMU version first),
        copied where another user can reach it if it lives under a private home (the
        cache). QEMU 11.1's user mode is static: a copy runs."""
        q = shutil.which(self.prefix[0]) or self.prefix[0]
        if user is None or not q.startswith(os.path.expanduser("~") + os.sep):
            return q
        copy = os.path.join(self.tmpdir(), "bin", os.path.basename(q))
        if not os.path.exists(copy):
            os.makedirs(os.path.dirname(copy), mode=0o755, exist_ok=True)
            shutil.copy(q, copy)
            os.chmod(copy, 0o755)
        return copy

    @property
    def qemu_version(self):
        """(major, minor) of the QEMU user mode this bed runs, None natively."""
        if not self.qemu:
            return None
        out = subprocess.run([self.prefix[0], "--version"], capture_output=True, text=True).stdout
        m = re.search(r"version (\d+)\.(\d+)", out)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def run(self, args, user=None, timeout=30, input=None, env=None, prog=None, _cmd=None):
        cmd = _cmd or self.command(args, user=user, prog=prog)
        full_env = dict(os.environ)
        full_env.update(env or {})
        try:
            p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout,
                               env=full_env, cwd=self.tmpdir() if user is not None else None,
                               text=True, errors="replace")
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"timed out after {timeout}s: {shlex.join(cmd)}\n"
                                 f"  stdout so far: {e.stdout!r}") from None
        return Result(shlex.join(cmd), p.returncode, p.stdout, p.stderr)

    def json(self, args, **kw):
        r = self.run(args, **kw)
        try:
            return r.rc, json.loads(r.out)
        except ValueError as e:
            raise AssertionError(f"output is not valid JSON ({e}):\n{r!r}") from None

    def strace(self, args, out_file, user=None, prog=None, **kw):
        if self.qemu:
            cmd = self.command(args, user=user, prog=prog, qemu_opts=["-strace", "-D", out_file])
        else:
            if shutil.which("strace") is None:
                raise AssertionError("strace is not installed (tests/deps.sh installs it)")
            inner = self.command(args, user=None, prog=prog)
            cmd = ["strace", "-f", "-qq", "-e", "trace=clone,clone3,unshare", "-o", out_file]
            if user is not None:  # strace as root, the program as the user
                cmd += ["-u", str(user)]
                inner = [self._reachable(inner[0], user)] + inner[1:]
            cmd += inner
        return self.run(args, _cmd=cmd, **kw)

    def cleanup(self):
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def host_cmd(*cmd):
    """A host command's stdout, stripped (for comparing with what clonelab reports)."""
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
