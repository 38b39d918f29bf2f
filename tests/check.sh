#!/usr/bin/env bash
# check.sh [BED...]: run clonelab's tests on each bed and sum them up.
#
# The architectures are those of arch/ARCHES; arch/<arch>/bed.tab has their facts.
# Beds, for each ARCH: native-ARCH (or just "native": this host's arch), user-ARCH
# (QEMU user mode), system-ARCH and system-ARCH-LABEL (a Debian kernel under
# qemu-system, the test binary as /init: bed.tab's kernels column); and uapi
# (tests/check_uapi.py), ship (tests/ship.sh), shell (make shell-system, tested) and
# fuzz (tests/fuzz/fuzz.py for FUZZ_CHECK_SECONDS, default 25, seed FUZZ_SEED, default 14)
# and walk (make walk on each architecture's first kernel: tests/walk_check.py).
# A BED may be a glob: 'system-*', 'system-aarch64*'. Default: make check's subset
# (default_beds below; `check.sh --list` names them); --matrix: every bed this host can
# run, every kernel on every QEMU (make matrix). The log goes to $CHECK_LOG
# (default build/check.log) too.
# Each native/user bed runs build/<arch>/tests/clonelab-test, then the host tests
# (tests/host/run.py --bed NAME). Every TAP line is shown with a [bed/stream] prefix;
# the last line is `check: N passed, N failed, N skipped`; exit 1 on any failure.
#
# A bed whose tools are missing FAILS (tests/deps.sh installs them). Outside CI,
# SKIP_MISSING=1 turns that into a loud skip; with CI=true it never does.
#
#   check.sh --shell ARCH|BED [--cmd CMD]   boot a system bed's kernel with busybox,
#       /clonelab and /examples/* (make shell-system). With --cmd, or with stdin not a
#       terminal, run CMD (or stdin) as a script in the guest, print its output, power
#       off and exit with its status (125: the guest never reported one). Otherwise an
#       interactive shell on this terminal.
# Needs `make both` first (make check does it). Kernels and busybox are cached under
# ${CLONELAB_CACHE:-~/.cache/clonelab} by tests/system/fetch-*.sh.
set -uo pipefail
ulimit -c 0   # tests crash children on purpose (guard page, canary): never a core file in the tree
cd "$(dirname "$0")/.."
root=$PWD
hostarch=$(uname -m)
# shellcheck source=system/arches.sh
. tests/system/arches.sh
ci=false
case "${CI:-}" in true | 1 | yes) ci=true ;; esac
skip_missing=false
[ "${SKIP_MISSING:-0}" = 1 ] && ! $ci && skip_missing=true
# A guard against a hung guest, not a measure: a guest's run is about 200-300 s under TCG
# on a loaded 2-core machine (each --kernel run reads kallsyms: 3 s there on 6.12).
sys_timeout=${SYSTEM_TIMEOUT:-450}

