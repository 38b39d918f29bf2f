#!/usr/bin/env bash
# ship.sh [BINARY...]: what every shipped binary must be, as TAP, one line per binary
# per property. Default: build/*/clonelab and build/*/examples/*.
#   no PT_INTERP; no LOAD segment both writable and executable; a PT_GNU_STACK
#   without E; `file` says statically linked; no .dynamic and no dynamic symbols;
#   no glibc or musl inside (their symbol and version strings). And for the unstripped
#   copies in build/<arch>/debug/ (when the build keeps them): nm finds no undefined
#   and no libc symbols. Every example under its architecture's budget (the budget
#   column of arch/<arch>/bed.tab: under 1 KiB). And the layers of src/ (tests/layers.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=system/arches.sh
. tests/system/arches.sh

debug=()
if [ $# -eq 0 ]; then
    shopt -s nullglob
    set -- build/*/clonelab build/*/examples/*
    debug=(build/*/debug/*)
fi
n=0 failed=0
lines=()
t() {  # t OK NAME [DIAG]
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        lines+=("ok $n $2")
    else
        failed=$((failed + 1))
        lines+=("not ok $n $2")
        [ -n "${3:-}" ] && lines+=("# $3")
    fi
}

[ $# -gt 0 ] || t 1 "ship: shipped binaries exist" "nothing in build/*/clonelab build/*/examples/*: run make both"
for b in "$@"; do
    if [ ! -f "$b" ]; then
        t 1 "ship $b: exists"
        continue
    fi
    ph=$(readelf -lW "$b" 2>&1)
    ! grep -q 'INTERP' <<<"$ph"; t $? "ship $b: no INTERP" "$(grep INTERP <<<"$ph")"
    rwe=$(awk '$1 == "LOAD" && $0 ~ /RWE/' <<<"$ph")
    [ -z "$rwe" ]; t $? "ship $b: no RWE LOAD segment" "$rwe"
    stack=$(grep 'GNU_STACK' <<<"$ph")
    [ -n "$stack" ] && ! grep -q 'RWE' <<<"$stack"
    t $? "ship $b: GNU_STACK present, not executable" "${stack:-no PT_GNU_STACK at all}"
    f=$(file -b "$b")
    grep -q 'statically linked' <<<"$f"; t $? "ship $b: file says statically linked" "$f"
    dyn=$( { readelf -SW "$b" | grep -E '\.(dynamic|dynsym|interp)\b'; readelf --dyn-syms -W "$b" | grep -E '^ +[0-9]+:'; } 2>&1)
    [ -z "$dyn" ]; t $? "ship $b: no .dynamic, no dynamic symbols" "$(head -c 200 <<<"$dyn")"
    libc=$(grep -aoE 'GLIBC_[0-9.]+|__libc_start_main|glibc|musl libc|__libc_start_call_main|/lib/ld-' "$b" | sort -u | tr '\n' ' ')
    [ -z "$libc" ]; t $? "ship $b: no libc inside" "found: $libc"
    if [[ $b == build/*/examples/* ]]; then
        a=${b#build/} a=${a%%/*} size=$(stat -c %s "$b")
        if cl_arch "$a" && [ -n "$a_budget" ]; then
            [ "$size" -lt "$a_budget" ]
            t $? "ship $b: $size bytes, under the budget of $a_budget" "over by $((size - a_budget + 1))"
        else
            t 1 "ship $b: has a budget" "no budget for $a in arch/$a/bed.tab"
        fi
    fi
done

# The unstripped copies the build keeps (build/<arch>/debug/, if any): symbols tell more.
for d in "${debug[@]}"; do
    [ -f "$d" ] || continue
    und=$(nm -u "$d" 2>&1 | tr -s ' ' | tr '\n' ' ')
    [ -z "$und" ]; t $? "ship $d: no undefined symbols (nm -u)" "$und"
    libsyms=$(nm "$d" 2>/dev/null | awk '{ print $NF }' | grep -E '^(__libc_|_IO_|__GI_|_dl_|__errno_location$|malloc$|printf$)' | tr '\n' ' ')
    [ -z "$libsyms" ]; t $? "ship $d: no libc symbols (nm)" "$libsyms"
done

# The layers of src/ (tests/layers.sh): rt never reaches up into lib, lib never into cmd.
if [ ${#debug[@]} -gt 0 ]; then
    while IFS= read -r line; do
        case $line in
            "ok - "*) t 0 "${line#ok - }" ;;
            "not ok - "*) t 1 "${line#not ok - }" ;;
            "# "*) lines+=("$line") ;;
        esac
    done < <(tests/layers.sh)
fi

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${lines[@]}"
echo "# ship: $n checks, $failed failed"
[ "$failed" -eq 0 ]
