#!/usr/bin/env bash
# layers.sh [BUILD_DIR...]: the layers of src/ point one way (doc/layout.md).
#
#   arch + rt  arch/<arch>/, src/rt/   the runtime: start-up, stubs, output, files
#   lib        src/lib/                the library of clonelab.h
#   lab        src/lab/                one instrumented clone (the engine)
#   pic        src/pic/                the pictures: SVG and the tour's page
#   kernel     src/kernel/             the kernel observer: BTF, tracefs, kprobes
#   cmd        src/cmd/                the commands; each command's folder is its own
#
# Two checks, both able to fail:
# 1. Includes (the source): a file includes its own folder's headers, and of a lower
#    layer only its public header (rt.h, clonelab.h, lab/lab.h, pic/pic.h,
#    kernel/kernel.h); a command's folder (cmd/run/, cmd/probe/) adds only cmd/cmd.h.
#    The unit tests include public headers only. No .c file declares an extern function
#    of its own (that would go round the include graph), and since the build has
#    -Werror=implicit-function-declaration, the includes bound every call.
# 2. Symbols (the objects): every symbol an object leaves undefined is defined in its
#    own layer or one below. rt and lib are read from the plain objects of
#    libclonelab.a and crt0.o; the others from the LTO objects, through gcc-nm.
# Prints TAP lines without a plan ("ok - layers ..."); tests/ship.sh includes them.
# Default: every build/<arch>.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
say() {	# say NAME BAD...: one TAP line
    local name=$1
    shift
    if [ $# -eq 0 ]; then echo "ok - layers $name"
    else echo "not ok - layers $name"; echo "# reaches up or sideways: $*"; status=1; fi
}

# ---- 1. includes ----
order=(rt lib lab pic kernel cmd)
declare -A public=([rt]='rt.h' [lib]='clonelab.h' [lab]='lab/lab.h' [pic]='pic/pic.h'
    [kernel]='kernel/kernel.h')
arch_h='sysnr.h regs.h abi.h stdarg.h stddef.h stdint.h'
bad=()
for i in "${!order[@]}"; do
    layer=${order[$i]}
    allowed="$arch_h"
    for ((k = 0; k < i; k++)); do allowed="$allowed ${public[${order[$k]}]}"; done
    while IFS= read -r f; do
        dir=$(dirname "$f")
        own=$(cd "$dir" && ls -- *.h 2>/dev/null | tr '\n' ' ')
        extra=
        [ "$layer" = rt ] && extra="clonelab.h"        # the runtime implements the header's types
        [[ $dir == src/cmd/* ]] && extra="cmd/cmd.h"   # a command's folder, and the commands' header
        for inc in $(sed -n 's/^#include [<"]\([^">]*\)[">].*/\1/p' "$f"); do
            case " $allowed $own $extra " in *" $inc "*) ;; *) bad+=("$f->$inc") ;; esac
        done
        if [[ $f == *.c ]] && grep -qE '^extern [^(]*\(' "$f"; then bad+=("$f: an extern function declared in a .c file"); fi
    done < <(find "src/$layer" -name '*.[ch]' | sort)
done
say "includes: each layer includes its own headers and lower layers' public ones" "${bad[@]}"
bad=()
for f in tests/unit/*.c tests/unit/*.h; do
    for inc in $(sed -n 's/^#include [<"]\([^">]*\)[">].*/\1/p' "$f"); do
        case " test.h tests.def ${public[*]} $arch_h " in *" $inc "*) ;; *) bad+=("$f->$inc") ;; esac
    done
done
say "includes: the unit tests include only public headers" "${bad[@]}"

# ---- 2. symbols ----
if [ $# -eq 0 ]; then
    for d in build/*/; do [ -d "$d/obj/arch" ] && set -- "$@" "$d"; done
fi
defs() { [ $# -gt 1 ] && "$1" --defined-only "${@:2}" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
# check NAME NM ALLOWED_FILE OBJ...: every undefined symbol of OBJ... is in ALLOWED_FILE
check() {
    local name=$1 nm=$2 allowed=$3 o s
    shift 3
    local bad=()
    for o in "$@"; do
        for s in $("$nm" -u "$o" 2>/dev/null | awk '{ print $NF }'); do
            [ "$s" = main ] && [[ $o == */start.o || $o == */start-nossp.o ]] && continue   # crt0 calls the program
            grep -qxF "$s" "$allowed" || bad+=("${o#*/obj/}->$s")
        done
    done
    say "$name" "${bad[@]}"
}
for d in "$@"; do
    d=${d%/}
    arch=${d##*/}
    [ -d "$d/libobj/rt" ] || { echo "not ok - layers $arch: $d/libobj not built (make both)"; status=1; continue; }
    if [ "$arch" = "$(uname -m)" ]; then gnm=gcc-nm; else gnm=$arch-linux-gnu-gcc-nm; fi
    command -v "$gnm" >/dev/null || { echo "not ok - layers $arch: $gnm missing (tests/deps.sh)"; status=1; continue; }
    tmp=$(mktemp -d)
    low=("$d"/obj/arch/*.o "$d"/crt0obj/*.o "$d"/libobj/rt/*.o)
    defs nm "${low[@]}" >"$tmp/rt"
    { cat "$tmp/rt"; defs nm "$d"/libobj/lib/*.o; } | sort -u >"$tmp/lib"
    check "$arch: arch and rt use only arch and rt" nm "$tmp/rt" "${low[@]}"
    check "$arch: lib uses only arch, rt and lib" nm "$tmp/lib" "$d"/libobj/lib/*.o
    below=$tmp/lib
    for layer in lab pic kernel cmd; do
        objs=($(find "$d/obj/$layer" -name '*.o' ! -name main-env.o | sort))
        { cat "$below"; defs "$gnm" "${objs[@]}"; } | sort -u >"$tmp/$layer"
        check "$arch: $layer uses only the layers below it and itself" "$gnm" "$tmp/$layer" "${objs[@]}"
        below=$tmp/$layer
    done
    rm -rf "$tmp"
done
exit $status
