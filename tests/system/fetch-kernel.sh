#!/bin/bash
# fetch-kernel.sh ARCH|BED
#
# Fetches the Debian kernel of a qemu-system bed (arch/<arch>/bed.tab: ARCH alone
# is its first kernel, bed system-ARCH; system-ARCH-LABEL the others; a bed's -qemuX
# suffix changes nothing), without
# installing it, and caches its boot/vmlinu[xz]-* as
# ${CLONELAB_CACHE:-$HOME/.cache/clonelab}/kernels/<ARCH or ARCH-LABEL>/vmlinuz (with a
# VERSION file). The last line on stdout is the path of the kernel.
set -eu
here=$(dirname "$0")
# shellcheck source=arches.sh
. "$here/arches.sh"
bed=${1:-}
[[ $bed == system-* ]] || bed=system-$bed
if ! cl_bed_kernel "$bed"; then
    echo "usage: $0 ARCH|BED, one of: $(for a in $(cl_arches); do cl_system_beds "$a"; done | tr '\n' ' ')" >&2
    exit 1
fi
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
exec "$here/fetch-deb.sh" --suite "$k_suite" "$k_arch" "$k_pkg" "$k_file" \
    "$cache/kernels/${b_base#system-}/vmlinuz"
