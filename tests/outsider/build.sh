#!/usr/bin/env bash
# build.sh ARCH PREFIX OUT: build the programs of tests/outsider for ARCH the way an
# outsider would, with ONLY what `make install PREFIX=PREFIX` put there (the header, the
# library, crt0.o, the .pc files through pkg-config), into OUT/. Static, so that they
# also run as they are in the system beds' guests (no libc there): `make outsider`, and
# tests/unit/outsider.c runs them natively and in the guests.
set -euo pipefail
arch=${1:?ARCH} prefix=${2:?PREFIX} out=${3:?OUT}
src=$(dirname "$0")
case $arch in
    x86_64) cross= ;;
    *) cross=$arch-linux-gnu- ;;
esac
export PKG_CONFIG_LIBDIR=$prefix/lib/clonelab/$arch/pkgconfig
free() { pkg-config "$1" clonelab-freestanding; }
mkdir -p "$out"
for p in threads fork userns; do
    "${cross}gcc" -O2 $(free --cflags) "$src/$p.c" $(free --libs) -o "$out/$p"
done
"${cross}gcc" -O2 -fstack-protector-all $(free --cflags) "$src/ssp.c" $(free --libs) -o "$out/ssp"
"${cross}g++" -O2 -static $(pkg-config --cflags clonelab) "$src/cxx.cc" $(pkg-config --libs clonelab) \
    -o "$out/cxx"
