#!/usr/bin/env bash
# Fetches the Linux guest fixtures from Debian's archive (never committed) and
# builds a busybox initramfs. Prints the fixture directory.
#   kernel:  the current linux-image-*-cloud-arm64-unsigned (version resolved
#            through the linux-image-cloud-arm64 metapackage), vmlinuz
#   busybox: busybox-static:arm64; initramfs: initramfs.cpio.gz, and
#            initramfs-virtio.cpio.gz (also loads the kernel's virtio modules)
#   u-boot:  u-boot-qemu's qemu_arm64/u-boot.bin
# Cached in $AVMM_FIXTURES (default: ~/.cache/avmm/fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${AVMM_FIXTURES:-$HOME/.cache/avmm/fixtures}
mkdir -p "$dir"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$sudo dpkg --add-architecture arm64
	$sudo apt-get update -qq
fi
meta=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)
if [ -z "$meta" ]; then
	$sudo apt-get update -qq
	meta=$(apt-cache depends linux-image-cloud-arm64:arm64 | sed -n 's/.*Depends: \(linux-image-[^:]*\).*/\1/p' | head -1)
fi
[ -n "$meta" ] || { echo "fixtures: cannot resolve the current cloud arm64 kernel (apt-cache depends linux-image-cloud-arm64:arm64)" >&2; exit 1; }
kpkg="$meta-unsigned"
cd "$dir"
fetch() { # package, marker file
	[ -e "$2" ] && return 0
	rm -rf "x-$1" && mkdir "x-$1"
	(cd "x-$1" && apt-get download -q "$1" >/dev/null 2>&1 && dpkg-deb -x ./*.deb .) || {
		echo "fixtures: apt-get download $1 failed" >&2; exit 1; }
}
fetch "$kpkg:arm64" "x-$kpkg:arm64/boot"
fetch "busybox-static:arm64" "x-busybox-static:arm64/bin/busybox"
fetch "u-boot-qemu" "x-u-boot-qemu/usr/lib/u-boot/qemu_arm64/u-boot.bin"
ln -sf "$(ls "x-$kpkg:arm64"/boot/vmlinuz-* | head -1)" vmlinuz
ln -sf "x-u-boot-qemu/usr/lib/u-boot/qemu_arm64/u-boot.bin" u-boot.bin
if [ ! -e initramfs.cpio.gz ] || [ initramfs.cpio.gz -ot "$OLDPWD/scripts/mkinitramfs.py" ]; then
	python3 "$OLDPWD/scripts/mkinitramfs.py" "x-busybox-static:arm64/bin/busybox" initramfs.cpio.gz
fi
# The same with Debian's virtio modules (the cloud kernel has them as modules)
# loaded by /init, for the virtio tests.
moddir=$(ls -d "x-$kpkg:arm64"/lib/modules/* | head -1)
if [ ! -e initramfs-virtio.cpio.gz ] || [ initramfs-virtio.cpio.gz -ot "$OLDPWD/scripts/mkinitramfs.py" ]; then
	python3 "$OLDPWD/scripts/mkinitramfs.py" "x-busybox-static:arm64/bin/busybox" initramfs-virtio.cpio.gz \
		--modules "$moddir" virtio_pci,virtio_mmio,virtio_blk,virtio_rng
fi
echo "$dir"
