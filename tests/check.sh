#!/usr/bin/env bash
# check.sh [BED...]: run clonelab's tests on each bed and sum them up.
#
# Beds: native-x86_64 (or just "native": this host's arch), user-aarch64, user-x86_64
# (QEMU user mode), system-aarch64, system-x86_64 (Debian's kernels under
# qemu-system, the test binary as /init), and two checks of the tree itself: uapi
# (tests/check_uapi.py) and ship (tests/ship.sh), and fuzz (tests/fuzz/fuzz.py for
# FUZZ_CHECK_SECONDS, default 25, seed FUZZ_SEED, default 14). Default: all of them.
# Each native/user bed runs build/<arch>/tests/clonelab-test, then the host tests
# (tests/host/run.py --bed NAME). Every TAP line is shown with a [bed/stream] prefix;
# the last line is `check: N passed, N failed, N skipped`; exit 1 on any failure.
#
# A bed whose tools are missing FAILS (tests/deps.sh installs them). Outside CI,
# SKIP_MISSING=1 turns that into a loud skip; with CI=true it never does.
#
#   check.sh --shell ARCH   boot ARCH's kernel with a busybox shell as /init and
#                           /clonelab, /examples/* (make shell-system)
# Needs `make both` first (make check does it). Kernels and busybox are cached under
# ${CLONELAB_CACHE:-~/.cache/clonelab} by tests/system/fetch-*.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hostarch=$(uname -m)
ci=false
case "${CI:-}" in true | 1 | yes) ci=true ;; esac
skip_missing=false
[ "${SKIP_MISSING:-0}" = 1 ] && ! $ci && skip_missing=true
sys_timeout=${SYSTEM_TIMEOUT:-180}

passed=0 failed=0 skipped=0
failures=()
timings=()
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
# Keep a copy of all that is shown: tests/bedtable.py builds the README's bed matrix
# from its "# matrix" lines.
mkdir -p build && exec > >(tee build/check.log)

