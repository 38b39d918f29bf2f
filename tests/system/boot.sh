#!/bin/bash
# boot.sh [--bed BED] ARCH KERNEL CPIO LOG [TIMEOUT]   boot, capture the console in LOG, judge the TAP
# boot.sh --run ARCH KERNEL CPIO [TIMEOUT]              boot a --script initramfs (mkinitramfs.py):
#     print the script's output, exit with its status (125 if the guest did not say it)
# boot.sh --interactive ARCH KERNEL CPIO               boot with the console on this terminal (Ctrl-A x quits)
# --qemu DIR (before the others): not the host's qemu-system but the one unpacked in DIR
#     (tests/system/fetch-qemu.sh), its firmware first, then the host's SeaBIOS.
#
# ARCH is a row of arch/<arch>/bed.tab, which gives the qemu-system command. Every
# guest has 2 vCPUs, so that a clone's child can start on another CPU than its parent.
# Always TCG (KVM does not work on the CI machines) and, unless interactive, always
# under `timeout`. In test mode the guest's /init prints kselftest TAP and finally
# "clonelab-guest: done". Exit 0 only if that line is there, the number of top-level
# ok/not ok lines equals the plan, no test failed and the kernel did not panic before
# "done" (a panic after it is just init exiting instead of powering off). Lines are
# prefixed with [BED] (default system-ARCH).
set -eu
here=$(dirname "$0")
# shellcheck source=arches.sh
. "$here/arches.sh"

die() { echo "boot.sh: error: $*" >&2; exit 2; }
mode=test bed='' qdir=''
while :; do
    case ${1:-} in
        --qemu) qdir=${2:-}; shift 2 || die "--qemu wants a folder" ;;
        --interactive) mode=interactive; shift ;;
        --run) mode=run; shift ;;
        --bed) bed=${2:-}; shift 2 || die "--bed wants a name" ;;
        *) break ;;
    esac
