# shellcheck shell=bash disable=SC2034 # it sets variables for its caller
# arches.sh: sourced by the test scripts. The list of architectures (arch/ARCHES) and
# their test-bed facts (tests/system/arches.tab), in one place.
#
#   cl_arches            every architecture in arch/ARCHES, in order
#   cl_arches_here       those whose arch/<arch>/ folder exists (what this tree builds)
#   cl_arch ARCH         set a_deb, a_qemu (array), a_console, a_pkg, a_busybox (array:
#                        suite package file), a_kernels (array), a_budget, a_firmware
#                        (array: file package, empty if none); 1 if unknown
#   cl_system_beds ARCH  the qemu-system beds of ARCH: system-ARCH, system-ARCH-LABEL...
#   cl_bed_kernel BED    for a system bed: k_arch, k_label, k_suite, k_pkg, k_file; 1 if unknown
cl_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

cl_arches() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$cl_root/arch/ARCHES"
}

cl_arches_here() {
    local a
    for a in $(cl_arches); do [ -d "$cl_root/arch/$a" ] && echo "$a"; done
}

cl_arch() {
    local arch qemu busybox kernels firmware
    a_deb='' a_console='' a_pkg='' a_budget='' a_qemu=() a_busybox=() a_kernels=() a_firmware=()
    while IFS='|' read -r arch a_deb qemu a_console a_pkg busybox kernels a_budget firmware; do
        arch=${arch//[[:space:]]/}
        [[ $arch == "$1" ]] || continue
        a_deb=${a_deb//[[:space:]]/} a_console=${a_console//[[:space:]]/}
        a_pkg=${a_pkg//[[:space:]]/} a_budget=${a_budget//[[:space:]]/}
        read -ra a_qemu <<<"$qemu"
        read -ra a_busybox <<<"$busybox"
        read -ra a_kernels <<<"$kernels"
        read -ra a_firmware <<<"$firmware"
        [ "${a_firmware[0]:-}" != - ] || a_firmware=()
        return 0
    done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$cl_root/tests/system/arches.tab")
    return 1
}

cl_system_beds() {
    cl_arch "$1" || return 1
    local k first=1
    for k in "${a_kernels[@]}"; do
        if [ $first = 1 ]; then echo "system-$1"; first=0; else echo "system-$1-${k%%:*}"; fi
    done
}

cl_bed_kernel() {
    local bed=$1 a k rest
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