# ---- counting ----
# show_tap PREFIX FILE RC: print FILE's lines with PREFIX, count its TAP results, and
# count one more failure if the stream broke without saying "not ok" (a crash, a
# missing plan, fewer results than planned).
show_tap() {
    local prefix=$1 file=$2 rc=$3 plan ok notok skip ran
    sed -e '/^$/d' -e "s|^|[$prefix] |" "$file"
    plan=$(grep -aEm1 '^1\.\.[0-9]+' "$file" | sed 's/^1\.\.//; s/[^0-9].*//') || true
    ok=$(grep -acE '^ok [0-9]+' "$file") || true
    notok=$(grep -acE '^not ok [0-9]+' "$file") || true
    skip=$(grep -acE '^ok [0-9]+.*# *SKIP' "$file") || true
    ran=$((ok + notok))
    passed=$((passed + ok - skip)) failed=$((failed + notok)) skipped=$((skipped + skip))
    [ "$notok" -gt 0 ] && failures+=("$prefix: $notok not ok")
    local why=
    if [ -z "$plan" ]; then why="no TAP plan (exit status $rc)"
    elif [ "$ran" -ne "$plan" ]; then why="plan says $plan, $ran reported (exit status $rc)"
    elif [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then why="exit status $rc with no failing test"
    fi
    if [ -n "$why" ]; then
        echo "[$prefix] not ok - stream broken: $why"
        failed=$((failed + 1))
        failures+=("$prefix: $why")
    fi
}

# missing BED WHAT...: a bed cannot run here. A failure, or a loud skip with SKIP_MISSING=1.
missing() {
    local bed=$1
    shift
    if $skip_missing; then
        echo "[$bed] ok - $bed # SKIP !!! NOT RUN: $* (SKIP_MISSING=1)"
        echo "!!! check: bed $bed SKIPPED: $*" >&2
        skipped=$((skipped + 1))
    else
        echo "[$bed] not ok - $bed cannot run: $* (run tests/deps.sh$($ci || echo ', or SKIP_MISSING=1 to skip loudly'))"
        failed=$((failed + 1))
        failures+=("$bed: cannot run: $*")
    fi
}

need() {  # need BED TOOL...: 0 if all are on PATH, else report the bed missing
    local bed=$1 t miss=()
    shift
    for t in "$@"; do command -v "$t" >/dev/null 2>&1 || miss+=("$t"); done
    [ ${#miss[@]} -eq 0 ] && return 0
    missing "$bed" "missing ${miss[*]}"
    return 1
}

need_build() {  # need_build BED ARCH
    local f
    for f in "build/$2/clonelab" "build/$2/tests/clonelab-test"; do
        if [ ! -x "$f" ]; then
            echo "[$1] not ok - $f not built (make both)"
            failed=$((failed + 1))
            failures+=("$1: $f not built")
            return 1
        fi
    done
}

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# ---- beds ----
bed_host() {  # native-ARCH / user-ARCH: the unit binary, then the host tests
    local bed=$1 kind=${1%%-*} arch=${1#*-} prefix=() expect=0 rc
    need_build "$bed" "$arch" || return
    if [ "$kind" = user ]; then
        need "$bed" "qemu-$arch" || return
        prefix=("qemu-$arch") expect=1
    elif [ "$arch" != "$hostarch" ]; then
        missing "$bed" "a native $arch bed needs an $arch host (this is $hostarch)"
        return
    fi
    CLONELAB_EXPECT_QEMU=$expect timeout -k 5 300 "${prefix[@]}" "build/$arch/tests/clonelab-test" \
        </dev/null >"$logdir/$bed.unit" 2>"$logdir/$bed.unit.err"
    rc=$?
    sed 's/^/# stderr: /' "$logdir/$bed.unit.err" >>"$logdir/$bed.unit"
    show_tap "$bed/unit" "$logdir/$bed.unit" $rc
    need "$bed" python3 || return
    timeout -k 5 600 python3 tests/host/run.py --bed "$bed" </dev/null >"$logdir/$bed.host" 2>&1
    show_tap "$bed/host" "$logdir/$bed.host" $?
}

# initramfs ARCH OUT [--init FILE]: busybox, /clonelab and /examples/* (+ /init)
initramfs() {
    local arch=$1 out=$2 bb ex args=()
    shift 2
    bb=$(tests/system/fetch-deb.sh "$arch" busybox-static bin/busybox 2>"$logdir/fetch-bb.err" | tail -n1)
    if [ -z "$bb" ] || [ ! -s "$bb" ]; then
        cat "$logdir/fetch-bb.err" >&2
        return 1
    fi
    args=(--add "build/$arch/clonelab:/clonelab" --busybox "$bb")
    for ex in "build/$arch"/examples/*; do
        [ -f "$ex" ] && [ -x "$ex" ] && args+=(--add "$ex:/examples/$(basename "$ex")")
    done
    python3 tests/system/mkinitramfs.py "$out" "$@" "${args[@]}"
}

bed_system() {
    local bed=$1 arch=${1#*-} kernel qemu rc
    case $arch in aarch64) qemu=qemu-system-aarch64 ;; x86_64) qemu=qemu-system-x86_64 ;; esac
    need_build "$bed" "$arch" || return
    need "$bed" "$qemu" python3 timeout || return
    kernel=$(tests/system/fetch-kernel.sh "$arch" 2>"$logdir/$bed.fetch" | tail -n1)
    if [ -z "$kernel" ] || [ ! -s "$kernel" ]; then
        sed "s|^|[$bed] # |" "$logdir/$bed.fetch"
        missing "$bed" "no kernel (tests/system/fetch-kernel.sh $arch failed)"
        return
    fi
    local cpio="build/$arch/tests/initramfs.cpio" log="build/$arch/tests/boot.log"
    if ! initramfs "$arch" "$cpio" --init "build/$arch/tests/clonelab-test" 2>"$logdir/$bed.mk"; then
        sed "s|^|[$bed] # |" "$logdir/$bed.mk"
        missing "$bed" "no initramfs (busybox fetch or mkinitramfs.py failed)"
        return
    fi
    tests/system/boot.sh "$arch" "$kernel" "$cpio" "$log" "$sys_timeout" </dev/null >"$logdir/$bed.boot" 2>&1
    rc=$?
    # boot.sh prefixes its lines with [system-ARCH]: take that off to count.
    sed "s|^\[$bed\] ||" "$logdir/$bed.boot" >"$logdir/$bed.tap"
    show_tap "$bed" "$logdir/$bed.tap" $rc
    echo "[$bed] # console log: $log"
}

bed_uapi() {
    need uapi python3 gcc || return
    python3 tests/check_uapi.py >"$logdir/uapi" 2>&1
    show_tap uapi "$logdir/uapi" $?
}

bed_fuzz() {  # a short run of tests/fuzz/fuzz.py on this host's clonelab (make fuzz: longer)
    need fuzz python3 timeout || return
    need_build fuzz "$hostarch" || return
    timeout -k 5 $((${FUZZ_CHECK_SECONDS:-25} + 60)) python3 tests/fuzz/fuzz.py --tap --timeout 3 \
        --seconds "${FUZZ_CHECK_SECONDS:-25}" --seed "${FUZZ_SEED:-14}" \
        --bin "build/$hostarch/clonelab" </dev/null >"$logdir/fuzz" 2>&1
    show_tap fuzz "$logdir/fuzz" $?
}

bed_ship() {
    need ship readelf file || return
    tests/ship.sh >"$logdir/ship" 2>&1
    show_tap ship "$logdir/ship" $?
}

# ---- make shell-system ----
if [ "${1:-}" = --shell ]; then
    arch=${2:-$hostarch}
    [ -x "build/$arch/clonelab" ] || { echo "check.sh: build/$arch/clonelab not built (make both)" >&2; exit 1; }
    kernel=$(tests/system/fetch-kernel.sh "$arch" | tail -n1) || exit 1
    cpio="build/$arch/tests/shell.cpio"
    mkdir -p "build/$arch/tests"
    initramfs "$arch" "$cpio" || exit 1
    exec tests/system/boot.sh --interactive "$arch" "$kernel" "$cpio"
fi

beds=("$@")
[ ${#beds[@]} -eq 0 ] && beds=(uapi ship "native-$hostarch" user-aarch64 user-x86_64 system-aarch64 system-x86_64 fuzz)
start=$(now_ms)
for bed in "${beds[@]}"; do
    [ "$bed" = native ] && bed="native-$hostarch"
    t0=$(now_ms)
    case $bed in
        native-x86_64 | native-aarch64 | user-aarch64 | user-x86_64) bed_host "$bed" ;;
        system-aarch64 | system-x86_64) bed_system "$bed" ;;
        uapi) bed_uapi ;;
        ship) bed_ship ;;
        fuzz) bed_fuzz ;;
        *) echo "check.sh: unknown bed '$bed' (want native, native-x86_64, user-aarch64, user-x86_64," \
                "system-aarch64, system-x86_64, uapi, ship, fuzz)" >&2
           exit 2 ;;
    esac
    timings+=("$bed $(( ($(now_ms) - t0) / 1000 )).$(printf %03d $(( ($(now_ms) - t0) % 1000 )))s")
done

total=$(( $(now_ms) - start ))
echo "# time: ${timings[*]}; total $((total / 1000)).$(printf %03d $((total % 1000)))s"
for f in "${failures[@]}"; do echo "# FAILED: $f"; done
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
