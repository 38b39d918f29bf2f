# shellcheck shell=bash disable=SC2034 # it sets variables for its caller
# arches.sh: sourced by the test scripts. The list of architectures (arch/ARCHES) and
# their test-bed facts (each arch/<arch>/bed.tab), in one place.
#
# bed.tab holds one row, its columns separated by "|":
#   arch      as in arch/ARCHES and build/<arch>/ (qemu-user is qemu-<arch>)
#   deb       Debian's name for it
#   qemu      the qemu-system binary and its machine arguments (the accelerator, 2
#             vCPUs, memory and the rest are common: tests/system/boot.sh). aarch64:
#             cortex-a57, as -cpu max is much slower under TCG.
#   console   the serial console's device name in the guest
#   pkg       the Debian package with that qemu-system binary and its firmware
#   busybox   SUITE PACKAGE FILE-IN-DEB: the guest's shell
#   kernels   LABEL:SUITE:PACKAGE:FILE-IN-DEB ...: one qemu-system bed each. The first
#             is bed system-<arch>, the others system-<arch>-<LABEL>. A metapackage is
#             followed to the versioned package that has the file.
#   budget    the most bytes an example program may have (make size)
#   firmware  FILE PACKAGE: what the qemu machine loads besides the kernel, or "-"
#   append    more kernel command line for this architecture's guests, or "-". x86_64:
#             no_timer_check, as KVM guests get by default: on a starved TCG vCPU the
#             kernel's IO-APIC timer check fails and it panics at boot ("IO-APIC + timer
#             doesn't work!", seen twice on 7.2 at load 9-19)
#
#   cl_arches            every architecture in arch/ARCHES, in order
#   cl_arches_here       those whose arch/<arch>/ folder exists (what this tree builds)
#   cl_arch ARCH         set a_deb, a_qemu (array), a_console, a_pkg, a_busybox (array:
#                        suite package file), a_kernels (array), a_budget, a_firmware
#                        (array: file package, empty if none), a_append; 1 if unknown
#   cl_system_beds ARCH  the qemu-system beds of ARCH: system-ARCH, system-ARCH-LABEL...
#   cl_bed_kernel BED    for a system bed: k_arch, k_label, k_suite, k_pkg, k_file, and
#                        k_qemu (its QEMU's label: tests/system/qemus.tab); 1 if unknown
#   cl_qemus MODE        the QEMU labels of MODE (user, system), the default first
#   cl_qemu MODE LABEL   set q_suite ("host" or a Debian suite) and q_pkgs (array); 1 if unknown
#   cl_user_beds ARCH    user-ARCH, user-ARCH-qemuLABEL...
#   cl_bed_qemu BED      for a user or system bed: b_base (the bed without -qemuLABEL),
#                        b_qemu (the label; the default one if none)
#
# Every system bed is a kernel and a QEMU: system-ARCH[-KERNEL][-qemuLABEL], the first
# kernel of bed.tab and the first system QEMU of qemus.tab having no suffix.
cl_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

cl_arches() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$cl_root/arch/ARCHES"
}

cl_arches_here() {
    local a
    for a in $(cl_arches); do [ -d "$cl_root/arch/$a" ] && echo "$a"; done
}

cl_arch() {
    local arch qemu busybox kernels firmware append
    a_deb='' a_console='' a_pkg='' a_budget='' a_append='' a_qemu=() a_busybox=() a_kernels=() a_firmware=()
    while IFS='|' read -r arch a_deb qemu a_console a_pkg busybox kernels a_budget firmware append; do
        arch=${arch//[[:space:]]/}
        [[ $arch == "$1" ]] || continue
        a_deb=${a_deb//[[:space:]]/} a_console=${a_console//[[:space:]]/}
        a_pkg=${a_pkg//[[:space:]]/} a_budget=${a_budget//[[:space:]]/}
        read -ra a_qemu <<<"$qemu"
        read -ra a_busybox <<<"$busybox"
        read -ra a_kernels <<<"$kernels"
        read -ra a_firmware <<<"$firmware"
        [ "${a_firmware[0]:-}" != - ] || a_firmware=()
        read -r a_append <<<"${append:-}"  # trimmed
        [ "$a_append" != - ] || a_append=
        return 0
    done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$cl_root/arch/$1/bed.tab" 2>/dev/null)
    return 1
}

cl_system_beds() {
    cl_arch "$1" || return 1
    local k q first=1 b qs
    qs=$(cl_qemus system)
    for k in "${a_kernels[@]}"; do
        if [ $first = 1 ]; then b="system-$1"; first=0; else b="system-$1-${k%%:*}"; fi
        for q in $qs; do
            if [ "$q" = "${qs%%[[:space:]]*}" ]; then echo "$b"; else echo "$b-qemu$q"; fi
        done
    done
}

cl_user_beds() {
    local q qs
    qs=$(cl_qemus user)
    for q in $qs; do
        if [ "$q" = "${qs%%[[:space:]]*}" ]; then echo "user-$1"; else echo "user-$1-qemu$q"; fi
    done
}

_cl_qemu_rows() {  # mode|label|suite|packages, trimmed
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]*|[[:space:]]*/|/g' \
        -e 's/^[[:space:]]*//; s/[[:space:]]*$//' "$cl_root/tests/system/qemus.tab"
}

cl_qemus() {
    _cl_qemu_rows | awk -F'|' -v m="$1" '$1 == m { print $2 }'
}

cl_qemu() {
    local mode label suite pkgs
    q_suite='' q_pkgs=()
    while IFS='|' read -r mode label suite pkgs; do
        [ "$mode" = "$1" ] && [ "$label" = "$2" ] || continue
        q_suite=$suite
        [ "$pkgs" = - ] || read -ra q_pkgs <<<"$pkgs"
        return 0
    done < <(_cl_qemu_rows)
    return 1
}

cl_bed_qemu() {
    local qs
    qs=$(cl_qemus "${1%%-*}")
    b_base=$1 b_qemu=${qs%%[[:space:]]*}
    if [[ $1 == *-qemu* ]]; then
        b_base=${1%-qemu*} b_qemu=${1##*-qemu}
    fi
}

cl_bed_kernel() {
    local bed a k rest
    cl_bed_qemu "$1"
    bed=$b_base k_qemu=$b_qemu
    cl_qemu system "$k_qemu" || return 1
    for a in $(cl_arches); do
        [[ $bed == "system-$a" || $bed == "system-$a-"* ]] || continue
        cl_arch "$a" || return 1
        for k in "${a_kernels[@]}"; do
            if [[ $bed == "system-$a" || $bed == "system-$a-${k%%:*}" ]]; then
                k_arch=$a k_label=${k%%:*} rest=${k#*:}
                k_suite=${rest%%:*} rest=${rest#*:}
                k_pkg=${rest%%:*} k_file=${rest#*:}
                return 0
            fi
        done
    done
    return 1
}
