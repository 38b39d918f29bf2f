#!/usr/bin/env python3
"""readme-section.py NAME FILE [--code]: put FILE's text between <!-- NAME:begin --> and
<!-- NAME:end --> in whichever of README.md and doc/*.md holds those markers (as a code
block with --code). The generated sections (sizes, pictures, benchmarks, the kernel's
side) come from real runs this way, never by hand."""
import glob
import re
import sys

name, src = sys.argv[1], sys.argv[2]
body = open(src).read()
if "--code" in sys.argv[3:]:
    body = "```\n" + body.rstrip("\n") + "\n```\n"
pattern = re.compile(rf"(<!-- {re.escape(name)}:begin -->\n).*?(<!-- {re.escape(name)}:end -->)", re.S)
holders = [p for p in ["README.md"] + sorted(glob.glob("doc/*.md")) if pattern.search(open(p).read())]
if len(holders) != 1:
    sys.exit(f"readme-section.py: <!-- {name}:begin/end --> markers are in {len(holders)} files "
             f"of README.md and doc/*.md ({', '.join(holders) or 'none'}); there must be one")
text = open(holders[0]).read()
new, n = pattern.subn(lambda m: m.group(1) + body + m.group(2), text)
if n != 1:
    sys.exit(f"readme-section.py: {holders[0]} has the {name} markers {n} times")
open(holders[0], "w").write(new)
