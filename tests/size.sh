#!/usr/bin/env bash
# size.sh: the size of every shipped file, for both architectures (make size).
# Prints a table (bytes, and the text/data/bss of each ELF) and a budget line for
# clonelab itself; it only reports, it never fails on size.
set -uo pipefail
cd "$(dirname "$0")/.."
budget=${CLONELAB_BUDGET:-8192}
arches=(x86_64 aarch64)

files=(clonelab)
shopt -s nullglob
for a in "${arches[@]}"; do
    for f in "build/$a"/examples/*; do
        n=examples/${f##*/}
        [[ " ${files[*]} " == *" $n "* ]] || files+=("$n")
    done
done
files+=(lib/libclonelab.a lib/crt0.o)

printf '%-24s' file
for a in "${arches[@]}"; do printf ' %10s %20s' "$a" "(text/data/bss)"; done
printf '\n'
for f in "${files[@]}"; do
    printf '%-24s' "$f"
    for a in "${arches[@]}"; do
        p=build/$a/$f
        if [ -f "$p" ]; then
            if [[ $f == *.[ao] ]]; then  # objects: their sections
                tdb=$(size "$p" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { t += $1; d += $2; b += $3 } END { printf "%d/%d/%d", t, d, b }')
            else  # stripped executables: their LOAD segments (text R E, data RW, bss = RW memsz - filesz)
                t=0 d=0 b=0
                while read -r typ _ _ _ fs ms fl _; do
                    [ "$typ" = LOAD ] || continue
                    if [[ $fl == *E* ]]; then t=$((t + fs)); else d=$((d + fs)) b=$((b + ms - fs)); fi
                done < <(readelf -lW "$p" 2>/dev/null | sed 's/R E/RE/; s/RW /RW/')
                tdb=$t/$d/$b
            fi
            printf ' %10s %20s' "$(stat -c %s "$p")" "${tdb:+($tdb)}"
        else
            printf ' %10s %20s' "-" ""
        fi
    done
    printf '\n'
done
for a in "${arches[@]}"; do
    p=build/$a/clonelab
    [ -f "$p" ] || continue
    s=$(stat -c %s "$p")
    if [ "$s" -le "$budget" ]; then verdict="within"; else verdict="OVER"; fi
    echo "budget: $a clonelab $s bytes, $verdict the $budget-byte budget"
done
