#!/usr/bin/env bash
# segments.sh ELF: its LOAD segments' sizes in bytes, "TEXT DATA BSS": the executable
# segment's file size, the writable one's file size, and what the writable one adds in
# memory beyond its file (.bss). Used by size.sh and by the bench's asm twin.
set -uo pipefail
t=0 d=0 b=0
while read -r typ _ _ _ fs ms fl _; do
    [ "$typ" = LOAD ] || continue
    if [[ $fl == *E* ]]; then t=$((t + fs)); else d=$((d + fs)) b=$((b + ms - fs)); fi
done < <(readelf -lW "$1" 2>/dev/null | sed 's/R E/RE/; s/RW /RW/')
echo "$t $d $b"
