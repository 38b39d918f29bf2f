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
    assert kinds in (["sharing", "timeline"], ["sharing", "timeline", "userns"]), kinds
    share = next(p for p in pics if p.get("id").endswith("-sharing"))
    time = next(p for p in pics if p.get("id").endswith("-timeline"))
    check_picture(time)
    for p in pics:
        if p.get("id").endswith("-userns"):
            check_picture(p)
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
        assert len(svgs) == (6 if name == "userns" else 4) and "<table" in sec, name
        assert '<pre class="report">' in sec, f"{name}: the text report is missing"
        pics = {e.get("id"): e for e in map(ET.fromstring, svgs)}
        for e in pics.values():
            check_refs(e, "".join(svgs))
        want = [f"{name}-sharing", f"{name}-timeline", f"{name}-n-sharing", f"{name}-n-timeline"]
        if name == "userns":
            want += ["userns-userns", "userns-n-userns"]
            check_picture(pics["userns-userns"])
            check_picture(pics["userns-n-userns"])
        assert sorted(pics) == sorted(want), sorted(pics)
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


# What a reader would see, measured in the page by Chromium (the page itself has no
# script; the test adds this one to a copy): per figure, its box and the picture it
# shows; per text (in the shown pictures, and the page's own), its effective size, its
# visibility and opacity, and its colour against what lies under it; the page's width.
PROBE = """<script>
const rgba = c => { const m = (c || '').match(/rgba?\\(([^)]*)\\)/);
  if (!m) return null; const v = m[1].split(',').map(parseFloat);
  return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
const lum = c => { const f = x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const contrast = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
const opacity = e => { let o = 1; for (; e && e.nodeType == 1; e = e.parentNode) o *= parseFloat(getComputedStyle(e).opacity); return o; };
const box = e => { const b = e.getBoundingClientRect(); return [b.left + scrollX, b.top + scrollY, b.right + scrollX, b.bottom + scrollY]; };
const htmlBg = e => { for (; e && e.nodeType == 1; e = e.parentNode) { const c = rgba(getComputedStyle(e).backgroundColor);
  if (c && c[3] > 0) return c; } return [255, 255, 255, 1]; };
function svgBg(svg, t) {   // the fill of the topmost filled rect under the text's centre
  const b = t.getBoundingClientRect(), x = (b.left + b.right) / 2, y = (b.top + b.bottom) / 2;
  let bg = null;
  for (const r of svg.querySelectorAll('rect')) {
    const c = rgba(getComputedStyle(r).fill), q = r.getBoundingClientRect();
    if (c && c[3] > 0.5 && q.left <= x && x <= q.right && q.top <= y && y <= q.bottom &&
        getComputedStyle(r).visibility == 'visible' && getComputedStyle(r).display != 'none') bg = c;
  }
  return bg || htmlBg(svg);
}
function textInfo(e, svg) {
  const cs = getComputedStyle(e), b = e.getBoundingClientRect();
  const col = rgba(svg ? cs.fill : cs.color), bg = svg ? svgBg(svg, e) : htmlBg(e);
  const scale = svg ? svg.getScreenCTM().a : 1, sb = svg ? svg.getBoundingClientRect() : b;
  return {outside: b.left < sb.left - 1 || b.right > sb.right + 1 || b.top < sb.top - 1 || b.bottom > sb.bottom + 1,
    text: e.textContent.trim().slice(0, 60), size: parseFloat(cs.fontSize) * scale,
    height: b.height, visible: cs.visibility == 'visible' && b.width > 0 && b.height > 0,
    opacity: opacity(e) * (col ? col[3] : 0), contrast: col ? contrast(col, bg) : 0};
}
const out = {width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight, figures: [], texts: []};
for (const f of document.querySelectorAll('figure')) {
  const shown = [...f.querySelectorAll('svg')].filter(s => s.getClientRects().length && s.getBoundingClientRect().width > 0);
  out.figures.push({box: box(f), svgs: shown.map(s => s.id), opacity: shown.length ? opacity(shown[0]) : 0,
    texts: shown.length ? [...shown[0].querySelectorAll('text')].map(t => textInfo(t, shown[0])) : []});
}
for (const e of document.querySelectorAll('h1,h2,h3,p,pre,li,td,th,summary,figcaption,small,a,code')) {
  if (e.closest('svg') || !e.textContent.trim() || !e.getClientRects().length) continue;
  if (e.closest('details') && !e.closest('details').open && !e.closest('summary')) continue;
  out.texts.push(textInfo(e, null));
}
parent.postMessage(JSON.stringify(out), '*');
</script>"""

