"""libclonelab.a in other people's programs, the way an outsider builds them: `make
install` of every architecture into one temporary PREFIX, then programs that use ONLY
what was installed (the header, the library, crt0.o and the .pc files, found by
pkg-config), built for the bed's architecture and run on it (natively, or under
qemu-<arch>): threads with atomics, fork+wait, a user namespace, a C++ consumer, a
program built with -fstack-protector-all, and the API's edges."""
import os
import platform
import re
import shutil
import subprocess

from harness import ARCHES, Skip, ROOT


def cross(arch):
    """The compiler prefix for arch: none on its own host, Debian's triplet otherwise."""
    return "" if arch == platform.machine() else f"{arch}-linux-gnu-"


def machines(path):
    """The ELF machine names readelf finds in path (every member of an archive)."""
    out = subprocess.run(["readelf", "-h", path], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s*Machine:\s*(.+?)\s*$", out, re.M))

SRC = os.path.join(ROOT, "tests", "outsider")  # the programs, one file each, said there


def source(name):
    return open(os.path.join(SRC, name)).read()


THREADS, FORK, USERNS, SSP, API, CXX, HOSTED = (source(n) for n in (
    "threads.c", "fork.c", "userns.c", "ssp.c", "api.c", "cxx.cc", "hosted.c"))

HOSTED_OUT = ["flushed at exit", "thread 42, child 3"]


def prefix(bed):
    """Every architecture installed into one PREFIX (the second must not overwrite
    the first). Built once per bed run; returns the PREFIX."""
    pfx = os.path.join(bed.tmpdir(), "prefix")
    if not os.path.isdir(pfx):
        for arch in ARCHES:
            r = subprocess.run(["make", "-s", "install", f"ARCH={arch}", f"O=build/{arch}",
                                f"PREFIX={pfx}"], cwd=ROOT, capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
    return pfx


def pkg(pfx, arch, name, what):
    env = dict(os.environ, PKG_CONFIG_LIBDIR=os.path.join(pfx, "lib/clonelab", arch, "pkgconfig"))
    r = subprocess.run(["pkg-config", what, name], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def build(bed, name, source, lang="c", pc="clonelab-freestanding", extra=(), static=None):
    """Compile source for the bed's architecture with the installed .pc's flags only."""
    pfx = prefix(bed)
    tool = cross(bed.arch) + ("g++" if lang == "c++" else "gcc")
    if shutil.which(tool) is None:
        raise AssertionError(f"{tool} is missing (tests/deps.sh installs it)")
    src = os.path.join(bed.tmpdir(), f"{name}.{'cc' if lang == 'c++' else 'c'}")
    exe = os.path.join(bed.tmpdir(), name)
    open(src, "w").write(source)
    static = bool(cross(bed.arch)) if static is None else static  # qemu-<arch> needs no sysroot
    cmd = ([tool, "-O2"] + list(extra) + pkg(pfx, bed.arch, pc, "--cflags") + [src] +
           pkg(pfx, bed.arch, pc, "--libs") + (["-static"] if static else []) + ["-o", exe])
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"
    assert machines(exe) == machines(bed.clonelab), f"{exe} is not built for {bed.arch}"
    return exe


def test_install_keeps_every_architecture(bed):
    pfx = prefix(bed)
    for arch in ARCHES:
        lib = os.path.join(pfx, "lib/clonelab", arch)
        for f in ("libclonelab.a", "crt0.o", "crt0-nossp.o", "clonelab.ld", "clonelab",
                  "pkgconfig/clonelab.pc", "pkgconfig/clonelab-freestanding.pc"):
            assert os.path.exists(os.path.join(lib, f)), f"{arch}: {f} missing"
        want = machines(os.path.join(ROOT, "build", arch, "clonelab"))
        assert len(want) == 1, f"build/{arch}/clonelab: {want}"
        for f in ("libclonelab.a", "crt0.o", "clonelab"):
            got = machines(os.path.join(lib, f))
            assert got == want, f"{arch}/{f} is {got}, not {want}: overwritten?"
        assert os.path.exists(os.path.join(pfx, "include/clonelab", arch, "sysnr.h"))
    for page in ("man1/clonelab.1", "man3/clonelab.3"):
        assert os.path.exists(os.path.join(pfx, "share/man", page))


def test_threads_with_atomics(bed):
    exe = build(bed, "threads", THREADS)
    r = bed.run([], prog=exe)
    assert (r.rc, r.out) == (0, "counter 40000, results 28\n"), r


def test_atomics_without_the_flag_link_through_libgcc(bed):
    """Without -mno-outline-atomics, aarch64 calls libgcc's helpers: -lgcc (in the .pc)
    and crt0's __getauxval make that link and run too."""
    if bed.arch != "aarch64":
        raise Skip("only aarch64 outlines atomics")
    exe = build(bed, "threads-outlined", THREADS, extra=["-moutline-atomics"])
    r = bed.run([], prog=exe)
    assert (r.rc, r.out) == (0, "counter 40000, results 28\n"), r


def test_fork_and_wait(bed):
    r = bed.run([], prog=build(bed, "fork", FORK))
    assert (r.rc, r.out) == (0, "child exited 5\n"), r


def test_user_namespace(bed):
    r = bed.run([], prog=build(bed, "userns", USERNS))
    if bed.qemu:  # QEMU refuses CLONE_NEWUSER; the library says so, naming QEMU
        assert r.rc == 3 and "QEMU user mode" in r.err, r
        return
    if r.rc == 3:
        raise Skip(f"user namespaces are not available here: {r.err.strip()}")
    assert (r.rc, r.out) == (0, "uid inside 0\n"), r


def test_stack_protector_all(bed):
    exe = build(bed, "ssp", SSP, extra=["-fstack-protector-all"])
    r = bed.run([], prog=exe)
    assert (r.rc, r.out) == (0, "canary set 1\nmain 5\nthread 9\n"), r
    r = bed.run(["0"], prog=exe)  # overflow by 8 bytes: caught, not a silent success
    assert r.rc in (-6, 134) and "stack smashing detected" in r.err, r


def test_api_edges(bed):
    r = bed.run([], prog=build(bed, "api", API, extra=["-fstack-protector-strong"]))
    assert r.rc == 4, r
    lines = r.out.splitlines()
    assert lines[:6] == ["clone no stack -22", "clone no fn -22", "clone3 no args -22",
                         "clone3 no fn -22", "why either sign 1", "a plain line"], r
    assert lines[6].endswith("already nest 32 deep"), r


def test_cxx_consumer(bed):
    exe = build(bed, "cxx", CXX, lang="c++", pc="clonelab")
    r = bed.run([], prog=exe)
    assert (r.rc, r.out) == (0, "c++: 22\n"), r


def test_hosted_programs_link_the_library(bed):
    """glibc in every link mode (and musl natively): cl_printf's output survives exit."""
    modes = [[], ["-no-pie"], ["-static"], ["-static-pie"]] if not bed.qemu else [["-static"]]
    for mode in modes:
        exe = build(bed, "hosted" + "".join(mode), HOSTED, pc="clonelab", extra=mode,
                    static=False)
        r = bed.run([], prog=exe)  # two buffers, two flushes at exit: either order
        assert r.rc == 0 and sorted(r.out.splitlines()) == HOSTED_OUT, (mode, r)
    if not bed.qemu and shutil.which("musl-gcc"):  # the host's musl, for the host's arch
        pfx = prefix(bed)
        exe = os.path.join(bed.tmpdir(), "hosted-musl")
        src = os.path.join(bed.tmpdir(), "hosted.c")
        cmd = (["musl-gcc", "-static", "-O2"] + pkg(pfx, bed.arch, "clonelab", "--cflags") +
               [src] + pkg(pfx, bed.arch, "clonelab", "--libs") + ["-o", exe])
        assert subprocess.run(cmd).returncode == 0, cmd
        r = bed.run([], prog=exe)
        assert r.rc == 0 and sorted(r.out.splitlines()) == HOSTED_OUT, r


def test_freestanding_program_as_the_readme_says(bed):
    """The two command lines the README gives, word for word, for this architecture."""
    pfx = prefix(bed)
    readme = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"<!-- build-%s:begin -->\n(.*?)<!-- build-%s:end -->" % (bed.arch, bed.arch),
                  readme, re.S)
    assert m, f"README has no build-{bed.arch} block"
    hello = re.search(r"<!-- hello:begin -->\n```c\n(.*?)```\n<!-- hello:end -->", readme, re.S)
    assert hello, "README has no hello.c"
    open(os.path.join(bed.tmpdir(), "hello.c"), "w").write(hello.group(1))
    script = m.group(1).replace("$P/", pfx + "/")
    lines = [ln.strip() for ln in script.splitlines() if ln.strip().startswith(cross(bed.arch) + "gcc")]
    assert len(lines) == 2, script
    for ln in lines:
        r = subprocess.run(ln, shell=True, cwd=bed.tmpdir(), capture_output=True, text=True)
        assert r.returncode == 0, f"{ln}\n{r.stderr}"
    exe = os.path.join(bed.tmpdir(), "hello")
    r = bed.run([], prog=exe)
    assert (r.rc, r.out) == (0, "count: 2000\n"), r
    ph = subprocess.run(["readelf", "-lW", exe], capture_output=True, text=True).stdout
    assert "INTERP" not in ph and "GNU_STACK" in ph, ph


def test_every_export_is_declared_and_documented(bed):
    if bed.name != "native-" + bed.arch:
        raise Skip("one check of the installed files is enough")
    pfx = prefix(bed)
    header = open(os.path.join(pfx, "include/clonelab/clonelab.h")).read()
    man3 = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou",
                           os.path.join(pfx, "share/man/man3/clonelab.3")],
                          capture_output=True, text=True).stdout
    assert 'extern "C"' in header
    for arch in ARCHES:
        lib = os.path.join(pfx, "lib/clonelab", arch)
        for f in ("libclonelab.a", "crt0.o"):
            nm = subprocess.run(["nm", "-g", "--defined-only", os.path.join(lib, f)],
                                capture_output=True, text=True).stdout
            names = {ln.split()[2] for ln in nm.splitlines() if len(ln.split()) == 3}
            assert names, f
            for n in names:
                if not n.startswith("cl_"):
                    continue  # _start, main's callers, memcpy & co., the canary
                assert re.search(r"\b%s\s*\(|extern[^;]*\b%s\b" % (n, n), header), \
                    f"{arch}/{f} exports {n}, which clonelab.h does not declare"
                assert re.search(r"\b%s\b" % n, man3), f"{n} is not in clonelab(3)"


def test_man_pages_render_without_warnings(bed):
    if bed.name != "native-" + bed.arch:
        raise Skip("one check of the installed files is enough")
    pfx = prefix(bed)
    for page in ("man1/clonelab.1", "man3/clonelab.3"):
        path = os.path.join(pfx, "share/man", page)
        r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)
        assert "EXIT STATUS" in r.stdout or "BUILDING" in r.stdout, r.stdout[:500]
    one = subprocess.run(["man", "-l", os.path.join(pfx, "share/man/man1/clonelab.1")],
                         capture_output=True, text=True, env=dict(os.environ, MANWIDTH="200")).stdout
    for cmd in ("tour", "fork", "thread", "userns", "chimera", "probe", "run", "env"):
        assert re.search(r"\b%s\b" % cmd, one), f"clonelab(1) does not cover {cmd}"
        helptext = re.sub(r"unshare --\S+", "", bed.run([cmd, "--help"]).out)	# another tool's option
        for opt in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", helptext)):
            assert opt in one, f"clonelab {cmd} --help names {opt}, which clonelab(1) does not"
