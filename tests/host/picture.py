"""What the tests know about clonelab's pictures (--svg, tour --html): parse them and
check their content, not just their form. Used by test_pictures.py and `make readme`."""
import html
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"
# The picture's box names, by their key in probe's "shared" JSON.
KEYS = {"vm": "mm", "fs": "fs", "files": "files", "sighand": "sighand", "thread_group": "signal"}
NS = ["user", "pid", "uts", "ipc", "mnt", "net", "cgroup", "time"]


def expected_boxes(shared, kernel=None):
    """{box name: "shared"/"separate"/"unknown"} from a JSON "shared" object, and the
    same run's "kernel" part if any: cred and nsproxy have no kcmp, so without the
    kernel's pointers they are known only where a namespace under them differs."""
    want = {}
    for key, name in KEYS.items():
        want[name] = shared.get(key)
    for ns in NS:
        want[f"{ns} ns"] = shared["ns"].get(ns)
    objs = (kernel or {}).get("objects") or {}
    want["cred"] = objs["cred"]["same"] if "cred" in objs else \
        (False if shared["ns"].get("user") is False else None)
    want["nsproxy"] = objs["nsproxy"]["same"] if "nsproxy" in objs else \
        (False if any(shared["ns"].get(n) is False for n in NS[1:]) else None)
    return {k: "unknown" if v is None else "shared" if v else "separate" for k, v in want.items()}


def _rect(e):
    return tuple(float(e.get(a)) for a in ("x", "y", "width", "height"))


def _on_edge(x, y, r, tol=1.0):
    rx, ry, rw, rh = r
    inside = rx - tol <= x <= rx + rw + tol and ry - tol <= y <= ry + rh + tol
    edge = min(abs(x - rx), abs(x - rx - rw), abs(y - ry), abs(y - ry - rh)) <= tol
    return inside and edge


def check_refs(root, text):
    """Nothing refers outside the file: every url(#x)/href is an id here; no scripts,
    no images, no foreign objects, no http(s) but the namespace."""
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    for e in root.iter():
        tag = e.tag.replace(SVG, "")
        assert tag not in ("script", "image", "foreignObject", "use", "a"), f"<{tag}> in a picture"
        for k, v in e.attrib.items():
            for ref in re.findall(r"url\(([^)]*)\)", v):
                assert ref.startswith("#") and ref[1:] in ids, f"{k}={v}: refers outside"
            if k.endswith("href"):
                assert v.startswith("#") and v[1:] in ids, f"{k}={v}: refers outside"
    for m in re.findall(r"https?://[^\"' )]*", text):
        assert m == "http://www.w3.org/2000/svg", f"external reference {m}"
    assert "@import" not in text


def _arrow_ends(a):
    """(x1, y1, x2, y2) of an arrow: a <line>, or a <path> of straight segments."""
    if a.tag == SVG + "line":
        return tuple(float(a.get(k)) for k in ("x1", "y1", "x2", "y2"))
    pts = [tuple(map(float, p.split(","))) for p in re.findall(r"[-\d.]+,[-\d.]+", a.get("d"))]
    assert re.fullmatch(r"M[-\d.,]+(L[-\d.,]+)+", a.get("d")), a.get("d")
    return pts[0] + pts[-1]


