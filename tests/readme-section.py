#!/usr/bin/env python3
"""readme-section.py NAME FILE [--code]: put FILE's text between <!-- NAME:begin --> and
<!-- NAME:end --> in README.md (as a code block with --code). The README's generated
sections (sizes, test beds, benchmarks) come from real runs this way, never by hand."""
import re
import sys

name, src = sys.argv[1], sys.argv[2]
body = open(src).read()
if "--code" in sys.argv[3:]:
    body = "```\n" + body.rstrip("\n") + "\n```\n"
text = open("README.md").read()
new, n = re.subn(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)",
                 lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
if n != 1:
    sys.exit(f"readme-section.py: no <!-- {name}:begin/end --> markers in README.md")
open("README.md", "w").write(new)
