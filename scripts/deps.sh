#!/usr/bin/env bash
# Installs the Debian packages avmm needs to build, run and test, if missing.
set -euo pipefail
pkgs=(meson ninja-build gcc pkg-config python3 libfdt-dev zlib1g-dev libjansson-dev libslirp-dev
      gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user qemu-system-arm bc
      clang libclang-rt-14-dev e2fsprogs)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
	echo "avmm: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The aarch64 cross build (scripts/cross-aarch64.txt, the KVM backend): arm64
# zlib from the multiarch archive (zlib1g-dev is Multi-Arch: same), and
# libfdt-dev:arm64 unpacked into .cache/aarch64 (installing it would remove
# the host's libfdt-dev: the two cannot be co-installed).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$sudo dpkg --add-architecture arm64
	$sudo apt-get update -qq
fi
for p in zlib1g-dev:arm64 libjansson-dev:arm64; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		echo "avmm: installing $p" >&2
		$sudo apt-get install -y -qq "$p" >/dev/null || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$p" >/dev/null; }
	fi
done
fdt="$(cd "$(dirname "$0")/.." && pwd)/.cache/aarch64"
if [ ! -e "$fdt/usr/lib/aarch64-linux-gnu/libfdt.a" ]; then
	echo "avmm: unpacking libfdt-dev:arm64 into .cache/aarch64" >&2
	rm -rf "$fdt" && mkdir -p "$fdt"
	(cd "$fdt" && apt-get download -q libfdt-dev:arm64 >/dev/null 2>&1 && dpkg-deb -x ./*.deb .) ||
		{ echo "avmm: apt-get download libfdt-dev:arm64 failed" >&2; exit 1; }
fi
