#!/usr/bin/env bash
# size.sh: the size of every shipped file, for every architecture of arch/ARCHES
# (make size).
# Prints a table (bytes, and the text/data/bss of each ELF) and the budgets the issues
# set: clonelab with only `env` (size/clonelab-env) under 10.5 KiB, each example under
# the budget column of arch/<arch>/bed.tab (1 KiB on every architecture). It only
# reports; tests/ship.sh fails an example over its budget.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=system/arches.sh
. tests/system/arches.sh
mapfile -t arches < <(cl_arches)

files=(clonelab size/clonelab-env)
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
            else  # stripped executables: their LOAD segments
                tdb=$(tests/segments.sh "$p" | tr ' ' /)
            fi
            printf ' %10s %20s' "$(stat -c %s "$p")" "${tdb:+($tdb)}"
        else
            printf ' %10s %20s' "-" ""
        fi
    done
    printf '\n'
done
budget() {	# budget FILE BYTES
    [ -f "$1" ] || return 0
    local s; s=$(stat -c %s "$1")
    printf 'budget: %-36s %6s bytes, %s %s\n' "$1" "$s" "$([ "$s" -lt "$2" ] && echo under || echo OVER)" "$2"
}
for a in "${arches[@]}"; do
    cl_arch "$a"
    # 9 KiB, up from 8: the runtime now checks every write (waits on EAGAIN, exit 1 on a
    # lost write), escapes bytes that are not UTF-8 in JSON, and env falls back to
    # unshare when RLIMIT_NPROC stops its probe clone. 10.5 KiB, up from 9: env asks the
    # kernel which clone3-only flags it knows (x86_64: 8555 -> 9758 bytes; of the 1203,
    # 456 are env's code, 211 its help, 168 the flag table, 183 the JSON writer's
    # object open and close, no longer inlined once called twice more).
    budget "build/$a/size/clonelab-env" 10752
    for f in "build/$a"/examples/*; do
        budget "$f" "$a_budget"
    done
done
