#!/usr/bin/env python3
"""fuzz.py: a grammar-based fuzzer that drives the real clonelab binary (make fuzz).

Argument vectors come from a grammar of clonelab's commands and options (with hostile
values: huge, negative, empty, non-UTF-8, duplicated, glued with =, after --) and from
mutations of the kept corpus (tests/fuzz/corpus/*.argv, one JSON array per line).
Each runs in a session of its own with a timeout, sometimes in a hostile setting: as uid
65534, with SIGCHLD ignored, with stdout on /dev/full, with stdout a pipe whose reader
quits early (`| head -c N`: SIGPIPE), with a tiny descriptor limit, or (root) in a new pid
namespace with a /proc of its own. --svg and --html get hostile paths, made afresh in a
scratch directory for each run: a planted symlink to a file that must not change, a FIFO
with no reader, a directory, /dev/full, a path too long, a name that is not UTF-8. A
finding is:
  crash       killed by a signal
  hang        still running at the timeout (the whole session is then killed)
  exit        an exit status outside {0,1,2,3} (run: also 126, 127, its COMMAND's)
  json        under --json, stdout that is not JSON objects, one a line
  silent      a failure (exit 1, 2, 3) with nothing on stderr
  output      a write error ignored: exit 0 with stdout on /dev/full
  zombie      a process left unreaped under the caller
  clobber     a file the run was not given changed (the symlink's target)
  leftover    something left behind: a picture's temporary file, a tracefs instance
              (after --kernel, looked at through a private mount)
Findings listed in tests/fuzz/known.txt (KIND REGEX reason; REGEX searched in
"SETTING ARGV... :: DETAIL") are reported as known, not as failures: they belong to
other fixes.

  fuzz.py [--bin PATH] [--qemu QEMU] [--seconds N] [--seed N] [--tap] [--timeout S]
Prints TAP with --tap (one test per kind); exits 1 on an unknown finding.
"""
import argparse
import glob
import json
import os
import random
import resource
import fcntl
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from procs import kill_session  # noqa: E402  (tests/procs.py)
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KINDS = ("crash", "hang", "exit", "json", "silent", "output", "zombie", "clobber", "leftover")

# ---- the grammar ----
FLAGS = ("vm fs files sighand pidfd ptrace vfork parent thread newns sysvsem settls parent_settid "
         "child_cleartid detached untraced child_settid newcgroup newuts newipc newuser newpid newnet "
         "io clear_sighand into_cgroup newtime none").split()
SIGNALS = ["CHLD", "SIGCHLD", "USR1", "TERM", "HUP", "none", "0", "17", "10", "31", "65", "-1", "1000",
           "sigchld", "CHLDX", "", "9x", "KILL", "9", "STOP", "40", "64"]
NUMS = ["0", "1", "3", "7", "1023", "1024", "-1", "-0", "+1", "4294967295", "4294967296",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999", "0x10", "1e3",
        " 1", "1 ", "", "abc", "65534"]
WORDS = ["", "x", "-", "--", "---", "=", "-x", "--json=1", "--help", "help", "-h", "\udcff\udcfe",
         "é", "a" * 300, "a" * 2000, "%s%n", "\\", '"', "\n", "\t"]
PATHS = ["/", "/nonexistent", "", "relative", "/" + "d" * 300, "/proc/self/fd/99",
         "/\udcff", "/dev/null"]
API = ["clone", "clone3", "auto", "CLONE3", "", "clone4"]
# Picture paths: names in the run's scratch directory (Runner.scratch makes them), or as is.
OUT = ["@out.svg", "@sym.svg", "@fifo", "@dir", "@nodir/x.svg", "@\udcff.svg", "/dev/full", "-",
       "@" + "b/" * 3000 + "x"]
COMMON = {"--json": None, "--cpu": NUMS, "--api": API, "--svg": OUT, "--html": OUT,
          "--kernel": None}
