#!/bin/sh
# sstrip.sh FILE: drop the section headers, and everything after the last loaded
# byte, from a static ELF64 executable. The kernel loads a program by its program
# headers alone; section headers only serve tools, which have the unstripped copy
# in build/<arch>/debug/. For a tiny program they are a third of the file.
set -eu
f=$1
end=0
# The end of the last byte a segment takes from the file (a bss-only segment takes
# none: its offset may point past the end, and the loader maps nothing from there).
for e in $(readelf -lW "$f" | awk '$1 == "LOAD" && $5 != "0x000000" { print $2 "+" $5 }'); do
	[ $(($e)) -gt "$end" ] && end=$(($e))
done
[ "$end" -gt 0 ] || { echo "sstrip.sh: $f has no PT_LOAD" >&2; exit 1; }
# ELF64 header: e_shoff (8 bytes at 0x28), e_shnum and e_shstrndx (2 each at 0x3c).
printf '\0\0\0\0\0\0\0\0' | dd of="$f" bs=1 seek=40 conv=notrunc status=none
printf '\0\0\0\0' | dd of="$f" bs=1 seek=60 conv=notrunc status=none
truncate -s "$end" "$f"
