#!/bin/bash
# fetch-deb.sh [--suite SUITE] ARCH PACKAGE FILE-IN-DEB [DEST]
# fetch-deb.sh [--suite SUITE] ARCH PACKAGE . DIR
#
# Downloads a Debian package of SUITE (default bookworm) for ARCH (a row of
# arch/<arch>/bed.tab) WITHOUT installing it, extracts FILE-IN-DEB (a shell glob,
# e.g. 'boot/vmlinuz-*') and caches it as DEST (default:
# $CACHE/<package>/<arch>/<basename>), with "package version file" in a VERSION file
# next to it. If PACKAGE does not contain the file (a metapackage such as
# linux-image-cloud-arm64), its first dependency is tried, and so on. PACKAGE may name
# the way down: 'META>GLOB>GLOB' follows, at each step, the first dependency whose
# name matches the next GLOB (sid's 7.x kernels: linux-image-cloud-amd64 depends
# first on linux-base-*, and the kernel is in linux-binary-*, two steps down).
# A cached file is never downloaded again. The last line on stdout is DEST.
# With FILE-IN-DEB '.', the whole package is unpacked into DIR (dpkg-deb -x, several
# packages may share one DIR: a marker DIR/.deb/PACKAGE says which are there), e.g.
# another QEMU, run from DIR/usr/bin without being installed.
#
# Cache: ${CLONELAB_CACHE:-$HOME/.cache/clonelab} (outside the source tree), shared by
# several checkouts and processes: apt runs under a lock per apt state, and files
# appear in the cache only complete (written to a temporary name, then renamed).
set -eu

die() { echo "fetch-deb: error: $*" >&2; exit 1; }
suite=bookworm
if [ "${1:-}" = --suite ]; then suite=${2:-}; shift 2 || true; fi
[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: $0 [--suite SUITE] ARCH PACKAGE FILE-IN-DEB [DEST]"
arch=$1 pkg=${2%%>*} file=$3
hints=()
[[ $2 != *'>'* ]] || IFS='>' read -ra hints <<<"${2#*>}"
# shellcheck source=arches.sh
. "$(dirname "$0")/arches.sh"
cl_arch "$arch" || die "unknown ARCH '$arch' (want one of: $(cl_arches | tr '\n' ' '))"
debarch=$a_deb
[[ $suite =~ ^[a-z]+(-[a-z]+)?$ ]] || die "bad suite name '$suite'"
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
tree=false
if [ "$file" = . ]; then
    tree=true
    [ $# -eq 4 ] || die "FILE-IN-DEB '.' (the whole package) wants a DIR"
fi
dest=${4:-$cache/$pkg/$arch/$(basename "$file")}

cached() {
    if $tree; then
        [ -s "$dest/.deb/$pkg" ] || return 1
        echo "fetch-deb: cached: $pkg in $dest ($(cat "$dest/.deb/$pkg"))" >&2
        echo "$dest"
        return 0
    fi
    [ -s "$dest" ] || return 1
    echo "fetch-deb: cached: $dest ($(cat "$(dirname "$dest")/VERSION" 2>/dev/null))" >&2
    echo "$dest"
}
cached && exit 0

for tool in apt-get dpkg-deb flock; do
    command -v $tool >/dev/null || die "$tool not found (this needs a Debian-like host)"
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing (package debian-archive-keyring)"

# A private apt state for SUITE and the target architecture: its own sources file,
# package lists, package cache and an empty dpkg status, so the host's apt sources and
# state are neither used nor changed.
aptdir=$cache/apt/$suite-$debarch
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
touch "$aptdir/status"
echo "deb [signed-by=$keyring] ${DEBIAN_MIRROR:-http://deb.debian.org/debian} $suite main" \
    >"$aptdir/sources.list.new" && mv "$aptdir/sources.list.new" "$aptdir/sources.list"
apt_opts=(-o "APT::Architecture=$debarch" -o "APT::Architectures=$debarch"
          -o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::State::status=$aptdir/status"
          -o "Dir::Cache=$aptdir/cache" -o "Debug::NoLocking=1")
# As root apt downloads as the _apt user, which cannot write into our private dirs.
[ "$(id -u)" = 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")

# One apt at a time per private state (apt's own locks are off: they are the host's).
exec 9>"$aptdir/lock"
flock 9
cached && exit 0  # another process fetched it while we waited

# Refresh the lists only when they are missing or older than a day.
if [ -z "$(find "$aptdir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
    echo "fetch-deb: apt-get update for $suite $debarch (private state in $aptdir)" >&2
    apt-get "${apt_opts[@]}" -q update >&2 || die "apt-get update for $suite $debarch failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for _ in 1 2 3; do
    echo "fetch-deb: downloading $pkg:$debarch from $suite" >&2
    apt-get "${apt_opts[@]}" -q download "$pkg:$debarch" >&2 || die "apt-get download $pkg:$debarch ($suite) failed"
    deb=$(ls "$work"/*.deb)
    if $tree; then
        # Unpacked beside the others of DIR; the marker last, so a killed fetch is redone.
        mkdir -p "$dest/.deb"
        dpkg-deb -x "$deb" "$dest" || die "dpkg-deb -x $(basename "$deb") failed"
        echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >"$dest/.deb/$pkg.new"
        mv "$dest/.deb/$pkg.new" "$dest/.deb/$pkg"
        echo "fetch-deb: unpacked $(basename "$deb") into $dest" >&2
        echo "$dest"
        exit 0
    fi
    rm -rf x && dpkg-deb -x "$deb" x
    # shellcheck disable=SC2086,SC2012 # $file is a glob on purpose
    found=$(cd x && ls -d $file 2>/dev/null | head -n1) || true
    if [ -n "$found" ]; then
        dir=$(dirname "$dest")
        mkdir -p "$dir"
        echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $found" >"$work/VERSION"
        tmp=$(mktemp "$dir/.fetch.XXXXXX")
        cp "x/$found" "$tmp" && chmod 644 "$tmp"
        mv "$work/VERSION" "$dir/VERSION.new" && mv "$dir/VERSION.new" "$dir/VERSION"
        mv "$tmp" "$dest"
        echo "fetch-deb: cached $found from $(basename "$deb") as $dest ($(stat -c %s "$dest") bytes)" >&2
        echo "$dest"
        exit 0
    fi
    # Not in this package: follow a metapackage to its (first) dependency.
    deps=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/[ (:].*//' | sed '/^$/d')
    next=
    if [ ${#hints[@]} -gt 0 ]; then
        for d in $deps; do
            # shellcheck disable=SC2053 # a glob on purpose
            [[ $d == ${hints[0]} ]] && next=$d && break
        done
        [ -n "$next" ] || die "no dependency of $pkg matches '${hints[0]}' (it has: ${deps//$'\n'/ })"
        hints=("${hints[@]:1}")
    else
        next=$(echo "$deps" | head -n1)
    fi
    [ -n "$next" ] || die "'$file' not found in $(basename "$deb"), which has no dependency to follow"
    echo "fetch-deb: '$file' not in $pkg, trying its dependency $next" >&2
    pkg=$next
    rm -f "$deb"
done
die "'$file' not found after following 3 packages"
