#!/usr/bin/env bash
# doc-pictures.sh: the README's pictures, drawn by clonelab itself from real runs
# (make readme; make both first). Into doc/:
#   doc/<host arch>/{fork,thread,userns,chimera}.svg   natively
#   doc/<other arch>/{fork,thread}.svg                 under QEMU user mode (qemu-<arch>)
#   doc/<other arch>/{userns,chimera}.svg              on Debian's kernel in qemu-system:
#                                                      QEMU user mode refuses these shapes
#   doc/tour.html                                      `clonelab tour --html`, natively
#   doc/png/<arch>-<name>.png                          each SVG rendered by Chromium
#   doc/pictures.md                                    where each came from (the README's table)
# Every SVG is checked like the tests check them (tests/host/picture.py) before it is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(uname -m)
case $host in x86_64) other=aarch64 ;; aarch64) other=x86_64 ;; *) echo "doc-pictures: no $host" >&2; exit 1 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "doc/$host" "doc/$other" doc/png
kver() { uname -r; }

check() {  # check FILE: keep it only if it is a good picture
    python3 -c "import sys; sys.path.insert(0, 'tests/host'); import picture; picture.check_svg_file(sys.argv[1])" "$1"
}

for s in fork thread userns chimera; do
    "build/$host/clonelab" "$s" --svg "$work/$s.svg" >/dev/null
    check "$work/$s.svg"; cp "$work/$s.svg" "doc/$host/$s.svg"
done
"build/$host/clonelab" tour --html doc/tour.html >/dev/null || [ $? -eq 3 ]

for s in fork thread; do
    timeout 60 "qemu-$other" "build/$other/clonelab" "$s" --svg "$work/$other-$s.svg" >/dev/null
    check "$work/$other-$s.svg"; cp "$work/$other-$s.svg" "doc/$other/$s.svg"
done

# userns and chimera on the other architecture's real kernel: a tiny /init that prints
# each SVG between markers on the console, in TAP so that boot.sh can judge the run.
cat >"$work/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
echo "1..2"
n=0
for s in userns chimera; do
    n=$((n + 1))
    echo "=== svg $s ==="
    /clonelab "$s" --svg - && r=ok || r="not ok"
    echo "=== end $s ==="
    echo "$r $n $s --svg"
done
echo "clonelab-guest: done"
poweroff -f
EOF
bb=$(tests/system/fetch-deb.sh "$other" busybox-static bin/busybox | tail -n1)
kernel=$(tests/system/fetch-kernel.sh "$other" | tail -n1)
python3 tests/system/mkinitramfs.py "$work/doc.cpio" --init "$work/init" \
    --add "build/$other/clonelab:/clonelab" --busybox "$bb"
tests/system/boot.sh "$other" "$kernel" "$work/doc.cpio" "$work/console.log" 240 >"$work/boot.out" 2>&1 \
    || { cat "$work/boot.out" >&2; exit 1; }
release=$(sed -n "1s/^linux-image-\([^ ]*\).*/\1/p" "$(dirname "$kernel")/VERSION" 2>/dev/null)
for s in userns chimera; do
    tr -d '\r' <"$work/console.log" | sed -n "/^=== svg $s ===\$/,/^=== end $s ===\$/p" \
        | sed '1d;$d' >"$work/$other-$s.svg"
    check "$work/$other-$s.svg"; cp "$work/$other-$s.svg" "doc/$other/$s.svg"
done

# PNGs, each as tall as its picture.
for f in doc/"$host"/*.svg doc/"$other"/*.svg; do
    a=$(basename "$(dirname "$f")") n=$(basename "$f" .svg)
    w=$(sed -n 's/^<svg [^>]*width="\([0-9]*\)".*/\1/p' "$f" | head -n1)
    h=$(sed -n 's/^<svg [^>]*height="\([0-9]*\)".*/\1/p' "$f" | head -n1)
    python3 -c "import sys; sys.path.insert(0, 'tests/host'); import picture; picture.screenshot(*sys.argv[1:3], int(sys.argv[3]), int(sys.argv[4]))" \
        "$f" "doc/png/$a-$n.png" "$w" "$h"
done

{
    # one picture a row: each is an object graph and a timeline, too tall to halve
    for s in fork thread userns chimera; do
        echo "**$s**, on $host and on $other:"
        echo
        echo "![$s on $host](doc/$host/$s.svg)"
        echo
        echo "![$s on $other](doc/$other/$s.svg)"
        echo
    done
    echo "$host: natively, Linux $(kver). $other: fork and thread under QEMU user mode"
    echo "(qemu-$other on the same kernel), userns and chimera on Debian's kernel $release in"
    echo "qemu-system (QEMU user mode refuses those shapes). PNG renderings of the thread and"
    echo "fork pictures (and of arm64's \`thread --kernel --svg\`) are kept in \`doc/png/\` for"
    echo "readers without an SVG viewer."
} >doc/pictures.md
echo "doc-pictures: doc/$host, doc/$other, doc/png, doc/tour.html"
