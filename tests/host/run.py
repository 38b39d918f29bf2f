#!/usr/bin/env python3
"""run.py [--bed NAME] [-k FILTER] [--list]: run the host tests, print TAP.

Discovers tests/host/test_*.py and runs every `def test_*(bed)` in them, in file and
definition order. Prints `ok N file::name`, `not ok N file::name` with the failure as
`# ` lines, `ok N file::name # SKIP reason`. Exits 1 if any test failed.
Beds: native-<host arch> (default), user-<arch> for each arch of arch/ARCHES (harness.py).
"""
import argparse
import atexit
import glob
import importlib.util
import inspect
import os
import platform
import signal
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402


def discover(k):
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        mod_name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(mod_name, path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            tests.append((f"{mod_name}::import", None, traceback.format_exc()))
            continue
        fns = [(n, f) for n, f in vars(mod).items()
               if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod_name]
        fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for n, f in fns:
            name = f"{mod_name}::{n}"
            if not k or k in name:
                tests.append((name, f, None))
    return tests


def diag(text):
    for line in str(text).rstrip().splitlines() or [""]:
        print(f"# {line}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bed", default=f"native-{platform.machine()}")
    ap.add_argument("-k", help="run only tests whose file::name contains this")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    tests = discover(a.k)
    if a.list:
        for name, _, _ in tests:
            print(name)
        return 0
    print("TAP version 13")
    try:
        bed = harness.Bed(a.bed)
    except ValueError as e:
        print("1..1")
        print(f"not ok 1 bed {a.bed}")
        diag(e)
        return 1
    print(f"1..{len(tests) + 1}")
    # The scratch directory goes whatever ends the run: check.sh's timeout sends SIGTERM,
    # which Python would otherwise die of without unwinding (and left /tmp/clonelab-BED-*).
    atexit.register(bed.cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = skipped = 0
    n = 1
    # The binary first: without it every test would fail the same way.
    if os.access(bed.clonelab, os.X_OK):
        print(f"ok 1 bed {bed.name}: {os.path.relpath(bed.clonelab)} exists")
    else:
        print(f"not ok 1 bed {bed.name}: {os.path.relpath(bed.clonelab)} exists")
        diag("build it first: make both")
        failed += 1
    sys.stdout.flush()
    for name, fn, import_error in tests:
        n += 1
        if fn is None:
            failed += 1
            print(f"not ok {n} {name}")
            diag(import_error)
            continue
        try:
            fn(bed)
        except harness.Skip as e:
            skipped += 1
            print(f"ok {n} {name} # SKIP {e}")
        except AssertionError as e:
            failed += 1
            print(f"not ok {n} {name}")
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f"{os.path.basename(fr.filename)}:{fr.lineno}: {fr.line}"
                          for fr in reversed(tb) if os.path.basename(fr.filename).startswith("test_")), "")
            diag(where)
            diag(e if str(e) else "assertion failed")
        except Exception:
            failed += 1
            print(f"not ok {n} {name}")
            diag(traceback.format_exc())
        else:
            print(f"ok {n} {name}")
        sys.stdout.flush()
    bed.cleanup()
    print(f"# {bed.name}: {n} tests, {n - failed - skipped} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
