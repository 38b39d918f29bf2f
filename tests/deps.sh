#!/usr/bin/env bash
# deps.sh: make sure every tool that `make run` and `make check` use is installed.
#
# Fast when all is there (no apt call at all). Missing ones: as root, `apt-get update`
# once, then `apt-get install -y --no-install-recommends PKG...`; otherwise print the
# exact sudo line and exit 1. Non-interactive (CI=true, no stdin).
# The guest's kernels and busybox are not host packages: tests/system/fetch-*.sh
# download those (into ~/.cache/clonelab) when a system bed first needs them.
set -euo pipefail

# "how to tell it is there" -> "Debian package". cmd:NAME is a command on PATH,
# file:PATH a file, pkg:NAME an installed package.
checks=(
    "cmd:gcc gcc"
    "cmd:make make"
    "cmd:nasm nasm"
    "cmd:readelf binutils"
    "cmd:g++ g++"
    "cmd:pkg-config pkgconf"
    "cmd:gdb-multiarch gdb-multiarch"
    "cmd:man man-db"
    "cmd:groff groff-base"
    "file:/usr/include/linux/sched.h linux-libc-dev"
    "cmd:python3 python3"
    "cmd:strace strace"
    "cmd:setpriv util-linux"
    "cmd:unshare util-linux"
    "cmd:flock util-linux"
    "pkg:busybox-static busybox-static"
    "cmd:musl-gcc musl-tools"
    "cmd:ip iproute2"
    "cmd:ps procps"
    "cmd:file file"
    "cmd:timeout coreutils"
    "cmd:dpkg-deb dpkg"
    "cmd:apt-get apt"
    "file:/usr/share/keyrings/debian-archive-keyring.gpg debian-archive-keyring"
    "cmd:chromium chromium"
    "file:/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf fonts-dejavu-core"
    "cmd:pahole dwarves"
    "cmd:lz4 lz4"
    "cmd:zstd zstd"
    # The PC BIOS for another qemu-system-x86_64 than the host's (tests/system/qemus.tab):
    # bookworm-backports' QEMU 10.0 does not ship it, as Debian's QEMU takes SeaBIOS's.
    "file:/usr/share/seabios/bios-256k.bin seabios"
)
# Per architecture (arch/ARCHES, facts in arch/<arch>/bed.tab): QEMU user and
# system mode, and for another architecture than the host's a cross compiler (C and
# C++), its kernel headers and its C library (hosted programs that use libclonelab.a).
# shellcheck source=system/arches.sh
. "$(dirname "$0")/system/arches.sh"
host=$(uname -m)
for a in $(cl_arches); do
    cl_arch "$a" || { echo "deps: $a (arch/ARCHES) has no arch/$a/bed.tab" >&2; exit 1; }
    checks+=("cmd:qemu-$a qemu-user" "cmd:${a_qemu[0]} $a_pkg")
    [ ${#a_firmware[@]} -eq 0 ] || checks+=("file:${a_firmware[0]} ${a_firmware[1]}")
    if [ "$a" = "$host" ]; then
        checks+=("file:/usr/include/$a-linux-gnu/asm/unistd.h linux-libc-dev")
    else
        checks+=("cmd:$a-linux-gnu-gcc gcc-${a//_/-}-linux-gnu"
                 "cmd:$a-linux-gnu-g++ g++-${a//_/-}-linux-gnu"
                 "file:/usr/$a-linux-gnu/include/asm/unistd.h linux-libc-dev-$a_deb-cross"
                 "file:/usr/$a-linux-gnu/lib/libc.a libc6-dev-$a_deb-cross")
    fi
done

installed_pkgs=
missing=()
for c in "${checks[@]}"; do
    what=${c%% *} pkg=${c#* }
    case $what in
        cmd:*) command -v "${what#cmd:}" >/dev/null 2>&1 && continue ;;
        file:*) [ -e "${what#file:}" ] && continue ;;
        pkg:*)
            if [ -z "$installed_pkgs" ]; then
                installed_pkgs=" $(dpkg-query -W -f='${db:Status-Abbrev}|${Package}\n' 2>/dev/null \
                    | sed -n 's/^ii *|//p' | tr '\n' ' ') "
            fi
            [[ $installed_pkgs == *" ${what#pkg:} "* ]] && continue ;;
    esac
    echo "deps: missing ${what#*:} (package $pkg)" >&2
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all tools present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "deps: not root; install them with:" >&2
    echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${missing[*]}"
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
echo "deps: installed ${missing[*]}"
