#!/bin/bash
# oops-repro.sh [--qemu DIR] [--smp N] [--threads single|multi] [--loops N]
#               [--how events|kprobe|clonelab] BED BOOTS
#
# The 7.2 amd64 oops hunt (doc/testing.md, "The int3 oops"): boot BED's kernel (a system
# bed of arch/<arch>/bed.tab, e.g. system-x86_64-7.2) BOOTS times with busybox as init,
# which keeps both vCPUs scheduling (forks of `sleep 0`) while it switches tracing on and
# off LOOPS times, without clonelab (events: the sched tracepoints; kprobe: a kprobe
# event on wake_up_new_task) or with it (clonelab: `clonelab thread --kernel`). Each
# boot's console goes to build/oops/; one line a boot says clean or the oops, and the
# last line counts them. Every qemu runs under timeout. --qemu DIR: another QEMU
# (tests/system/fetch-qemu.sh); --threads: TCG's thread= (the beds use single).
set -eu
cd "$(dirname "$0")/../.."
. tests/system/arches.sh
qdir= smp=2 threads=single loops=40 how=events
while :; do
    case ${1:-} in
        --qemu) qdir=$2; shift 2 ;;
        --smp) smp=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --loops) loops=$2; shift 2 ;;
        --how) how=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || { sed -n '2,3p' "$0" >&2; exit 2; }
bed=$1 boots=$2
cl_bed_kernel "$bed" || { echo "oops-repro: unknown bed $bed" >&2; exit 2; }
arch=$k_arch
cl_arch "$arch"
kernel=$(tests/system/fetch-kernel.sh "$bed" 2>/dev/null | tail -n1)
bb=$(tests/system/fetch-deb.sh --suite "${a_busybox[0]}" "$arch" "${a_busybox[1]}" "${a_busybox[2]}" 2>/dev/null | tail -n1)
out=build/oops
mkdir -p "$out"
qname=host; [ -z "$qdir" ] || qname=$(basename "$qdir")
tag=${bed#system-}-q$qname-smp$smp-$threads-$how
script=$out/$tag.sh
cat >"$script" <<SCRIPT
T=/sys/kernel/tracing
mount -t tracefs tracefs \$T
# Keep the other CPU in and out of __schedule: short-lived processes, forever.
( while :; do sleep 0; done ) &
i=0
while [ \$i -lt $loops ]; do
    case $how in
    events)
        echo 1 > \$T/events/sched/sched_switch/enable
        echo 1 > \$T/events/sched/enable
        echo 0 > \$T/events/sched/enable ;;
    kprobe)
        echo 'p:oopsrepro/w wake_up_new_task' >> \$T/kprobe_events
        echo 1 > \$T/events/oopsrepro/w/enable
        echo 1 > \$T/events/sched/sched_switch/enable
        echo 0 > \$T/events/sched/sched_switch/enable
        echo 0 > \$T/events/oopsrepro/w/enable
        echo '-:oopsrepro/w' >> \$T/kprobe_events ;;
    clonelab)
        /clonelab thread --kernel --json > /dev/null ;;
    esac
    i=\$((i + 1))
    [ \$((i % 10)) -ne 0 ] || echo "oops-repro: \$i loops, guest uptime \$(cut -d" " -f1 /proc/uptime) s"
done
echo "oops-repro: $loops loops done"
SCRIPT
cpio=$out/$tag.cpio
args=(--busybox "$bb" --script "$script")
[ "$how" != clonelab ] || args+=(--add "build/$arch/clonelab:/clonelab")
python3 tests/system/mkinitramfs.py "$cpio" "${args[@]}"
q=("${a_qemu[@]}")
if [ -n "$qdir" ]; then q[0]=$qdir/usr/bin/${q[0]}; q+=(-L "$qdir/usr/share/qemu" -L /usr/share/seabios); fi
oopses=0 hung=0
for n in $(seq "$boots"); do
    log=$out/$tag.$n.log
    t0=$SECONDS
    timeout -k 5 600 "${q[@]}" -accel "tcg,thread=$threads" -smp "$smp" -m 512 -nic none -nographic \
        -no-reboot -kernel "$kernel" -initrd "$cpio" -append "console=$a_console panic=-1 loglevel=7${a_append:+ $a_append}" \
        </dev/null >"$log" 2>&1 || true
    if grep -aq 'Oops\|BUG:\|Kernel panic' "$log"; then
        oopses=$((oopses + 1))
        echo "boot $n: $(grep -aq "Kernel panic" "$log" && echo PANIC || echo OOPS) ($((SECONDS - t0)) s): $(grep -aom1 'Oops.*\|BUG:.*\|Kernel panic.*' "$log" | tr -d '\r'); $(grep -aom1 'RIP: [^ ]*:[^ ]*' "$log" | tr -d '\r')"
    elif grep -aq 'oops-repro: .* loops done' "$log"; then
        echo "boot $n: clean ($((SECONDS - t0)) s)"
    else
        hung=$((hung + 1))
        echo "boot $n: did not finish ($((SECONDS - t0)) s), see $log"
    fi
done
echo "oops-repro $tag: $boots boots, $oopses oopsed, $hung did not finish"
