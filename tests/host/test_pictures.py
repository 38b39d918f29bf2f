"""--svg and tour --html: every picture parsed and checked against the JSON of the same
run (arrows from box to box, the verdicts drawn are the verdicts reported, nothing
outside the file), and the tour page rendered by a real browser (Chromium)."""
import os

from harness import Skip
import picture


def svg_run(bed, args, name):
    path = os.path.join(bed.tmpdir(), name)
    rc, d = bed.json([*args, "--json", "--svg", path])
    return rc, d, path


def scenario(bed, name):
    if bed.qemu and name in ("userns", "chimera"):
        r = bed.run([name, "--svg", os.path.join(bed.tmpdir(), "no.svg")])
        assert r.rc == 3 and not os.path.exists(os.path.join(bed.tmpdir(), "no.svg")), r
        raise Skip("QEMU user mode refuses this shape (exit 3, and no picture)")
    rc, d, path = svg_run(bed, [name], name + ".svg")
    if rc == 3:
        raise Skip(d.get("explanation", "not possible here"))
    assert rc == 0, d
    drawn, time = picture.check_svg_file(path)
    assert drawn == picture.expected_boxes(d["shared"], d.get("kernel")), (drawn, d["shared"])
    return d, drawn, time


def test_svg_fork(bed):
    d, drawn, _ = scenario(bed, "fork")
    for name in ("mm", "fs", "files", "sighand", "signal"):
        assert drawn[name] == "separate", (name, drawn)
    assert drawn["pid ns"] == "shared"


