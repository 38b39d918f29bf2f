#!/usr/bin/env python3
"""Write a newc cpio initramfs, in pure python (no root, no cpio tool needed).

usage: mkinitramfs.py OUT.cpio [--init FILE | --script FILE] [--add SRC:DEST]... [--busybox FILE]

The archive holds dev/console (char 5,1), dev/null (1,3) and dev/kmsg (1,11) -- Debian's kernels do
not mount devtmpfs, so without the console node /init has no stdout -- plus proc/,
sys/, tmp/, bin/, /init (mode 0755), the --add files (mode preserved) and, with
--busybox, /bin/busybox and symlinks for common applets. Without --init but with
--busybox, /init is a small script that starts a shell on the console. With --script
(and --busybox), /init runs FILE with sh between two marker lines, the second with its
exit status, and powers off (tests/system/boot.sh --run reads them).
Output is deterministic: sorted entries, mtime 0, owner root.
"""
import argparse
import os
import stat
import sys

APPLETS = """sh ash ls id hostname cat echo printf ip mount umount ps sleep kill true false
env mkdir rmdir rm cp mv ln grep sed head tail wc uname dmesg sync poweroff reboot
unshare nsenter setsid cttyhack test [ stat readlink chmod mknod sysctl nproc
timeout which cut tr sort uniq find xargs vi less""".split()

DEFAULT_INIT = b"""#!/bin/sh
# Default /init from mkinitramfs.py: an interactive shell on the console.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Job control needs the real tty (ttyAMA0/ttyS0), not /dev/console: get the nodes.
mount -t devtmpfs devtmpfs /dev
echo "clonelab-guest: busybox shell; 'poweroff -f' to leave"
setsid cttyhack sh
poweroff -f
"""

SCRIPT_INIT = b"""#!/bin/sh
# /init from mkinitramfs.py --script: run /script, report its status, power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# No terminal queries (busybox asks a terminal its size with ESC[6n): this is a pipe.
export TERM=dumb COLUMNS=80 LINES=24 PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/
cd /
echo "clonelab-shell: begin"
sh /script </dev/null
echo "clonelab-shell: exit $?"
poweroff -f
"""


def cpio_entry(ino, name, mode, data=b"", rdev=(0, 0)):
    """One newc record: a 110-byte ASCII header, the name, then the data, each 4-aligned."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data),
              0, 0, rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
    pad = lambda n: b"\0" * (-n % 4)
    return hdr + name_b + pad(len(hdr) + len(name_b)) + data + pad(len(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--init", help="file to install as /init (mode 0755)")
    ap.add_argument("--script", help="shell script to run as /script, then power off (needs --busybox)")
    ap.add_argument("--add", action="append", default=[], metavar="SRC:DEST",
                    help="add file SRC at DEST, mode preserved (repeatable)")
    ap.add_argument("--busybox", help="static busybox for the guest's architecture")
    a = ap.parse_args()

    entries = {}  # path (no leading /) -> (mode, data, rdev)

    def add(path, mode, data=b"", rdev=(0, 0)):
        path = os.path.normpath(path.lstrip("/"))
        if path in (".", "") or path.startswith(".."):
            sys.exit(f"mkinitramfs: bad destination path {path!r}")
        parent = os.path.dirname(path)
        while parent:  # create missing parent directories
            entries.setdefault(parent, (stat.S_IFDIR | 0o755, b"", (0, 0)))
            parent = os.path.dirname(parent)
        entries[path] = (mode, data, rdev)

    def read(src):
        try:
            with open(src, "rb") as f:
                return f.read(), os.stat(src).st_mode
        except OSError as e:
            sys.exit(f"mkinitramfs: {e}")

    for d in ("dev", "proc", "sys", "tmp", "bin"):
        add(d, stat.S_IFDIR | 0o755)
    add("tmp", stat.S_IFDIR | 0o1777)
    add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    add("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
    # The kernel's log, for the guest's last test (kernel_log_clean: no oops, no BUG).
    add("dev/kmsg", stat.S_IFCHR | 0o644, rdev=(1, 11))

    if a.busybox:
        data, _ = read(a.busybox)
        add("bin/busybox", stat.S_IFREG | 0o755, data)
        for applet in APPLETS:
            add("bin/" + applet, stat.S_IFLNK | 0o777, b"busybox")
    if a.init and a.script:
        sys.exit("mkinitramfs: --init and --script exclude each other")
    if a.script and not a.busybox:
        sys.exit("mkinitramfs: --script needs --busybox (its sh runs the script)")
    if a.init:
        add("init", stat.S_IFREG | 0o755, read(a.init)[0])
    elif a.script:
        add("init", stat.S_IFREG | 0o755, SCRIPT_INIT)
        add("script", stat.S_IFREG | 0o644, read(a.script)[0])
    elif a.busybox:
        add("init", stat.S_IFREG | 0o755, DEFAULT_INIT)
    else:
        sys.exit("mkinitramfs: need --init FILE (or --busybox for a default shell /init)")
    for spec in a.add:
        src, sep, dest = spec.partition(":")
        if not sep or not dest:
            sys.exit(f"mkinitramfs: --add wants SRC:DEST, got {spec!r}")
        data, mode = read(src)
        add(dest, stat.S_IFREG | stat.S_IMODE(mode), data)

    out = bytearray()
    for ino, path in enumerate(sorted(entries), start=1):  # sorted: parents before children
        mode, data, rdev = entries[path]
        out += cpio_entry(ino, path, mode, data, rdev)
    out += cpio_entry(0, "TRAILER!!!", 0)
    out += b"\0" * (-len(out) % 512)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
