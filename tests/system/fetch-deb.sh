#!/bin/bash
# fetch-deb.sh [--suite SUITE] ARCH PACKAGE FILE-IN-DEB [DEST]
#
# Downloads a Debian package of SUITE (default bookworm) for ARCH (a row of
# arch/<arch>/bed.tab) WITHOUT installing it, extracts FILE-IN-DEB (a shell glob,
# e.g. 'boot/vmlinuz-*') and caches it as DEST (default:
# $CACHE/<package>/<arch>/<basename>), with "package version file" in a VERSION file
# next to it. If PACKAGE does not contain the file (a metapackage such as
# linux-image-cloud-arm64), its first dependency is tried, and so on.
# A cached file is never downloaded again. The last line on stdout is DEST.
#
# Cache: ${CLONELAB_CACHE:-$HOME/.cache/clonelab} (outside the source tree), shared by
# several checkouts and processes: apt runs under a lock per apt state, and files
# appear in the cache only complete (written to a temporary name, then renamed).
set -eu

die() { echo "fetch-deb: error: $*" >&2; exit 1; }
suite=bookworm
if [ "${1:-}" = --suite ]; then suite=${2:-}; shift 2 || true; fi
[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: $0 [--suite SUITE] ARCH PACKAGE FILE-IN-DEB [DEST]"
arch=$1 pkg=$2 file=$3
# shellcheck source=arches.sh
. "$(dirname "$0")/arches.sh"
cl_arch "$arch" || die "unknown ARCH '$arch' (want one of: $(cl_arches | tr '\n' ' '))"
debarch=$a_deb
[[ $suite =~ ^[a-z]+$ ]] || die "bad suite name '$suite'"
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
dest=${4:-$cache/$pkg/$arch/$(basename "$file")}

cached() {
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
    next=$(dpkg-deb -f "$deb" Depends | sed 's/[ ,(|].*//')
    [ -n "$next" ] || die "'$file' not found in $(basename "$deb"), which has no dependency to follow"
    echo "fetch-deb: '$file' not in $pkg, trying its dependency $next" >&2
    pkg=$next
    rm -f "$deb"
done
die "'$file' not found after following 3 packages"
