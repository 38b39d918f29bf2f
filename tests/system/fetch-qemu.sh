#!/bin/bash
# fetch-qemu.sh MODE LABEL ARCH: unpack QEMU LABEL (a row of tests/system/qemus.tab) for
# MODE (user or system) and ARCH into ${CLONELAB_CACHE:-$HOME/.cache/clonelab}/qemu/MODE-LABEL/
# with tests/system/fetch-deb.sh, never installing it. The last line on stdout is that
# folder (its usr/bin has the emulators); for the host's own QEMU, "host".
set -eu
here=$(dirname "$0")
# shellcheck source=arches.sh
. "$here/arches.sh"
[ $# -eq 3 ] || { echo "usage: $0 user|system LABEL ARCH" >&2; exit 2; }
mode=$1 label=$2 arch=$3
cl_qemu "$mode" "$label" || { echo "fetch-qemu: no $mode QEMU '$label' in tests/system/qemus.tab" >&2; exit 1; }
[ "$q_suite" != host ] || { echo host; exit 0; }
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
dir=$cache/qemu/$mode-$label
hostarch=$(uname -m)
for p in "${q_pkgs[@]}"; do
    case $p in
        *:*) [ "${p%%:*}" = "$arch" ] || continue; p=${p#*:} ;;
    esac
    # The emulator runs on this host: the host's architecture's package.
    "$here/fetch-deb.sh" --suite "$q_suite" "$hostarch" "$p" . "$dir" >/dev/null
done
echo "$dir"