done
case $mode in
    interactive) [ $# -eq 3 ] || die "usage: $0 --interactive ARCH KERNEL CPIO" ;;
    run) [ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: $0 --run ARCH KERNEL CPIO [TIMEOUT]" ;;
    test) [ $# -eq 4 ] || [ $# -eq 5 ] || die "usage: $0 [--bed BED] ARCH KERNEL CPIO LOG [TIMEOUT]" ;;
esac
arch=$1 kernel=$2 cpio=$3
if [ $mode = run ]; then log='' limit=${4:-120}; else log=${4:-} limit=${5:-120}; fi
cl_arch "$arch" || die "unknown ARCH '$arch' (want one of: $(cl_arches | tr '\n' ' '))"
[ -r "$kernel" ] || die "kernel '$kernel' not readable (see tests/system/fetch-kernel.sh)"
[ -r "$cpio" ] || die "initramfs '$cpio' not readable (see tests/system/mkinitramfs.py)"
firmware=()
if [ -n "$qdir" ]; then
    [ -x "$qdir/usr/bin/${a_qemu[0]}" ] || die "$qdir/usr/bin/${a_qemu[0]} missing (tests/system/fetch-qemu.sh)"
    a_qemu[0]=$qdir/usr/bin/${a_qemu[0]}
    # Its own data first; the PC BIOS is not QEMU's but SeaBIOS's (the host's package).
    firmware=(-L "$qdir/usr/share/qemu" -L /usr/share/seabios)
fi
command -v "${a_qemu[0]}" >/dev/null ||
    die "${a_qemu[0]} missing: install package $a_pkg (tests/deps.sh does)"

# 2 vCPUs run by one TCG thread (thread=single): the guest still has two CPUs to
# schedule on, but a wake-up from one to the other no longer waits for the host to run
# a second, busy thread. On 2 shared cores that made 10,000 spawn/join cycles 2-5x
# faster (multi-threaded TCG: over the test's 30 s on aarch64).
# -nic none: no network wanted, and it spares x86 the iPXE boot ROM.
qemu=("${a_qemu[@]}" "${firmware[@]}" -accel "tcg,thread=single" -smp 2 -m 512 -nic none -nographic -no-reboot
      -kernel "$kernel" -initrd "$cpio")
append="console=$a_console panic=-1${a_append:+ $a_append}"

if [ $mode = interactive ]; then
    echo "boot.sh: booting $arch; leave with 'poweroff -f' in the guest or Ctrl-A x" >&2
    exec "${qemu[@]}" -append "$append"
fi

# clean LOG: a copy without the serial console's \r\n and terminal escapes. On x86 the
# console reset ("\ec") and a bare \r follow SeaBIOS's "Booting from ROM.." with no
# newline, and init's first line would be glued to it: make those line breaks.
clean() { sed -E 's/\r$//; s/\r|\x1bc/\n/g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' "$1"; }

if [ $mode = run ]; then
    raw=$(mktemp) txt=$(mktemp)
    trap 'rm -f "$raw" "$txt"' EXIT
    status=0
    timeout --foreground -k 5 "$limit" "${qemu[@]}" -append "$append quiet" </dev/null >"$raw" 2>&1 || status=$?
    clean "$raw" >"$txt"
    # The script's output lies between init's two markers; the second may end a line
    # the script left unterminated.
    rc=$(grep -aoE 'clonelab-shell: exit [0-9]+$' "$txt" | tail -n1 | sed 's/.* //') || true
    if grep -aq '^clonelab-shell: begin$' "$txt"; then
        sed -n '/^clonelab-shell: begin$/,$p' "$txt" | sed '1d' |
            awk '/clonelab-shell: exit [0-9]+$/ { sub(/clonelab-shell: exit [0-9]+$/, ""); printf "%s", $0; exit } { print }'
    fi
    if [ -z "$rc" ]; then
        echo "boot.sh: the guest never reported the script's exit status" \
             "($([ $status -eq 124 ] && echo "timeout after ${limit}s" || echo "qemu exit status $status")); its console:" >&2
        tail -n 30 "$txt" | sed 's/^/  | /' >&2
        exit 125
    fi
    exit "$rc"
fi

tag="[${bed:-system-$arch}]"
fail() {
    echo "$tag FAIL: $*"
    echo "$tag --- last 30 lines of $log ---"
    tail -n 30 "$txtlog" | sed "s/^/$tag | /"
    exit 1
}

mkdir -p "$(dirname "$log")"
start=${EPOCHREALTIME/./}  # microseconds; bash 5, no bc needed
status=0
# stdin from /dev/null: -nographic would otherwise put a terminal in raw mode.
# timeout --foreground leaves QEMU in our process group: a Ctrl-C of make check, or
# check.sh's kill of its system beds' group, reaches it (plain timeout makes a group of
# its own, and a killed check left QEMU running until the limit).
# The unit runner's per-test hang guard (30 s) is for native speed: an emulated CPU on
# a busy host runs 10,000 thread cycles in 10-40 s. The kernel hands NAME=VALUE
# parameters it does not know to init as its environment.
timeout --foreground -k 5 "$limit" "${qemu[@]}" -append "$append quiet CLONELAB_TEST_SECONDS=${CLONELAB_TEST_SECONDS:-120}" \
    </dev/null >"$log" 2>&1 || status=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
txtlog=$(mktemp)
trap 'rm -f "$txtlog"' EXIT
clean "$log" >"$txtlog"

# Show the TAP stream (top-level and nested results, plan, diagnostics).
grep -aE '^[[:space:]]*(TAP version|1\.\.[0-9]|ok [0-9]|not ok [0-9]|# )' "$txtlog" \
    | sed "s/^/$tag /" || true

done_line=$(grep -anm1 '^clonelab-guest: done' "$txtlog" | cut -d: -f1) || true
if [ $status -eq 124 ]; then
    fail "timeout: no power-off within ${limit}s${done_line:+ (the done line was printed)}"
fi
[ $status -eq 0 ] || fail "qemu exited with status $status"
panic_line=$(grep -anm1 'Kernel panic' "$txtlog" | cut -d: -f1) || true
if [ -n "$panic_line" ] && { [ -z "$done_line" ] || [ "$panic_line" -lt "$done_line" ]; }; then
    fail "kernel panic before 'clonelab-guest: done': $(sed -n "${panic_line}p" "$txtlog")"
fi
plan=$(grep -aEm1 '^1\.\.[0-9]+' "$txtlog" | sed 's/^1\.\.//; s/[^0-9].*//') || true
[ -n "$plan" ] || fail "no TAP plan line (1..N)"
[ -n "$done_line" ] || fail "no 'clonelab-guest: done' line (guest died or stopped early)"
ran=$(grep -acE '^(not )?ok [0-9]+' "$txtlog") || true
failed=$(grep -acE '^not ok [0-9]+' "$txtlog") || true
[ "$ran" -eq "$plan" ] || fail "plan says $plan tests, $ran reported"
[ "$failed" -eq 0 ] || fail "$failed of $plan tests failed"
! grep -aq '^Bail out!' "$txtlog" || fail "the guest bailed out"
echo "$tag PASS: $plan tests, $(grep -acE '^ok [0-9]+.*# *SKIP' "$txtlog" || true) skipped, $((ms / 1000)).$(printf %03d $((ms % 1000)))s to power-off"