OPTS = {
    "env": {"--json": None},
    "fork": COMMON, "thread": COMMON, "userns": COMMON, "chimera": COMMON, "tour": COMMON,
    "probe": dict(COMMON, **{"--flags": "FLAGS", "--signal": SIGNALS}),
    "run": {"--json": None, "--user": None, "--pid": None, "--mount": None, "--uts": None,
            "--ipc": None, "--net": None, "--cgroup": None, "--time": None, "--map-root": None,
            "--map-user": NUMS, "--map-group": NUMS, "--hostname": WORDS, "--mount-proc": None,
            "--root": PATHS, "--cwd": PATHS, "--env": ["A=B", "=", "A", "", "PATH=", "\udcff=\udcfe"],
            "--clear-env": None, "--no-init": None, "--report-fd": ["1", "2", "3", "-1", "99", "x"]},
}
COMMANDS = list(OPTS) + ["", "help", "--help", "--version", "-h", "nosuch", "FORK"]
# run's COMMAND: harmless programs only (the fuzzer never picks one that changes anything).
RUN_CMDS = [["true"], ["false"], ["/bin/true"], ["/nonexistent"], ["true", "\udcff"], ["x"],
            ["sh", "-c", "exit 5"], ["sh", "-c", "kill -TERM $$"]]


def flag_list(rng):
    parts = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.7:
            f = rng.choice(FLAGS)
            parts.append(f.upper() if rng.random() < 0.1 else f)
        elif r < 0.85:
            parts.append(hex(rng.getrandbits(rng.choice((8, 16, 32, 40, 64)))))
        else:
            parts.append(rng.choice(["", "clone_vm", "vmx", "0x", "0xfffffffffffffffff", "1,2", " vm"]))
    return ",".join(parts)


def value(rng, pool):
    if pool == "FLAGS":
        return flag_list(rng)
    if rng.random() < 0.1:
        return rng.choice(WORDS + NUMS)
    return rng.choice(pool)


def generate(rng):
    cmd = rng.choice(COMMANDS)
    argv = [cmd] if cmd else []
    opts = OPTS.get(cmd, COMMON)
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(list(opts))
        pool = opts[name]
        if pool is None:
            argv.append(name if rng.random() > 0.05 else name + "=" + rng.choice(WORDS))
        elif rng.random() < 0.2:
            argv.append(name + "=" + value(rng, pool))
        elif rng.random() < 0.05:
            argv.append(name)	# a missing value
        else:
            argv += [name, value(rng, pool)]
    if rng.random() < 0.4 and "--json" not in argv:
        argv.insert(rng.randint(1 if argv else 0, len(argv)), "--json")
    if rng.random() < 0.1:
        argv.insert(rng.randint(0, len(argv)), rng.choice(WORDS))
    return safe_run(argv, rng)


def mutate(argv, rng):
    argv = list(argv)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        i = rng.randrange(len(argv) + 1)
        if op == 0 and argv:
            del argv[min(i, len(argv) - 1)]
        elif op == 1:
            argv.insert(i, rng.choice(WORDS + NUMS + ["--"]))
        elif op == 2 and argv:
            j = min(i, len(argv) - 1)
            s = argv[j]
            k = rng.randint(0, len(s))
            argv[j] = s[:k] + rng.choice(["\udcff", "=", ",", "", "0", "-"]) + s[k + rng.randint(0, 1):]
        elif op == 3 and argv:
            argv.insert(i, argv[rng.randrange(len(argv))])	# a duplicate
        elif op == 4 and len(argv) > 1:
            j = rng.randrange(len(argv) - 1)
            argv[j], argv[j + 1] = argv[j + 1], argv[j]
        elif op == 5:
            argv += generate(rng)[1:3]
    return safe_run(argv, rng)


def safe_run(argv, rng):
    """run's COMMAND is always one of RUN_CMDS: nothing the fuzzer makes runs anything else."""
    if not argv or argv[0] != "run":
        return argv
    out, i = ["run"], 1
    while i < len(argv):
        a = argv[i]
        spec = OPTS["run"].get(a.split("=", 1)[0])
        if a == "--" or (not a.startswith("-") and spec is None):
            break	# the COMMAND starts here: replaced below
        out.append(a)
        if spec is not None and "=" not in a and i + 1 < len(argv):
            out.append(argv[i + 1])
            i += 1
        i += 1
    return out + ["--"] + rng.choice(RUN_CMDS)


# ---- running one ----
def argv_bytes(a):
    # Non-UTF-8 bytes travel as surrogate escapes ("\udcff" is the byte 0xff).
    return a.encode("utf-8", "surrogateescape")