def test_svg_thread(bed):
    d, drawn, time = scenario(bed, "thread")
    for name in ("mm", "fs", "files", "sighand", "signal"):
        assert drawn[name] == "shared", (name, drawn)
    # the timeline: the parent's syscall and the child's first instruction, on the
    # lanes of the CPUs the JSON names
    svg = picture.SVG
    lanes = {t.text for t in time.iter(svg + "text") if (t.text or "").startswith("CPU ")}
    assert {f"CPU {d['parent_cpu']}", f"CPU {d['cpu']}"} <= lanes, lanes
    # ticks on 1-2-5 steps from 0, the latency rounded (not cut) to 0.1 µs
    ticks = [t.text for t in time.iter(svg + "text") if t.get("class") == "small"
             and t.get("text-anchor") == "middle" and (t.text or "")[:1] in "+-"]
    assert ("+0 µs" in ticks or "+0 ms" in ticks) and len(ticks) >= 2, ticks
    vals = [float(t.split()[0]) for t in ticks]
    step = round(vals[1] - vals[0], 3)
    assert f"{step:g}".replace(".", "").strip("0") in ("1", "2", "5"), ticks
    lat = d["latency_ns"]
    unit, name = (100, "µs") if lat < 10_000_000 else (100_000, "ms")
    tenths = (lat + unit // 2) // unit        # rounded half up, as drawn
    want = f"+{tenths // 10}.{tenths % 10} {name}"
    assert any(want in (t.text or "") for t in time.iter(svg + "text")), want
    marks = [r.get("class") for r in time.iter(svg + "rect") if r.get("id")]
    assert marks == ["marker mk-parent", "marker mk-child"], marks


def test_svg_thread_kernel(bed):
    """--kernel --svg: every kernel event of the JSON's "kernel" part is a bar on the lane
    of its CPU, in the same run (the child's first instruction is clonelab's own square)."""
    if bed.qemu or os.geteuid() != 0:
        raise Skip("no tracing here (QEMU user mode, or not root)")
    rc, d, path = svg_run(bed, ["thread", "--kernel", "--cpu", "0"], "thread-kernel.svg")
    assert rc == 0, d
    drawn, time = picture.check_svg_file(path)
    assert drawn == picture.expected_boxes(d["shared"], d["kernel"]), (drawn, d["shared"])
    svg = picture.SVG
    lane = {float(t.get("y")) - 4: int(t.text[4:]) for t in time.iter(svg + "text")
            if t.get("x") == "10" and (t.text or "").startswith("CPU ")}
    drawn_cpus = sorted(lane[float(r.get("y")) + 8] for r in time.iter(svg + "rect")
                        if r.get("id") and "mk-kernel" in r.get("class", "").split())
    want = sorted(e["cpu"] for e in d["kernel"]["events"] if e["kind"] != "first_user_instruction")
    assert want and drawn_cpus == want, (drawn_cpus, d["kernel"]["events"])
    legend = " ".join(t.text for t in time.iter(svg + "text") if t.get("class") == "what")
    for e in d["kernel"]["events"]:
        if e["kind"] != "first_user_instruction":
            assert " ".join(e["what"].split())[:90] in legend, (e["what"], legend)
    # the parent's CPU is the kernel's: where it entered the syscall
    enter = [e for e in d["kernel"]["events"] if e["kind"] == "syscall_enter"]
    marks = {r.get("class"): r for r in time.iter(svg + "rect") if r.get("id")}
    if enter:
        assert lane[float(marks["marker mk-parent"].get("y")) + 6] == enter[0]["cpu"], enter
    tasks = [t.text for t in picture.ET.parse(path).getroot().iter(svg + "text")]
    if d["kernel"]["task"]:
        assert "at " + format(int(d["kernel"]["task"]["child"], 16), "x") in tasks, tasks
    else:
        assert tasks.count("address not seen") == 2, tasks


def test_svg_chimera(bed):
    d, drawn, _ = scenario(bed, "chimera")
    assert drawn["mm"] == "shared" and drawn["signal"] == "separate", drawn


def test_svg_userns(bed):
    d, drawn, _ = scenario(bed, "userns")
    assert drawn["user ns"] == "separate" and drawn["pid ns"] == "shared", drawn
    assert drawn["cred"] == "separate", drawn   # another user ns: another cred
    # the story: the same run's uids before and after the map, the map, setuid(0)
    root = picture.ET.parse(os.path.join(bed.tmpdir(), "userns.svg")).getroot()
    story = next(e for e in root.iter(picture.SVG + "svg") if e.get("id") == "userns-userns")
    text = " ".join(t.text for t in story.iter(picture.SVG + "text"))
    assert f"parent's cred: uid {d['outside_uid']}, gid {d['outside_gid']}" in text, text
    assert f"uid {d['uid_before_map']} (getuid() before the map" in text, text
    assert f"after the map: uid {d['inside_uid']} inside" in text, text
    assert " ".join(d["uid_map"].split()) in text, text
    assert ("setuid(0): succeeded" in text) == d["setuid0"], text


def test_svg_probe_side_by_side(bed):
    """probe --flags vm,fs against the default: the pictures differ in mm and fs only."""
    if bed.qemu:
        raise Skip("QEMU user mode refuses vm,fs (exit 3)")
    rc0, d0, p0 = svg_run(bed, ["probe"], "probe-default.svg")
    rc1, d1, p1 = svg_run(bed, ["probe", "--flags", "vm,fs"], "probe-vm-fs.svg")
    assert rc0 == 0 and rc1 == 0, (d0, d1)
    a, _ = picture.check_svg_file(p0)
    b, _ = picture.check_svg_file(p1)
    assert a == picture.expected_boxes(d0["shared"], d0.get("kernel")) and \
        b == picture.expected_boxes(d1["shared"], d1.get("kernel"))
    differ = sorted(k for k in a if a[k] != b[k])
    assert differ == ["fs", "mm"], (differ, a, b)
    assert a["mm"] == a["fs"] == "separate" and b["mm"] == b["fs"] == "shared"


def test_svg_stdout_and_errors(bed):
    r = bed.run(["fork", "--svg", "-"])
    assert r.rc == 0 and r.out.startswith("<?xml") and r.out.rstrip().endswith("</svg>"), r.out[:200]
    assert "returns twice" not in r.out, "the text report went to stdout too"
    r = bed.run(["fork", "--svg", "/nonexistent/dir/f.svg"])
    assert r.rc == 1 and "ENOENT" in r.err and "--svg" in r.err, r
    r = bed.run(["fork", "--svg", "/dev/full"])
    assert r.rc == 1 and "ENOSPC" in r.err, r
    r = bed.run(["fork", "--html", "x.html"])
    assert r.rc == 2 and "tour" in r.err, r
    r = bed.run(["tour", "--svg", "x.svg"])
    assert r.rc == 2, r


def tour_page(bed):
    path = os.path.join(bed.tmpdir(), "tour.html")
    r = bed.run(["tour", "--html", path], timeout=60)
    assert r.rc in (0, 3), r
    rc, d = bed.json(["tour", "--json"], timeout=60)   # what runs here, for comparison
    return path, d


def test_tour_html(bed):
    path, d = tour_page(bed)
    got = picture.check_page(path)
    for name, v in got.items():
        ok = d[name]["result"] == "ok"
        assert (v is not None) == ok, (name, d[name]["result"])
    assert got["fork"]["mm"] == "separate" and got["thread"]["mm"] == "shared"


def test_tour_in_browser(bed):
    """Chromium lays the page out: boxes and labels must not overlap; on a desktop and
    on a phone (390 px), light and dark, every figure shows one picture with ink in its
    own part of the screenshot, every text is visible, big enough and in contrast with
    what lies under it, and the page is no wider than the window."""
    if not picture.chromium():
        raise AssertionError("chromium is not installed (tests/deps.sh installs it)")
    path, _ = tour_page(bed)
    geo = picture.geometry(path)
    assert len(geo) >= 4, f"only {len(geo)} pictures laid out"
    problems = picture.layout_problems(geo)
    assert not problems, "\n".join(problems[:20])
    for width, scheme in ((1000, "light"), (1000, "dark"), (390, "light"), (390, "dark")):
        m = picture.probe(path, width, scheme)
        bad = picture.reading_problems(m, min_svg=9 if width > 600 else 12)
        assert not bad, f"{width} px, {scheme}:\n" + "\n".join(bad[:20])
        if (width, scheme) in ((1000, "light"), (390, "dark")):
            png = os.path.join(bed.tmpdir(), f"tour-{width}-{scheme}.png")
            for i, (share, colours) in enumerate(picture.figure_ink(path, m, width, scheme, png)):
                assert share > 0.05 and colours >= 3, \
                    f"{width} px, {scheme}: figure {i + 1} looks blank ({share:.3f} ink, {colours} colours)"


# Pages the browser test must reject: each breaks what a reader sees, not the markup.
BROKEN = {
    "every figure hidden": "figure{display:none!important}",
    "SVG text hidden": "svg text{visibility:hidden!important}",
    "SVG text transparent": "svg text{fill:transparent!important}",
    "SVG text of size 0": "svg text{font-size:0!important}",
    "pictures at opacity 0": "figure svg{opacity:0!important}",
    "dark-mode text in the background colour":
        "@media (prefers-color-scheme:dark){svg text{fill:#181a1b!important}}",
    "a phone scrolls sideways": "@media (max-width:600px){figure .narrow svg{min-width:500px}}",
    "small text on a phone": "@media (max-width:600px){figure .narrow{display:none!important}"
                             "figure .wide{display:block!important}}",
}


def test_browser_test_can_fail(bed):
    """The checks of test_tour_in_browser on broken copies of a real page: each is caught,
    in the width and scheme where it shows."""
    if bed.qemu:
        raise Skip("tests the test: once, natively")
    if not picture.chromium():
        raise AssertionError("chromium is not installed (tests/deps.sh installs it)")
    path, _ = tour_page(bed)
    text = open(path, encoding="utf-8").read()
    for name, css in BROKEN.items():
        broken = os.path.join(bed.tmpdir(), "broken.html")
        with open(broken, "w", encoding="utf-8") as f:
            f.write(text.replace("</head>", f"<style>{css}</style></head>"))
        found = []
        for width, scheme in ((1000, "light"), (390, "dark")):
            m = picture.probe(broken, width, scheme)
            found += picture.reading_problems(m, min_svg=9 if width > 600 else 12)
            if name == "pictures at opacity 0" and width == 1000:
                ink = picture.figure_ink(broken, m, width, scheme, broken + ".png")
                assert all(share < 0.05 for share, _ in ink), (name, ink)
        assert found, f"the browser test passes a page with {name}"