def check_picture(svg):
    """One <svg> picture (an Element): title and desc, arrows from box to box.
    Returns {box name: {verdict: [owners]}} for the sharing picture. A shared box is
    reached from both task_structs, a task's own box from that task only (by the arrows:
    task -> cred -> user ns, task -> nsproxy -> the namespaces)."""
    pid = svg.get("id")
    assert svg.find(SVG + "title") is not None and svg.find(SVG + "title").text, pid
    assert svg.find(SVG + "desc") is not None and svg.find(SVG + "desc").text, pid
    rects = {e.get("id"): e for e in svg.iter(SVG + "rect") if e.get("id")}
    arrows = [e for e in svg.iter() if e.tag in (SVG + "line", SVG + "path")
              and "arrow" in e.get("class", "").split()]
    for a in arrows:
        f, t = a.get("data-from"), a.get("data-to")
        assert f in rects and t in rects, f"{pid}: arrow {f} -> {t}: no such box"
        x1, y1, x2, y2 = _arrow_ends(a)
        assert _on_edge(x1, y1, _rect(rects[f])), f"{pid}: arrow does not start on {f}"
        assert _on_edge(x2, y2, _rect(rects[t])), f"{pid}: arrow does not end on {t}"
    boxes = {}
    for e in svg.iter(SVG + "rect"):
        if e.get("data-name"):
            for name in e.get("data-name").split("+"):
                boxes.setdefault(name, {}).setdefault(e.get("data-verdict"), []).append(
                    e.get("data-owner"))
    edges = {}
    for a in arrows:
        edges.setdefault(a.get("data-from"), set()).add(a.get("data-to"))

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for n in edges.get(todo.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return seen
    tasks = {e.get("data-task"): e.get("id") for e in rects.values() if e.get("data-task")}
    if tasks:
        assert sorted(tasks) == ["child", "parent"], (pid, tasks)
        by = {who: reach(i) for who, i in tasks.items()}
        for i, e in rects.items():
            v, owner = e.get("data-verdict"), e.get("data-owner")
            if v in ("shared", "separate"):
                got = sorted(w for w in by if i in by[w])
                want = ["child", "parent"] if v == "shared" else [owner]
                assert got == want, f"{pid}: {i} ({v}, {owner}) reached from {got}"
    return boxes


def verdicts(boxes):
    """{name: verdict} from check_picture's result; a separate resource has two boxes."""
    out = {}
    for name, by in boxes.items():
        assert len(by) == 1, f"{name} drawn as {by}"
        (v, owners), = by.items()
        assert sorted(owners) == (["child", "parent"] if v == "separate" else ["both"]), (name, owners)
        out[name] = v
    return out


def check_svg_file(path):
    """A --svg file: well-formed XML, both pictures, nothing outside. Returns the
    sharing picture's verdicts and the timeline's element."""
    text = open(path, encoding="utf-8").read()
    root = ET.fromstring(text)
    check_refs(root, text)
    pics = [e for e in root.iter(SVG + "svg") if e.get("id")]
    kinds = sorted(p.get("id").rsplit("-", 1)[1] for p in pics)
    assert kinds == ["sharing", "timeline"], kinds
    share = next(p for p in pics if p.get("id").endswith("-sharing"))
    time = next(p for p in pics if p.get("id").endswith("-timeline"))
    check_picture(time)
    return verdicts(check_picture(share)), time


class Page(html.parser.HTMLParser):
    """The tour page's structure: sections, tags, attributes that could load anything."""

    def __init__(self):
        super().__init__()
        self.sections, self.tags, self.refs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        for k in ("src", "href", "srcset", "data", "action"):
            if k in a:
                self.refs.append(a[k])


def check_page(path):
    """The tour page: HTML, the matrix and four sections, no script, nothing external;
    each inline picture (wide and narrow) checked like a file, both layouts drawing the
    same verdicts. Returns {section: verdicts or None}."""
    text = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(text)
    p.close()
    assert p.sections == ["matrix", "fork", "thread", "userns", "chimera"], p.sections
    for bad in ("script", "link", "img", "iframe", "object", "embed"):
        assert bad not in p.tags, f"<{bad}> in the page"
    assert all(r.startswith("#") for r in p.refs), p.refs
    assert not re.search(r"url\((?!#)", text) and "@import" not in text
    ids = re.findall(r'\bid="([^"]*)"', text)
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"ids used twice: {dup[:10]}"
    out = {}
    for name in p.sections[1:]:
        sec = re.search(rf'<section id="{name}">(.*?)</section>', text, re.S).group(1)
        svgs = re.findall(r"<svg .*?</svg>\n", sec, re.S)
        if not svgs:
            assert 'class="status"' in sec, f"{name}: neither pictures nor a status"
            out[name] = None
            continue
        assert len(svgs) == 4 and "<table" in sec, name
        assert '<pre class="report">' in sec, f"{name}: the text report is missing"
        pics = {e.get("id"): e for e in map(ET.fromstring, svgs)}
        for e in pics.values():
            check_refs(e, "".join(svgs))
        assert sorted(pics) == sorted([f"{name}-sharing", f"{name}-timeline",
                                       f"{name}-n-sharing", f"{name}-n-timeline"]), sorted(pics)
        check_picture(pics[f"{name}-timeline"])
        check_picture(pics[f"{name}-n-timeline"])
        wide = verdicts(check_picture(pics[f"{name}-sharing"]))
        narrow = verdicts(check_picture(pics[f"{name}-n-sharing"]))
        assert wide == narrow, (name, wide, narrow)
        out[name] = wide
    return out


# ---- the browser ----
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--no-first-run", "--disable-extensions", "--mute-audio"]

# Collects the on-screen boxes of every picture's boxes and labels into the DOM, for
# --dump-dom: the page itself has no script; the test adds this one to a copy.
GEOMETRY = """<script>
const out = [];
for (const svg of document.querySelectorAll('svg[id]')) {
  const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  out.push({id: svg.id, svg: r(svg),
    boxes: [...svg.querySelectorAll('rect.box')].map(e => [e.id, r(e)]),
    marks: [...svg.querySelectorAll('rect.marker')].map(e => [e.id || 'legend', r(e)]),
    texts: [...svg.querySelectorAll('text')].map(e => [e.textContent, r(e)])});
}
document.body.setAttribute('data-geometry', JSON.stringify(out));
</script>"""


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _chrome(args, timeout=90):
    with tempfile.TemporaryDirectory(prefix="clonelab-chromium-") as prof:
        p = subprocess.run([chromium(), *CHROMIUM_ARGS, f"--user-data-dir={prof}", *args],
                           capture_output=True, timeout=timeout, text=True, errors="replace")
    return p


def geometry(page):
    """The boxes and labels of every picture in page, as Chromium lays them out."""
    copy = page + ".geometry.html"
    with open(page, encoding="utf-8") as f, open(copy, "w", encoding="utf-8") as g:
        g.write(f.read().replace("</body>", GEOMETRY + "</body>"))
    try:
        p = _chrome(["--window-size=1000,1000", "--dump-dom", "file://" + os.path.abspath(copy)])
    finally:
        os.unlink(copy)
    m = re.search(r'data-geometry="([^"]*)"', p.stdout)
    assert m, f"chromium gave no geometry (exit {p.returncode}): {p.stderr[-800:]}"
    return json.loads(html.unescape(m.group(1)))


def _overlap(a, b, tol=0.5):
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def _inside(a, b, tol=1.0):
    return a[0] >= b[0] - tol and a[1] >= b[1] - tol and a[2] <= b[2] + tol and a[3] <= b[3] + tol


def layout_problems(geo):
    """Boxes overlapping boxes, labels overlapping labels, a label across a box's edge,
    a label outside its picture, pictures overlapping each other."""
    bad = []
    for s in geo:
        boxes, texts = s["boxes"], s["texts"]
        for i, (n, a) in enumerate(boxes):
            for m, b in boxes[i + 1:]:
                if _overlap(a, b) and not (_inside(a, b) or _inside(b, a)):
                    bad.append(f"{s['id']}: boxes {n} and {m} overlap")
        for i, (n, a) in enumerate(texts):
            if not _inside(a, s["svg"]):
                bad.append(f"{s['id']}: label {n!r} outside the picture")
            for m, b in texts[i + 1:]:
                if _overlap(a, b):
                    bad.append(f"{s['id']}: labels {n!r} and {m!r} overlap")
            for m, b in boxes:
                if _overlap(a, b) and not _inside(a, b):
                    bad.append(f"{s['id']}: label {n!r} crosses box {m}")
            for m, b in s["marks"]:
                if _overlap(a, b):
                    bad.append(f"{s['id']}: label {n!r} covers marker {m}")
    for i, a in enumerate(geo):
        for b in geo[i + 1:]:
            if _overlap(a["svg"], b["svg"]):
                bad.append(f"pictures {a['id']} and {b['id']} overlap")
    return bad


def screenshot(page, png, width=1000, height=3000):
    p = _chrome([f"--window-size={width},{height}", f"--screenshot={png}",
                 "file://" + os.path.abspath(page)])
    assert os.path.exists(png), f"chromium wrote no PNG (exit {p.returncode}): {p.stderr[-800:]}"


def png_pixels(path):
    """Decode a non-interlaced 8-bit RGB/RGBA PNG (what Chromium writes): (w, h, rows)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def ink(path):
    """The share of pixels that differ from the most common colour (the background)."""
    w, h, bpp, rows = png_pixels(path)
    counts = {}
    for r in rows[::4]:		# every 4th row and pixel is plenty to tell
        for x in range(0, w * bpp, 4 * bpp):
            px = r[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    return 1 - max(counts.values()) / total, len(counts)