class Runner:
    def __init__(self, bin_, qemu, timeout):
        self.prefix = [qemu] if qemu else []
        self.bin, self.timeout = bin_, timeout
        self.root = os.geteuid() == 0

    def preexec(self, setting, nofile):
        def fn():
            if setting == "sigchld-ignored":
                signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            if setting == "nofile-low":
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            if setting == "uid-65534":
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
        return fn

    def scratch(self, d):
        """The hostile picture paths, made afresh: returns what must not change."""
        target = os.path.join(d, "target")
        with open(target, "w") as f:
            f.write("precious\n")
        os.symlink(target, os.path.join(d, "sym.svg"))
        os.mkfifo(os.path.join(d, "fifo"))
        os.mkdir(os.path.join(d, "dir"))
        if not self.root:
            return target
        os.chmod(d, 0o1777)	# uid 65534 may write here, as in /tmp
        os.chown(os.path.join(d, "sym.svg"), 65534, 65534, follow_symlinks=False)
        return target

    def run(self, argv, setting, rng):
        d = tempfile.mkdtemp(prefix="clonelab-fuzz-")
        try:
            target = self.scratch(d)
            argv = [re.sub(r"^(--\w+=)?@", lambda m: (m.group(1) or "") + d + "/", a) for a in argv]
            kernel = "--kernel" in argv
            lock = os.open("/sys/kernel", os.O_RDONLY) if kernel else None
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)	# tracing is global: the unit tests' lock
            try:
                rc, out, err = self.run1(argv, setting, rng, d)
                left = self.left(d, kernel)
            finally:
                if lock is not None:
                    os.close(lock)
            changed = open(target).read() != "precious\n"
            return rc, out, err, changed, left
        finally:
            subprocess.run(["rm", "-rf", "--", d])

    @staticmethod
    def left(d, kernel):
        """What the run left: temporary files in the scratch directory and, after --kernel,
        tracefs instances of clonelab's (every run of ours is over by now)."""
        left = [n for n in os.listdir(d) if n.startswith(".clonelab")]
        if kernel:
            r = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tracefs t /sys/kernel/tracing "
                                "2>/dev/null && ls /sys/kernel/tracing/instances"],
                               capture_output=True, text=True)
            left += [n for n in r.stdout.split() if n.startswith("clonelab")]
        return left

    def run1(self, argv, setting, rng, cwd):
        cmd = self.prefix + [self.bin] + [argv_bytes(a) for a in argv]
        status = None
        if setting == "pidns":	# PID 1 there is a Python that writes the exact wait status
            status = tempfile.mktemp(prefix="clonelab-fuzz-status-")
            cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--", sys.executable, "-c",
                   "import subprocess, sys; r = subprocess.call(sys.argv[2:]); "
                   "open(sys.argv[1], 'w').write(str(r))", status] + cmd
        nofile = rng.randint(3, 8)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            head = None
            if setting == "sigpipe":	# `clonelab ... | head -c N`
                head = subprocess.Popen(["head", "-c", str(rng.choice((0, 10, 300, 3000)))],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                stdout = head.stdin
            else:
                stdout = open("/dev/full", "wb") if setting == "stdout-full" else out
            try:
                p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err,
                                     start_new_session=True,
                                     preexec_fn=self.preexec(setting, nofile),
                                     cwd=cwd)	# a relative --svg FILE lands in the scratch, removed after
            finally:
                if stdout is not out:
                    stdout.close()
            try:
                rc = p.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                rc = None
            kill_session(p.pid)
            if rc is None:
                p.wait()
            if head:
                head.wait()
            if status:
                try:
                    rc = int(open(status).read()) if rc is not None else rc
                    os.unlink(status)
                except (OSError, ValueError):
                    rc = rc if rc is None else -signal.SIGKILL	# PID 1 itself died
            out.seek(0), err.seek(0)
            return rc, out.read(), err.read()


def strays():
    """Children of ours that no one waited for: zombies the command left to its caller."""
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


# ---- judging one ----
def opts_part(argv):
    return argv[:argv.index("--")] if "--" in argv else argv


