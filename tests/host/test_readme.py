"""What the README and doc/*.md say, word for word, held against clonelab (issue 13's
list): pidfd_slot's place, probe's tid words with a pidfd, errors as JSON, flags in bit
order, the scenario keys, tour --json on one line, CLONE_INTO_CGROUP's cgroup2 mount;
and that the README's links lead somewhere and every document is reachable from it."""
import glob
import json
import os
import re

from harness import Skip, ROOT


README = os.path.join(ROOT, "README.md")
FRAGMENT = os.path.join(ROOT, "doc", "pictures.md")	# generated, inlined into the README


def documents():
    """The README, then the documents it sends the reader to (not its fragment)."""
    return [README] + [p for p in sorted(glob.glob(os.path.join(ROOT, "doc", "*.md"))) if p != FRAGMENT]


def readme():
    """The README and its documents, as one text."""
    return "\n".join(open(p).read() for p in documents())


def native_only(bed):
    if bed.qemu:
        raise Skip("the documents are the same for every bed: checked natively")


def links(path):
    """The relative link targets of one markdown file: [text](target) and ![alt](target)."""
    text = open(path).read()
    return [m for m in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in m]


def anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_lead_somewhere(bed):
    native_only(bed)
    for path in documents():
        for target in links(path):
            file, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
            assert os.path.exists(dest), f"{os.path.relpath(path, ROOT)} links to {target}: no such file"
            if frag and dest.endswith(".md"):
                heads = [anchor(h) for h in re.findall(r"^#+ (.*)$", open(dest).read(), re.M)]
                assert frag in heads, f"{os.path.relpath(path, ROOT)} links to {target}: no such heading"


def test_every_document_is_reachable_from_the_readme(bed):
    native_only(bed)
    text = open(README).read()
    for path in documents()[1:] + glob.glob(os.path.join(ROOT, "doc", "*.[13]")):
        name = os.path.relpath(path, ROOT)
        assert f"]({name}" in text, f"README.md never links to {name}"


def test_pidfd_slot_is_top_level_and_no_tid_word(bed):
    rc, d = bed.json(["probe", "--flags", "pidfd", "--api", "clone", "--json"])
    if rc == 3:
        raise Skip(d.get("explanation", "not possible here"))
    assert rc == 0, d
    assert "pidfd_slot" in d and "pidfd_slot" not in d["call"], d
    assert "| `pidfd_slot` |" in readme()
    # legacy clone writes the pidfd into the PARENT_SETTID slot: not a tid word
    p = d["tids"]["parent_settid"]
    assert (p["at_parent_return"], p["at_child_start"], p["after_exit"]) == (-1, -1, -1), p
    assert p["when"] == "not requested, not written", p


def test_errors_under_json_are_one_object(bed):
    for args, rc_want in ((["probe", "--flags", "newtime", "--api", "clone", "--json"], 2),
                          (["probe", "--flags", "bogus", "--json"], 2),
                          (["run", "--root", "/nonexistent", "--json", "--", "true"], None)):
        r = bed.run(args)
        if rc_want is not None:
            assert r.rc == rc_want, r
        lines = r.out.splitlines()
        assert len(lines) == 1, r
        d = json.loads(lines[0])
        assert d["result"] in ("usage", "error", "unsupported"), d
        assert d["explanation"], d
        if args[0] == "run" and bed.qemu:  # QEMU refuses before --root is looked at
            assert (r.rc, d["result"]) == (3, "unsupported"), d
        elif args[0] == "run":
            assert (r.rc, d["errno"], d["step"]) == (1, "ENOENT", "--root"), d


def test_probe_lists_flags_in_bit_order(bed):
    rc, d = bed.json(["probe", "--flags", "sighand,vm", "--json"])
    assert d["flags"] == ["vm", "sighand"], d
    assert "in bit order" in readme()


def test_scenario_keys_are_documented(bed):
    text = readme()
    rc, d = bed.json(["thread", "--json"])
    assert rc == 0, d
    for key in d:
        assert f"`{key}`" in text, f"thread --json has {key!r}, which the README does not list"
    assert d["parent_tid_word"] == d["thread_tid"], d  # the word the kernel wrote
    rc, d = bed.json(["fork", "--json"])
    for key in d:
        assert f"`{key}`" in text, f"fork --json has {key!r}, which the README does not list"


def test_every_commands_keys_are_documented(bed):
    """doc/json.md names every top-level key that env, probe and run print."""
    text = open(os.path.join(ROOT, "doc", "json.md")).read()
    runs = [["env", "--json"], ["probe", "--json"], ["probe", "--flags", "vm,sighand", "--json"],
            ["probe", "--flags", "newuser,newpid", "--json"], ["run", "--json", "--", "true"]]
    seen = 0
    for args in runs:
        rc, d = bed.json(args)
        if rc == 3:	# QEMU user mode (only probe's fork shape runs there), or no userns
            continue
        seen += 1
        for key in d:
            assert f"`{key}`" in text, f"{' '.join(args)} has {key!r}, which doc/json.md does not list"
    assert seen >= 2, "too few of the commands ran to check their keys"


def test_tour_json_is_one_line(bed):
    r = bed.run(["tour", "--json"], timeout=120)
    assert len(r.out.splitlines()) == 1, r
    d = json.loads(r.out)
    assert sorted(d) == ["chimera", "fork", "thread", "userns"], d


def test_into_cgroup_finds_the_cgroup2_mount(bed):
    if bed.qemu:
        raise Skip("QEMU user mode has no clone3")
    mounts = open("/proc/self/mountinfo").read()
    has2 = any(ln.split(" - ")[1].startswith("cgroup2 ") for ln in mounts.splitlines() if " - " in ln)
    rc, d = bed.json(["probe", "--flags", "into_cgroup", "--json"])
    if not has2:
        assert rc == 3 and d["result"] == "unsupported", d
        return
    assert rc == 0 and d["result"] == "ok", d


def test_unshare_row_for_a_text_file_without_shebang(bed):
    """The side-by-side table: clonelab run gives 126 (execve's ENOEXEC), unshare runs
    the file with sh (glibc's execvp) and returns its status."""
    import shutil
    import subprocess
    if bed.qemu:
        raise Skip("run needs the kernel's clone")
    script = os.path.join(bed.tmpdir(), "noshebang")
    with open(script, "w") as f:
        f.write("exit 5\n")
    os.chmod(script, 0o755)
    r = bed.run(["run", "--", script])
    if r.rc == 3:
        raise Skip(r.err.strip())
    assert r.rc == 126, r
    if shutil.which("unshare") is None:
        raise AssertionError("unshare is missing (tests/deps.sh installs util-linux)")
    u = subprocess.run(["unshare", "--user", "--map-root-user", "--fork", script],
                       capture_output=True, text=True)
    if u.returncode == 1 and "unshare failed" in u.stderr:
        raise Skip("unshare cannot make a user namespace here")
    assert u.returncode == 5, u
    assert "| exit of an executable text file without `#!` | 126 | its status" in readme()
