#!/bin/bash
# kview-readme.sh ARCH...: regenerate doc/kernel.md's "How the kernel returns into the new
# task" examples from real runs: boot Debian's kernel for ARCH in qemu-system with two
# vCPUs, run `clonelab thread --kernel --cpu 1` as the guest's /init script, and put the
# section it prints between <!-- kernel-ARCH:begin/end --> (tests/readme-section.py).
# The console is cleaned as boot.sh does (x86's SeaBIOS leaves escapes and bare CRs).
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "=== kernel begin"
/clonelab thread --kernel --cpu 1 | sed -n '/^the kernel.s side/,$p'
echo "=== kernel end"
poweroff -f
INIT
chmod +x "$tmp/init"
for arch in "$@"; do
    case $arch in
        aarch64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57) console=ttyAMA0 ;;
        x86_64) qemu=(qemu-system-x86_64 -accel tcg) console=ttyS0 ;;
        *) echo "kview-readme.sh: unknown ARCH '$arch'" >&2; exit 2 ;;
    esac
    kernel=$(tests/system/fetch-kernel.sh "$arch" | tail -n1)
    bb=$(tests/system/fetch-deb.sh "$arch" busybox-static bin/busybox | tail -n1)
    python3 tests/system/mkinitramfs.py "$tmp/$arch.cpio" --init "$tmp/init" \
        --add "build/$arch/clonelab:/clonelab" --busybox "$bb"
    timeout -k 5 180 "${qemu[@]}" -nic none -smp 2 -m 512 -nographic -no-reboot \
        -kernel "$kernel" -initrd "$tmp/$arch.cpio" -append "console=$console panic=-1 quiet" \
        </dev/null | sed -E 's/\r$//; s/\r|\x1bc/\n/g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' \
        | sed -n '/^=== kernel begin/,/^=== kernel end/p' \
        | sed '1d;$d' >"$tmp/$arch.txt"
    grep -q "^the kernel's side (--kernel: full" "$tmp/$arch.txt" ||
        { echo "kview-readme.sh: $arch: no full --kernel output" >&2; cat "$tmp/$arch.txt" >&2; exit 1; }
    python3 tests/readme-section.py "kernel-$arch" "$tmp/$arch.txt" --code
done