passed=0 failed=0 skipped=0
failures=()
timings=()
logdir=$(mktemp -d)
launcher=	# the system beds' launcher, a process group of its own (see the main loop)
trap '[ -z "$launcher" ] || kill -- -"$launcher" 2>/dev/null; rm -rf "$logdir"' EXIT
trap 'exit 130' INT TERM

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
bed_host() {  # native-ARCH / user-ARCH[-qemuLABEL]: the unit binary, then the host tests
    local bed=$1 kind=${1%%-*} arch prefix=() expect=0 rc qdir='' path=$PATH
    cl_bed_qemu "$bed"
    arch=${b_base#*-}
    need_build "$bed" "$arch" || return
    if [ "$kind" = user ]; then
        qemu_dir user "$b_qemu" "$arch" "$bed" || return
        # Another QEMU first on PATH: the tests run qemu-ARCH by name, and so does clonelab-test.
        [ "$qdir" = host ] || path=$qdir/usr/bin:$PATH
        PATH=$path need "$bed" "qemu-$arch" || return
        qemu_version "$bed" "$(PATH=$path "qemu-$arch" --version 2>&1 | head -n1)"
        prefix=("qemu-$arch") expect=1
    elif [ "$arch" != "$hostarch" ]; then
        missing "$bed" "a native $arch bed needs an $arch host (this is $hostarch)"
        return
    fi
    # Under QEMU user mode every thread is a host thread, emulated: on a busy 2-core host
    # 2000 thread cycles outlast the unit runner's 30 s hang guard (as in the guests).
    local tsec=${CLONELAB_TEST_SECONDS:-}
    [ "$kind" != user ] || tsec=${tsec:-120}
    PATH=$path CLONELAB_EXPECT_QEMU=$expect CLONELAB_TEST_SECONDS=$tsec timeout -k 5 300 "${prefix[@]}" "build/$arch/tests/clonelab-test" \
        </dev/null >"$logdir/$bed.unit" 2>"$logdir/$bed.unit.err"
    rc=$?
    sed 's/^/# stderr: /' "$logdir/$bed.unit.err" >>"$logdir/$bed.unit"
    show_tap "$bed/unit" "$logdir/$bed.unit" $rc
    need "$bed" python3 || return
    PATH=$path timeout -k 5 600 python3 tests/host/run.py --bed "$b_base" </dev/null >"$logdir/$bed.host" 2>&1
    show_tap "$bed/host" "$logdir/$bed.host" $?
}

# qemu_version BED LINE: QEMU's --version LINE, and its number for tests/bedtable.py.
qemu_version() {
    local v
    echo "[$1] # $2"
    v=$(echo "$2" | grep -oE 'version [0-9][0-9.]*' | head -n1)
    echo "[$1] # matrix qemu: ${v#version }"
}

# qemu_dir MODE LABEL ARCH BED: set qdir to "host" or to the folder QEMU LABEL was
# unpacked into (tests/system/fetch-qemu.sh, once into the cache); else report BED missing.
qemu_dir() {
    qdir=$(tests/system/fetch-qemu.sh "$1" "$2" "$3" 2>"$logdir/$4.qemu" | tail -n1)
    if [ -n "$qdir" ] && { [ "$qdir" = host ] || [ -d "$qdir/usr/bin" ]; }; then
        return 0
    fi
    sed "s|^|[$4] # |" "$logdir/$4.qemu"
    missing "$4" "no QEMU $2 (tests/system/fetch-qemu.sh $1 $2 $3 failed)"
    return 1
}

# initramfs ARCH OUT [mkinitramfs.py options]: busybox, /clonelab and /examples/*
initramfs() {
    local arch=$1 out=$2 bb ex args=()
    shift 2
    cl_arch "$arch" || return 1
    bb=$(tests/system/fetch-deb.sh --suite "${a_busybox[0]}" "$arch" "${a_busybox[1]}" "${a_busybox[2]}" \
        2>"$logdir/fetch-bb.err" | tail -n1)
    if [ -z "$bb" ] || [ ! -s "$bb" ]; then
        cat "$logdir/fetch-bb.err" >&2
        return 1
    fi
    args=(--add "build/$arch/clonelab:/clonelab" --busybox "$bb")
    for ex in "build/$arch"/examples/*; do
        [ -f "$ex" ] && [ -x "$ex" ] && args+=(--add "$ex:/examples/$(basename "$ex")")
    done
    for ex in "build/$arch"/outsider/*; do	# make outsider: tests/unit/outsider.c runs them
        [ -f "$ex" ] && [ -x "$ex" ] && args+=(--add "$ex:/outsider/$(basename "$ex")")
    done
    mkdir -p "$(dirname "$out")"
    python3 tests/system/mkinitramfs.py "$out" "$@" "${args[@]}"
}

# kernel BED: the path of BED's kernel (fetched once into the cache), its fetch log in
# $logdir/BED.fetch.
kernel() {
    local k
    k=$(tests/system/fetch-kernel.sh "$1" 2>"$logdir/$1.fetch" | tail -n1)
    [ -n "$k" ] && [ -s "$k" ] && echo "$k"
}

# The system beds run several at a time (CHECK_JOBS, default: this machine's cores):
# each guest is one TCG thread (boot.sh: thread=single), so side by side they do not slow
# each other down. Each bed is prepared in order (fetches, its own initramfs: two beds of
# one architecture may boot at once), booted in the background, and shown in order.
# system_prep BED: what comes before the boot, its output kept for system_show; a bed
# that cannot run is reported there. If it can, $logdir/BED.args holds boot.sh's arguments.
system_prep() {
    local bed=$1 arch kernel log
    cl_bed_kernel "$bed" || return
    arch=$k_arch
    cl_arch "$arch"
    need_build "$bed" "$arch" || return
    local qdir qopt=() qbin=${a_qemu[0]}
    qemu_dir system "$k_qemu" "$arch" "$bed" || return
    if [ "$qdir" = host ]; then
        need "$bed" "${a_qemu[0]}" python3 timeout || return
    else
        qopt=(--qemu "$qdir") qbin=$qdir/usr/bin/${a_qemu[0]}
    fi
    if ! kernel=$(kernel "$bed"); then
        sed "s|^|[$bed] # |" "$logdir/$bed.fetch"
        missing "$bed" "no kernel (tests/system/fetch-kernel.sh $bed failed)"
        return
    fi
    local cpio="build/$arch/tests/initramfs-${bed#system-}.cpio"
    log="build/$arch/tests/boot.log"
    [ "$bed" = "system-$arch" ] || log="build/$arch/tests/boot-${bed#system-"$arch"-}.log"
    if ! initramfs "$arch" "$cpio" --init "build/$arch/tests/clonelab-test" 2>"$logdir/$bed.mk"; then
        sed "s|^|[$bed] # |" "$logdir/$bed.mk"
        missing "$bed" "no initramfs (busybox fetch or mkinitramfs.py failed)"
        return
    fi
    echo "[$bed] # kernel: $(cat "$(dirname "$kernel")/VERSION" 2>/dev/null)"
    qemu_version "$bed" "$("$qbin" --version 2>&1 | head -n1)"
    echo "$log" >"$logdir/$bed.console"
    printf '%s\n' "${qopt[@]}" --bed "$bed" "$arch" "$kernel" "$cpio" "$log" "$sys_timeout" \
        >"$logdir/$bed.args"
}

# system_boot BED (in the background): boot it; "STATUS MILLISECONDS" into BED.rc at the end.
system_boot() {
    local args t0 rc
    mapfile -t args <"$logdir/$1.args"
    t0=$(now_ms)
    tests/system/boot.sh "${args[@]}" </dev/null >"$logdir/$1.boot" 2>&1
    rc=$?
    echo "$rc $(( $(now_ms) - t0 ))" >"$logdir/$1.rc.part" && mv "$logdir/$1.rc.part" "$logdir/$1.rc"
}

# system_launch BED... (in the background): boot the prepared beds, CHECK_JOBS at a time.
system_launch() {
    local b running=0
    for b in "$@"; do
        [ -f "$logdir/$b.args" ] || continue
        if [ "$running" -ge "$jobs" ]; then
            wait -n
            running=$((running - 1))
        fi
        system_boot "$b" &
        running=$((running + 1))
    done
    wait
}

# system_show BED: what its preparation said, then, once it has run, its TAP.
system_show() {
    local bed=$1 rc ms
    cat "$logdir/$bed.prep"
    [ -f "$logdir/$bed.args" ] || return 0
    while [ ! -f "$logdir/$bed.rc" ]; do sleep 1; done
    read -r rc ms <"$logdir/$bed.rc"
    sys_ms=$ms
    # boot.sh prefixes its lines with [BED]: take that off to count.
    sed "s|^\[$bed\] ||" "$logdir/$bed.boot" >"$logdir/$bed.tap"
    show_tap "$bed" "$logdir/$bed.tap" "$rc"
    echo "[$bed] # console log: $(cat "$logdir/$bed.console")"
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
# shell_system ARCH|BED [CMD]: see --shell above.
shell_system() {
    local bed=$1 arch kernel script cpio
    [[ $bed == system-* ]] || bed=system-$bed
    if ! cl_bed_kernel "$bed"; then
        echo "check.sh: no system bed '$bed' (want one of: $(all_beds | grep '^system-' | tr '\n' ' '))" >&2
        return 2
    fi
    arch=$k_arch
    [ -x "build/$arch/clonelab" ] || { echo "check.sh: build/$arch/clonelab not built (make both)" >&2; return 125; }
    if ! kernel=$(kernel "$bed"); then
        cat "$logdir/$bed.fetch" >&2
        return 125
    fi
    cpio="build/$arch/tests/shell.cpio"
    if [ $# -ge 2 ] || [ ! -t 0 ]; then
        # A script, not a terminal: the whole input goes into the initramfs, so nothing
        # typed ahead is lost while the guest boots, and the guest powers off at its end.
        script="$logdir/script"
        if [ $# -ge 2 ]; then printf '%s\n' "$2" >"$script"; else cat >"$script"; fi
        initramfs "$arch" "$cpio" --script "$script" || return 125
        tests/system/boot.sh --run "$arch" "$kernel" "$cpio" "$sys_timeout" </dev/null
        return
    fi
    initramfs "$arch" "$cpio" || return 125
    tests/system/boot.sh --interactive "$arch" "$kernel" "$cpio"
}

# The shell bed: make shell-system's guest scripts, on the host's architecture. Each
# must print exactly what the guest's commands print and end with their exit status
# (make itself can only exit 2 for any failure: it names the status as "Error N").
bed_shell() {
    local out rc n=0 bad=() cmd='/clonelab --version >/dev/null && echo "sum $((6 * 7))"; exit 7'
    echo "1..3" >"$logdir/shell"
    out=$(tests/check.sh --shell "$hostarch" --cmd "$cmd" 2>"$logdir/shell.err" </dev/null)
    rc=$?
    [ "$out" = "sum 42" ] || bad+=("stdout $(printf %q "$out"), want 'sum 42'")
    [ $rc -eq 7 ] || bad+=("exit status $rc, want 7")
    shell_result "check.sh --shell --cmd '...; exit 7' prints the output and exits 7" "${bad[@]}"
    bad=()
    out=$(printf 'echo one\necho two >&2\n/clonelab --version | grep -q clonelab || exit 9\nfalse\n' |
        tests/check.sh --shell "$hostarch" 2>"$logdir/shell.err")
    rc=$?
    [ "$out" = $'one\ntwo' ] || bad+=("stdout $(printf %q "$out"), want one, two and no escape sequence")
    [ $rc -eq 1 ] || bad+=("exit status $rc, want 1 (the script's last command: false)")
    shell_result "check.sh --shell < script: every line runs, the guest powers off at its end" "${bad[@]}"
    bad=()
    out=$(make -s --no-print-directory shell-system ARCH="$hostarch" CMD="$cmd" 2>"$logdir/shell.err" </dev/null)
    rc=$?
    [ "$out" = "sum 42" ] || bad+=("stdout $(printf %q "$out"), want 'sum 42'")
    [ $rc -ne 0 ] || bad+=("exit status 0, want a failure")
    grep -q 'Error 7$' "$logdir/shell.err" || bad+=("make did not report 'Error 7'")
    shell_result "make shell-system CMD='...; exit 7' prints the output and fails with Error 7" "${bad[@]}"
    show_tap shell "$logdir/shell" 0
}

shell_result() {  # shell_result NAME PROBLEM...: one TAP line in $logdir/shell
    local name=$1
    shift
    n=$((n + 1))
    if [ $# -eq 0 ]; then
        echo "ok $n $name" >>"$logdir/shell"
    else
        { echo "not ok $n $name"; printf '# %s\n' "$@"; sed 's/^/# stderr: /' "$logdir/shell.err"; } >>"$logdir/shell"
    fi
}

# The walk bed: make walk on each architecture's first kernel (tools/walk/walk.py), and
# its verdict held to failing (tests/walk_check.py).
bed_walk() {
    local a arches=()
    need walk gdb-multiarch python3 timeout || return
    for a in $(cl_arches); do
        need_build walk "$a" || return
        cl_arch "$a"
        need walk "${a_qemu[0]}" || return
        arches+=("$a")
    done
    timeout -k 5 1500 python3 tests/walk_check.py "${arches[@]}" </dev/null >"$logdir/walk" 2>&1
    show_tap walk "$logdir/walk" $?
}

# ---- the beds ----
all_beds() {  # every bed name, for every architecture in arch/ARCHES
    local a
    echo uapi; echo ship
    for a in $(cl_arches); do echo "native-$a"; done
    for a in $(cl_arches); do cl_user_beds "$a"; done
    for a in $(cl_arches); do cl_system_beds "$a"; done
    echo shell; echo fuzz; echo walk
}

matrix_beds() {  # make matrix: every cell this host can run (every kernel on every QEMU)
    local a
    echo "native-$hostarch"
    for a in $(cl_arches); do cl_user_beds "$a"; done
    for a in $(cl_arches); do cl_system_beds "$a"; done
}

# What `make check` runs: a subset of the matrix. Every QEMU user version on every
# architecture; per architecture its oldest and newest kernel on the default QEMU
# (qemus.tab's first system row), and its newest kernel on the newest QEMU; plus uapi,
# ship, native, shell, fuzz and walk. `make matrix` runs the rest.
default_beds() {
    local a k qs oldest newest qnew
    echo uapi; echo ship; echo "native-$hostarch"
    for a in $(cl_arches); do cl_user_beds "$a"; done
    qs=$(cl_qemus system)
    qnew=$(echo "$qs" | sort -V | tail -n1)
    for a in $(cl_arches); do
        cl_arch "$a" || continue
        oldest=$(for k in "${a_kernels[@]}"; do echo "${k%%:*}"; done | sort -V | head -n1)
        newest=$(for k in "${a_kernels[@]}"; do echo "${k%%:*}"; done | sort -V | tail -n1)
        cl_system_beds "$a" | while read -r b; do
            cl_bed_kernel "$b" || continue
            case $k_label:$k_qemu in
                "$oldest:${qs%%[[:space:]]*}" | "$newest:${qs%%[[:space:]]*}" | "$newest:$qnew") echo "$b" ;;
            esac
        done
    done
    echo shell; echo fuzz; echo walk
}

if [ "${1:-}" = --shell ]; then
    [ $# -eq 2 ] || { [ $# -eq 4 ] && [ "$3" = --cmd ]; } ||
        { echo "usage: $0 --shell ARCH|BED [--cmd CMD]" >&2; exit 2; }
    shell_system "$2" ${4+"$4"}
    exit
fi

beds=()
# shellcheck disable=SC2046 # one bed name a line
[ $# -eq 0 ] && set -- $(default_beds)
# shellcheck disable=SC2046
[ "$*" = --matrix ] && set -- $(matrix_beds)
[ "$*" = --list ] && { default_beds; exit 0; }
for arg in "$@"; do
    [ "$arg" = native ] && arg="native-$hostarch"
    matched=false
    while read -r b; do
        # shellcheck disable=SC2053 # a glob on purpose
        [[ $b == $arg ]] && beds+=("$b") && matched=true
    done < <(all_beds)
    $matched || { echo "check.sh: unknown bed '$arg' (want native or one of: $(all_beds | tr '\n' ' '))" >&2; exit 2; }
done
# Keep a copy of all that is shown: tests/bedtable.py builds the README's bed matrix
# from its "# matrix" lines.
log=${CHECK_LOG:-build/check.log}
mkdir -p "$(dirname "$log")" && exec > >(tee "$log")

jobs=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || jobs=1
sys_beds=() launched=false launcher=
for bed in "${beds[@]}"; do [[ $bed == system-* ]] && sys_beds+=("$bed"); done
# A check interrupted or ended leaves no guest running: the launcher has a process
# group of its own (set -m), its boots and their QEMUs in it; the EXIT trap kills it.

start=$(now_ms)
for bed in "${beds[@]}"; do
    t0=$(now_ms)
    if [[ $bed == system-* ]] && ! $launched; then	# all of them, at the first
        launched=true
        for b in "${sys_beds[@]}"; do system_prep "$b" >"$logdir/$b.prep"; done
        set -m
        system_launch "${sys_beds[@]}" &
        launcher=$!
        set +m
        echo "# system beds: ${#sys_beds[@]}, $jobs at a time; each shown when it is its turn"
    fi
    sys_ms=
    case $bed in
        native-* | user-*) bed_host "$bed" ;;
        system-*) system_show "$bed" ;;
        uapi) bed_uapi ;;
        ship) bed_ship ;;
        shell) bed_shell ;;
        fuzz) bed_fuzz ;;
        walk) bed_walk ;;
    esac
    el=$(( $(now_ms) - t0 ))
    [ -z "$sys_ms" ] || el=$sys_ms	# a system bed: its own boot's time, not our wait
    timings+=("$bed $((el / 1000)).$(printf %03d $((el % 1000)))s")
done
launcher=

total=$(( $(now_ms) - start ))
echo "# time: ${timings[*]}; total $((total / 1000)).$(printf %03d $((total % 1000)))s"
for f in "${failures[@]}"; do echo "# FAILED: $f"; done
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
