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
    "cmd:aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu"
    "file:/usr/include/linux/sched.h linux-libc-dev"
    "file:/usr/aarch64-linux-gnu/include/asm/unistd.h linux-libc-dev-arm64-cross"
    "cmd:qemu-aarch64 qemu-user"
    "cmd:qemu-x86_64 qemu-user"
    "cmd:qemu-system-aarch64 qemu-system-arm"
    "cmd:qemu-system-x86_64 qemu-system-x86"
    "cmd:python3 python3"
    "cmd:strace strace"
    "cmd:setpriv util-linux"
    "cmd:unshare util-linux"
    "pkg:busybox-static busybox-static"
    "cmd:musl-gcc musl-tools"
    "cmd:ip iproute2"
    "cmd:ps procps"
    "cmd:file file"
    "cmd:timeout coreutils"
    "cmd:dpkg-deb dpkg"
    "cmd:apt-get apt"
    "cmd:pahole dwarves"
    "cmd:lz4 lz4"
    "cmd:zstd zstd"
)
# The host's own multiarch include directory (asm/unistd.h for this machine).
case "$(uname -m)" in
    x86_64) checks+=("file:/usr/include/x86_64-linux-gnu/asm/unistd_64.h linux-libc-dev") ;;
    aarch64) checks+=("file:/usr/include/aarch64-linux-gnu/asm/unistd.h linux-libc-dev") ;;
esac

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
