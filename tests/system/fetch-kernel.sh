#!/bin/bash
# fetch-kernel.sh ARCH  (aarch64 | x86_64)
#
# Fetches Debian's cloud kernel for ARCH (linux-image-cloud-<debarch>, followed to its
# versioned linux-image-6.1.0-N-cloud-<debarch>) without installing it, and caches
# boot/vmlinuz-* as ${CLONELAB_CACHE:-$HOME/.cache/clonelab}/kernels/<arch>/vmlinuz
# (with a VERSION file). The last line on stdout is the path of the vmlinuz.
set -eu

case ${1:-} in
    aarch64) debarch=arm64 ;;
    x86_64)  debarch=amd64 ;;
    *) echo "usage: $0 aarch64|x86_64" >&2; exit 1 ;;
esac
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
exec "$(dirname "$0")/fetch-deb.sh" "$1" "linux-image-cloud-$debarch" 'boot/vmlinuz-*' \
    "$cache/kernels/$1/vmlinuz"
