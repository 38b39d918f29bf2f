"""Writing the picture files (--svg FILE, tour --html FILE), attacks.md findings 4 and
12 to 17: a symlink at the path is never followed, a file is written whole or not at all
(a temporary file beside the path, renamed over it, only once the run is over), a FIFO
nobody reads is an error, not a hang, --json says "error" when the picture could not be
written and refuses `-`, and the messages and the page stay readable. The pictures'
contents are test_pictures.py's."""
import json
import os
import resource
import signal
import subprocess

from harness import Skip


def fresh_dir(bed, name):
    d = os.path.join(bed.tmpdir(), name)
    os.makedirs(d)
    return d


def test_picture_symlink_not_followed(bed):
    """Finding 4: a symlink planted at the path is not followed: its target keeps its
    contents, whatever the command."""
    d = fresh_dir(bed, "symlink")
    target = os.path.join(d, "target")
    with open(target, "w") as f:
        f.write("precious\n")
    link = os.path.join(d, "pic.svg")
    os.symlink(target, link)
    for args in (["fork", "--svg", link], ["tour", "--html", link]):
        r = bed.run(args, timeout=60)
        with open(target) as f:
            assert f.read() == "precious\n", ("the symlink's target was written", r)
        assert r.rc == 1 and "symbolic link" in r.err and link in r.err, r
        assert os.readlink(link) == target, "the symlink itself was replaced"
    assert sorted(os.listdir(d)) == ["pic.svg", "target"], os.listdir(d)


def run_fsize(bed, args, limit):
    """args with RLIMIT_FSIZE = limit bytes and SIGXFSZ ignored: a longer file is EFBIG."""
    def lower():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run(bed.command(args), capture_output=True, text=True, errors="replace",
                          timeout=60, preexec_fn=lower)


def test_picture_whole_or_nothing(bed):
    """Finding 15: a picture that cannot be written whole leaves no file, not even a
    temporary one, and an existing file keeps its old contents."""
    d = fresh_dir(bed, "whole")
    new, old = os.path.join(d, "new.html"), os.path.join(d, "old.svg")
    with open(old, "w") as f:
        f.write("old\n")
    r = run_fsize(bed, ["tour", "--html", new], 8192)
    assert r.returncode == 1 and "EFBIG" in r.stderr and "--html" in r.stderr, r
    r = run_fsize(bed, ["fork", "--svg", old], 4096)
    assert r.returncode == 1 and "EFBIG" in r.stderr and "--svg" in r.stderr, r
    assert sorted(os.listdir(d)) == ["old.svg"], os.listdir(d)
    with open(old) as f:
        assert f.read() == "old\n"


def test_tour_page_untouched_while_running(bed):
    """Finding 15: tour --html leaves an existing page alone until the tour has run: its
    first line of output (flushed before the first clone) finds the old page intact."""
    d = fresh_dir(bed, "running")
    page = os.path.join(d, "p.html")
    with open(page, "w") as f:
        f.write("old\n")
    p = subprocess.Popen(bed.command(["tour", "--html", page]), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, errors="replace")
    try:
        first = p.stdout.readline()
        with open(page) as f:
            during = f.read()
        p.stdout.read()
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert first and during == "old\n", (first, during)
    assert rc in (0, 3), rc
    with open(page) as f:
        assert f.read().startswith("<!DOCTYPE html>")
    assert os.listdir(d) == ["p.html"], os.listdir(d)


def test_picture_fifo(bed):
    """Finding 14: a FIFO nobody reads is exit 1 with a message, not a hang (the tour
    says so before its first clone); a FIFO that is read gets the picture."""
    d = fresh_dir(bed, "fifo")
    fifo = os.path.join(d, "f")
    os.mkfifo(fifo)
    r = bed.run(["fork", "--svg", fifo], timeout=20)
    assert r.rc == 1 and "--svg" in r.err and "ENXIO" in r.err and "reader" in r.err, r
    r = bed.run(["tour", "--html", fifo], timeout=20)
    assert r.rc == 1 and "--html" in r.err and "ENXIO" in r.err, r
    assert r.out == "", "the tour ran before it refused the page"
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = bed.run(["fork", "--svg", fifo], timeout=20)
        assert r.rc == 0, r
        got = b""
        while True:
            try:
                chunk = os.read(rd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            got += chunk
    finally:
        os.close(rd)
    assert got.startswith(b"<?xml") and got.rstrip().endswith(b"</svg>"), got[:200]


def one_json(r):
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise AssertionError(f"not one JSON object ({e}): {r!r}") from None


def test_picture_json_error(bed):
    """Finding 12: under --json, a picture that cannot be written makes the one object
    say "error" (and nothing on stderr), as doc/json.md promises for every error."""
    nodir = os.path.join(bed.tmpdir(), "no", "such", "dir", "x.svg")
    cases = [(["fork", "--svg", "/dev/full"], "ENOSPC"),
             (["thread", "--svg", "/dev/full"], "ENOSPC"),
             (["probe", "--svg", "/dev/full"], "ENOSPC"),
             (["fork", "--svg", nodir], "ENOENT"),
             (["tour", "--html", "/dev/full"], "ENOSPC")]
    for args, errno in cases:
        r = bed.run(args + ["--json"], timeout=60)
        d = one_json(r)
        assert r.rc == 1 and d.get("result") == "error" and d.get("errno") == errno, r
        assert args[-2] in d.get("step", ""), d
        assert r.err == "", r


def test_picture_json_stdout_is_usage(bed):
    """Finding 13: --json with `--svg -` (or `tour --html -`) would put the picture where
    the JSON goes: a usage error, exit 2, as one JSON object; and nothing is run."""
    for args in (["fork", "--svg", "-"], ["probe", "--svg", "-"], ["tour", "--html", "-"],
                 ["chimera", "--svg", "-"]):
        r = bed.run(args + ["--json"], timeout=60)
        d = one_json(r)
        assert r.rc == 2 and d.get("result") == "usage" and args[-2] in d.get("explanation", ""), r


def test_picture_long_path_message(bed):
    """Finding 16: a path too long for the kernel: the message keeps its label and the
    path's beginning."""
    long_path = "b/" * 3000 + "x"
    r = bed.run(["fork", "--svg", long_path])
    assert r.rc == 1 and "--svg b/b/b/" in r.err and "ENAMETOOLONG" in r.err, r


def test_tour_page_release_not_utf8(bed):
    """Finding 17: a kernel release that is not UTF-8 (QEMU's -r sets any) is escaped in
    the page, which is declared UTF-8."""
    if not bed.qemu:
        raise Skip("only QEMU user mode can fake the kernel release (-r)")
    page = os.path.join(fresh_dir(bed, "release"), "r.html")
    cmd = bed.command(["tour", "--html", page], qemu_opts=["-r", "6.1\udcff-odd"])
    r = bed.run([], _cmd=cmd, timeout=60)
    assert r.rc in (0, 3), r
    with open(page, "rb") as f:
        text = f.read().decode("utf-8")     # raises on a raw \xff
    assert "6.1&#xff;-odd" in text, text[:2000]
