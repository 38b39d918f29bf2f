#!/usr/bin/env bash
# layers.sh [BUILD_DIR...]: the layers of src/ point one way, checked on the objects.
#   arch + rt  (arch/<arch>/, src/rt/)   may use only arch + rt
#   lib        (src/lib/)                may use arch + rt + lib
#   cmd        (src/cmd/)                may use anything below it
# A symbol an object leaves undefined must be defined in its own layer or one below.
# Reads the plain (non-LTO) objects of libclonelab.a and crt0.o, so nm sees real
# symbols. Prints TAP lines without a plan ("ok - layers ARCH: rt uses only arch+rt");
# tests/ship.sh includes them in its stream. Default: every build/<arch>.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
    for d in build/*/; do [ -d "$d/obj/arch" ] && set -- "$@" "$d"; done
fi
status=0
defs() { [ $# -gt 0 ] && nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
# check NAME ALLOWED_FILE OBJ...: every undefined symbol of OBJ... is in ALLOWED_FILE
check() {
    local name=$1 allowed=$2 bad o s
    shift 2
    bad=
    for o in "$@"; do
        for s in $(nm -u "$o" 2>/dev/null | awk '{ print $NF }'); do
            [ "$s" = main ] && [[ $o == */start.o ]] && continue   # crt0 calls the program
            grep -qxF "$s" "$allowed" || bad="$bad ${o##*/}->$s"
        done
    done
    if [ -z "$bad" ]; then echo "ok - layers $name"
    else echo "not ok - layers $name"; echo "# uses a higher layer:$bad"; status=1; fi
}
for d in "$@"; do
    d=${d%/}
    arch=${d##*/}
    [ -d "$d/libobj/rt" ] || { echo "not ok - layers $arch: $d/libobj not built (make both)"; status=1; continue; }
    tmp=$(mktemp -d)
    low=("$d"/obj/arch/*.o "$d"/crt0obj/*.o "$d"/libobj/rt/*.o)
    defs "${low[@]}" >"$tmp/low"
    { cat "$tmp/low"; defs "$d"/libobj/lib/*.o; } | sort -u >"$tmp/lib"
    check "$arch: arch and rt use only arch and rt" "$tmp/low" "${low[@]}"
    check "$arch: lib uses only arch, rt and lib" "$tmp/lib" "$d"/libobj/lib/*.o
    rm -rf "$tmp"
done
exit $status