def as_options(argv):
    """The words of argv that clonelab takes as options, not as values: an option that
    takes a value, given without `=`, takes the next word whatever it looks like
    (getopt's rule), so `run --root --json` roots in a directory named "--json" and asks
    for no JSON; run's options also end at COMMAND, its first word that is no option
    ("-" included)."""
    head = opts_part(argv)
    opts = OPTS.get(head[0], COMMON) if head else COMMON
    out, i = [], 1
    while i < len(head):
        a = head[i]
        if head[0] == "run" and (a == "-" or not a.startswith("-")):	# "-" is a word too
            break
        out.append(a)
        i += 2 if opts.get(a) is not None else 1
    return out


def judge(argv, setting, rc, out, err, timeout):
    """[(kind, detail)] for one execution."""
    found = []
    head = [argv[0]] + as_options(argv) if argv else []
    is_run = bool(argv) and argv[0] == "run"
    if rc is None:
        return [("hang", f"still running after {timeout}s")]
    if setting == "sigpipe" and rc in (-signal.SIGPIPE, 128 + signal.SIGPIPE):
        return []	# the usual end of `| head` (or COMMAND's, in run)
    if rc < 0:
        return [("crash", f"killed by signal {-rc} ({signal_name(-rc)})")]
    allowed = {0, 1, 2, 3} | ({126, 127} if is_run else set())
    if is_run and argv[-3:] == ["sh", "-c", "exit 5"]:
        allowed.add(5)
    if is_run and argv[-1] == "kill -TERM $$":
        allowed.add(128 + 15)
    if rc not in allowed:
        found.append(("exit", f"exit status {rc}"))
    if setting == "sigpipe":	# stdout went to the reader, which quit: nothing to judge there
        return found
    if setting == "stdout-full":
        # run prints nothing of its own on stdout without --json, or with its report
        # sent elsewhere (--report-fd): COMMAND's output is COMMAND's.
        own = not is_run or ("--json" in head and not any(a.startswith("--report-fd") for a in head))
        if rc == 0 and own:
            found.append(("output", "exit 0 with stdout on /dev/full"))
        return found
    helpish = any(a in ("--help", "-h", "help", "--version") for a in head)
    if "--json" in head and not helpish and not any(a.startswith("--report-fd") for a in head):
        bad = bad_json(out, is_run)
        if bad and rc == 2:
            found.append(("json", "usage error under --json: " + bad))
        elif bad:
            found.append(("json", bad))
    if rc in (1, 2, 3) and not err.strip() and not (is_run and rc == 1 and argv[-1:] == ["false"]) \
            and not ("--json" in head and out.strip()):
        found.append(("silent", f"exit {rc} with nothing on stderr"))
    return found


def signal_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:	# a real-time signal
        return f"SIGRTMIN+{n - signal.SIGRTMIN}"


