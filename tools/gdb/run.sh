#!/usr/bin/env bash
# run.sh ARCH SCENARIO [BATCH]: `make gdb`. Starts `clonelab SCENARIO`'s
# debug copy (build/ARCH/debug/clonelab: symbols and DWARF) under gdb, natively, or
# under `qemu-ARCH -g PORT` with gdb-multiarch, and stops at the child's first
# instruction (tools/gdb/first-instruction.py). BATCH=1: print, then end both.
# Known limits:
#  - Under qemu-user, QEMU's gdbstub debugs one process: a fork child (fork, userns,
#    chimera) runs without it, so only SCENARIO=thread stops there. Natively gdb
#    follows the fork child (follow-fork-mode child).
#  - gdb 13 with QEMU 7.2 loses its way when both threads hit one breakpoint right
#    after the syscall (the child is missed, or dies of SIGTRAP): under qemu the script
#    stops where the child alone goes instead, a few instructions on, with sp, frame
#    pointer, link register and thread pointer unchanged; and the scheduler is locked
#    to the stopped thread once stopped.
# No core file is ever written (ulimit -c 0): not by gdb, not by QEMU's target.
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:?ARCH} scenario=${2:?SCENARIO} batch=${3:-0}
prog=${PROG:-build/$arch/debug/clonelab}
script=tools/gdb/first-instruction.py
[ -x "$prog" ] || { echo "gdb: $prog is missing: make ARCH=$arch" >&2; exit 2; }
case $scenario in fork | thread | userns | chimera) ;; *)
    echo "gdb: SCENARIO must be fork, thread, userns or chimera" >&2; exit 2 ;;
esac
ulimit -c 0
# The architecture's registers and syscall instruction, from its folder.
fact() { sed -n "s/^$1 //p" "arch/$arch/tools.txt"; }
CL_GDB_REGS=$(fact gdb_regs) CL_GDB_SYSCALL=$(fact syscall_insn)
export CL_GDB_REGS CL_GDB_SYSCALL
qemu=1
[ "$arch" = "$(uname -m)" ] && qemu=0
cmds=(-q -nx -ex "set debuginfod enabled off" -ex "set \$cl_qemu = $qemu" -ex "file $prog" -x "$script")
end=()
[ "$batch" = 1 ] && end=(-batch -ex "kill")

if [ "$arch" = "$(uname -m)" ]; then
    exec gdb "${cmds[@]}" -ex "set follow-fork-mode child" -ex run "${end[@]}" \
        --args "$prog" "$scenario"
fi

if [ "$scenario" != thread ]; then
    echo "gdb: under qemu-$arch only SCENARIO=thread: QEMU's gdbstub cannot follow a fork child" >&2
    exit 3
fi
command -v gdb-multiarch >/dev/null || { echo "gdb: gdb-multiarch is missing (tests/deps.sh)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-"$arch" -g "$port" "$prog" "$scenario" &
qpid=$!
trap 'kill $qpid 2>/dev/null || true; wait $qpid 2>/dev/null || true' EXIT
limit=()
[ "$batch" = 1 ] && limit=(timeout 60)	# a batch run never hangs; an interactive one is yours
"${limit[@]}" gdb-multiarch "${cmds[@]}" -ex "target remote 127.0.0.1:$port" \
    -ex "set scheduler-locking off" -ex continue -ex "set scheduler-locking on" "${end[@]}"
