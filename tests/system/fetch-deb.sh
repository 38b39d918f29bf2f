#!/bin/bash
# fetch-deb.sh ARCH PACKAGE FILE-IN-DEB [DEST]
#
# Downloads a Debian package for ARCH (aarch64 | x86_64) WITHOUT installing it,
# extracts FILE-IN-DEB (a shell glob, e.g. 'boot/vmlinuz-*') and caches it as DEST
# (default: $CACHE/<package>/<arch>/<basename>), with "package version" in a
# VERSION file next to it. If PACKAGE does not contain the file (a metapackage such
# as linux-image-cloud-arm64), its first dependency is tried, and so on.
# A cached file is never downloaded again. The last line on stdout is DEST.
#
# Cache: ${CLONELAB_CACHE:-$HOME/.cache/clonelab} (outside the source tree).
set -eu

die() { echo "fetch-deb: error: $*" >&2; exit 1; }
[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: $0 aarch64|x86_64 PACKAGE FILE-IN-DEB [DEST]"
arch=$1 pkg=$2 file=$3
case $arch in
    aarch64) debarch=arm64 ;;
    x86_64)  debarch=amd64 ;;
    *) die "unknown ARCH '$arch' (want aarch64 or x86_64)" ;;
esac
cache=${CLONELAB_CACHE:-$HOME/.cache/clonelab}
dest=${4:-$cache/$pkg/$arch/$(basename "$file")}

if [ -s "$dest" ]; then
    echo "fetch-deb: cached: $dest ($(cat "$(dirname "$dest")/VERSION" 2>/dev/null))" >&2
    echo "$dest"
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb; do
    command -v $tool >/dev/null || die "$tool not found (this needs a Debian-like host)"
done

# A private apt state for the target architecture: its own package lists, package
# cache and an empty dpkg status, so the host's apt state is neither used nor changed.
# The host's sources.list is used as is.
aptdir=$cache/apt/$debarch
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
touch "$aptdir/status"
apt_opts=(-o "APT::Architecture=$debarch" -o "APT::Architectures=$debarch"
          -o "Dir::State::Lists=$aptdir/lists" -o "Dir::State::status=$aptdir/status"
          -o "Dir::Cache=$aptdir/cache" -o "Debug::NoLocking=1")
# As root apt downloads as the _apt user, which cannot write into our private dirs.
[ "$(id -u)" = 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")

# Refresh the lists only when they are missing or older than a day.
if [ -z "$(find "$aptdir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
    echo "fetch-deb: apt-get update for $debarch (private lists in $aptdir)" >&2
    apt-get "${apt_opts[@]}" -q update >&2 || die "apt-get update for $debarch failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for _ in 1 2 3; do
    echo "fetch-deb: downloading $pkg:$debarch" >&2
    apt-get "${apt_opts[@]}" -q download "$pkg:$debarch" >&2 || die "apt-get download $pkg:$debarch failed"
    deb=$(ls "$work"/*.deb)
    rm -rf x && dpkg-deb -x "$deb" x
    # shellcheck disable=SC2086,SC2012 # $file is a glob on purpose
    found=$(cd x && ls -d $file 2>/dev/null | head -n1) || true
    if [ -n "$found" ]; then
        mkdir -p "$(dirname "$dest")"
        cp "x/$found" "$dest.tmp" && mv "$dest.tmp" "$dest"
        echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $found" \
            > "$(dirname "$dest")/VERSION"
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