def bad_json(out, is_run):
    lines = [ln for ln in out.split(b"\n") if ln.strip()]
    if not lines:
        return "nothing on stdout under --json"
    try:	# one object, however many lines it spans (tour's)
        if not is_run and isinstance(json.loads(out.decode("utf-8")), dict):
            return None
    except (UnicodeDecodeError, ValueError):
        pass
    for ln in lines[:1] if is_run else lines:	# run: the report line, then COMMAND's output
        try:
            obj = json.loads(ln.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return f"not JSON: {type(e).__name__}: {ln[:120]!r}"
        if not isinstance(obj, dict):
            return f"not a JSON object: {ln[:80]!r}"
    return None


# ---- corpus, known findings, the loop ----
def load_corpus():
    seeds = []
    for path in sorted(glob.glob(os.path.join(HERE, "corpus", "*.argv"))):
        for line in open(path, encoding="utf-8", errors="surrogateescape"):
            if line.strip() and not line.startswith("#"):
                seeds.append(json.loads(line))
    return seeds


def load_known():
    known = []
    path = os.path.join(HERE, "known.txt")
    for line in open(path) if os.path.exists(path) else []:
        if line.strip() and not line.startswith("#"):
            kind, rx, why = re.split(r"\s+", line.strip(), maxsplit=2)
            known.append((kind, re.compile(rx), why))
    return known


def shell_quote(argv):
    """A line to paste into bash: plain words bare, the rest as $'...' with escapes."""
    def q(a):
        if a and re.fullmatch(r"[\w@%+=:,./-]+", a):
            return a
        b = argv_bytes(a)
        return "$'" + "".join(chr(c) if 32 <= c < 127 and chr(c) not in "'\\" else f"\\x{c:02x}"
                              for c in b) + "'"
    return " ".join(q(a) for a in argv)


def choose_setting(rng, root, hostile, qemu):
    r = rng.random()
    if not hostile or r < 0.6:
        return "plain"
    if r < 0.67 and root:
        return "uid-65534"
    if r < 0.74:
        return "sigchld-ignored"
    if r < 0.81:
        return "stdout-full"
    if r < 0.88:
        return "sigpipe"
    if r < 0.94 or not root or qemu:	# QEMU needs more descriptors than a tiny limit gives
        return "nofile-low" if not qemu else "plain"
    return "pidns"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", os.uname().machine, "clonelab"))
    ap.add_argument("--qemu", help="run the binary under this QEMU user-mode emulator")
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 60)))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", time.time())))
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--no-hostile", action="store_true", help="plain settings only")
    ap.add_argument("--tap", action="store_true")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)	# the commands run in their scratch directory
    if not os.access(a.bin, os.X_OK):
        print(f"fuzz.py: {a.bin} is not built (make both)", file=sys.stderr)
        return 2
    rng, runner = random.Random(a.seed), Runner(a.bin, a.qemu, a.timeout)
    corpus, known = load_corpus(), load_known()
    findings = {}	# (kind, setting, command, detail shape) -> (argv, detail)
    execs, start = 0, time.time()
    strays()
    while time.time() - start < a.seconds:
        argv = mutate(rng.choice(corpus), rng) if corpus and rng.random() < 0.5 else generate(rng)
        setting = choose_setting(rng, runner.root, not a.no_hostile, a.qemu)
        rc, out, err, changed, left = runner.run(argv, setting, rng)
        execs += 1
        found = judge(argv, setting, rc, out, err, a.timeout)
        if strays():
            found.append(("zombie", "a child left unreaped under the caller"))
        if changed:
            found.append(("clobber", "the planted symlink's target changed"))
        if left:
            found.append(("leftover", "left behind: " + " ".join(sorted(left))))
        for kind, detail in found:
            key = (kind, setting, argv[0] if argv else "", re.sub(r"\d+", "N", detail)[:60])
            if key not in findings or len(shell_quote(argv)) < len(shell_quote(findings[key][0])):
                findings[key] = (argv, detail)
    return report(findings, known, execs, time.time() - start, a)


def report(findings, known, execs, secs, a):
    by_kind = {k: [] for k in KINDS}
    for (kind, setting, _cmd, _), (argv, detail) in sorted(findings.items()):
        line = f"{setting} {' '.join(argv)} :: {detail}"
        why = next((w for k, rx, w in known if k == kind and rx.search(line)), None)
        repro = ("" if setting == "plain" else f"[{setting}] ") + "clonelab " + shell_quote(argv)
        by_kind[kind].append((repro, detail, why))
    bin_ = os.path.relpath(a.bin, ROOT) + (f" under {a.qemu}" if a.qemu else "")
    unknown = sum(1 for v in by_kind.values() for f in v if f[2] is None)
    if a.tap:
        print("TAP version 13")
        print(f"1..{len(KINDS)}")
    print(f"# fuzz: {bin_}: {execs} executions in {secs:.0f}s (seed {a.seed}), "
          f"{sum(len(v) for v in by_kind.values())} distinct findings, {unknown} unknown")
    for n, kind in enumerate(KINDS, 1):
        fs = by_kind[kind]
        new = [f for f in fs if f[2] is None]
        status = "not ok" if new else "ok"
        skip = f" # SKIP only known findings: {', '.join(sorted({f[2] for f in fs}))}" if fs and not new else ""
        if a.tap:
            print(f"{status} {n} - fuzz: no {kind} findings{skip}")
        shown = {}
        for repro, detail, why in sorted(fs, key=lambda f: (f[2] or "", len(f[0]))):
            shown[why] = shown.get(why, 0) + 1	# the 3 shortest of each known, 10 of the rest
            if shown[why] <= (10 if why is None else 3):
                print(f"#   {kind}: {detail}: {repro}" + (f"  (known: {why})" if why else ""))
            elif shown[why] == (10 if why is None else 3) + 1:
                print(f"#   {kind}: ... and more like the above")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