# Chromium's window is never narrower than 500 px: the page goes in an iframe of the
# width wanted (a phone's 390), in a page of its own that takes the measurements.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" style="display:block;width:{w}px;height:{h}px;border:0"></iframe>
<script>addEventListener('message', e => document.body.setAttribute('data-probe', e.data));</script>
</body></html>"""

SCHEMES = {"light": "--blink-settings=preferredColorScheme=1",
           "dark": "--blink-settings=preferredColorScheme=0"}


def _framed(page, width, height, script):
    """Write page (with script before </body>) and a frame page that shows it width px
    wide; returns both paths."""
    copy = page + f".{width}.html"
    with open(page, encoding="utf-8") as f, open(copy, "w", encoding="utf-8") as g:
        g.write(f.read().replace("</body>", script + "</body>"))
    frame = page + f".{width}.frame.html"
    with open(frame, "w", encoding="utf-8") as g:
        g.write(FRAME.format(src=os.path.basename(copy), w=width, h=height))
    return copy, frame


def probe(page, width, scheme="light"):
    """PROBE's measurements of page at this width and colour scheme."""
    copy, frame = _framed(page, width, 1000, PROBE)
    try:
        p = _chrome([f"--window-size={max(width, 500)},1000", SCHEMES[scheme],
                     "--virtual-time-budget=5000", "--dump-dom", "file://" + os.path.abspath(frame)])
    finally:
        os.unlink(copy)
        os.unlink(frame)
    m = re.search(r'data-probe="([^"]*)"', p.stdout)
    assert m, f"chromium gave no measurements (exit {p.returncode}): {p.stderr[-800:]}"
    return json.loads(html.unescape(m.group(1)))


def reading_problems(m, min_svg=9.0, min_html=12.0, min_contrast=4.5):
    """What a reader could not read in one probe: a figure that shows no picture (or more
    than one), a picture or text faded out, text smaller than min_* CSS px (or whose box
    is under 9 px), text too close to what lies under it, a page wider than its window."""
    bad = []
    if not m["figures"]:
        bad.append("no figure in the page")
    for i, f in enumerate(m["figures"]):
        name = f["svgs"][0] if f["svgs"] else f"figure {i + 1}"
        if len(f["svgs"]) != 1 or f["box"][2] - f["box"][0] < 50 or f["box"][3] - f["box"][1] < 50:
            bad.append(f"{name}: shows {len(f['svgs'])} pictures in a box of "
                       f"{f['box'][2] - f['box'][0]:.0f}x{f['box'][3] - f['box'][1]:.0f} px")
            continue
        if f["opacity"] < 0.9:
            bad.append(f"{name}: opacity {f['opacity']:.2f}")
        if not f["texts"]:
            bad.append(f"{name}: no text")
        bad += _text_problems(name, f["texts"], min_svg, min_contrast)
    bad += _text_problems("page", m["texts"], min_html, min_contrast)
    if m["scrollWidth"] > m["width"]:
        bad.append(f"the page is {m['scrollWidth']} px wide in a {m['width']} px window")
    return bad


def _text_problems(where, texts, min_size, min_contrast):
    bad = []
    for t in texts:
        what = f"{where}: text {t['text']!r}"
        if not t["visible"]:
            bad.append(f"{what} is not visible")
        elif t["opacity"] < 0.9:
            bad.append(f"{what} has opacity {t['opacity']:.2f}")
        elif t["size"] < min_size - 0.05 or t["height"] < 9:
            bad.append(f"{what} is {t['size']:.1f} px (box {t['height']:.1f} px high)")
        elif t.get("outside"):
            bad.append(f"{what} runs out of its picture")
        elif t["contrast"] < min_contrast:
            bad.append(f"{what} has contrast {t['contrast']:.2f}")
    return bad


def figure_ink(page, m, width, scheme, png):
    """The ink inside each figure's own part of a screenshot of the whole page (at half
    scale: enough to tell), as [(share, colours)] in figure order."""
    height = int(m["height"]) + 10
    copy, frame = _framed(page, width, height, "")
    try:
        _chrome([f"--window-size={max(width, 500)},{height}", SCHEMES[scheme],
                 "--force-device-scale-factor=0.5", f"--screenshot={png}",
                 "file://" + os.path.abspath(frame)], timeout=180)
    finally:
        os.unlink(copy)
        os.unlink(frame)
    assert os.path.exists(png), "chromium wrote no PNG"
    w, h, bpp, rows = png_pixels(png)
    k = w / max(width, 500)
    out = []
    for f in m["figures"]:
        x0, y0, x1, y1 = (int(v * k) for v in f["box"])
        counts = {}
        for r in rows[max(y0, 0):min(y1, h)]:
            for x in range(max(x0, 0) * bpp, min(x1, w) * bpp, bpp):
                px = r[x:x + 3]
                counts[px] = counts.get(px, 0) + 1
        total = sum(counts.values())
        out.append((1 - max(counts.values()) / total if total else 0.0, len(counts)))
    return out


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
