#!/bin/bash
# boot.sh ARCH VMLINUZ CPIO LOG [TIMEOUT]     boot, capture the console in LOG, judge the TAP
# boot.sh --interactive ARCH VMLINUZ CPIO     boot with the console on this terminal (Ctrl-A x quits)
#
# ARCH is aarch64 or x86_64. Always TCG (KVM does not work on the CI machines) and,
# in test mode, always under `timeout`. The guest's /init prints kselftest TAP and
# finally "clonelab-guest: done". Exit 0 only if that line is there, the number of
# top-level ok/not ok lines equals the plan, no test failed and the kernel did not
# panic before "done" (a panic after it is just init exiting instead of powering off).
set -eu

die() { echo "boot.sh: error: $*" >&2; exit 2; }
interactive=false
if [ "${1:-}" = --interactive ]; then interactive=true; shift; fi
if $interactive; then
    [ $# -eq 3 ] || die "usage: $0 --interactive ARCH VMLINUZ CPIO"
elif [ $# -lt 4 ] || [ $# -gt 5 ]; then
    die "usage: $0 ARCH VMLINUZ CPIO LOG [TIMEOUT]"
fi
arch=$1 kernel=$2 cpio=$3 log=${4:-} limit=${5:-120}

case $arch in
    aarch64) pkg=qemu-system-arm console=ttyAMA0
             qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57) ;;  # -cpu max is much slower under TCG
    x86_64)  pkg=qemu-system-x86 console=ttyS0
             qemu=(qemu-system-x86_64 -accel tcg) ;;
    *) die "unknown ARCH '$arch' (want aarch64 or x86_64)" ;;
esac
[ -r "$kernel" ] || die "kernel '$kernel' not readable (see tests/system/fetch-kernel.sh)"
[ -r "$cpio" ] || die "initramfs '$cpio' not readable (see tests/system/mkinitramfs.py)"

# Install QEMU when missing: as root do it, otherwise say exactly what to run.
if ! command -v "${qemu[0]}" >/dev/null; then
    [ "$(id -u)" = 0 ] || die "${qemu[0]} missing; run as root: apt-get update && apt-get install -y $pkg"
    apt-get update >&2 && apt-get install -y "$pkg" >&2
fi
# -nic none: no network wanted, and it spares x86 the iPXE boot ROM.
qemu+=(-nic none -smp 1 -m 512 -nographic -no-reboot -kernel "$kernel" -initrd "$cpio")

if $interactive; then
    echo "boot.sh: booting $arch; leave with 'poweroff -f' in the guest or Ctrl-A x" >&2
    exec "${qemu[@]}" -append "console=$console panic=-1"
fi

tag="[system-$arch]"
fail() {
    echo "$tag FAIL: $*"
    echo "$tag --- last 30 lines of $log ---"
    tail -n 30 "$clean" | sed "s/^/$tag | /"
    exit 1
}

mkdir -p "$(dirname "$log")"
start=${EPOCHREALTIME/./}  # microseconds; bash 5, no bc needed
status=0
# stdin from /dev/null: -nographic would otherwise put a terminal in raw mode.
timeout -k 5 "$limit" "${qemu[@]}" -append "console=$console panic=-1 quiet" \
    </dev/null >"$log" 2>&1 || status=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))

# Judge a copy without the serial console's \r\n and terminal escapes. On x86 the
# console reset ("\ec") and a bare \r follow SeaBIOS's "Booting from ROM.." with no
# newline, and init's first line would be glued to it: make those line breaks.
clean=$(mktemp)
trap 'rm -f "$clean"' EXIT
sed -E 's/\r$//; s/\r|\x1bc/\n/g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' "$log" >"$clean"

# Show the TAP stream (top-level and nested results, plan, diagnostics).
grep -aE '^[[:space:]]*(TAP version|1\.\.[0-9]|ok [0-9]|not ok [0-9]|# )' "$clean" \
    | sed "s/^/$tag /" || true

done_line=$(grep -anm1 '^clonelab-guest: done' "$clean" | cut -d: -f1) || true
if [ $status -eq 124 ]; then
    fail "timeout: no power-off within ${limit}s${done_line:+ (the done line was printed)}"
fi
[ $status -eq 0 ] || fail "qemu exited with status $status"
panic_line=$(grep -anm1 'Kernel panic' "$clean" | cut -d: -f1) || true
if [ -n "$panic_line" ] && { [ -z "$done_line" ] || [ "$panic_line" -lt "$done_line" ]; }; then
    fail "kernel panic before 'clonelab-guest: done': $(sed -n "${panic_line}p" "$clean")"
fi
plan=$(grep -aEm1 '^1\.\.[0-9]+' "$clean" | sed 's/^1\.\.//; s/[^0-9].*//') || true
[ -n "$plan" ] || fail "no TAP plan line (1..N)"
[ -n "$done_line" ] || fail "no 'clonelab-guest: done' line (guest died or stopped early)"
ran=$(grep -acE '^(not )?ok [0-9]+' "$clean") || true
failed=$(grep -acE '^not ok [0-9]+' "$clean") || true
[ "$ran" -eq "$plan" ] || fail "plan says $plan tests, $ran reported"
[ "$failed" -eq 0 ] || fail "$failed of $plan tests failed"
! grep -aq '^Bail out!' "$clean" || fail "the guest bailed out"
echo "$tag PASS: $plan tests, $(grep -acE '^ok [0-9]+.*# *SKIP' "$clean" || true) skipped, $((ms / 1000)).$(printf %03d $((ms % 1000)))s to power-off"
